"""The process that evaluates a command ends without freeing its heap (reasoner/cli/shell.py ``_end``), and loses
nothing by it: its answer reaches a file whole, its exit code is the verdict's, and its temporary folders (the set
engine's, reasoner/engine/duck.py) are removed by the ``atexit`` handlers it still runs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasoner.cli import app

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("args", [["query", "--all", "internet -> * any"], ["query", "alb-eni -> task-eni tcp 8000"],
                                  ["audit", "exposure"]])
def test_the_answer_reaches_a_file_whole_and_no_temporary_folder_is_left(tmp_path, monkeypatch, args):
    """The same document and exit code as the command run in this process (typer's runner: no child, no ``_end``)."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("REASON_ENGINE", "set")
    expected = CliRunner().invoke(app, [*args, "--format", "json"])
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "answer.json"
    with out.open("w") as f:
        proc = subprocess.run(["reason", *args, "--format", "json"], cwd=ROOT, stdout=f, stderr=subprocess.PIPE,
                              text=True, env={**os.environ, "REASON_ENGINE": "set", "TMPDIR": str(tmp)})
    assert proc.returncode == expected.exit_code, proc.stderr
    assert "Traceback" not in proc.stderr
    answer = json.loads(out.read_text())  # the whole document: the buffered tail was written before the exit
    assert answer == json.loads(expected.stdout)
    assert list(tmp.iterdir()) == []  # the set engine's folder (reason-duck-*) is gone


def test_a_usage_error_in_the_evaluating_process_still_exits_2(tmp_path):
    proc = subprocess.run(["reason", "query", "alb-eni -> nosuch-eni tcp 8000"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "nosuch-eni" in proc.stderr and "Traceback" not in proc.stderr
