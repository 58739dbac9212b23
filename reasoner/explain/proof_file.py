"""Writing a proof file: atomically (a temporary file renamed into place), never over a file that is not a proof."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from reasoner.errors import QueryError
from reasoner.explain import proof as proofs


def write_proof(path: Path, session, checks, facts: Path, policies: list[Path]) -> None:
    """Writes the proof of a verify run to ``path``.  An existing file is replaced only when it is itself a proof
    (``reason.proof/v1``): a mistyped ``--proof queries/x.reason`` must not destroy the user's file."""
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            is_proof = isinstance(old, dict) and old.get("schema") == proofs.SCHEMA
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            is_proof = False
        if not is_proof:
            raise QueryError("proof.would_overwrite", f"{path} exists and is not a proof file; not overwritten",
                             hint="choose another file name for --proof")
    data = proofs.build(session, checks, facts)
    data["policy_files"] = [str(f) for f in policies]  # recheck loads them again (their text is in rules_hash)
    fd, tmp = tempfile.mkstemp(prefix=".proof-", dir=str(path.parent if str(path.parent) else "."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # an ordinary file, not mkstemp's private one
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise

