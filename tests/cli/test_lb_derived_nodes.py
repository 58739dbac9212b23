"""Load balancer nodes the snapshot holds no ENI for (reasoner/explain/lb_nodes.py, rules/missing_data.dl
lb_node_address_open): their address is assumed, so an answer must not rest on it."""

import json
from pathlib import Path

import pytest
from test_query import FACTS, REGION, edit, query_json, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def _without_lb_enis(snap: Path) -> None:
    edit(snap, "NetworkInterfaces", lambda d: d.update(NetworkInterfaces=[
        n for n in d["NetworkInterfaces"] if not n.get("Description", "").startswith("ELB ")]))


def _task_admits(snap: Path, cidrs: list[str]) -> None:
    """The task's group admits tcp 8000 from these ranges only (instead of the load balancer's group)."""
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": c} for c in cidrs]}])
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])


def test_derived_nodes_answer_as_before_where_no_rule_tells_their_addresses_apart(tmp_path):
    snap = scenario(tmp_path, FIXED)
    _without_lb_enis(snap)
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 0 and any("assumed to be 10.0.1.4" in w for w in out["warnings"]), out
    _task_admits(snap, ["10.0.0.0/16"])  # the whole VPC: every address the node may have
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0


@pytest.mark.parametrize("cidrs, before", [(["10.0.1.0/29", "10.0.2.0/29"], 0), (["10.0.1.128/25", "10.0.2.128/25"], 1)])
def test_an_answer_that_depends_on_the_assumed_node_address_is_undecided(tmp_path, cidrs, before):
    """The task admits only part of the node's subnets: the assumed address (the subnet's first usable, .4) is inside
    the first ranges and outside the second, and AWS may have given the node any other address of the subnet.  The
    answer was REACHABLE (exit 0), or UNREACHABLE with `assert unreachable` passing as a proof (exit 1): both rested on
    the assumed address.  Undecided now, naming it."""
    snap = scenario(tmp_path, FIXED)
    _without_lb_enis(snap)
    _task_admits(snap, cidrs)
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and "lb_node_address" in {m["missing"] for m in out["missing"]}, (before, out)


def test_a_derived_node_in_a_dual_stack_subnet_has_an_ipv4_address(tmp_path):
    """The subnet's IPv6 block came after its IPv4 one in the snapshot, and the node took the IPv6 block's base + 4."""
    snap = scenario(tmp_path, FIXED)
    _without_lb_enis(snap)
    edit(snap, "Subnets", lambda d: [s.update(Ipv6CidrBlockAssociationSet=[
        {"Ipv6CidrBlock": f"2600:1f18:1:{i}::/64", "Ipv6CidrBlockState": {"State": "associated"}}])
        for i, s in enumerate(d["Subnets"])])
    edit(snap, "Vpcs", lambda d: [v.update(Ipv6CidrBlockAssociationSet=[
        {"Ipv6CidrBlock": "2600:1f18:1::/56", "Ipv6CidrBlockState": {"State": "associated"}}]) for v in d["Vpcs"]])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert any("assumed to be 10.0.1.4" in w for w in out["warnings"]), out["warnings"]
    assert not any("2600:" in w for w in out["warnings"] if "assumed" in w)
