"""Cuts per endpoint pair, from the rules that pair's hops read (issue 11, "fix the quadratic"): an unrelated
ENI's rules add no pieces, each endpoint's rules are looked up once per question, and the verdicts on a set
query are the same as asking every member pair on its own."""

import sys
from pathlib import Path

from reasoner.explain.paths import Endpoint
from reasoner.session import Session

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "cli"))
from test_query import edit, scenario, sg  # noqa: E402


def _ports_of(session, src, dst):
    return sorted({row[6] for row, _, _ in session.analyzer.space.packets(session.endpoints.resolve(src), session.endpoints.resolve(dst),
                                                                          "6", 0, 65535)})


def test_an_unrelated_groups_rules_do_not_cut_the_pairs_space(tmp_path):
    snap = scenario(tmp_path, ROOT / "facts" / "examples" / "seed-fixed")
    # a rule on the task's group only: it cuts pairs with the task, not the pair of the two ALB nodes
    edit(snap, "SecurityGroups", lambda d: sg(d, "sg-0task")["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3999, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}))
    session = Session.open(snap)
    assert 3000 in _ports_of(session, "alb-eni", "task-eni") and 4000 in _ports_of(session, "alb-eni", "task-eni")
    assert 3000 not in _ports_of(session, "eni-0alb0a", "eni-0alb0b")


def test_each_endpoints_rules_are_read_once_per_question(monkeypatch):
    session = Session.open(ROOT / "facts")
    calls = []
    original = session.analyzer._rules_on
    monkeypatch.setattr(session.analyzer, "_rules_on", lambda eps: calls.append(eps) or original(eps))
    session.engine = "point"
    session.query("* -> task-eni tcp 1-2000", depth=0, detail=False)  # no load balancer node as destination
    enis = [e.eni for e in session.endpoints.resolve("*")]
    assert len(calls) <= len(enis) and all(len(c) == 1 for c in calls)


def test_set_verdict_is_every_member_pairs_verdict_combined():
    session = Session.open(ROOT / "facts" / "examples" / "seed-fixed")
    session.engine = "point"
    enis = session.endpoints.resolve("*")
    for q in ("tcp 8000", "any", "udp 53"):
        whole = session.query(f"* -> * {q}", depth=0, detail=False).reachable
        proto, lo, hi = {"tcp 8000": ("6", 8000, 8000), "any": ("-1", 0, 65535), "udp 53": ("17", 53, 53)}[q]
        pairs = [session.analyzer.analyze("pair", [s], [Endpoint(d.eni, d.ips)], proto, lo, hi, depth=0, detail=False).reachable
                 for s in enis for d in enis if s.eni != d.eni]
        assert whole == any(pairs), q
