"""A closed stdout (``reason query ... | head -1``) never changes the exit code (issue 10, item 8).

rich turns a broken pipe into exit 1 and click into exit 1 as well: a REACHABLE answer (0) piped into
``head -1`` would read as UNREACHABLE in a script.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXED = str(ROOT / "facts" / "examples" / "seed-fixed")
SHIPPED = str(ROOT / "facts")

CASES = [  # the expected codes are the README's verdicts on these snapshots
    (["query", "--facts", FIXED, "alb-eni -> task-eni tcp 8000"], 0),
    (["query", "--facts", FIXED, "--format", "json", "alb-eni -> task-eni tcp 8000"], 0),
    (["query", "--facts", SHIPPED, "alb-eni -> task-eni tcp 8000"], 1),
    (["health", "--facts", SHIPPED, "--format", "json"], 1),
    (["verify", "--facts", FIXED, str(ROOT / "queries" / "alb-health-check.reason")], 0),
]


@pytest.mark.parametrize("args,code", CASES, ids=[" ".join(a[:1] + a[3:]) for a, _ in CASES])
def test_exit_code_survives_a_closed_stdout(args: list[str], code: int) -> None:
    proc = subprocess.Popen(["reason", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()   # the reader goes away before the first line
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "internal error" not in err and "Broken pipe" not in err, err


def test_head_in_a_shell_pipeline_keeps_the_verdict() -> None:
    """The user's pipeline as typed: ``reason query ... | head -1`` keeps REACHABLE's exit code."""
    r = subprocess.run(["bash", "-c", f'reason query --facts {FIXED} --explain full "* -> task-eni tcp 8000" | head -1; '
                                      'exit "${PIPESTATUS[0]}"'], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("REACHABLE"), r.stdout + r.stderr
