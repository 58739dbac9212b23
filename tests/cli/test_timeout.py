"""Bounded time (issue 10, item 5): `--timeout` stops evaluation with exit 2, Ctrl-C stops it within a
second with exit 130, although pyDatalog's compiled engine never looks at signals while it evaluates.

Before, a policy that does not terminate ran until killed, and SIGINT was ignored (measured: 10 s
after SIGINT, `reason verify` on Souffle's hmmer program was still running).
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from test_query import ROOT


@pytest.fixture
def slow_policy(tmp_path: Path) -> Path:
    """A policy whose evaluation takes far longer than any test: 10^8 combinations of a 100-row relation."""
    f = tmp_path / "slow.dl"
    f.write_text("\n".join([".decl n(x: number)", ".decl big(a: number, b: number, c: number, d: number)",
                            ".decl violation(resource: symbol, message: symbol)", *(f"n({i})." for i in range(100)),
                            "big(A, B, C, D) :- n(A), n(B), n(C), n(D).",
                            'violation("x", "never") :- big(A, B, C, D), A + B + C + D < 0.']) + "\n")
    return f


def start(*args: str, group: bool = False) -> subprocess.Popen:
    return subprocess.Popen(["reason", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=group)


def finish(proc: subprocess.Popen, within: float) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {within} s later")


def test_a_non_terminating_policy_stops_at_the_timeout_with_exit_2(slow_policy):
    began = time.monotonic()
    proc = start("verify", str(slow_policy), "--timeout", "2")
    out, err = finish(proc, 30)
    assert proc.returncode == 2 and time.monotonic() - began < 15
    assert "error[timeout]: evaluation did not finish within 2 s" in err and "--timeout" in err
    assert "Traceback" not in err and "FAIL" not in out and "PASS" not in out
    # the evaluating child was killed with the command, not left running
    assert subprocess.run(["pgrep", "-f", str(slow_policy)], capture_output=True).stdout == b""


@pytest.mark.parametrize("group", [False, True], ids=["process", "group"])
def test_sigint_stops_a_running_verify_within_a_second_with_exit_130(slow_policy, group):
    """Sent to the command's process, or to its process group as a Ctrl-C at a terminal does."""
    proc = start("verify", str(slow_policy), group=group)
    time.sleep(3)  # loaded, and deep in the engine
    assert proc.poll() is None
    sent = time.monotonic()
    if group:
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGINT)
    out, err = finish(proc, 10)
    assert proc.returncode == 130 and time.monotonic() - sent < 1.5
    assert "Traceback" not in err and "internal error" not in err


def test_sigterm_stops_a_running_verify_at_once_with_exit_143(slow_policy):
    proc = start("verify", str(slow_policy))
    time.sleep(3)
    assert proc.poll() is None
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = finish(proc, 10)
    assert proc.returncode == 143 and time.monotonic() - sent < 1.5
    assert "Traceback" not in err and "internal error" not in err
    assert subprocess.run(["pgrep", "-f", str(slow_policy)], capture_output=True).stdout == b""


def test_a_quick_command_keeps_its_own_exit_code_and_output():
    r = subprocess.run(["reason", "query", "--timeout", "60", "alb-eni -> ecs:prod/web tcp 8000"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and r.stdout.startswith("UNREACHABLE") and "ENI_SG_RULES_MISMATCH" in r.stdout
    r = subprocess.run(["reason", "query", "--timeout", "0", "internet -> alb:web tcp 80"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr


def test_a_cpu_time_limit_stops_it_with_exit_2_and_says_so(slow_policy):
    """`ulimit -t` (RLIMIT_CPU) is inherited by the evaluating child, which the kernel stops with SIGXCPU: the command
    says the CPU limit was reached (exit 2, as at --timeout), not that an internal error happened."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (4, 6))

    proc = subprocess.Popen(["reason", "verify", str(slow_policy)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    out, err = finish(proc, 60)
    assert proc.returncode == 2, err
    assert "error[cpu_limit]" in err and "ulimit -t" in err
    assert "internal error" not in err and "Traceback" not in err and "PASS" not in out
