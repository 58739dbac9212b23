"""Gateway route tables (rules/gateway_route_tables.dl; VPC user guide, gateway-route-tables.html): a route table
associated with an internet gateway routes what enters the VPC through it.  Its local route changes nothing; a
route to a middlebox's network interface takes the traffic where this version does not follow, so the verdict is
inconclusive (exit 3, UNSUPPORTED_COMPONENT naming the table), never "reachable": for connections from the internet,
and for the replies to connections that ENIs and NAT gateways open to it.  Both engines: the point question
(pyDatalog) and the set questions (DuckDB: ``query --all``, ``audit exposure``)."""

from __future__ import annotations

import json

import pytest
from test_query import REGION, _bastion, _public_ip, answer, edit, query_json, reason, scenario, sg


def _edge_table(snap, *routes: tuple[str, str]) -> None:
    """A gateway route table of igw-0main (its edge association) with the local route and ``routes``
    (destination CIDR, a middlebox's network interface id or a Gateway Load Balancer endpoint's id)."""
    def add(d):
        d["RouteTables"].append({
            "RouteTableId": "rtb-edge", "VpcId": "vpc-0a1b2c3d",
            "Associations": [{"RouteTableAssociationId": "rtbassoc-0edge", "RouteTableId": "rtb-edge",
                              "GatewayId": "igw-0main", "Main": False, "AssociationState": {"State": "associated"}}],
            "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
                       *({"DestinationCidrBlock": c, "State": "active",
                          **({"GatewayId": e} if e.startswith("vpce-") else {"NetworkInterfaceId": e})} for c, e in routes)]})
    edit(snap, "RouteTables", add)


def _exposed_bastion(tmp_path):
    snap = scenario(tmp_path)
    _bastion(snap)  # 10.0.1.50 in subnet-pub-a (10.0.1.0/24), sg-0alb: tcp 80 from anywhere
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    return snap


def _blockers(out) -> set[tuple[str, str]]:
    return {(e["code"], e["component"]) for e in out["explanations"]}


