"""Proofs that can be kept and re-checked: `reason verify --proof FILE`, `reason recheck FILE` (issue 12)."""

import json
import shutil

from test_query import FACTS, REGION, ROOT, answer, reason


def _setup(tmp_path):
    facts = tmp_path / "snap"
    shutil.copytree(FACTS, facts, ignore=shutil.ignore_patterns("examples"))
    queries = tmp_path / "queries"
    shutil.copytree(ROOT / "queries", queries)
    return facts, queries


def _open_alb_egress(facts):
    """The fix of the shipped bug: sg-0alb may send tcp/8000 to sg-0task."""
    path = facts / REGION / "SecurityGroups.json"
    doc = json.loads(path.read_text())
    for g in doc["SecurityGroups"]:
        if g["GroupId"] == "sg-0alb":
            g["IpPermissionsEgress"] = [{"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000,
                                         "UserIdGroupPairs": [{"GroupId": "sg-0task"}]}]
    path.write_text(json.dumps(doc))


def test_a_proof_names_hashes_and_every_packet_class_and_rechecks(tmp_path):
    facts, queries = _setup(tmp_path)
    proof = tmp_path / "iso.proof.json"
    r = reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    assert r.returncode == 1 and "Traceback" not in r.stderr  # the shipped ALB assertion fails; the proof is written anyway
    doc = answer(proof.read_text())  # validated against reason.proof/v2
    assert doc["snapshot_hash"].startswith("sha256:") and doc["rules_hash"].startswith("sha256:") and doc["tool_version"]
    iso = next(a for a in doc["assertions"] if a["assertion"] == "assert unreachable internet -> task-eni any")
    assert iso["holds"] and iso["verdict"] == "unreachable"
    classes = [c for g in iso["classes"] for c in g["classes"]]
    # an isolation proof: every class blocked, each with the hop, explanation code and component that block it
    assert classes and all(c["fate"] == "blocked" and c["blocked_by"] for c in classes)
    assert {c["protocol"] for c in classes} >= {"6", "17", "1"}  # the whole packet space: every protocol
    assert any(b["code"] == "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS" for c in classes for b in c["blocked_by"])
    lb = next(a for a in doc["assertions"] if "alb:web" in a["assertion"])
    assert lb["classes"] is None  # through a load balancer: verdict only
    r = reason("recheck", str(proof), "--format", "json")
    out = answer(r.stdout)
    # the file re-checks exactly, but one assertion it records failed: no proof of it, so the recheck fails (it said
    # HOLDS, exit 0, for a proof holding a failed assertion)
    assert r.returncode == 1 and not out["holds"] and out["differences"] == []
    assert [t.split("  ", 1)[1].split(" (verdict")[0] for t in out["not_holding"] if not t.startswith("policy ")] == [
        a["assertion"] for a in doc["assertions"] if not a["holds"]] and out["not_holding"]
    assert out["classes"] == sum(len(g["classes"]) for a in doc["assertions"] for g in a["classes"] or [])
    _open_alb_egress(facts)  # every assertion holds: the proof rechecks
    assert reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries)).returncode == 0
    r = reason("recheck", str(proof), "--format", "json")
    assert r.returncode == 0 and answer(r.stdout)["holds"] and answer(r.stdout)["not_holding"] == []


def test_recheck_fails_after_one_security_group_rule_changes(tmp_path):
    facts, queries = _setup(tmp_path)
    proof = tmp_path / "p.json"
    reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    _open_alb_egress(facts)
    r = reason("recheck", str(proof))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "snapshot hash differs" in r.stdout
    assert "verdict was unreachable, now reachable" in r.stdout
    assert "eni-0alb0a -> eni-0task01 tcp 8000" in r.stdout and "blocked in the proof, passes now" in r.stdout
    # the summary counts the differences (it said "0 assertion(s) that do not hold" above a line saying one no longer does)
    assert "FAILS (" in r.stdout and "difference(s) from the proof" in r.stdout and "(0 assertion" not in r.stdout


def test_recheck_fails_when_a_policy_file_changes(tmp_path):
    facts, queries = _setup(tmp_path)
    proof = tmp_path / "p.json"
    reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    policy = queries / "policy.dl"
    policy.write_text(policy.read_text() + "\n// an edit\n")
    r = reason("recheck", str(proof), "--facts", str(facts))
    assert r.returncode == 1 and "rules hash differs" in r.stdout and "snapshot hash" not in r.stdout


