"""Fuzzing facts directories (written by `reason import`) through the real CLI (issue 10, fuzzing part).

Two kinds of damage: raw edits of the files (bytes flipped, lines cut or duplicated, a file deleted or
replaced by garbage), and well-formed directories with wrong rows (wrong arity, a string where a number
belongs and back, dangling ids, huge strings), written with a valid content hash so that they get past
the hash check.  Oracle: no internal error or traceback, exit 0, 1, 2 or 3.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from fuzz_support import FUZZ, ROOT, WRONG, dangle, is_id, run_cli
from reasoner.facts.importer import Snapshot, import_aws_configs, write_facts

QUERY = "alb-eni -> task-eni tcp 8000"
BASE = import_aws_configs(ROOT / "facts")
RELS = sorted(r for r, rows in BASE.relations.items() if rows)


def _fresh() -> Snapshot:
    return Snapshot(relations={r: list(rows) for r, rows in BASE.relations.items()}, names=dict(BASE.names),
                    manifest=dict(BASE.manifest))


@st.composite
def bad_rows(draw) -> Snapshot:
    snap = _fresh()
    for _ in range(draw(st.integers(1, 3))):
        rel = draw(st.sampled_from([r for r in RELS if snap.relations[r]] or RELS[:1]))
        rows = snap.relations[rel]
        if not rows:
            continue
        i = draw(st.integers(0, len(rows) - 1))
        row = list(rows[i])
        kind = draw(st.sampled_from(["arity", "type", "dangle", "wrong", "drop_rel", "names"]))
        if kind == "arity":
            row = row[:-1] if draw(st.booleans()) and len(row) > 1 else row + [0]
        elif kind == "type":
            j = draw(st.integers(0, len(row) - 1))
            row[j] = str(row[j]) if isinstance(row[j], int) else len(row[j])
        elif kind == "dangle":
            ids = [j for j, v in enumerate(row) if is_id(v)]
            if ids:
                j = draw(st.sampled_from(ids))
                row[j] = dangle(row[j])
        elif kind == "wrong":
            j = draw(st.integers(0, len(row) - 1))
            value = draw(WRONG)
            row[j] = value if isinstance(value, (str, int)) and not isinstance(value, bool) else str(value)
        elif kind == "drop_rel":
            snap.relations[rel] = []
            continue
        else:
            key = draw(st.sampled_from(sorted(snap.names) or ["x"]))
            snap.names[key] = draw(st.sampled_from(["", "alb-sg", "task-eni", "\x1b[2J[/]", "y" * 10_000]))
            continue
        rows[i] = tuple(row)
    return snap


COMMANDS = [("query", QUERY), ("query", "--format", "json", "internet -> alb:web tcp 80"), ("health",),
            ("health", "--format", "json")]


@FUZZ
@given(snap=bad_rows(), command=st.sampled_from(COMMANDS))
def test_well_formed_directories_with_bad_rows_never_crash(snap: Snapshot, command: tuple) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = write_facts(snap, Path(tmp) / "facts")
        (out / "reason.toml").write_text((ROOT / "facts" / "reason.toml").read_text())
        run_cli(command[0], "--facts", str(out), *command[1:])


@st.composite
def raw_damage(draw) -> tuple[str, str, int, bytes]:
    files = sorted([f"{r}.jsonl" for r in RELS] + ["names.json", "manifest.json", "reason.toml"])
    name = draw(st.sampled_from(files))
    kind = draw(st.sampled_from(["delete", "truncate", "flip", "garbage", "duplicate_line", "empty"]))
    return name, kind, draw(st.integers(0, 10_000)), draw(st.binary(min_size=1, max_size=40))


@FUZZ
@given(damage=raw_damage())
def test_raw_damage_to_a_facts_directory_never_crashes(damage: tuple[str, str, int, bytes]) -> None:
    name, kind, pos, junk = damage
    with tempfile.TemporaryDirectory() as tmp:
        out = write_facts(_fresh(), Path(tmp) / "facts")
        (out / "reason.toml").write_text((ROOT / "facts" / "reason.toml").read_text())
        path = out / name
        data = path.read_bytes()
        if kind == "delete":
            path.unlink()
        elif kind == "truncate":
            path.write_bytes(data[: pos % (len(data) + 1)])
        elif kind == "flip" and data:
            i = pos % len(data)
            path.write_bytes(data[:i] + bytes([data[i] ^ junk[0]]) + data[i + 1:])
        elif kind == "garbage":
            path.write_bytes(junk)
        elif kind == "duplicate_line":
            lines = data.splitlines(keepends=True)
            if lines:
                path.write_bytes(data + lines[pos % len(lines)])
        else:
            path.write_bytes(b"")
        run_cli("query", "--facts", str(out), QUERY)
