"""`reason verify`: saved assertions (queries/*.reason) as CI checks, with proofs of isolation."""

import json

from test_query import FACTS, ROOT, reason

FIXED = FACTS / "examples" / "seed-fixed"


def test_shipped_assertions_catch_the_alb_egress_bug():
    r = reason("verify")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "FAIL  queries/alb-health-check.reason:5" in r.stdout and "sg-0alb" in r.stdout
    assert "PASS  queries/alb-health-check.reason:7" in r.stdout and "proof of isolation" in r.stdout


def test_shipped_assertions_hold_on_the_fixed_snapshot():
    r = reason("verify", "--facts", str(FIXED), "--format", "json")
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["ok"] and all(a["holds"] for a in out["assertions"])


def test_a_reachable_path_breaks_an_isolation_assertion_with_a_counterexample(tmp_path):
    f = tmp_path / "iso.reason"
    f.write_text("assert unreachable alb-eni -> task-eni tcp 8000-8100\n")
    r = reason("verify", str(f), "--facts", str(FIXED))
    assert r.returncode == 1 and "FAIL" in r.stdout and "counterexample: 10.0.1.10:" in r.stdout and "-> 10.0.11.20:8000" in r.stdout


def test_bad_assertion_files_are_input_errors(tmp_path):
    f = tmp_path / "bad.reason"
    f.write_text("# ok\nassert maybe alb-eni -> task-eni tcp 80\n")
    r = reason("verify", str(f))
    assert r.returncode == 2 and f"{f}:2:8" in r.stderr and "assert reachable|unreachable" in r.stderr
    f.write_text("assert reachable alb-eni -> tsk-eni tcp 80\nassert unreachable internet -> task-eni tcp 22\n")
    r = reason("verify", str(f))
    assert r.returncode == 2 and "did you mean: task-eni" in r.stdout and "PASS" in r.stdout
    r = reason("verify", str(tmp_path / "missing"))
    assert r.returncode == 2 and "no such assertion file" in r.stderr