def test_proof_never_overwrites_a_file_that_is_not_a_proof(tmp_path):
    facts, queries = _setup(tmp_path)
    mine = queries / "alb-health-check.reason"
    before = mine.read_text()
    r = reason("verify", "--facts", str(facts), "--proof", str(mine), str(queries))
    assert r.returncode == 2 and "is not a proof file; not overwritten" in r.stderr
    assert mine.read_text() == before


def test_recheck_of_something_else_is_an_input_error(tmp_path):
    bogus = tmp_path / "x.json"
    bogus.write_text('{"schema": "reason.query/v1"}')
    r = reason("recheck", str(bogus))
    assert r.returncode == 2 and "is not a proof file" in r.stderr and "Traceback" not in r.stderr
    r = reason("recheck", str(tmp_path / "missing.json"), "--format", "json")
    assert r.returncode == 2 and answer(r.stdout)["error"]["code"] == "proof.unreadable"


def test_recheck_reads_the_verdict_off_the_classes_as_the_analyzer_gives_it(tmp_path):
    """recheck evaluates the packet space once (the classes) and derives the verdict from their fates; on
    reachable, unreachable and inconclusive questions that is the analyzer's own verdict."""
    from reasoner.explain.proof import query_classes, verdict_of
    from reasoner.session import Session

    broken = tmp_path / "no-sgs"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", broken)
    (broken / "aws_configs" / "us-east-1" / "SecurityGroups.json").unlink()
    cases = [(ROOT / "facts", ["alb-eni -> task-eni tcp 8000", "internet -> task-eni any", "internet -> * tcp 80"]),
             (ROOT / "facts" / "examples" / "dual-stack", ["internet -> eni-web any", "internet -> eni-app any"]),
             (broken, ["alb-eni -> task-eni tcp 8000"])]
    seen = set()
    for facts, questions in cases:
        session = Session.open(facts)
        for q in questions:
            verdict = session.query(q, depth=0).verdict
            assert verdict_of(query_classes(session, q)) == verdict, (facts, q)
            seen.add(verdict)
    assert seen == {"reachable", "unreachable", "inconclusive"}


def test_a_proof_answers_load_balancer_nodes_among_the_destinations_through_the_load_balancer(tmp_path):
    """`internet -> * tcp 80`: the ALB's nodes are among `*`, and the session answers a request to a node through
    the load balancer (README "Load balancers"): unreachable, the ALB cannot send to its target.  The proof must
    not hold plain classes saying the packet to the node "passes" under an "unreachable" verdict (a proof that
    contradicts itself): the nodes' group carries the load-balancer verdict, and recheck compares it."""
    facts, _ = _setup(tmp_path)
    assertions = tmp_path / "lb.reason"
    assertions.write_text("assert unreachable internet -> * tcp 80\n")
    proof = tmp_path / "lb.proof.json"
    r = reason("verify", "--facts", str(facts), "--proof", str(proof), str(assertions))
    assert r.returncode == 0, r.stdout + r.stderr
    (item,) = answer(proof.read_text())["assertions"]
    assert item["verdict"] == "unreachable"
    assert all(c["fate"] != "passes" for g in item["classes"] for c in g["classes"])
    (through,) = [g for g in item["classes"] if g.get("load_balancer")]
    assert through["dsts"] == ["eni-0alb0a", "eni-0alb0b"] and through["verdict"] == "unreachable"
    assert through["load_balancer"].endswith("/app/web/50dc6c495c0c9188") and through["classes"] == []
    assert {d for g in item["classes"] if not g.get("load_balancer") for d in g["dsts"]} == {"eni-0task01"}
    r = reason("recheck", str(proof))
    assert r.returncode == 0 and "packet classes and 1 verdict(s) through a load balancer re-checked" in r.stdout
    _open_alb_egress(facts)  # now the ALB reaches its target: the request through a node gets through
    r = reason("recheck", str(proof))
    assert r.returncode == 1 and "verdict was unreachable, now reachable" in r.stdout
    assert "(through arn:aws:elasticloadbalancing:" in r.stdout and "unreachable in the proof, reachable now" in r.stdout


