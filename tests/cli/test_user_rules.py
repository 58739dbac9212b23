"""Extra rule files (`--rules`, `reason verify`'s *.dl, `reason check`) cannot rewrite the shipped
rules or base relations (issue 9, item 8): both attacks below were accepted before and changed verdicts."""

import json
import shutil

import pytest
from test_query import ROOT, reason

# turned the failing `assert unreachable` into a PASS ("proof of isolation")
FWD = 'fwd_blocked("policy") :- packet(S, D, SIp, DIp, P, SP, DP).\n'
# made the shipped ALB egress bug REACHABLE
EGRESS = 'sg_egress_cidr("sg-0alb", "-1", 0, 65535, 0, 4294967295, "x").\n'


@pytest.mark.parametrize("text,pred", [(FWD, "fwd_blocked"), (EGRESS, "sg_egress_cidr")])
def test_attacks_are_refused_by_check_query_and_verify(tmp_path, text, pred):
    f = tmp_path / "attack.dl"
    f.write_text(text)
    runs = {"check": reason("check", str(f)),
            "query": reason("query", "--rules", str(f), "alb-eni -> ecs:prod/web tcp 8000")}
    folder = tmp_path / "queries"
    folder.mkdir()
    shutil.copy(ROOT / "queries" / "alb-health-check.reason", folder)
    shutil.copy(f, folder)
    runs["verify"] = reason("verify", str(folder))
    for cmd, r in runs.items():
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        assert f"{folder / 'attack.dl' if cmd == 'verify' else f}:1:1: error[redefines_shipped]" in r.stderr, cmd
        assert f"'{pred}', a shipped predicate" in r.stderr and "    ^" in r.stderr
        assert "shipped predicates are read-only" in r.stderr and "PASS" not in r.stdout and "REACHABLE" not in r.stdout


def test_a_user_file_reading_shipped_predicates_changes_no_verdict(tmp_path):
    folder = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", folder)
    (folder / "mine.dl").write_text(".decl lb_group(sg: symbol)\nlb_group(S) :- lb_sg(_, S).\n"
                                      'violation(S, "never") :- lb_group(S), eni(S, _, _, _).\n')  # fwd_blocked: per_query_in_policy
    shipped, extended = (json.loads(reason("verify", str(f), "--format", "json").stdout) for f in (ROOT / "queries", folder))
    assert [a["holds"] for a in extended["assertions"]] == [a["holds"] for a in shipped["assertions"]]
    assert [v["row"] for v in extended["violations"]] == [v["row"] for v in shipped["violations"]] != []


def test_a_division_by_zero_in_a_policy_is_an_error_with_the_rule_location_not_a_violation(tmp_path):
    f = tmp_path / "ratio.dl"
    f.write_text('.decl violation(resource: symbol, message: symbol)\n'
                 '// the divisor is zero on every row: before, the ZeroDivisionError became a value and a violation\n'
                 'violation(Sg, "odd ratio") :- sg_ingress_cidr(Sg, _, _, Hi, _, _, _), Q = 100 / (Hi - Hi), Q != 5.\n')
    r = reason("verify", str(f))
    assert r.returncode == 2 and "FAIL" not in r.stdout and "Traceback" not in r.stderr
    assert f"{f}:3:1: error[engine.division_by_zero]: division by zero in the rule for 'violation'" in r.stderr


def test_a_rule_file_that_is_not_utf8_is_a_located_error(tmp_path):
    f = tmp_path / "latin1.dl"
    f.write_bytes(b".decl mine(x: number)\n// caf\xe9\nmine(1).\n")
    for args in (["check", str(f)], ["verify", str(f)]):
        r = reason(*args)
        assert r.returncode == 2 and f"{f}:2:7: error[io]: rule file is not UTF-8 text" in r.stderr, r.stderr
        assert "internal error" not in r.stderr



@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_a_rule_file_with_windows_or_old_mac_line_endings_keeps_every_rule(tmp_path, newline):
    """With old Mac line endings (\\r alone) a // comment ran to the end of the file: every rule after it was taken as
    comment, and `check` and `verify` said nothing. Lines end at \\n, \\r\\n or \\r now, and errors are located at
    their line, shown with its text."""
    f = tmp_path / "endings.dl"
    text = '// lb groups\nviolation(S, "one") :- lb_sg(_, S).\n// again\nviolation(S, "two") :- lb_sg(_, S).\n'
    f.write_bytes(text.replace("\n", newline).encode())
    r = reason("verify", "--format", "json", str(f))
    rows = sorted(v["row"][1] for v in json.loads(r.stdout)["violations"])
    assert r.returncode == 1 and rows == ["one", "two"], r.stdout + r.stderr
    assert sorted({v["rule"].rsplit(":", 2)[1] for v in json.loads(r.stdout)["violations"]}) == ["2", "4"]
    f.write_bytes(text.replace("lb_sg(_, S).\n// again", "lb_sgg(_, S).\n// again").replace("\n", newline).encode())
    r = reason("check", str(f))
    assert r.returncode == 2 and f"{f}:2:24: error[undeclared]" in r.stderr, r.stderr
    assert '    violation(S, "one") :- lb_sgg(_, S).\n' in r.stderr

def test_a_rule_file_saved_with_a_byte_order_mark_is_read_and_located_right(tmp_path):
    """Windows editors start a UTF-8 file with a byte order mark: it was a syntax error at 1:1. It is no text of the
    file (the facts reader skips it too), and locations on its first line keep their columns."""
    f = tmp_path / "bom.dl"
    f.write_text('\ufeff// help\nviolation(S, "lb sg") :- lb_sg(_, S).\n', encoding="utf-8")
    r = reason("verify", "--format", "json", str(f))
    assert r.returncode == 1 and json.loads(r.stdout)["violations"][0]["row"] == ["sg-0alb", "lb sg"], r.stdout + r.stderr
    (rule,) = json.loads(reason("verify", "--format", "sarif", str(f)).stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["help"]["text"].startswith("help (rule at ")  # the comment above the rule, on the line after the mark
    f.write_text('\ufeffviolation(S, "x") :- lb_sg(_, S), nope(S).\n', encoding="utf-8")
    for args in (["check", str(f)], ["verify", str(f)]):
        r = reason(*args)
        assert r.returncode == 2 and f"{f}:1:35: error[undeclared]" in r.stderr, r.stderr
