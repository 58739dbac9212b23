"""`reason query --all`: every packet class that gets through, checked against point questions (pyDatalog) one by one."""

import copy
import json
import shutil
import subprocess
from pathlib import Path

from reasoner.session import Session
from test_query import answer, reason

ROOT = Path(__file__).resolve().parents[2]
FIXED = ROOT / "facts" / "examples" / "seed-fixed"


def _all(facts: Path, q: str) -> tuple[int, dict]:
    r = subprocess.run(["reason", "query", "--all", "--format", "json", "--facts", str(facts), q],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, answer(r.stdout)  # validated against reason.query-all/v1


def test_every_reported_class_is_reachable_and_every_other_pair_is_not():
    code, out = _all(FIXED, "* -> * tcp 1-9000")
    assert code == 0 and out["schema"] == "reason.query-all/v1" and out["classes_evaluated"] > len(out["classes"]) > 0
    session = Session.open(FIXED)
    session.engine = "point"
    enis = [e.eni for e in session.endpoints.resolve("*")]
    reported = {(c["src_eni"], c["dst_eni"]) for c in out["classes"]}
    (through,) = out["through_load_balancers"]  # the ALB's nodes: answered through the ALB, as `reason query` does
    assert through["nodes"] == ["eni-0alb0a", "eni-0alb0b"] and through["verdict"] == "reachable"
    assert not any(d in through["nodes"] for _, d in reported)
    for c in out["classes"]:  # each class, asked on its own over its whole port range: reachable
        assert session.query(f"{c['src_eni']} -> {c['dst_eni']} tcp {c['dst_ports']}", depth=0).reachable, c
    for s in enis:
        for d in enis:
            if s != d and (s, d) not in reported and d not in through["nodes"]:
                assert not session.query(f"{s} -> {d} tcp 1-9000", depth=0).reachable, (s, d)


def test_both_engines_list_the_same_classes():
    session = Session.open(FIXED)
    by_engine = {}
    for engine in ("point", "set"):
        session.engine = engine
        by_engine[engine] = session.query_all("* -> * any")
    assert by_engine["point"] == by_engine["set"] and by_engine["set"][0]


def test_nothing_gets_through_exits_1_and_load_balancers_are_refused():
    code, out = _all(ROOT / "facts", "* -> task-eni tcp 8000")
    assert code == 1 and out["classes"] == [] and out["classes_evaluated"] >= 2
    r = subprocess.run(["reason", "query", "--all", "internet -> alb:web tcp 80"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "load balancers" in r.stderr and "Traceback" not in r.stderr


def test_load_balancer_nodes_among_the_destinations_get_the_verdict_query_gives():
    """`internet -> * tcp 80` on the shipped example: `reason query` answers a request to the ALB's nodes through
    the ALB (unreachable: its security group has no egress), so --all must not list the nodes as reached and
    exit 0 while query exits 1 on the same text."""
    code, out = _all(ROOT / "facts", "internet -> * tcp 80")
    query = subprocess.run(["reason", "query", "--facts", str(ROOT / "facts"), "internet -> * tcp 80"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert code == query.returncode == 1 and out["reachable"] is False and out["classes"] == []
    assert out["through_load_balancers"] == [{"load_balancer": out["through_load_balancers"][0]["load_balancer"],
                                              "nodes": ["eni-0alb0a", "eni-0alb0b"], "verdict": "unreachable"}]
    r = subprocess.run(["reason", "query", "--all", "--facts", str(ROOT / "facts"), "internet -> * tcp 80"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert "eni-0alb0a, eni-0alb0b: nodes of " in r.stdout and "answered through it as reason query answers them: UNREACHABLE" in r.stdout


def test_csv_holds_what_json_holds_and_one_path_formats_are_refused():
    """--all --format csv: a row per class (the JSON's fields), per load balancer answered through, per pair not
    decided; the same exit code. aws, mermaid and dot describe one path: refused (exit 2), never JSON instead."""
    import csv
    import io

    code, out = _all(FIXED, "* -> * tcp 1-9000")
    r = subprocess.run(["reason", "query", "--all", "--format", "csv", "--facts", str(FIXED), "* -> * tcp 1-9000"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    fields = ["src_eni", "dst_eni", "protocol", "dst_ports", "src_ports", "src_ips", "dst_ips"]
    assert [{k: x[k] for k in fields} for x in rows if x["kind"] == "class"] == \
        [{k: c[k] for k in fields} for c in out["classes"]]
    lbs = [x for x in rows if x["kind"] == "through_load_balancer"]
    assert [(x["dst_eni"].split(), x["load_balancer"], x["verdict"]) for x in lbs] == \
        [(t["nodes"], t["load_balancer"], t["verdict"]) for t in out["through_load_balancers"]]
    for fmt in ("aws", "mermaid", "dot"):
        r = subprocess.run(["reason", "query", "--all", "--format", fmt, "* -> task-eni tcp 8000"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "error[usage.format]" in r.stderr and r.stdout == "", (fmt, r.stdout[:80])
    r = subprocess.run(["reason", "query", "--format", "csv", "alb-eni -> task-eni tcp 8000"], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "--format csv is for reason query --all" in r.stderr


def test_the_text_counts_what_it_lists_and_what_it_evaluated_apart(tmp_path):
    """Pairs no rule tells apart are evaluated once and listed per member pair, so more classes may be listed than
    were evaluated: the first line gives both counts as such (it read "N of M packet classes", N > M).  Six copies
    of the task's ENI (one subnet, one group) to a database that admits the group."""
    snap = tmp_path / "snap"
    shutil.copytree(FIXED, snap)
    path = snap / "aws_configs" / "us-east-1" / "NetworkInterfaces.json"
    data = json.loads(path.read_text())
    task = next(n for n in data["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01")
    for i in range(7):
        eni = copy.deepcopy(task)
        ip = f"10.0.11.{30 + i}"
        eni.update(NetworkInterfaceId=f"eni-0copy{i}", PrivateIpAddress=ip,
                   PrivateIpAddresses=[{"Primary": True, "PrivateIpAddress": ip}])
        eni.pop("Association", None)
        eni.get("Attachment", {}).update(AttachmentId=f"eni-attach-0copy{i}")
        if i == 6:  # the database
            eni["Groups"] = [{"GroupId": "sg-0db", "GroupName": "db"}]
        data["NetworkInterfaces"].append(eni)
    path.write_text(json.dumps(data))
    path = snap / "aws_configs" / "us-east-1" / "SecurityGroups.json"
    data = json.loads(path.read_text())
    sg = copy.deepcopy(next(g for g in data["SecurityGroups"] if g["GroupId"] == "sg-0task"))
    sg.update(GroupId="sg-0db", GroupName="db", Description="db")
    sg["IpPermissions"] = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [], "Ipv6Ranges": [],
                            "PrefixListIds": [], "UserIdGroupPairs": [{"GroupId": "sg-0task"}]}]
    data["SecurityGroups"].append(sg)
    path.write_text(json.dumps(data))
    q = "sg-0task -> eni-0copy6 tcp 5432"
    code, out = _all(snap, q)
    assert code == 0 and len(out["classes"]) > out["classes_evaluated"] > 0  # factored: the case worth testing
    r = subprocess.run(["reason", "query", "--all", "--facts", str(snap), q], cwd=ROOT, capture_output=True, text=True,
                       timeout=120)
    first = r.stdout.splitlines()[0]
    assert r.returncode == 0 and first.startswith("REACHABLE"), r.stdout + r.stderr
    assert f"{len(out['classes'])} packet classes get through ({out['classes_evaluated']} evaluated" in first, first
    assert " of " not in first


def test_all_with_no_pair_is_the_error_query_gives():
    """An ENI to itself names no pair of distinct endpoints: `query` and `verify` refuse it (query.empty, exit 2);
    `--all` said "UNREACHABLE 0 packet classes get through (0 evaluated)" and exit 1, which a script gating on it
    would read as isolation."""
    for args in (["query", "--all"], ["query"]):
        r = reason(*args, "task-eni -> task-eni tcp 8000")
        assert r.returncode == 2 and "error[query.empty]" in r.stdout + r.stderr, (args, r.stdout, r.stderr)


def test_reachable_only_through_a_load_balancer_does_not_say_no_class_gets_through():
    """On the fixed example the internet reaches only the ALB's nodes, answered through the ALB: the text answer said
    "REACHABLE  0 packet classes get through", which contradicts itself; now it says it is through a load balancer."""
    r = reason("query", "--all", "--facts", str(FIXED), "internet -> * tcp 80")
    assert r.returncode == 0 and "0 packet classes" not in r.stdout and "through a load balancer only" in r.stdout, r.stdout


def test_a_set_whose_other_members_are_load_balancer_nodes_is_answered_through_them(tmp_path):
    """On the fixed example the task's only other ENIs are the ALB's nodes: `task-eni -> * tcp 80` left no plain pair
    once the nodes were split off and `query` refused it (query.empty, exit 2) while `--all` on the same text answered
    REACHABLE through the ALB (README, "Load balancers": a packet to a node is a request to its load balancer, "the
    same whether the node is named or is one member of a set").  Both answer through the ALB now, `verify` too."""
    for dst, want in (("*", 0), ("vpc-0a1b2c3d", 0), ("subnet-pub-a", 0)):
        q = f"task-eni -> {dst} tcp 80"
        r = reason("query", "--facts", str(FIXED), q)
        assert r.returncode == want and "REACHABLE" in r.stdout, (q, r.stdout, r.stderr)
        assert _all(FIXED, q)[0] == want
    checks = tmp_path / "a.reason"
    checks.write_text("assert reachable task-eni -> * tcp 80\n")
    assert reason("verify", "--facts", str(FIXED), str(checks)).returncode == 0
    # the task to itself names no pair at all: still the error
    assert reason("query", "--facts", str(FIXED), "task-eni -> task-eni tcp 80").returncode == 2