def _forge(proof, path, edit):
    doc = json.loads(proof.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return path


def _failing_alb_item(doc):
    return next(a for a in doc["assertions"] if a["assertion"] == "assert reachable alb-eni -> ecs:prod/web tcp 8000")


def test_recheck_takes_nothing_a_proof_says_on_trust(tmp_path):
    """A proof is data a reader may have edited: recheck recomputes whether each assertion holds from its text,
    so no edit of the verdict-free fields (holds, expect, the assertion text, error) makes a false statement pass."""
    facts, queries = _setup(tmp_path)
    proof = tmp_path / "p.json"
    reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    assert any(a["assertion"] == "assert reachable alb-eni -> ecs:prod/web tcp 8000" and not a["holds"]
               for a in json.loads(proof.read_text())["assertions"])  # the shipped bug: this one fails
    # an honest record of a failing assertion re-checks exactly (no difference), but proves nothing: it fails, naming it
    r = reason("recheck", str(proof))
    assert r.returncode == 1 and "DOES NOT HOLD" in r.stdout and "DIFFERS" not in r.stdout

    def claim_it_holds(doc):
        _failing_alb_item(doc)["holds"] = True

    def flip_the_expectation(doc):  # "unreachable" would hold, but the text still says reachable
        item = _failing_alb_item(doc)
        item.update(expect="unreachable", holds=True)

    def rewrite_the_text(doc):  # text, expectation and holds all agree, but the verdict is still "unreachable"
        item = _failing_alb_item(doc)
        item.update(assertion="assert reachable alb-eni -> task-eni tcp 8000", query="alb-eni -> task-eni tcp 8000",
                    holds=True)

    def text_of_another_query(doc):
        _failing_alb_item(doc)["assertion"] = "assert reachable * -> task-eni any"

    def an_error_recorded(doc):
        _failing_alb_item(doc)["error"] = "query.unknown_name: unknown endpoint"

    def more_pairs_covered(doc):  # the count of endpoint pairs a group covers (it was not compared)
        _failing_alb_item(doc)["classes"][0]["pairs"] = 999

    for n, edit in enumerate([claim_it_holds, flip_the_expectation, rewrite_the_text, text_of_another_query,
                              an_error_recorded, more_pairs_covered]):
        r = reason("recheck", str(_forge(proof, tmp_path / f"forged{n}.json", edit)))
        assert r.returncode == 1 and "DIFFERS" in r.stdout and "Traceback" not in r.stderr, (edit.__name__, r.stdout)


def test_recheck_of_a_proof_without_assertions_fails_and_lists_what_it_attests(tmp_path):
    facts, queries = _setup(tmp_path)
    proof = tmp_path / "p.json"
    reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    r = reason("recheck", str(proof))
    assert "assert unreachable internet -> task-eni any" in r.stdout  # what the proof attests is printed
    empty = _forge(proof, tmp_path / "empty.json", lambda d: d.update(assertions=[]))
    r = reason("recheck", str(empty))
    assert r.returncode == 1 and "proves nothing" in r.stdout
    junk = _forge(proof, tmp_path / "junk.json", lambda d: d["assertions"].append(["not", "an", "entry"]))
    r = reason("recheck", str(junk), "--format", "json")
    assert r.returncode == 1 and "Traceback" not in r.stderr and not json.loads(r.stdout)["holds"]
    no_classes = _forge(proof, tmp_path / "nocls.json",
                        lambda d: next(a for a in d["assertions"] if a["classes"]).update(classes=None))
    r = reason("recheck", str(no_classes))
    assert r.returncode == 1 and "records no packet classes" in r.stdout


def test_a_recheck_difference_names_the_class_as_answers_do():
    """`recheck` names a class that changed by its traffic (`tcp 8000`, `icmp type 3`), not its raw protocol number
    and port list; a proof file holding something else there (it is the user's file) is quoted as it is."""
    from reasoner.explain.proof import _traffic_of

    assert _traffic_of({"protocol": "6", "dst_ports": [8000, 8000]}) == "tcp 8000"
    assert _traffic_of({"protocol": "1", "dst_ports": [768, 1023]}) == "icmp type 3"
    assert _traffic_of({"protocol": "1", "dst_ports": ["x", 3]}) == "1 ports ['x', 3]"
    assert _traffic_of({"protocol": None, "dst_ports": None}) == "None ports None"


def test_a_blocked_class_names_the_blockers_a_query_names(tmp_path):
    """reason.proof/v2: each blocked class names every blocking hop with the code and component `reason query` gives
    (reasoner/explain/hops.py ``blockers``), a security group's included (v1 named only route explanations)."""
    facts, queries = _setup(tmp_path)
    proof = tmp_path / "p.json"
    reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    doc = answer(proof.read_text())
    assert doc["schema"] == "reason.proof/v2"
    alb = next(a for a in doc["assertions"] if a["query"] == "alb-eni -> ecs:prod/web tcp 8000")
    classes = [c for g in alb["classes"] for c in g["classes"]]
    asked = answer(reason("query", "--facts", str(facts), "--format", "json", "alb-eni -> ecs:prod/web tcp 8000").stdout)
    named = [{"code": e["code"], "component": e["component"]} for e in asked["explanations"]]
    assert classes and named == [{"code": "ENI_SG_RULES_MISMATCH", "component": "sg-0alb"}]
    assert all([{k: b[k] for k in ("code", "component")} for b in c["blocked_by"]] == named for c in classes)
    assert all(b["hop"] == "fwd_sg_egress" for c in classes for b in c["blocked_by"])


def test_a_v1_proof_is_rechecked_as_v1_wrote_it(tmp_path):
    """tests/cli/data/proof-v1-shipped.json was written by 956c544 (reason.proof/v1) for the shipped example and
    queries/: its classes blocked by a security group name no blocker. recheck reads it as v1 and every class's fate
    and blockers and every verdict hold: what differs is the rules' and snapshot's hashes (the rules changed since)
    and, for the internet's packets, the source ports (a proof before 2026-12-06 covered 1024-65535 only; a host on
    the internet may send from any port: tests/explain/test_source_ports.py); the ALB node's own packets still come
    from 1024-65535 and re-check exactly.  The same file labelled v2 fails on exactly those blockers too."""
    v1 = ROOT / "tests" / "cli" / "data" / "proof-v1-shipped.json"
    r = reason("recheck", str(v1), "--facts", str(FACTS), "--format", "json")
    # the rules and the snapshot's relations have changed since (rules/gateway_route_tables.dl reads rtb_gateway)
    diffs = json.loads(r.stdout)["differences"]
    assert r.returncode == 1 and len(diffs) > 2, r.stdout + r.stderr
    assert diffs[0].startswith("snapshot hash differs") and diffs[1].startswith("rules hash differs"), diffs
    # since 2026-12-06 (the twenty-seventh session) an `any` question covers ICMPv6 whether or not a rule names it:
    # the proof's group lacks those classes, and recheck names each (matched by what it is, not by position); since
    # the twenty-ninth session ICMPv6 in an IPv4 packet gets no reply (one-way, reasoner/explain/space.py icmp_other),
    # so its messages are no longer cut by the replies of ICMPv6's queries: 7 such classes, not 49
    at = "queries/alb-health-check.reason:7  assert unreachable internet -> task-eni any: "
    assert diffs[2] == at + "group 1 (internet -> ...): 77 packet classes now, 70 in the proof", diffs
    ports = [d for d in diffs[3:] if d.startswith(at + "class internet -> eni-0task01 ")
             and "(its source ports differ: 1024-65535 in the proof, 0-65535 now)" in d]
    icmpv6 = [d for d in diffs[3:] if d.startswith(at + "class internet -> eni-0task01 icmpv6 ")
              and d.endswith(": not in the proof, blocked now")]
    assert ports and len(icmpv6) == 77 - 70 and len(ports) + len(icmpv6) == len(diffs) - 3, diffs
    doc = json.loads(v1.read_text())
    assert doc["schema"] == "reason.proof/v1"
    doc["schema"] = "reason.proof/v2"
    relabelled = tmp_path / "v2.json"
    relabelled.write_text(json.dumps(doc))
    r = reason("recheck", str(relabelled), "--facts", str(FACTS))
    assert r.returncode == 1 and "(its blockers differ)" in r.stdout and "FAILS" in r.stdout, r.stdout


def test_recheck_never_prints_the_text_of_a_file_a_proof_names(tmp_path):
    """A proof someone else wrote may name any file of this machine as a policy file: the re-check refuses it (exit 2)
    without printing a line of it, in the caret excerpt or in a parser's message (it printed the secret's first
    line).  A device or a pipe named there is refused unread (a re-check in CI must not hang on /dev/zero)."""
    facts, queries = _setup(tmp_path)
    proof = tmp_path / "p.json"
    reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:hunter2-is-the-password:/root:/bin/bash\n")
    for named, needle in ((str(secret), "its text is not shown"), ("/dev/zero", "not a regular file")):
        forged = _forge(proof, tmp_path / "forged.json", lambda d: d.update(policy_files=[named]))
        r = reason("recheck", str(forged), "--facts", str(facts))
        assert r.returncode == 2 and needle in r.stdout + r.stderr, r.stdout + r.stderr
        assert "hunter2" not in r.stdout + r.stderr and "Traceback" not in r.stderr


def _policy_run(tmp_path):
    """An assertion that holds beside queries/policy.dl, which the shipped snapshot violates (sg-0alb has no
    outbound rule): `verify` fails on the policy alone."""
    facts, queries = _setup(tmp_path)
    (queries / "alb-health-check.reason").write_text("assert unreachable internet -> task-eni any\n")
    proof = tmp_path / "p.json"
    r = reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries))
    assert r.returncode == 1 and "1/1 assertions hold; 1 policy violation(s)" in r.stdout, r.stdout + r.stderr
    return facts, queries, proof


