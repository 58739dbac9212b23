"""The cache folder and its files: JSON documents written atomically, read back with a size limit, never code.

Two caches live here (``$REASON_CACHE_DIR``, else ``$XDG_CACHE_HOME/reason``, else ``~/.cache/reason``;
``REASON_NO_CACHE=1`` turns both off): parsed rule sets (``reasoner/engine/parse_cache.py``) and the symmetry
classes of snapshots (``reasoner/engine/symmetry_cache.py``).  Each document is one file
``<kind>-<key>.json``; its reader validates every value and treats anything unexpected as a miss.  A folder
that cannot be written or read means no cache, never an error; the newest ``keep`` files of a kind are kept.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

#: a temporary file older than this is left over from a killed writer (a write takes well under a second)
STALE_SECONDS = 3600


def cache_dir() -> Path | None:
    """The cache folder, or None when ``REASON_NO_CACHE`` is set."""
    if os.environ.get("REASON_NO_CACHE"):
        return None
    base = os.environ.get("REASON_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "reason")
    return Path(base)


def read_json(folder: Path, kind: str, key: str, max_bytes: int) -> Any:
    """The JSON document ``<kind>-<key>.json``, or None when absent, larger than ``max_bytes``, unreadable or not JSON."""
    path = folder / f"{kind}-{key}.json"
    try:
        if path.stat().st_size > max_bytes:
            return None
        return json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None


def write_json(folder: Path, kind: str, key: str, doc: Any, keep: int) -> None:
    """Writes ``doc`` as ``<kind>-<key>.json`` (atomically: a temporary file renamed over it) and removes all but
    the ``keep`` newest files of ``kind``.  A folder that cannot be written means no cache, never an error."""
    try:
        data = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, folder / f"{kind}-{key}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        old = sorted(folder.glob(f"{kind}-*.json"), key=lambda f: f.stat().st_mtime)[:-keep]
        # temporary files of writers killed before their rename (``--timeout`` and Ctrl-C end a command with SIGKILL)
        old += [f for f in folder.glob(f".{kind}-*.tmp") if time.time() - f.stat().st_mtime > STALE_SECONDS]
        for f in old:
            f.unlink(missing_ok=True)
    except OSError:  # a read-only home: no cache, same answer
        pass
