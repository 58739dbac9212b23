"""Output folders `reason` replaces: which ones it may replace, its staging folders, and their cleanup.

One rule for `reason import --out DIR` (a facts directory) and `reason collect --out DIR` (a snapshot
folder), :func:`refusal`: DIR may be replaced only when it is absent, an empty folder, or a folder
`reason` wrote of that kind holding nothing but what `reason` writes there (plus the user's
``reason.toml``, which is carried over to the new folder).  Anything else is refused, so `reason`
never removes a file it did not write (``reason import facts --out facts`` would have wiped the
example).

* a facts directory: ``manifest.json`` whose ``written_by`` is ``"reason"`` (or, written by an older
  `reason`, a ``schema_version`` and a ``sha256:`` content hash); entries ``<relation>.jsonl`` for each relation
  the manifest counts (a user's own ``*.jsonl`` is not ours), ``names.json``, ``manifest.json``, ``reason.toml``;
* a snapshot folder: ``reason-collect.json``; entries ``aws_configs/``, ``facts/``,
  ``reason-collect.json``, ``reason.toml``; in ``aws_configs/`` only the answers ``reason-collect.json`` lists
  under ``files`` (a snapshot collected before they were listed: the files of collect's layout in the accounts and
  regions it records); in ``facts/`` what a facts directory may hold.

Staging: a new folder is written next to DIR as ``.<DIR>.<kind>-<pid>-<random>`` and renamed into
place; the old one is moved aside as ``.<DIR>.old-<pid>-<random>`` and removed.  Writers remove their
staging folder on any exit they live through (exceptions, SIGTERM/SIGINT: see ``reasoner.cli``);
after ``kill -9`` :func:`sweep` removes it at the next run: a folder next to DIR whose name has that
shape, owned by the current user, whose process is gone.  Staging folders of the older
``tempfile.mkdtemp`` shape (``.<DIR>.<8 chars>``, ``.<DIR>.collect-<8 chars>``) are swept when older
than an hour and holding only files `reason` writes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path, PurePosixPath

COLLECT_METADATA = "reason-collect.json"
WRITTEN_BY = "reason"
ALIASES = "reason.toml"
#: Old staging folders of the pre-pid naming are swept after this many seconds.
LEGACY_AGE = 3600.0

_FACT_FILE = re.compile(r"[A-Za-z0-9_]+\.jsonl|names\.json|manifest\.json")
_RELATION = re.compile(r"[A-Za-z0-9_]+")
_ANSWER = re.compile(r"[A-Za-z0-9]+\.json")  # aws_configs/<account>/<region>/<Key>.json, as collect writes it
_SNAPSHOT_ENTRIES = frozenset({"aws_configs", "facts", COLLECT_METADATA, ALIASES})


def _facts_manifest(path: Path) -> dict | None:
    """The manifest ``path`` if `reason` wrote it (``written_by``, or an older one's schema version and hash)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if data.get("written_by") == WRITTEN_BY:
        return data
    return data if "schema_version" in data and str(data.get("content_hash", "")).startswith("sha256:") else None


def _facts_files(manifest: dict) -> set[str]:
    """The files of a facts directory its manifest names as written by `reason`: one ``<relation>.jsonl`` per
    relation it counts (``counts``, written since the first facts directories), ``names.json``, ``manifest.json``."""
    counts = manifest.get("counts")
    relations = [r for r in counts if _RELATION.fullmatch(r)] if isinstance(counts, dict) else []
    return {f"{r}.jsonl" for r in relations} | {"names.json", "manifest.json"}


class Refusal(str):
    """Why a folder must not be replaced (the message); ``not_folder`` when it is not a folder at all."""

    not_folder: bool = False


def _not_folder(message: str) -> Refusal:
    r = Refusal(message)
    r.not_folder = True
    return r


def refusal(out: Path, kind: str) -> Refusal | None:
    """Why ``out`` must not be replaced by a new folder of ``kind`` (``"facts"`` or ``"snapshot"``); None if it may."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        return None
    if out.is_symlink():
        return _not_folder(f"{out} is a symbolic link (give the folder it points to)")
    if not out.is_dir():
        return _not_folder(f"{out} exists and is not a folder")
    try:
        entries = sorted(out.iterdir())
    except OSError as exc:
        return Refusal(f"{out} cannot be listed: {exc.strerror}")
    if not entries:
        return None
    if kind == "facts":
        if _facts_manifest(out / "manifest.json") is None:
            return Refusal(f"{out} is not empty and is not a facts directory written by `reason import` "
                           "(no manifest.json of ours)")
        foreign = _foreign_facts(out, entries)
    else:
        if not (out / COLLECT_METADATA).is_file():
            return Refusal(f"{out} is not empty and was not written by `reason collect` (no {COLLECT_METADATA})")
        foreign = [e.name for e in entries if e.name not in _SNAPSHOT_ENTRIES or e.is_symlink()]
        foreign += _foreign_in_snapshot(out)
    if foreign:
        listed = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        return Refusal(f"{out} holds files `reason` did not write ({listed})")
    return None


def _foreign_facts(folder: Path, entries: list[Path], prefix: str = "") -> list[str]:
    """The entries of the facts directory ``folder`` that `reason` did not write: anything but the files its
    manifest names (:func:`_facts_files`: a ``*.jsonl`` the manifest does not count is the user's) and
    ``reason.toml``; every other entry when the manifest is not ours."""
    manifest = _facts_manifest(folder / "manifest.json")
    ours = _facts_files(manifest) if manifest is not None else set()
    return [prefix + e.name for e in entries
            if e.name != ALIASES and not (e.name in ours and e.is_file() and not e.is_symlink())]


def _collect_metadata(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _foreign_in_snapshot(out: Path) -> list[str]:
    """What ``aws_configs/`` and ``facts/`` of the snapshot folder ``out`` hold that `reason collect` did not write.

    ``aws_configs/``: the files ``reason-collect.json`` lists under ``files`` (recorded since 2026-12-07), and the
    folders holding them; a snapshot collected before lists none, and its answers are the files of the layout collect
    writes, ``aws_configs/<account>/<region>/<Key>.json``, in the accounts and regions it records.  ``facts/``: the
    rule of a facts directory (:func:`_foreign_facts`)."""
    metadata = _collect_metadata(out / COLLECT_METADATA)
    recorded = metadata.get("files")
    if isinstance(recorded, list) and all(isinstance(f, str) for f in recorded):
        files = set(recorded)
        holding = {p.as_posix() for f in files for p in PurePosixPath(f).parents if str(p) != "."}

        def ours(rel: str, is_dir: bool) -> bool:
            return rel in (holding if is_dir else files)
    else:
        accounts, regions = metadata.get("accounts"), metadata.get("regions")
        accounts = set(accounts) if isinstance(accounts, list) else set()
        regions = set(regions) if isinstance(regions, list) else set()

        def ours(rel: str, is_dir: bool) -> bool:
            parts = rel.split("/")
            if len(parts) < 2 or parts[1] not in accounts or (len(parts) > 2 and parts[2] not in regions):
                return False
            return len(parts) in (2, 3) if is_dir else len(parts) == 4 and _ANSWER.fullmatch(parts[3]) is not None

    foreign = []
    top = out / "aws_configs"
    if top.is_dir() and not top.is_symlink():
        for root, dirs, names in os.walk(top, onerror=lambda exc: foreign.append(f"{exc.filename} (unreadable)")):
            walk = []
            for name in sorted(dirs) + sorted(names):
                path = Path(root) / name
                rel = path.relative_to(out).as_posix()
                is_dir = name in dirs and not path.is_symlink()
                if path.is_symlink() or not (is_dir or path.is_file()) or not ours(rel, is_dir):
                    foreign.append(rel + "/" if is_dir else rel)  # (a folder not ours is named once, not walked)
                elif is_dir:
                    walk.append(name)
            dirs[:] = walk
    facts = out / "facts"
    if facts.is_dir() and not facts.is_symlink():
        try:
            foreign += _foreign_facts(facts, sorted(facts.iterdir()), "facts/")
        except OSError as exc:
            foreign.append(f"facts (unreadable: {exc.strerror})")
    elif facts.exists():
        foreign.append("facts")
    return foreign


def staging_dir(out: Path, kind: str) -> Path:
    """A new, empty staging folder next to ``out`` (``.<out>.<kind>-<pid>-<random>``)."""
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.{kind}-{os.getpid()}-", dir=out.parent))


def carry_aliases(old: Path, new: Path) -> None:
    """Copies the user's ``reason.toml`` from the folder being replaced into its replacement."""
    src = old / ALIASES
    if src.is_file() and not (new / ALIASES).exists():
        shutil.copy2(src, new / ALIASES)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` may still write: it exists and, where /proc tells, is not a zombie (a writer that has
    died but is not reaped yet: its parent has not waited for it, or it was reparented and waits for init)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            state = f.read().rpartition(b")")[2].split()[:1]  # (the name, in parentheses, may hold spaces)
    except OSError:  # no /proc (macOS), or gone meanwhile: as os.kill said
        return True
    return state not in ([b"Z"], [b"X"])


def _only_ours(folder: Path) -> bool:
    for path in folder.rglob("*"):
        if path.is_symlink():
            return False
        if path.is_file() and not (_FACT_FILE.fullmatch(path.name) or path.name in (COLLECT_METADATA, ALIASES)
                                   or path.suffix == ".json"):
            return False
    return True


def _writers(out: Path) -> list[tuple[Path, int | None, str]]:
    """Staging folders next to ``out``: (path, pid or None for the older naming, kind)."""
    try:
        siblings = list(out.parent.iterdir())
    except OSError:
        return []
    name = re.escape(out.name)
    current = re.compile(rf"\.{name}\.(facts|collect|old)-(\d+)-[A-Za-z0-9_]+")
    legacy = re.compile(rf"\.{name}\.(collect-)?[a-z0-9_]{{8}}|\.{name}\.(old)\.\d+")
    found = []
    for path in siblings:
        m = current.fullmatch(path.name)
        if m is not None:
            found.append((path, int(m.group(2)), m.group(1)))
        elif legacy.fullmatch(path.name):
            found.append((path, None, "legacy"))
    return found


def swap_in_progress(out: Path) -> bool:
    """True while a live process stages or swaps a replacement of ``out`` (a reader should wait for it)."""
    return any(pid is not None and _pid_alive(pid) for _, pid, _ in _writers(Path(out)))


def sweep(out: Path) -> list[Path]:
    """Removes staging folders of ``out`` left by runs that were killed; returns what was removed.  A folder
    moved aside by a run killed in the middle of its swap is put back when ``out`` is missing."""
    out = Path(out)
    removed = []
    for path, pid, kind in _writers(out):
        try:
            st = path.lstat()
        except OSError:
            continue
        if path.is_symlink() or not path.is_dir() or st.st_uid != os.getuid():
            continue
        if pid is not None:
            if pid == os.getpid() or _pid_alive(pid):
                continue
            if kind == "old" and (path / "v").is_dir() and not out.exists():
                try:
                    os.rename(path / "v", out)
                except OSError:
                    continue
        elif time.time() - st.st_mtime <= LEGACY_AGE or not _only_ours(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed
