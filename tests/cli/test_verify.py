"""`reason verify`: saved assertions (queries/*.reason) as CI checks, with proofs of isolation."""

import json

from test_query import FACTS, ROOT, answer, edit, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def test_shipped_assertions_catch_the_alb_egress_bug():
    r = reason("verify")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "FAIL  queries/alb-health-check.reason:5" in r.stdout and "sg-0alb" in r.stdout
    assert "PASS  queries/alb-health-check.reason:7" in r.stdout and "proof of isolation" in r.stdout


def test_shipped_assertions_hold_on_the_fixed_snapshot():
    r = reason("verify", "--facts", str(FIXED), "--format", "json")
    out = answer(r.stdout)
    assert r.returncode == 0 and out["ok"] and all(a["holds"] for a in out["assertions"])


def test_a_reachable_path_breaks_an_isolation_assertion_with_a_counterexample(tmp_path):
    f = tmp_path / "iso.reason"
    f.write_text("assert unreachable alb-eni -> task-eni tcp 8000-8100\n")
    r = reason("verify", str(f), "--facts", str(FIXED))
    assert r.returncode == 1 and "FAIL" in r.stdout and "counterexample: 10.0.1.10:" in r.stdout and "-> 10.0.11.20:8000" in r.stdout


def test_the_counterexample_names_a_command_that_can_be_pasted_into_a_shell(tmp_path):
    """The query of the suggested ``reason query`` is quoted for a shell, also when a name in it is in double quotes."""
    import shlex

    from reasoner.query.language import parse_query

    snap = scenario(tmp_path, FIXED)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(TagSet=[{"Key": "Name", "Value": "web task 'a'"}])
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01"])
    f = tmp_path / "iso.reason"
    f.write_text('assert unreachable alb-eni -> "web task \'a\'" tcp 8000-8100\n')
    r = reason("verify", str(f), "--facts", str(snap))
    assert r.returncode == 1 and "counterexample" in r.stdout, r.stdout + r.stderr
    command = r.stdout.split("run  ", 1)[1].split("  for the path", 1)[0]
    argv = shlex.split(command)
    assert argv[:2] == ["reason", "query"] and len(argv) == 3, command
    assert parse_query(argv[2]) == parse_query('alb-eni -> "web task \'a\'" tcp 8000-8100')
    again = reason("query", "--facts", str(snap), argv[2])  # and it asks the same question
    assert again.returncode == 0 and "eni-0task01" in again.stdout


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



def test_every_bad_line_of_every_assertion_file_is_reported_and_nothing_runs(tmp_path):
    """Three broken lines were found one run at a time (the first stopped the reading); each line is an assertion of
    its own, so all are reported now, each at file:line:col with its caret and hint; still exit 2, and no assertion
    runs, not even those of a good file beside them (as when one bad line was reported)."""
    (tmp_path / "a.reason").write_text("assert maybe alb-eni -> task-eni tcp 80\nassert reachable alb-eni -> task-eni tcp 8000\n"
                                       "assert unreachable internet -> task-eni tcp 99999\n")
    (tmp_path / "b.reason").write_text("# b\nassert reachable alb-eni ->\n")
    (tmp_path / "good.reason").write_text("assert unreachable internet -> task-eni tcp 22\n")
    r = reason("verify", str(tmp_path))
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r.stdout + r.stderr
    for where in ("a.reason:1:8: error[query.syntax]", "a.reason:3:45: error[query.port]", "b.reason:2:26: error[query.syntax]"):
        assert f"{tmp_path}/{where}" in r.stderr, r.stderr
    assert r.stderr.count("^") == 3 and r.stderr.count("hint:") == 3
    assert r.stderr.rstrip().endswith("3 errors in assertion files; nothing was run.")
    r = reason("verify", str(tmp_path), "--format", "json")
    error = answer(r.stdout)["error"]
    assert r.returncode == 2 and error["location"] == f"{tmp_path}/a.reason:1:8"
    assert [(d["file"].rsplit("/", 1)[1], d["line"], d["column"]) for d in error["diagnostics"]] == [
        ("a.reason", 1, 8), ("a.reason", 3, 45), ("b.reason", 2, 26)]

def test_policy_rules_report_each_violation_with_its_rule():
    r = reason("verify", "--format", "json")
    out = answer(r.stdout)
    assert r.returncode == 1
    assert [(v["row"], v["rule"].split(":")[0]) for v in out["violations"]] == [
        (["sg-0alb", "is a load balancer's security group with no outbound rule"], "queries/policy.dl")]
    assert out["violations"][0]["proof"]["holds"]


def test_policy_that_finds_open_ssh(tmp_path):
    snap = tmp_path / "snap"
    import shutil
    shutil.copytree(FIXED, snap)
    sgs = snap / "aws_configs" / "us-east-1" / "SecurityGroups.json"
    data = json.loads(sgs.read_text())
    data["SecurityGroups"][0]["IpPermissions"].append({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    sgs.write_text(json.dumps(data))
    r = reason("verify", str(ROOT / "queries" / "policy.dl"), "--facts", str(snap))
    assert r.returncode == 1 and "admits tcp/22 from 0.0.0.0/0" in r.stdout and "::/0" not in r.stdout
    data["SecurityGroups"][1]["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                                       "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
    sgs.write_text(json.dumps(data))
    r = reason("verify", str(ROOT / "queries" / "policy.dl"), "--facts", str(snap))
    gid = data["SecurityGroups"][1]["GroupId"]
    assert r.returncode == 1 and f"violation('{gid}', 'admits tcp/22 from ::/0')" in r.stdout


def test_policy_with_an_error_is_refused_whole(tmp_path):
    f = tmp_path / "p.dl"
    f.write_text(".decl violation(resource: symbol, message: symbol)\nviolation(S, \"x\") :- sgg(S, _, _).\n")
    r = reason("verify", str(f))
    assert r.returncode == 2 and "p.dl:2:" in r.stderr and "sgg" in r.stderr and "Traceback" not in r.stderr



def test_a_policy_rule_with_a_repeated_annotation_is_refused_with_its_location(tmp_path):
    """Two @severity lines on one violation rule: the last silently won (a "high" read as "low"); now exit 2, at the
    second, with the caret and a hint, and nothing runs."""
    f = tmp_path / "p.dl"
    f.write_text('@id("NET-9")\n@severity("high")\n@severity("low")\nviolation(S, "x") :- lb_sg(_, S).\n')
    r = reason("verify", str(f))
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert f"{f}:3:1: error[duplicate_annotation]: @severity is given twice to a rule" in r.stderr
    assert "    ^" in r.stderr and f"first given at {f}:2:1" in r.stderr

def test_a_run_with_nothing_to_check_is_an_input_error_like_an_empty_folder(tmp_path):
    """An empty or comment-only .reason file used to print "0/0 assertions hold" and exit 0."""
    empty = tmp_path / "empty.reason"
    empty.write_text("")
    comments = tmp_path / "comments.reason"
    comments.write_text("# only a comment\n\n   # and another\n")
    (tmp_path / "folder").mkdir()
    r = reason("verify", "--facts", str(FIXED), str(tmp_path / "folder"))
    assert r.returncode == 2  # the empty folder: already an input error
    for f in (empty, comments):
        r = reason("verify", "--facts", str(FIXED), str(f))
        assert r.returncode == 2 and "query.no_assertion" in r.stderr and "nothing to check" in r.stderr, r.stdout + r.stderr
        assert "hint:" in r.stderr and "0/0" not in r.stdout
    r = reason("verify", "--facts", str(FIXED), "--format", "json", str(comments))
    assert r.returncode == 2 and answer(r.stdout)["error"]["code"] == "query.no_assertion"
    (tmp_path / "empty.dl").write_text("// no rule\n")  # a policy file without any violation rule checks nothing either
    r = reason("verify", "--facts", str(FIXED), str(comments), str(tmp_path / "empty.dl"))
    assert r.returncode == 2 and "nothing to check" in r.stderr, r.stdout + r.stderr
    r = reason("verify", "--facts", str(FIXED), str(comments), str(ROOT / "policies" / "baseline"))  # policies only: fine
    assert r.returncode == 0 and "0/0 assertions hold; 0 policy violation(s)" in r.stdout, r.stdout + r.stderr
    r = reason("verify", "--facts", str(FIXED), str(empty), str(ROOT / "queries" / "alb-health-check.reason"))
    assert r.returncode == 0 and "3/3 assertions hold" in r.stdout, r.stdout + r.stderr



def test_a_file_that_checks_nothing_beside_others_is_named_in_a_warning(tmp_path):
    """An empty (or comment-only) policy or assertion file next to files that do check something was read and passed
    over without a word: a policy file emptied by a bad merge turned a CI gate off silently. Each is named now."""
    (tmp_path / "a.reason").write_text("assert unreachable internet -> task-eni tcp 22\n")
    (tmp_path / "empty.reason").write_text("# to do\n\n")
    (tmp_path / "empty.dl").write_text("// only a comment\n/* and another */\n")
    (tmp_path / "decls.dl").write_text(".decl helper(x: symbol)\n")
    r = reason("verify", str(tmp_path), "--format", "json")
    warnings = answer(r.stdout)["warnings"]
    assert r.returncode == 0 and warnings == [
        f"policy file {tmp_path}/decls.dl has no violation or undecided rule: it checks nothing",
        f"policy file {tmp_path}/empty.dl has no violation or undecided rule: it checks nothing",
        f"assertion file {tmp_path}/empty.reason holds no assertion (only blank or comment lines)"], warnings
    r = reason("verify", str(tmp_path / "a.reason"), str(ROOT / "queries" / "policy.dl"), "--format", "json")
    assert answer(r.stdout)["warnings"] == []  # (files that check something: no warning)

def test_a_proof_decided_before_any_packet_says_why(tmp_path):
    """A load balancer with no listener on the asked port refuses every packet of the query before any is evaluated
    (ELBV2_LISTENERS_MISMATCH): the proof names that, instead of "0 representative packets"; a proof that evaluated
    packets still counts them."""
    f = tmp_path / "iso.reason"
    f.write_text("assert unreachable task-eni -> alb-eni tcp 22\nassert unreachable internet -> task-eni tcp 22\n")
    r = reason("verify", str(f), "--facts", str(FIXED))
    assert r.returncode == 0, r.stdout + r.stderr
    first, second = r.stdout.split("PASS")[1:3]
    assert "no packet needs evaluating: ELBV2_LISTENERS_MISMATCH: no listener of alb:web accepts tcp/22" in first
    assert "0 representative packets" not in r.stdout
    assert "representative packets" in second and "cover its whole packet space" in second


def test_an_assertion_file_saved_with_a_byte_order_mark_is_read_and_located_right(tmp_path):
    """A UTF-8 byte order mark (Windows editors) before the first assertion was a syntax error at 1:1."""
    f = tmp_path / "bom.reason"
    f.write_text("\ufeffassert unreachable internet -> task-eni tcp 22\n", encoding="utf-8")
    r = reason("verify", str(f))
    assert r.returncode == 0 and "PASS" in r.stdout and "1/1 assertions hold" in r.stdout, r.stdout + r.stderr
    f.write_text("\ufeffassert maybe alb-eni -> task-eni tcp 80\n", encoding="utf-8")
    r = reason("verify", str(f))
    assert r.returncode == 2 and f"{f}:1:8" in r.stderr, r.stderr


def test_a_folder_gives_its_assertion_files_in_sub_folders_and_in_any_case_and_names_policies_it_skips(tmp_path):
    """`reason verify FOLDER` read only `FOLDER/*.reason` (case-sensitive, not recursive): a failing assertion in
    `queries/team/` or in `FAIL2.REASON` was silently skipped and the run said "all hold", exit 0 (adversarial test
    session, F5).  Now every `*.reason` file of the folder and its sub-folders is read, sorted by path; a policy file
    in a sub-folder (a pack's sub-folders hold `reason test` fixtures) is not read and a warning names it."""
    q = tmp_path / "q"
    (q / "team").mkdir(parents=True)
    (q / "ok.reason").write_text("assert reachable alb-eni -> task-eni tcp 8000\n")
    (q / "team" / "fail.reason").write_text("assert unreachable alb-eni -> task-eni tcp 8000\n")
    (q / "FAIL2.REASON").write_text("assert unreachable alb-eni -> task-eni tcp 8000\n")
    (q / "team" / "extra.dl").write_text('violation("x", "y") :- sg("none", _, _).\n')
    r = reason("verify", "--facts", str(FIXED), str(q))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = [line.split()[1] for line in r.stdout.splitlines() if line.startswith(("PASS", "FAIL"))]
    assert lines == [f"{q}/FAIL2.REASON:1", f"{q}/ok.reason:1", f"{q}/team/fail.reason:1"], r.stdout
    assert f"policy file {q}/team/extra.dl not read" in r.stderr, r.stderr
    r = reason("verify", "--facts", str(FIXED), "--format", "json", str(q))
    assert any("extra.dl not read" in w for w in answer(r.stdout)["warnings"])