def test_recheck_of_a_proof_from_a_run_that_failed_on_a_policy_fails(tmp_path):
    """`verify --proof` of a run whose assertions hold but whose policies found a violation (exit 1) wrote a proof
    that `recheck` said HOLDS, exit 0: a kept proof of a run that did not pass. The proof records the policies'
    outcome, as it records each assertion's, and recheck names it and fails."""
    facts, queries, proof = _policy_run(tmp_path)
    doc = answer(proof.read_text())
    assert [v["row"] for v in doc["policies"]["violations"]] == [
        ["sg-0alb", "is a load balancer's security group with no outbound rule"]]
    r = reason("recheck", str(proof))
    assert r.returncode == 1 and "HOLDS" not in r.stdout, r.stdout + r.stderr
    assert "DOES NOT HOLD  policy " in r.stdout and "violation('sg-0alb'," in r.stdout
    assert "the verify run that wrote it did not pass" in r.stdout
    out = answer(reason("recheck", str(proof), "--format", "json").stdout)
    assert not out["holds"] and out["differences"] == [] and any("sg-0alb" in t for t in out["not_holding"])
    _open_alb_egress(facts)  # the policy passes now: a new proof rechecks
    assert reason("verify", "--facts", str(facts), "--proof", str(proof), str(queries)).returncode == 0
    doc = answer(proof.read_text())
    assert doc["policies"] == {"violations": [], "undecided": [], "errors": []}
    r = reason("recheck", str(proof))
    assert r.returncode == 0 and "HOLDS" in r.stdout, r.stdout + r.stderr