def test_the_import_keeps_the_edge_association(tmp_path):
    snap = _exposed_bastion(tmp_path)
    _edge_table(snap, ("10.0.1.0/24", "eni-0fw"))
    out = tmp_path / "facts"
    r = reason("import", str(snap), "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in (out / "rtb_gateway.jsonl").read_text().splitlines()]
    assert rows == [["rtb-edge", "igw-0main"]]
    assert not (out / "rtb_subnet.jsonl").read_text().count("rtb-edge")  # a gateway's table is no subnet's


@pytest.mark.parametrize("middlebox", ["eni-0fw", "vpce-0gwlb"])
def test_a_connection_from_the_internet_diverted_to_a_middlebox_is_inconclusive(tmp_path, middlebox):
    snap = _exposed_bastion(tmp_path)
    assert query_json(snap, "internet -> bastion tcp 80")[0] == 0  # without the gateway route table
    _edge_table(snap, ("10.0.1.0/24", middlebox))
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and out["verdict"] == "inconclusive", out["explanations"]
    assert ("UNSUPPORTED_COMPONENT", "rtb-edge") in _blockers(out)
    code, out = query_json(snap, "internet -> 54.1.2.3 tcp 80")  # by its public IP: the same
    assert code == 3 and ("UNSUPPORTED_COMPONENT", "rtb-edge") in _blockers(out)


def test_the_local_route_of_a_gateway_route_table_changes_nothing(tmp_path):
    """Only the local route, or a middlebox route for another subnet (the most specific route wins)."""
    snap = _exposed_bastion(tmp_path)
    _edge_table(snap)
    assert query_json(snap, "internet -> bastion tcp 80")[0] == 0
    snap = _exposed_bastion(tmp_path / "other")
    _edge_table(snap, ("10.0.2.0/24", "eni-0fw"))
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 0, out["explanations"]


def test_the_whole_vpc_sent_to_a_middlebox_replaces_the_local_route(tmp_path):
    """"If you change the target of the local route in a gateway route table to a network interface" (the same
    page): every subnet's traffic goes to the appliance."""
    snap = _exposed_bastion(tmp_path)

    def replace_local(d):
        d["RouteTables"].append({
            "RouteTableId": "rtb-edge", "VpcId": "vpc-0a1b2c3d",
            "Associations": [{"RouteTableId": "rtb-edge", "GatewayId": "igw-0main", "Main": False}],
            "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "NetworkInterfaceId": "eni-0fw", "State": "active"}]})
    edit(snap, "RouteTables", replace_local)
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", "rtb-edge") in _blockers(out)


def test_the_reply_to_an_outbound_connection_is_diverted_too(tmp_path):
    snap = _exposed_bastion(tmp_path)
    edit(snap, "SecurityGroups", lambda d: sg(d, "sg-0alb")["IpPermissionsEgress"].append(
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    assert query_json(snap, "bastion -> 8.8.8.8 tcp 443")[0] == 0
    _edge_table(snap, ("10.0.1.0/24", "eni-0fw"))
    code, out = query_json(snap, "bastion -> 8.8.8.8 tcp 443")
    assert code == 3 and out["verdict"] == "inconclusive", out["explanations"]
    assert {(e["code"], e["component"], e["path"]) for e in out["explanations"]} >= {
        ("UNSUPPORTED_COMPONENT", "rtb-edge", "return")}


def _public_nat(snap) -> None:
    """A public NAT gateway in subnet-pub-a (10.0.1.99, Elastic IP 54.9.9.9); the private subnet's route to it."""
    (snap / REGION / "NatGateways.json").write_text(json.dumps({"NatGateways": [
        {"NatGatewayId": "nat-0pub", "SubnetId": "subnet-pub-a", "VpcId": "vpc-0a1b2c3d", "State": "available",
         "ConnectivityType": "public",
         "NatGatewayAddresses": [{"PrivateIp": "10.0.1.99", "PublicIp": "54.9.9.9", "NetworkInterfaceId": "eni-0nat"}]}]}))

    def routes(d):
        for r in d["RouteTables"]:
            if r["RouteTableId"] == "rtb-main":
                r["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0pub", "State": "active"})
    edit(snap, "RouteTables", routes)


@pytest.mark.parametrize("diverted, expected", [("10.0.1.0/24", 3), ("10.0.2.0/24", 0)])
def test_the_reply_to_a_nat_gateway_is_diverted_by_its_address(tmp_path, diverted, expected):
    snap = scenario(tmp_path)
    _public_nat(snap)
    assert query_json(snap, "task-eni -> 8.8.8.8 tcp 443")[0] == 0
    _edge_table(snap, (diverted, "eni-0fw"))
    code, out = query_json(snap, "task-eni -> 8.8.8.8 tcp 443")
    assert code == expected, out["explanations"]
    assert (("UNSUPPORTED_COMPONENT", "rtb-edge") in _blockers(out)) == (expected == 3)


def test_the_set_engine_agrees(tmp_path):
    """``query --all`` and ``audit exposure`` (DuckDB) never list the diverted ENI as reached (``query --all``: not
    decided), and list it again when the table's route goes to another subnet."""
    snap = _exposed_bastion(tmp_path)
    _edge_table(snap, ("10.0.1.0/24", "eni-0fw"))
    r = reason("query", "--all", "--facts", str(snap), "--format", "json", "internet -> * tcp 80")
    assert r.returncode == 3, r.stdout + r.stderr
    out = answer(r.stdout)
    assert "eni-0bastion" not in json.dumps(out["classes"])
    assert {"src_eni": "internet", "dst_eni": "eni-0bastion"} in out["undecided_pairs"]
    r = reason("audit", "exposure", "--facts", str(snap), "--format", "json")
    exposed = {e["eni"] for e in answer(r.stdout)["exposed"]}
    assert "eni-0bastion" not in exposed, r.stdout
    snap = _exposed_bastion(tmp_path / "other")
    _edge_table(snap, ("10.0.2.0/24", "eni-0fw"))
    r = reason("audit", "exposure", "--facts", str(snap), "--format", "json")
    assert "eni-0bastion" in {e["eni"] for e in answer(r.stdout)["exposed"]}, r.stdout


def test_a_gateway_route_table_whose_lookup_is_not_decided_never_passes(tmp_path):
    """A route of the gateway route table to a prefix list whose entries the snapshot lacks: any address may match
    one of them and go to the middlebox, so no route is selected; read as "not diverted", the connection was
    REACHABLE.  It is inconclusive, naming the list."""
    snap = _exposed_bastion(tmp_path)
    _edge_table(snap)
    edit(snap, "RouteTables", lambda d: [t["Routes"].append({"DestinationPrefixListId": "pl-0gone", "NetworkInterfaceId": "eni-0fw",
                                                            "State": "active"})
                                         for t in d["RouteTables"] if t["RouteTableId"] == "rtb-edge"])
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and ("prefix_list", "pl-0gone") in {(m["missing"], m["component"]) for m in out["missing"]}, out
