"""Writing a proof file: atomically (a temporary file renamed into place), never over a file that is not a proof."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from pathlib import Path

from reasoner.errors import QueryError
from reasoner.explain import proof as proofs
from reasoner.files import kind, read_regular


def _through_links(path: Path) -> Path:
    """The file a ``--proof`` path names: a symbolic link is written through (as a shell's ``>`` does), so the
    link stays the user's link and its target gets the proof; anything else is the path itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_target(path: Path) -> None:
    """Refuses (QueryError, exit 2) a ``--proof`` path that cannot be written, before any work is done: its folder
    is missing, not a folder or not writable, or it names a folder or an existing file that is not a proof.  A
    symbolic link is judged by the file it points to (``_through_links``)."""
    path = _through_links(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        why = "does not exist" if not parent.exists() else "is not a folder"
        raise QueryError("proof.no_folder", f"cannot write the proof file {path}: its folder {parent} {why}",
                         location=str(path),
                         hint=f"create the folder first (mkdir -p {parent}) or choose another path for --proof")
    if path.is_dir():
        raise QueryError("proof.would_overwrite", f"{path} is a folder, not a proof file", location=str(path),
                         hint="give a file name for --proof, e.g. isolation.proof.json")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise QueryError("proof.unwritable", f"cannot write the proof file {path}: no permission to write in {parent}",
                         location=str(path), hint="choose a folder you can write for --proof")
    try:
        mode: int | None = path.stat().st_mode
    except OSError:  # (absent: it will be created)
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise QueryError("proof.would_overwrite", f"{path} is {kind(mode)}, not a proof file; not overwritten",
                         location=str(path), hint="give a file name for --proof, e.g. isolation.proof.json")
    if path.exists() and not _is_proof(path):
        raise QueryError("proof.would_overwrite", f"{path} exists and is not a proof file; not overwritten",
                         hint="choose another file name for --proof")


def _head(path: Path) -> bytes | None:
    """At most ``_WHOLE + 1`` bytes of the existing file ``path``; None when it is no regular file (a named pipe
    is never waited on: reasoner/files.py) or cannot be read."""
    try:
        return read_regular(path, _WHOLE + 1)
    except OSError:
        return None


#: How much of an existing file is read to tell whether it is a proof: its first member, ``"schema"``, as
#: ``write_proof`` writes it (a proof of 20k ENIs is 18 MB); a file no longer than ``_WHOLE`` is read whole (a proof
#: whose members were reordered, ``jq -S``).
_HEAD = 4096
_WHOLE = 1 << 20
_SCHEMA_FIRST = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"schema"\s*:\s*"(?:%s)"\s*[,}]'
                           % b"|".join(re.escape(s.encode()) for s in proofs.SCHEMAS))


def _is_proof(path: Path) -> bool:
    """Whether the existing file ``path`` is a proof (``reason.proof/v2`` or v1), reading at most ``_WHOLE`` bytes of
    it: a file of any other kind, one that cannot be read, or JSON nested too deep to read is not."""
    head = _head(path)
    if head is None:
        return False
    if _SCHEMA_FIRST.match(head[:_HEAD]):
        return True
    if len(head) > _WHOLE:
        return False
    try:
        old = json.loads(head.decode("utf-8"))
    except (ValueError, RecursionError):  # (malformed JSON, not UTF-8, a number of thousands of digits; too deep)
        return False
    return isinstance(old, dict) and old.get("schema") in proofs.SCHEMAS


def write_proof(path: Path, session, checks, facts: Path, policies: list[Path], outcome=None) -> None:
    """Writes the proof of a verify run to ``path``, with the outcome of its policies (``outcome``:
    reasoner/explain/policy_outcome.py; recheck runs them again and fails on any violation or undecided row, as
    for an assertion that does not hold).  An existing file is replaced only when it is itself a proof
    (``reason.proof/v2``, or a v1 one): a mistyped ``--proof queries/x.reason`` must not destroy the user's file.  A symbolic
    link is written through, never replaced by a file."""
    path = _through_links(path)
    check_target(path)  # again: the verify command checked it before its work, and the folder may have changed
    data = proofs.build(session, checks, facts)
    # absolute, so that recheck finds them from any folder (the hashes do not depend on where they are)
    data["facts"] = os.path.abspath(facts)
    data["policy_files"] = [os.path.abspath(f) for f in policies]  # recheck loads them again (their text is in rules_hash)
    if outcome is not None:
        data["policies"] = outcome.record()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".proof-", dir=str(path.parent if str(path.parent) else "."))
    except OSError as exc:  # the folder went away or became read-only while the run went on
        raise QueryError("proof.unwritable", f"cannot write the proof file {path}: {exc.strerror or exc}",
                         location=str(path), hint="choose a folder you can write for --proof") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # an ordinary file, not mkstemp's private one
        os.replace(tmp, path)
    except OSError as exc:  # disk full, the file became a folder, ...
        os.unlink(tmp)
        raise QueryError("proof.unwritable", f"cannot write the proof file {path}: {exc.strerror or exc}",
                         location=str(path), hint="choose a folder you can write for --proof") from None
    except BaseException:
        os.unlink(tmp)
        raise