def test_recheck_runs_the_policies_again_and_takes_no_record_of_them_on_trust(tmp_path):
    facts, queries, proof = _policy_run(tmp_path)
    doc = json.loads(proof.read_text())
    doc["policies"]["violations"] = []  # edited to look like a pass
    proof.write_text(json.dumps(doc))
    r = reason("recheck", str(proof))
    assert r.returncode == 1 and "violation('sg-0alb'," in r.stdout and "derived now, not in the proof" in r.stdout
    del doc["policies"]  # as a proof written before policy outcomes were recorded
    proof.write_text(json.dumps(doc))
    r = reason("recheck", str(proof))
    assert r.returncode == 1 and "HOLDS" not in r.stdout and "DOES NOT HOLD  policy " in r.stdout, r.stdout
    assert "violation('sg-0alb'," in r.stdout and "derived now: the proof, written before" in r.stdout, r.stdout


def test_a_proof_rechecks_from_another_folder(tmp_path):
    """`facts` and `policy_files` were stored as given (relative to the folder verify ran in): `recheck` from any
    other folder failed (error[io] on the policy file). They are stored absolute; an older proof's relative paths
    are found next to the proof when not from the working directory; the hashes decide as before."""
    facts, queries = _setup(tmp_path)
    _open_alb_egress(facts)
    r = reason("verify", "--facts", "snap", "--proof", "p.json", "queries", cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = answer((tmp_path / "p.json").read_text())
    assert doc["facts"] == str(facts) and doc["policy_files"] == [str(queries / "policy.dl")]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    r = reason("recheck", str(tmp_path / "p.json"), cwd=elsewhere)
    assert r.returncode == 0 and "HOLDS" in r.stdout, r.stdout + r.stderr
    doc |= {"facts": "snap", "policy_files": ["queries/policy.dl"]}  # as a proof before 2026-12-07 stored them
    (tmp_path / "old.json").write_text(json.dumps(doc))
    r = reason("recheck", str(tmp_path / "old.json"), cwd=elsewhere)
    assert r.returncode == 0 and "HOLDS" in r.stdout, r.stdout + r.stderr
    (queries / "policy.dl").write_text((queries / "policy.dl").read_text() + "\n// an edit\n")
    for name in ("p.json", "old.json"):  # found, and still checked
        r = reason("recheck", str(tmp_path / name), cwd=elsewhere)
        assert r.returncode == 1 and "rules hash differs" in r.stdout, r.stdout + r.stderr
