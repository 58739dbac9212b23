"""`reason import SRC --out DIR` never removes what `reason` did not write (issue 9 item 12), never leaves
staging folders behind (issue 10 item 7), and `reason collect --out` follows the same rule."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reasoner.facts import folders
from reasoner.facts.importer import import_aws_configs, read_facts, write_facts

ROOT = Path(__file__).resolve().parents[2]


def reason(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["reason", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_import_over_the_shipped_example_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    shutil.copytree(ROOT / "facts", facts)
    before = _tree(facts)
    r = reason("import", str(facts), "--out", str(facts))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "refusing" in r.stderr and "internal error" not in r.stderr and len(r.stderr.strip().splitlines()) <= 2
    assert _tree(facts) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facts"], "no staging folder left"


@pytest.mark.parametrize("content", ["file", "dir", "foreign-manifest"])
def test_import_refuses_a_folder_it_did_not_write(tmp_path: Path, content: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if content == "file":
        (out / "notes.txt").write_text("mine")
    elif content == "dir":
        (out / "keep").mkdir()
    else:
        (out / "manifest.json").write_text(json.dumps({"name": "someone else's"}))
    before = _tree(out)
    r = reason("import", str(ROOT / "facts"), "--out", str(out))
    assert r.returncode == 2 and "refusing" in r.stderr, r.stdout + r.stderr
    assert _tree(out) == before


def test_import_refuses_a_facts_directory_holding_a_foreign_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert reason("import", str(ROOT / "facts"), "--out", str(out)).returncode == 0
    (out / "my-notes.md").write_text("mine")
    r = reason("import", str(ROOT / "facts"), "--out", str(out))
    assert r.returncode == 2 and "my-notes.md" in r.stderr, r.stderr
    assert (out / "my-notes.md").read_text() == "mine"


def test_import_refuses_a_facts_directory_holding_a_jsonl_file_its_manifest_does_not_name(tmp_path: Path) -> None:
    """Any ``*.jsonl`` counted as ours: the user's own ``mine.jsonl`` (or a relation file of a name no import writes)
    was deleted by the next import. Only the relations the manifest counts are ours."""
    out = tmp_path / "out"
    assert reason("import", str(ROOT / "facts"), "--out", str(out)).returncode == 0
    (out / "mine.jsonl").write_text('{"note": "mine"}\n')
    before = _tree(out)
    r = reason("import", str(ROOT / "facts"), "--out", str(out))
    assert r.returncode == 2 and "refusing" in r.stderr and "mine.jsonl" in r.stderr, r.stdout + r.stderr
    assert _tree(out) == before
    (out / "mine.jsonl").unlink()  # only what the manifest names: replaced
    assert reason("import", str(ROOT / "facts"), "--out", str(out)).returncode == 0


def test_import_replaces_its_own_facts_directory_and_keeps_the_aliases(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert reason("import", str(ROOT / "facts"), "--out", str(out)).returncode == 0
    (out / "reason.toml").write_text('[aliases]\nweb = "eni-0alb0a"\n')
    r = reason("import", str(ROOT / "facts" / "examples" / "seed-fixed"), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "reason.toml").read_text() == '[aliases]\nweb = "eni-0alb0a"\n'  # the user's, not the source's
    assert f"aliases: kept {out / 'reason.toml'}; " in r.stdout and "differs and was not copied" in r.stdout
    assert json.loads((out / "manifest.json").read_text())["written_by"] == "reason"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert reason("import", str(ROOT / "facts"), "--out", str(empty)).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "out"]


@pytest.mark.parametrize("where", ["file", "proc"])
def test_import_out_under_a_file_or_proc_is_a_clean_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "afile").write_text("mine")
    out = tmp_path / "afile" / "facts" if where == "file" else Path("/proc/reason-test/facts")
    r = reason("import", str(ROOT / "facts"), "--out", str(out))
    assert r.returncode == 2 and "internal error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert (tmp_path / "afile").read_text() == "mine"


def test_collect_refuses_a_facts_directory_and_import_refuses_a_snapshot(tmp_path: Path) -> None:
    from reasoner.collect.errors import CollectError
    from reasoner.collect.writer import SnapshotWriter

    facts = tmp_path / "facts"
    write_facts(import_aws_configs(ROOT / "facts"), facts)
    with pytest.raises(CollectError):
        SnapshotWriter(facts)
    snap = tmp_path / "snap"
    w = SnapshotWriter(snap)
    w.write_metadata({"incomplete": []})
    w.commit()
    assert folders.refusal(snap, "facts") is not None and folders.refusal(facts, "snapshot") is not None
    assert folders.refusal(snap, "snapshot") is None and folders.refusal(facts, "facts") is None


_SLOW_IMPORT = """
import os, sys, time
from pathlib import Path
from reasoner.facts import store
real = store.replace_directory
flag = Path(sys.argv[2])
def slow(staging, out):
    flag.write_text("staged")
    time.sleep(60)
    real(staging, out)
