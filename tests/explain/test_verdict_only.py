"""The fast verdict-only form (Session.query(detail=False)) must give the same verdict as the full form,
whether the packet is stopped going out, on the way back, or not at all."""

import json
import shutil
from pathlib import Path

import pytest

from reasoner.session import Session

ROOT = Path(__file__).resolve().parents[2]
QUERIES = ["alb-eni -> task-eni tcp 8000", "alb-eni -> task-eni tcp 9000", "task-eni -> alb-eni tcp 80",
           "internet -> task-eni tcp 8000", "task-eni -> internet tcp 443", "subnet-pub-a -> sg-0task any"]


def _return_blocked(tmp_path: Path) -> Path:
    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", snap)
    acls = snap / "aws_configs" / "us-east-1" / "NetworkAcls.json"
    data = json.loads(acls.read_text())
    for acl in data["NetworkAcls"]:  # outbound only to the task subnet on 8000: the task's replies are dropped
        acl["Entries"] = [e for e in acl["Entries"] if not e.get("Egress") or e["RuleNumber"] == 32767] + [
            {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "10.0.11.0/24",
             "PortRange": {"From": 8000, "To": 8000}}]
    acls.write_text(json.dumps(data))
    return snap


@pytest.mark.parametrize("which", ["facts", "facts/examples/seed-fixed", "return-blocked"])
def test_verdict_only_agrees_with_the_full_answer(which, tmp_path):
    facts = _return_blocked(tmp_path) if which == "return-blocked" else ROOT / which
    session = Session.open(facts)
    for q in QUERIES:
        full, fast = session.query(q), session.query(q, depth=0, detail=False)
        assert fast.reachable == full.reachable, q
        if not full.reachable:
            assert {e.hop for e in fast.explanations} <= {e.hop for e in full.explanations} | {"load_balancer"}, q
            assert fast.explanations, q


def test_the_return_blocked_scenario_is_blocked_on_the_way_back(tmp_path):
    res = Session.open(_return_blocked(tmp_path)).query("alb-eni -> task-eni tcp 8000")
    assert not res.reachable and {e.path for e in res.explanations} == {"return"}
