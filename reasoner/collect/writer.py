"""Atomic snapshot folders for `reason collect`.

Layout written (``<out>`` is ``--out``)::

    <out>/aws_configs/<account>/<region>/<Key>.json   raw API answers, {"<Key>": [...]} (Batfish layout)
    <out>/reason-collect.json                         accounts, regions, collected_at, incomplete calls, files
    <out>/facts/                                      the facts directory (same as `reason import`)

Everything is written into a temporary sibling folder (``.<out>.collect-<pid>-*``), which then takes the
place of ``<out>`` by ``os.rename``: a reader sees the old snapshot or the new one, never a half
written one; a failed or interrupted run leaves the old snapshot untouched and removes its
temporary folder (also on SIGTERM/SIGINT; after ``kill -9`` the next run sweeps it:
:mod:`reasoner.facts.folders`).  Between the two renames ``<out>`` is briefly absent (POSIX cannot swap two
directories in one call; readers wait for the swap).  An existing ``<out>`` is replaced only when it is
empty or was written by `reason collect` and holds only what it writes (the rule shared with `reason
import`: :func:`reasoner.facts.folders.refusal`); ``reason.toml`` files (aliases) of the old snapshot are
carried over.  Datetimes are written as ISO 8601 strings.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

from reasoner.collect.errors import CollectError
from reasoner.facts.folders import refusal, staging_dir, sweep
from reasoner.facts.importer import replace_directory

METADATA = "reason-collect.json"
_KEEP = ("reason.toml", "facts/reason.toml")


def _default(value: Any) -> Any:
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def dumps(data: Any) -> str:
    """JSON text of an API answer (datetimes as ISO strings)."""
    return json.dumps(data, indent=1, default=_default, ensure_ascii=False) + "\n"


class SnapshotWriter:
    """Stages a snapshot next to ``out`` and swaps it in with :meth:`commit` (or drops it with :meth:`abort`)."""

    def __init__(self, out: Path) -> None:
        self.out = self.check(out)
        try:
            sweep(self.out)
            self.staging = staging_dir(self.out, "collect")
        except OSError as exc:
            raise CollectError("collect.out_unwritable", f"cannot create the snapshot folder: {exc.strerror or exc}",
                               location=str(out), hint="choose a folder you can write with --out") from None
        self.files = 0
        self.written: set[str] = set()  # the answers written, as paths in the folder (reason-collect.json ``files``)
        self._lock = threading.Lock()
        self._closed = False

    @staticmethod
    def check(out: Path) -> Path:
        """``out`` as an absolute path, if a snapshot may be written there (the rule of
        :func:`reasoner.facts.folders.refusal`, shared with `reason import`); its parent is created."""
        path = Path(out).absolute()
        why = refusal(path, "snapshot")
        if why is not None:
            code = "collect.out_not_folder" if why.not_folder else "collect.out_not_snapshot"
            raise CollectError(code, f"refusing to replace it: {why}", location=str(out),
                               hint="choose a new or empty folder with --out, or a snapshot folder written by `reason collect`")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not os.access(path.parent, os.W_OK):
                raise PermissionError(13, "Permission denied")
        except OSError as exc:
            raise CollectError("collect.out_unwritable", f"cannot create the snapshot folder: {exc.strerror or exc}",
                               location=str(out), hint="choose a folder you can write with --out") from None
        return path

    @property
    def aws_configs(self) -> Path:
        return self.staging / "aws_configs"

    @property
    def facts(self) -> Path:
        return self.staging / "facts"

    def write_raw(self, account: str, region: str, key: str, items: list[Any]) -> Path:
        """Write ``{key: items}`` to ``aws_configs/<account>/<region>/<key>.json`` (thread-safe)."""
        folder = self.aws_configs / account / region
        path = folder / f"{key}.json"
        text = dumps({key: items})
        with self._lock:  # never recreate a staging folder that abort() removed (a worker still running)
            if self._closed:
                return path
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.files += 1
            self.written.add(path.relative_to(self.staging).as_posix())
        return path

    def write_metadata(self, metadata: dict[str, Any]) -> Path:
        """Write ``reason-collect.json``: ``metadata`` and ``files``, every answer written (the next collect into
        this folder replaces only those: :func:`reasoner.facts.folders.refusal`)."""
        path = self.staging / METADATA
        with self._lock:
            files = sorted(self.written)
        path.write_text(dumps({**metadata, "files": files}), encoding="utf-8")
        return path

    def commit(self) -> Path:
        """Swap the staged snapshot in place of ``out``; returns ``out``."""
        with self._lock:
            self._closed = True
        if self.out.exists():
            for rel in _KEEP:
                if (self.out / rel).is_file() and not (self.staging / rel).exists():
                    (self.staging / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(self.out / rel, self.staging / rel)
        replace_directory(self.staging, self.out)
        return self.out

    def abort(self) -> None:
        """Remove the staged snapshot (``out`` is left as it was); later :meth:`write_raw` calls write nothing."""
        with self._lock:
            self._closed = True
            shutil.rmtree(self.staging, ignore_errors=True)
