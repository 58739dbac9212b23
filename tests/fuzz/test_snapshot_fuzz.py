"""Fuzzing snapshots (``aws_configs`` folders, Batfish layout) through the real CLI (issue 10, fuzzing part).

Mutations of the shipped example: a file deleted, a key deleted, a reference made dangling, a value of the
wrong type (huge and hostile strings included), several at once.  Oracle: ``reason query``, ``reason health``,
``reason verify`` and ``reason import`` never crash (no internal error, no traceback) and exit 0, 1, 2 or 3.
(What the verdict should be on incomplete data is another test's business.)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fuzz_support import FUZZ, ROOT, WRONG, dangle, delete, get, is_id, load_example, paths, replace, run_cli

QUERIES = ["alb-eni -> task-eni tcp 8000", "internet -> alb:web tcp 80", "subnet-pub-a -> sg-0task any"]


@st.composite
def mutated(draw) -> dict:
    files = load_example()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete_file", "delete_key", "dangle", "wrong_type"]))
        names = sorted(files)
        if kind == "delete_file" and len(names) > 1:
            del files[draw(st.sampled_from(names))]
            continue
        name = draw(st.sampled_from(names))
        doc = files[name]
        candidates = paths(doc)
        if kind == "dangle":
            ids = [p for p in candidates if is_id(get(doc, p))]
            if ids:
                p = draw(st.sampled_from(ids))
                replace(doc, p, dangle(get(doc, p)))
                continue
        if not candidates:
            continue
        p = draw(st.sampled_from(candidates))
        if kind == "delete_key":
            delete(doc, p)
        else:
            replace(doc, p, draw(WRONG))
    return files


def _write(files: dict, folder: Path) -> Path:
    region = folder / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    for name, doc in files.items():
        (region / name).write_text(json.dumps(doc))
    shutil.copy(ROOT / "facts" / "reason.toml", folder / "reason.toml")
    return folder


COMMANDS = [
    lambda snap, q: ("query", "--facts", snap, q),
    lambda snap, q: ("query", "--facts", snap, "--format", "json", "--explain", "full", q),
    lambda snap, q: ("health", "--facts", snap),
    lambda snap, q: ("verify", "--facts", snap, str(ROOT / "queries" / "alb-health-check.reason")),
]


@FUZZ
@given(files=mutated(), query=st.sampled_from(QUERIES), command=st.sampled_from(COMMANDS))
def test_mutated_snapshots_never_crash_the_cli(files: dict, query: str, command) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        snap = _write(files, Path(tmp) / "snap")
        run_cli(*command(str(snap), query))
        run_cli("import", str(snap), "--out", str(Path(tmp) / "out"))


def test_every_single_file_deleted() -> None:
    """Exhaustive over the example's files: each one missing in turn."""
    for name in sorted(load_example()):
        files = load_example()
        del files[name]
        with tempfile.TemporaryDirectory() as tmp:
            snap = _write(files, Path(tmp) / "snap")
            run_cli("query", "--facts", str(snap), "internet -> alb:web tcp 80")
