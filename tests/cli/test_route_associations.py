"""Route table associations caught changing (API_RouteTableAssociationState: associating | associated |
disassociating | disassociated | failed; rules/missing_data.dl ``rtb_changing``).

A snapshot taken while a subnet's association changes does not say which table routes the subnet: the new one,
or the one before it. Read as settled (associating as in effect, disassociating as gone), the answer was decided
by a guess: REACHABLE through a default route the subnet may not have had yet, or UNREACHABLE (an `assert
unreachable` passing) without one it may still have had. Now it is inconclusive (exit 3), naming the table.
"""

from __future__ import annotations

import json

from test_query import FACTS, _bastion, _public_ip, edit, query_json, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def _exposed_bastion(tmp_path):
    snap = scenario(tmp_path)
    _bastion(snap)  # 10.0.1.50 in subnet-pub-a, sg-0alb: tcp 80 from anywhere
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    return snap


def _state(snap, subnet: str, state: str) -> None:
    """The association of ``subnet`` (with rtb-public) in ``state``."""
    edit(snap, "RouteTables", lambda d: [a.update(AssociationState={"State": state}) for t in d["RouteTables"]
                                         for a in t["Associations"] if a.get("SubnetId") == subnet])


def _missing(out) -> set[tuple[str, str]]:
    return {(m["missing"], m["component"]) for m in out["missing"]}


def test_an_association_being_made_is_not_read_as_in_effect(tmp_path):
    """subnet-pub-a associating with rtb-public (0.0.0.0/0 to the internet gateway); before it, the main table,
    which has no route to the internet. It read REACHABLE."""
    snap = _exposed_bastion(tmp_path)
    assert query_json(snap, "internet -> bastion tcp 80")[0] == 0  # associated: the public table routes it
    _state(snap, "subnet-pub-a", "associating")
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and out["verdict"] == "inconclusive", out["explanations"]
    assert ("rtb_association", "rtb-public") in _missing(out)
    assert any("was changing (associating or disassociating)" in m["message"] for m in out["missing"])
    out_dir = tmp_path / "facts"
    assert reason("import", str(snap), "--out", str(out_dir)).returncode == 0
    rows = [json.loads(line) for line in (out_dir / "rtb_association_changing.jsonl").read_text().splitlines()]
    assert rows == [["rtb-public", "subnet-pub-a", "subnet", "associating"]]
    assert "subnet-pub-a" not in (out_dir / "rtb_subnet.jsonl").read_text()


def test_an_association_being_removed_is_no_proof_of_isolation(tmp_path):
    """subnet-pub-a disassociating from rtb-public: it read as gone (the main table, no internet route), and
    `assert unreachable internet -> bastion tcp 80` passed while the public table may still route the subnet."""
    snap = _exposed_bastion(tmp_path)
    _state(snap, "subnet-pub-a", "disassociating")
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and ("rtb_association", "rtb-public") in _missing(out), out
    checks = tmp_path / "isolation.reason"
    checks.write_text("assert unreachable internet -> bastion tcp 80\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "1 inconclusive" in r.stdout, r.stdout
    # gone for good: the main table routes the subnet, and nothing reaches the bastion
    _state(snap, "subnet-pub-a", "disassociated")
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 1 and not _missing(out), out


def test_a_main_table_association_being_changed_leaves_the_subnets_without_their_own_undecided(tmp_path):
    """The task's subnet has no association of its own: the VPC's main table routes it, and the main association
    changing leaves its table undecided. The ALB's subnets, with their own, are decided as before."""
    snap = scenario(tmp_path, FIXED)
    assert query_json(snap, "alb-eni -> task-eni tcp 8000")[0] == 0
    edit(snap, "RouteTables", lambda d: [a.update(AssociationState={"State": "associating"}) for t in d["RouteTables"]
                                         for a in t["Associations"] if a.get("Main")])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 3 and ("rtb_association", "rtb-main") in _missing(out), out
    code, out = query_json(snap, "internet -> alb:web tcp 80")  # the client's leg and the node's: public subnets
    assert ("rtb_association", "rtb-public") not in _missing(out)


def test_an_edge_association_being_made_is_undecided(tmp_path):
    """An internet gateway's gateway route table (gateway-route-tables.html) whose association is changing: whether
    what enters the VPC goes by it is not known."""
    snap = _exposed_bastion(tmp_path)
    edit(snap, "RouteTables", lambda d: d["RouteTables"].append({
        "RouteTableId": "rtb-edge", "VpcId": "vpc-0a1b2c3d",
        "Associations": [{"RouteTableAssociationId": "rtbassoc-0edge", "RouteTableId": "rtb-edge", "GatewayId": "igw-0main",
                          "Main": False, "AssociationState": {"State": "associating"}}],
        "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
                   {"DestinationCidrBlock": "10.0.1.0/24", "NetworkInterfaceId": "eni-0task01", "State": "active"}]}))
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and ("rtb_association", "rtb-edge") in _missing(out), out


def test_a_changing_association_beside_a_settled_one_is_undecided(tmp_path):
    """Found by a probe: subnet-pub-a kept its settled association with rtb-public and gained one with rtb-main being
    made; the settled table answered (REACHABLE by its internet route) and the change was dropped. Either may route
    the subnet: undecided."""
    snap = _exposed_bastion(tmp_path)
    edit(snap, "RouteTables", lambda d: [t["Associations"].append({
        "RouteTableAssociationId": "rtbassoc-0new", "RouteTableId": "rtb-main", "SubnetId": "subnet-pub-a", "Main": False,
        "AssociationState": {"State": "associating"}}) for t in d["RouteTables"] if t["RouteTableId"] == "rtb-main"])
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and ("rtb_association", "rtb-main") in _missing(out), out
