"""Long set questions show their progress on a terminal, never in a pipe (issue 11; reasoner/progress.py)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
from pathlib import Path

from reasoner.engine.backend import SetBackend
from reasoner.progress import PROGRESS
from reasoner.session import Session

ROOT = Path(__file__).resolve().parents[2]
QUERY = "internet -> * any"


def test_the_set_engine_reports_each_chunk_then_stops(tmp_path):
    session = Session.open(ROOT / "facts")
    backend = SetBackend(session.program.checked, session.analyzer.rel, chunk=10)
    seen: list = []
    token = PROGRESS.set(seen.append)
    try:
        result = session.analyzer.analyze(QUERY, session.endpoints.resolve("internet"), session.endpoints.resolve("*"), "-1", 0, 65535,
                                          detail=False, backend=backend)
    finally:
        PROGRESS.reset(token)
    counts = [n for n in seen if n is not None]
    assert seen[-1] is None and counts == sorted(counts) and counts[0] == 10
    assert counts[-1] == backend.evaluated <= result.packets_checked + 10


def test_a_terminal_sees_the_progress_and_the_answer_stays_clean():
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(["reason", "query", "--all", QUERY], cwd=ROOT, stdout=subprocess.PIPE, stderr=secondary,
                            env={**os.environ, "REASON_ENGINE": "set", "TERM": "xterm"})
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(primary, 4096)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        seen += data
    out, _ = proc.communicate(timeout=120)
    os.close(primary)
    # exit 1: nothing gets through (the ALB's nodes are answered through the ALB, which cannot reach its target)
    assert proc.returncode == 1 and b"packet classes evaluated" in seen
    assert out.startswith(b"UNREACHABLE") and b"\x1b" not in out and b"evaluated" not in out.split(b"\n")[1]


def test_a_pipe_sees_no_progress():
    r = subprocess.run(["reason", "query", "--all", QUERY], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "REASON_ENGINE": "set"})
    assert r.returncode == 1 and r.stderr == "" and "\x1b" not in r.stdout
