"""The source port a load balancer node picks (rules/load_balancers.dl node_reply_denied): each connection to a target,
request or health check, comes from a port in 1024-65535 (elasticloadbalancing/latest/classic/elb-vpc-network-acls.html:
the load balancer's subnet admits the targets' replies on "1024-65535"), which no snapshot holds.  The public subnets'
network ACL admitted the replies only on 32768-65535 (a Linux client's range, nacl-ephemeral-ports.html): the answer was
REACHABLE and `reason health` "healthy and open", though connections from a port below 32768 lose their reply (a target
that flaps).  Found by an adversarial test session."""

from __future__ import annotations

import json

import pytest
from test_query import FACTS, edit, query_json, reason, scenario

PUBLIC = ("subnet-pub-a", "subnet-pub-b")


def _public_acl(snap, lo: int, hi: int) -> None:
    """The public subnets (the ALB's nodes) get their own ACL: tcp 80 in from anywhere, the replies of the VPC on lo-hi,
    everything out."""
    def change(d):
        for a in d["NetworkAcls"]:
            a["Associations"] = [x for x in a["Associations"] if x["SubnetId"] not in PUBLIC]
        d["NetworkAcls"].append({"NetworkAclId": "acl-pub", "VpcId": "vpc-0a1b2c3d", "IsDefault": False,
                                 "Associations": [{"NetworkAclId": "acl-pub", "SubnetId": s} for s in PUBLIC],
                                 "Entries": [
            {"CidrBlock": "0.0.0.0/0", "Egress": False, "Protocol": "6", "PortRange": {"From": 80, "To": 80},
             "RuleAction": "allow", "RuleNumber": 100},
            {"CidrBlock": "10.0.0.0/16", "Egress": False, "Protocol": "6", "PortRange": {"From": lo, "To": hi},
             "RuleAction": "allow", "RuleNumber": 110},
            {"CidrBlock": "0.0.0.0/0", "Egress": True, "Protocol": "-1", "RuleAction": "allow", "RuleNumber": 100},
            {"CidrBlock": "0.0.0.0/0", "Egress": True, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32767},
            {"CidrBlock": "0.0.0.0/0", "Egress": False, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32767}]})
    edit(snap, "NetworkAcls", change)


@pytest.mark.parametrize("lo, hi, code", [(32768, 65535, 3), (1024, 65535, 0), (0, 1023, 1)])
def test_a_node_is_answered_for_every_source_port_it_may_pick(tmp_path, lo, hi, code):
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")  # the ALB reaches its task there
    _public_acl(snap, lo, hi)
    for q in ("alb:web -> tg:task-tg tcp 8000", "internet -> alb:web tcp 80"):
        got, out = query_json(snap, q)
        assert got == code, (q, out["verdict"], out["missing"], out["explanations"])
        if code == 3:
            assert ("ret_nacl_in", "acl-pub") in {(m["hop"], m["component"]) for m in out["missing"]}, out["missing"]
        if code == 1:
            assert "SUBNET_ACL_RESTRICTION" in {e["code"] for e in out["explanations"]}, out["explanations"]
    r = reason("health", "--facts", str(snap), "--format", "json")
    checks = json.loads(r.stdout)
    text = json.dumps(checks)
    assert ("lb_source_port" in text or "some of the ports 1024-65535" in text) == (code == 3), text[:2000]

