"""Atomic snapshot folders for `reason collect`.

Layout written (``<out>`` is ``--out``)::

    <out>/aws_configs/<account>/<region>/<Key>.json   raw API answers, {"<Key>": [...]} (Batfish layout)
    <out>/reason-collect.json                         accounts, regions, collected_at, incomplete calls
    <out>/facts/                                      the facts directory (same as `reason import`)

Everything is written into a temporary sibling folder (``.<out>.collect-*``), which then takes the
place of ``<out>`` by ``os.rename``: a reader sees the old snapshot or the new one, never a half
written one; a failed or interrupted run leaves the old snapshot untouched and removes its
temporary folder.  Between the two renames ``<out>`` is briefly absent (POSIX cannot swap two
directories in one call).  An existing ``<out>`` is replaced only when it is empty or was written
by `reason collect` (it holds ``reason-collect.json``); ``reason.toml`` files (aliases) of the old
snapshot are carried over.  Datetimes are written as ISO 8601 strings.
"""

from __future__ import annotations

import datetime as _dt
import json
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from reasoner.collect.errors import CollectError
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
        self.out = Path(out).absolute()
        if self.out.exists():
            if not self.out.is_dir():
                raise CollectError("collect.out_not_folder", f"{out} exists and is not a folder", location=str(out),
                                   hint="choose a new folder with --out")
            if any(self.out.iterdir()) and not (self.out / METADATA).is_file():
                raise CollectError("collect.out_not_snapshot",
                                   f"{out} is not empty and was not written by `reason collect`; refusing to replace it",
                                   location=str(out), hint="choose a new or empty folder with --out")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.collect-", dir=self.out.parent))
        self.files = 0
        self._lock = threading.Lock()

    @property
    def aws_configs(self) -> Path:
        return self.staging / "aws_configs"

    @property
    def facts(self) -> Path:
        return self.staging / "facts"

    def write_raw(self, account: str, region: str, key: str, items: list[Any]) -> Path:
        """Write ``{key: items}`` to ``aws_configs/<account>/<region>/<key>.json`` (thread-safe)."""
        folder = self.aws_configs / account / region
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.json"
        path.write_text(dumps({key: items}), encoding="utf-8")
        with self._lock:
            self.files += 1
        return path

    def write_metadata(self, metadata: dict[str, Any]) -> Path:
        path = self.staging / METADATA
        path.write_text(dumps(metadata), encoding="utf-8")
        return path

    def commit(self) -> Path:
        """Swap the staged snapshot in place of ``out``; returns ``out``."""
        if self.out.exists():
            for rel in _KEEP:
                if (self.out / rel).is_file() and not (self.staging / rel).exists():
                    (self.staging / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(self.out / rel, self.staging / rel)
        replace_directory(self.staging, self.out)
        return self.out

    def abort(self) -> None:
        """Remove the staged snapshot (``out`` is left as it was)."""
        shutil.rmtree(self.staging, ignore_errors=True)