store.replace_directory = slow  # what write_facts calls (reasoner/facts/store.py)
sys.argv = ["reason", "import", sys.argv[1], "--out", sys.argv[3]]
from reasoner.cli import main
main()
"""


@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["term", "int", "kill"])
def test_an_interrupted_import_leaves_no_staging_folder(tmp_path: Path, sig: int, group: bool) -> None:
    """The import is stopped while its staging folder is complete (just before the swap).  SIGTERM and SIGINT:
    the folder is removed on the way out; kill -9: the next run sweeps it.  The old facts stay intact.  The signal
    goes to the command's process, or to its whole process group, as a Ctrl-C at a terminal does."""
    out = tmp_path / "work" / "facts"
    assert reason("import", str(ROOT / "facts"), "--out", str(out)).returncode == 0
    before = _tree(out)
    flag = tmp_path / "staged"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_IMPORT, str(ROOT / "facts" / "examples" / "seed-fixed"), str(flag),
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=group)
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert [p for p in out.parent.iterdir() if p.name.startswith(".facts.")], "the run did not stage"
    if group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert "Traceback" not in err and "internal error" not in err, err
    assert proc.returncode != 0
    if sig != signal.SIGKILL:  # 128 + the signal, as shells report it: Ctrl-C is 130, never click's "Aborted!" and 1
        assert proc.returncode == 128 + sig and "Aborted" not in err, (proc.returncode, err)
        assert not [p for p in out.parent.iterdir() if p.name != "facts"], "staging folder left behind"
    assert _tree(out) == before
    r = reason("import", str(ROOT / "facts"), "--out", str(out))  # the next run sweeps what kill -9 left
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["facts"]


def test_sweep_leaves_a_live_writer_alone_and_restores_a_folder_moved_aside(tmp_path: Path) -> None:
    out = tmp_path / "facts"
    write_facts(import_aws_configs(ROOT / "facts"), out)
    live = tmp_path / f".facts.facts-{os.getppid()}-abc"       # a live process (our parent)
    live.mkdir()
    dead_pid = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout
    dead = tmp_path / f".facts.old-{int(dead_pid)}-xyz"
    dead.mkdir()
    os.rename(out, dead / "v")                                  # killed between the two renames
    foreign = tmp_path / ".facts.backup"                        # not our name shape
    foreign.mkdir()
    folders.sweep(out)
    assert live.is_dir() and foreign.is_dir() and not dead.exists()
    assert read_facts(out).manifest["written_by"] == "reason", "the folder moved aside is put back"


def test_import_of_a_facts_directory_is_refused_with_how_to_use_it(tmp_path: Path) -> None:
    facts = tmp_path / "facts"
    assert reason("import", str(ROOT / "facts" / "examples" / "seed-fixed"), "--out", str(facts)).returncode == 0
    r = reason("import", str(facts), "--out", str(tmp_path / "other"))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "facts.already_facts" in r.stderr and "already a facts directory" in r.stderr
    assert f"--facts {facts}" in r.stderr and "wrote" not in r.stdout and "internal error" not in r.stderr
    assert f"reason import {ROOT / 'facts' / 'examples' / 'seed-fixed'}" in r.stderr  # the folder it came from
    assert not (tmp_path / "other").exists()


def test_import_of_a_folder_without_any_aws_answer_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "aws_configs" / "us-east-1").mkdir(parents=True)
    r = reason("import", str(empty), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "facts.no_answers" in r.stderr and "holds no JSON file" in r.stderr, r.stdout + r.stderr
    assert "wrote" not in r.stdout and not (tmp_path / "out").exists()
    (empty / "aws_configs" / "us-east-1" / "Foo.json").write_text(json.dumps({"Foo": []}))
    r = reason("import", str(empty), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "none with a key reason reads (found 'Foo')" in r.stderr, r.stdout + r.stderr
    r = reason("audit", "exposure", "--facts", str(empty))  # imported on the fly: not "nothing exposed", exit 0
    assert r.returncode == 2 and "facts.no_answers" in r.stderr, r.stdout + r.stderr
    (empty / "aws_configs" / "us-east-1" / "Vpcs.json").write_text(json.dumps({"Vpcs": []}))  # an empty account
    r = reason("import", str(empty), "--out", str(tmp_path / "out"))
    assert r.returncode == 0 and r.stdout.startswith("wrote ") and "Foo" in r.stdout, r.stdout + r.stderr


def test_import_takes_the_aliases_of_the_folder_it_imports(tmp_path: Path) -> None:
    """`--facts SRC` reads SRC/reason.toml; the facts imported from SRC answer to the same names."""
    out = tmp_path / "out"
    r = reason("import", str(ROOT / "facts"), "--out", str(out))
    assert r.returncode == 0 and f"aliases: copied {ROOT / 'facts' / 'reason.toml'}" in r.stdout, r.stdout + r.stderr
    assert (out / "reason.toml").read_bytes() == (ROOT / "facts" / "reason.toml").read_bytes()
    q = reason("query", "--facts", str(out), "--format", "json", "alb-eni -> task-eni tcp 8000")
    assert q.returncode == 1 and json.loads(q.stdout)["explanations"][0]["code"] == "ENI_SG_RULES_MISMATCH", q.stderr
    # the same aliases again: nothing to say
    r = reason("import", str(ROOT / "facts"), "--out", str(out))
    assert r.returncode == 0 and "aliases:" not in r.stdout
    # a folder without aliases leaves OUT's as they are
    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "facts" / "aws_configs", raw / "aws_configs")
    r = reason("import", str(raw), "--out", str(out))
    assert r.returncode == 0 and "aliases:" not in r.stdout
    assert (out / "reason.toml").read_bytes() == (ROOT / "facts" / "reason.toml").read_bytes()


def test_a_snapshot_that_cannot_be_opened_after_the_import_is_said_line_by_line(tmp_path: Path) -> None:
    """The import then computes the symmetry classes (Session.index); aliases it copied that no question could read
    are said as a warning, each line of the error its own (a hint was printed inside the line as a literal \\n)."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", src)
    (src / "reason.toml").write_text('aliases = "x"\n[other]\n')
    r = reason("import", str(src), "--out", str(tmp_path / "out"))
    assert r.returncode == 0 and (tmp_path / "out" / "manifest.json").is_file(), r.stdout + r.stderr
    warning = next(line for line in r.stdout.splitlines() if line.startswith("warning: the snapshot was written"))
    assert "facts.bad_toml" in warning and "\\n" not in r.stdout and "Traceback" not in r.stdout + r.stderr, r.stdout
