"""The snapshot folder is replaced atomically, never a folder we did not write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoner.collect.errors import CollectError
from reasoner.collect.writer import METADATA, SnapshotWriter


def _snapshot(out: Path, marker: str) -> None:
    w = SnapshotWriter(out)
    w.write_raw("123456789012", "us-east-1", "Vpcs", [{"VpcId": marker}])
    w.write_metadata({"incomplete": [], "accounts": ["123456789012"], "regions": ["us-east-1"], "collected_at": marker})
    w.commit()


def test_commit_replaces_the_old_snapshot_and_keeps_its_aliases(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    _snapshot(out, "old")
    (out / "reason.toml").write_text('[aliases]\nweb = "eni-1"\n')
    _snapshot(out, "new")
    assert json.loads((out / METADATA).read_text())["collected_at"] == "new"
    assert (out / "reason.toml").read_text().startswith("[aliases]")
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


def test_abort_leaves_the_old_snapshot_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "snap"
    _snapshot(out, "old")
    w = SnapshotWriter(out)
    w.write_raw("123456789012", "us-east-1", "Vpcs", [{"VpcId": "half"}])
    assert w.staging.parent == tmp_path and w.staging.name.startswith(".snap.collect-")
    w.abort()
    assert json.loads((out / "aws_configs/123456789012/us-east-1/Vpcs.json").read_text()) == {"Vpcs": [{"VpcId": "old"}]}
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


def test_a_folder_not_written_by_collect_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CollectError) as info:
        SnapshotWriter(tmp_path)
    assert info.value.code == "collect.out_not_snapshot"
    (tmp_path / "file").write_text("x")
    with pytest.raises(CollectError):
        SnapshotWriter(tmp_path / "file")
    empty = tmp_path / "empty"
    empty.mkdir()
    SnapshotWriter(empty).abort()  # an empty folder is fine


def test_staging_folders_of_killed_runs_are_swept(tmp_path: Path) -> None:
    """`kill -9` leaves ``.snap.collect-<pid>-*``; the next run removes it (its process is gone), not a live one's."""
    import os
    import subprocess
    import sys

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout)
    left = tmp_path / f".snap.collect-{dead}-abcd1234"
    (left / "aws_configs").mkdir(parents=True)
    live = tmp_path / f".snap.collect-{os.getppid()}-efgh5678"
    live.mkdir()
    _snapshot(tmp_path / "snap", "new")
    assert not left.exists() and live.is_dir()


@pytest.mark.parametrize("added, named", [
    ("aws_configs/NOTES.txt", "aws_configs/NOTES.txt"),
    ("aws_configs/999999999999/eu-west-1/Vpcs.json", "aws_configs/999999999999/"),  # (a folder: named once)
    ("aws_configs/123456789012/us-east-1/Mine.json", "aws_configs/123456789012/us-east-1/Mine.json"),
    ("aws_configs/123456789012/keep/x", "aws_configs/123456789012/keep/"),
    ("facts/mine.jsonl", "facts/mine.jsonl"), ("facts/notes.txt", "facts/notes.txt")])
def test_a_file_added_inside_the_snapshot_is_refused_not_deleted(tmp_path: Path, added: str, named: str) -> None:
    """Only the top-level names were checked: a file the user put in ``aws_configs/`` or ``facts/`` was deleted by
    the next collect. What collect writes is listed in reason-collect.json (``files``); anything else is refused."""
    from reasoner.facts.importer import import_aws_configs, write_facts

    out = tmp_path / "snap"
    _snapshot(out, "old")
    shipped = import_aws_configs(Path(__file__).resolve().parents[2] / "facts")
    write_facts(shipped, out / "facts")
    assert json.loads((out / METADATA).read_text())["files"] == ["aws_configs/123456789012/us-east-1/Vpcs.json"]
    _snapshot(out, "again")  # its own files (and facts/ of a facts directory) are replaced
    write_facts(shipped, out / "facts")
    (out / added).parent.mkdir(parents=True, exist_ok=True)
    (out / added).write_text("mine")
    with pytest.raises(CollectError) as info:
        SnapshotWriter(out)
    assert info.value.code == "collect.out_not_snapshot" and f"({named})" in info.value.message
    assert (out / added).read_text() == "mine"


def test_a_snapshot_collected_before_files_were_listed_is_judged_by_collect_layout(tmp_path: Path) -> None:
    """reason-collect.json without ``files`` (written before they were listed): the answers of collect's layout in
    the accounts and regions it records are its own; a file anywhere else is the user's."""
    out = tmp_path / "snap"
    _snapshot(out, "old")
    meta = json.loads((out / METADATA).read_text())
    del meta["files"]
    (out / METADATA).write_text(json.dumps(meta))
    (out / "aws_configs/123456789012/us-east-1/Subnets.json").write_text('{"Subnets": []}')
    SnapshotWriter(out).abort()  # as an older collect would have written it: may be replaced
    (out / "aws_configs/999999999999/us-east-1").mkdir(parents=True)
    (out / "aws_configs/999999999999/us-east-1/Vpcs.json").write_text('{"Vpcs": []}')
    with pytest.raises(CollectError) as info:
        SnapshotWriter(out)
    assert "(aws_configs/999999999999/)" in info.value.message
