"""ENI -> ENI across VPCs through a transit gateway, end to end through the CLI (rules/transit_gateways.dl).

The shipped example's VPC (the task in subnet-priv-a, us-east-1a) gets a second VPC "spoke" (10.2.0.0/16,
a database ENI in us-east-1a), a transit gateway, one VPC attachment per VPC, one TGW route table both are
associated with and propagate to, and routes to the TGW in both VPCs' route tables.
AWS references: how-transit-gateways-work.html (association, propagation, route evaluation order: most
specific, then static before propagated), tgw-vpc-attachments.html (a subnet in the source's Availability
Zone), tgw-nacls.html (which NACLs apply around the attachment's interfaces).
"""

import json
from pathlib import Path
from typing import Callable

import pytest
from test_query import REGION, drop, edit, query_json, reason, scenario

#: The example's account (its subnets' OwnerId): the spoke VPC's subnets are its too, so their zone names (they carry no
#: AvailabilityZoneId) are comparable with the example's (az-ids.html: zone names are per account)
ACCOUNT = "123456789012"


def _spoke_subnet(sid: str, cidr: str, zone: str) -> dict:
    """A subnet of the spoke VPC, in zone ``zone`` by the example's account's names (no AvailabilityZoneId)."""
    return {"SubnetId": sid, "VpcId": "vpc-0spoke", "CidrBlock": cidr, "AvailabilityZone": zone, "OwnerId": ACCOUNT}


def _write(snap: Path, key: str, items: list) -> None:
    (snap / REGION / f"{key}.json").write_text(json.dumps({key: items}))


def _allow_all(acl: str, vpc: str, subnets: list[str]) -> dict:
    return {"NetworkAclId": acl, "VpcId": vpc, "IsDefault": True, "Associations": [{"SubnetId": s} for s in subnets],
            "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "CidrBlock": "0.0.0.0/0"}
                        for e in (True, False)]}


def _add_tgw(snap: Path, sg_ref: bool = False, spoke_att_subnets: tuple[str, ...] = ("subnet-spoke",),
             hub_att_subnets: tuple[str, ...] = ("subnet-priv-a",), db_ports: tuple[int, int] = (5432, 5432),
             referencing: tuple[str | None, str | None, str | None] = (None, None, None)) -> None:
    """A second VPC joined to the example's VPC by transit gateway tgw-1 (default-like: one table, both
    attachments associated with it and propagating to it).  ``referencing``: SecurityGroupReferencingSupport of
    the transit gateway, the hub attachment and the spoke attachment (None: not in the answer)."""
    edit(snap, "Vpcs", lambda d: d["Vpcs"].append({"VpcId": "vpc-0spoke", "CidrBlock": "10.2.0.0/16"}))
    edit(snap, "Subnets", lambda d: d["Subnets"].extend([
        _spoke_subnet("subnet-spoke", "10.2.1.0/24", "us-east-1a"),
        _spoke_subnet("subnet-spoke-tgw", "10.2.255.0/28", "us-east-1a"),
        _spoke_subnet("subnet-spoke-b", "10.2.2.0/24", "us-east-1b")]))
    lo, hi = db_ports
    ingress = ([{"IpProtocol": "tcp", "FromPort": lo, "ToPort": hi, "UserIdGroupPairs": [{"GroupId": "sg-0task"}]}] if sg_ref
               else [{"IpProtocol": "tcp", "FromPort": lo, "ToPort": hi, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    edit(snap, "SecurityGroups", lambda d: d["SecurityGroups"].append(
        {"GroupId": "sg-0db", "GroupName": "db", "VpcId": "vpc-0spoke", "IpPermissions": ingress, "IpPermissionsEgress": []}))
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].append(
        {"NetworkInterfaceId": "eni-0db", "SubnetId": "subnet-spoke", "VpcId": "vpc-0spoke", "PrivateIpAddress": "10.2.1.5",
         "Status": "in-use", "Groups": [{"GroupId": "sg-0db"}], "TagSet": [{"Key": "Name", "Value": "db"}]}))
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].append(
        _allow_all("acl-spoke", "vpc-0spoke", ["subnet-spoke", "subnet-spoke-tgw", "subnet-spoke-b"])))
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationCidrBlock": "10.2.0.0/16", "TransitGatewayId": "tgw-1",
                                                             "State": "active"}) for r in d["RouteTables"]])
    edit(snap, "RouteTables", lambda d: d["RouteTables"].append(
        {"RouteTableId": "rtb-spoke", "VpcId": "vpc-0spoke", "Associations": [{"Main": True}],
         "Routes": [{"DestinationCidrBlock": "10.2.0.0/16", "GatewayId": "local", "State": "active"},
                    {"DestinationCidrBlock": "10.0.0.0/16", "TransitGatewayId": "tgw-1", "State": "active"}]}))
    tgw_ref, hub_ref, spoke_ref = referencing
    option = lambda value: {} if value is None else {"SecurityGroupReferencingSupport": value}  # noqa: E731
    _write(snap, "TransitGateways", [{"TransitGatewayId": "tgw-1", "State": "available", **(
        {"Options": option(tgw_ref)} if tgw_ref else {}), "Tags": [{"Key": "Name", "Value": "hub"}]}])
    _write(snap, "TransitGatewayVpcAttachments", [
        {"TransitGatewayAttachmentId": "tgw-attach-hub", "TransitGatewayId": "tgw-1", "VpcId": "vpc-0a1b2c3d",
         "State": "available", "SubnetIds": list(hub_att_subnets),
         "Options": {"DnsSupport": "enable", "Ipv6Support": "disable", **option(hub_ref)}},
        {"TransitGatewayAttachmentId": "tgw-attach-spoke", "TransitGatewayId": "tgw-1", "VpcId": "vpc-0spoke",
         "State": "available", "SubnetIds": list(spoke_att_subnets), **({"Options": option(spoke_ref)} if spoke_ref else {})}])
    _write(snap, "TransitGatewayAttachments", [
        {"TransitGatewayAttachmentId": att, "TransitGatewayId": "tgw-1", "ResourceType": "vpc", "ResourceId": vpc,
         "State": "available", "Association": {"TransitGatewayRouteTableId": "tgw-rtb-1", "State": "associated"}}
        for att, vpc in (("tgw-attach-hub", "vpc-0a1b2c3d"), ("tgw-attach-spoke", "vpc-0spoke"))])
    _write(snap, "TransitGatewayRouteTables", [{"TransitGatewayRouteTableId": "tgw-rtb-1", "TransitGatewayId": "tgw-1",
                                                "State": "available"}])
    _write(snap, "TransitGatewayPropagations", [{"TransitGatewayRouteTableId": "tgw-rtb-1",
                                                 "TransitGatewayRouteTablePropagations": [
        {"TransitGatewayAttachmentId": att, "ResourceType": "vpc", "ResourceId": vpc, "State": "enabled"}
        for att, vpc in (("tgw-attach-hub", "vpc-0a1b2c3d"), ("tgw-attach-spoke", "vpc-0spoke"))]}])
    _write(snap, "TransitGatewayStaticRoutes", [{"TransitGatewayRouteTableId": "tgw-rtb-1", "Routes": [],
                                                 "AdditionalRoutesAvailable": False}])
    _write(snap, "VpcPeeringConnections", [])  # not peered (a security-group reference across VPCs reads this answer)


def _codes(out: dict) -> set[tuple[str, str, str]]:
    return {(e["code"], e["component"], e["path"]) for e in out["explanations"]}


def test_reachable_through_the_transit_gateway_both_ways(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 0 and out["reachable"] and not out["explanations"], out["explanations"]
    fwd = next(h for h in out["forward_path"] if h["hop"] == "fwd_route")
    ret = next(h for h in out["return_path"] if h["hop"] == "ret_route")
    # the route hop names the TGW, the TGW route table and both attachments
    assert "tgw-1" in fwd["detail"] and "tgw-rtb-1" in fwd["detail"] and "tgw-attach-hub" in fwd["detail"]
    assert fwd["detail"].endswith("-> tgw-attach-spoke") and ret["detail"].endswith("-> tgw-attach-hub")
    assert query_json(snap, "db -> task-eni tcp 5432")[0] == 1  # the task's SG admits nothing inbound


def test_attachment_without_route_table_association(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "TransitGatewayAttachments", lambda d: [a.pop("Association") for a in d["TransitGatewayAttachments"]
                                                       if a["TransitGatewayAttachmentId"] == "tgw-attach-hub"])
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION", "tgw-attach-hub", "forward")}


def test_static_blackhole_beats_the_propagated_route_for_the_same_prefix(tmp_path):
    """how-transit-gateways-work.html "Route evaluation order": static routes win over propagated ones."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "TransitGatewayStaticRoutes", lambda d: d["TransitGatewayStaticRoutes"][0]["Routes"].append(
        {"DestinationCidrBlock": "10.2.0.0/16", "State": "blackhole", "Type": "static"}))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("TGW_RTB_BAD_STATE_ROUTE", "tgw-rtb-1", "forward")}
    # a more specific active static route to the attachment wins over the blackhole
    edit(snap, "TransitGatewayStaticRoutes", lambda d: d["TransitGatewayStaticRoutes"][0]["Routes"].append(
        {"DestinationCidrBlock": "10.2.1.0/24", "State": "active", "Type": "static",
         "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-spoke", "ResourceType": "vpc"}]}))
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0


@pytest.mark.parametrize("state", ["pending", "deleting"])
def test_a_static_route_caught_changing_is_undecided_not_a_blackhole(tmp_path, state):
    """API_TransitGatewayRoute State: "pending | active | blackhole | deleting | deleted".  A more specific static route
    in transition: whether the gateway already (or still) follows it is not known; it read as a blackhole
    (TGW_RTB_BAD_STATE_ROUTE, UNREACHABLE)."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "TransitGatewayStaticRoutes", lambda d: d["TransitGatewayStaticRoutes"][0]["Routes"].append(
        {"DestinationCidrBlock": "10.2.1.0/24", "State": state, "Type": "static",
         "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-spoke", "ResourceType": "vpc"}]}))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and _codes(out) == {("UNSUPPORTED_COMPONENT", "tgw-rtb-1", "forward")}, out["explanations"]
    assert "was changing" in out["explanations"][0]["message"]


@pytest.mark.parametrize("state", ["pending", "deleting", "deleted"])
def test_a_route_table_not_available_is_undecided_and_says_its_state(tmp_path, state):
    """The table is in the snapshot, in another state than available: undecided (as before), saying so; it was
    described as "not in the snapshot (another account's table, or not collected)"."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "TransitGatewayRouteTables", lambda d: d["TransitGatewayRouteTables"][0].update(State=state))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and {(m["hop"], m["missing"], m["component"]) for m in out["missing"]} == {
        ("fwd_route", "tgw_rtb_state", "tgw-rtb-1"), ("ret_route", "tgw_rtb_state", "tgw-rtb-1")}, out["missing"]
    assert "not in the snapshot" not in json.dumps(out)


def test_destination_vpc_not_propagated_to_the_table(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    def drop_spoke(d):
        table = d["TransitGatewayPropagations"][0]
        table["TransitGatewayRouteTablePropagations"] = [p for p in table["TransitGatewayRouteTablePropagations"]
                                                         if p["TransitGatewayAttachmentId"] != "tgw-attach-spoke"]
    edit(snap, "TransitGatewayPropagations", drop_spoke)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT", "tgw-rtb-1", "forward")}
    assert "10.2.1.5" in out["explanations"][0]["message"]


def test_return_route_to_the_transit_gateway_missing(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "RouteTables", lambda d: [r.update(Routes=[x for x in r["Routes"] if "TransitGatewayId" not in x])
                                         for r in d["RouteTables"] if r["RouteTableId"] == "rtb-spoke"])
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("NO_ROUTE_TO_DESTINATION", "rtb-spoke", "return")}


# -- security group references across the transit gateway: inbound rules, with SecurityGroupReferencingSupport on
# -- the transit gateway (default "disable", API_TransitGatewayOptions) and both VPC attachments
# -- (API_TransitGatewayVpcAttachmentOptions); outbound references never match across a transit gateway

@pytest.mark.parametrize("referencing", [("disable", "enable", "enable"), ("enable", "enable", "disable"),
                                         ("disable", None, None)])
def test_a_security_group_reference_across_the_transit_gateway_does_not_match_when_referencing_is_off(tmp_path, referencing):
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=referencing)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("ENI_SG_RULES_MISMATCH", "sg-0db", "forward"),
                                         ("SG_REFERENCING_SUPPORT", "sg-0db", "forward")}


def test_an_inbound_security_group_reference_matches_across_the_transit_gateway_when_referencing_is_on(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=("enable", "enable", "enable"))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 0, out["explanations"]
    assert any(h["component"] == "sg-0db" and "sg-0task" in h["detail"] for h in out["forward_path"]), out["forward_path"]


@pytest.mark.parametrize("referencing", [(None, None, None), ("enable", "enable", None)])
def test_a_security_group_reference_across_the_transit_gateway_is_undecided_when_the_options_are_not_known(tmp_path,
                                                                                                            referencing):
    """An older answer without the options: the reference may admit the source, so neither a path nor a proof."""
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=referencing)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and out["verdict"] == "inconclusive", out["explanations"]
    assert {(m["hop"], m["missing"], m["component"]) for m in out["missing"]} == {("fwd_sg_ingress", "tgw_sg_ref_option", "tgw-1")}


@pytest.mark.parametrize("zone, code", [("use1-az3", 3), ("use1-az1", 0)])
def test_a_reference_across_the_transit_gateway_through_zone_use1_az3_is_undecided(tmp_path, zone, code):
    """tgw-vpc-attachments.html, Security group referencing, Limitations: "Security group referencing is not supported
    for VPC attachments in the availability zone use1-az3".  The spoke's attachment subnet is in that zone: the
    reference admits nothing there and the hop is undecided (it was REACHABLE through the reference); another zone
    keeps the path."""
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=("enable", "enable", "enable"))
    edit(snap, "Subnets", lambda d: [s.update(AvailabilityZoneId=zone) for s in d["Subnets"] if s["SubnetId"] == "subnet-spoke"])
    got, out = query_json(snap, "task-eni -> db tcp 5432")
    assert got == code, out["explanations"]
    if code == 3:
        assert {(m["hop"], m["missing"], m["component"]) for m in out["missing"]} == {
            ("fwd_sg_ingress", "tgw_sg_ref_zone", "subnet-spoke")}


def test_a_reference_across_the_transit_gateway_to_an_interface_endpoint_is_undecided(tmp_path):
    """tgw-vpc-attachments.html, Security group referencing, Limitations: "Security group referencing is not supported
    for PrivateLink endpoints".  The database ENI is an interface endpoint's, its group admitting the task only by
    reference: undecided (it was REACHABLE); a rule by address admits it whatever the reference does."""
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=("enable", "enable", "enable"))
    _write(snap, "VpcEndpoints", [
        {"VpcEndpointId": "vpce-0svc", "VpcId": "vpc-0spoke", "VpcEndpointType": "Interface", "State": "available",
         "ServiceName": "com.amazonaws.vpce.us-east-1.vpce-svc-0123", "NetworkInterfaceIds": ["eni-0db"],
         "SubnetIds": ["subnet-spoke"], "Groups": [{"GroupId": "sg-0db"}]}])
    got, out = query_json(snap, "task-eni -> db tcp 5432")
    assert got == 3, out["explanations"]
    assert {(m["hop"], m["missing"], m["component"]) for m in out["missing"]} == {
        ("fwd_sg_ingress", "tgw_sg_ref_endpoint", "vpce-0svc")}
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0db"])
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0


def _peer_too(snap: Path) -> None:
    """The two VPCs of ``_add_tgw`` also peered (pcx-1, active, one Region), their routes still to the transit gateway."""
    _write(snap, "VpcPeeringConnections", [
        {"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "active"},
         "RequesterVpcInfo": {"VpcId": "vpc-0a1b2c3d", "Region": "us-east-1"},
         "AccepterVpcInfo": {"VpcId": "vpc-0spoke", "Region": "us-east-1"}}])


@pytest.mark.parametrize("peering", ["none", "peered", "answer missing"])
def test_a_peering_reference_does_not_match_traffic_that_goes_through_the_transit_gateway(tmp_path, peering):
    """A reference to a group of a peered VPC matches traffic over the peering connection (vpc-peering-security-groups.html);
    across a transit gateway only the gateway's own referencing does, which is why its option exists "to migrate from
    VPC peering (which was the only option that supported security group referencing) to transit gateways"
    (API_TransitGatewayVpcAttachmentOptions, SecurityGroupReferencingSupport).  Referencing off on the transit gateway,
    the database's inbound rule naming the task's group, the routes to the transit gateway: SG_REFERENCING_SUPPORT
    (UNREACHABLE) whether the VPCs are also peered or not, and whether the snapshot has the peering answer or not (the
    peered case was REACHABLE, the missing answer INCONCLUSIVE)."""
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=("disable", "enable", "enable"))
    if peering == "peered":
        _peer_too(snap)
    elif peering == "answer missing":
        drop(snap, "VpcPeeringConnections")
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and ("SG_REFERENCING_SUPPORT", "sg-0db", "forward") in _codes(out), out["explanations"]
    assert not out.get("missing"), out["missing"]


def _routes_by_peering(snap: Path, via_list: bool = False) -> None:
    """The hub's and the spoke's routes to each other by pcx-1 instead of the transit gateway; the hub's to a prefix
    list holding the spoke's block when ``via_list`` (pl-spoke: in PrefixLists)."""
    def by_peering(d):
        for r in d["RouteTables"]:
            for route in r["Routes"]:
                if route.get("TransitGatewayId") == "tgw-1":
                    del route["TransitGatewayId"]
                    route["VpcPeeringConnectionId"] = "pcx-1"
                    if via_list and route["DestinationCidrBlock"] == "10.2.0.0/16":
                        del route["DestinationCidrBlock"]
                        route["DestinationPrefixListId"] = "pl-spoke"
    edit(snap, "RouteTables", by_peering)
    if via_list:
        _write(snap, "PrefixLists", [{"PrefixListId": "pl-spoke", "PrefixListName": "spoke", "Cidrs": ["10.2.0.0/16"]}])


def test_a_peering_reference_is_undecided_while_the_route_is(tmp_path):
    """The hub's route to the spoke by a prefix list (REACHABLE through pcx-1, the reference admitting the task); without
    the PrefixLists answer the route is undecided, and so is whether the packet goes over the peering connection, where
    alone the reference matches: INCONCLUSIVE naming both (it was UNREACHABLE, the security group read as blocking; the
    missing-data property found it: seed 1433, "file PrefixLists")."""
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=("disable", "enable", "enable"))
    _peer_too(snap)
    _routes_by_peering(snap, via_list=True)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 0, out["explanations"]
    drop(snap, "PrefixLists")
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    missing = {(m["hop"], m["missing"], m["component"]) for m in out["missing"]}
    assert code == 3 and {("fwd_route", "prefix_list", "pl-spoke"), ("fwd_sg_ingress", "sg_reference_path", "sg-0db")} <= missing, \
        (out["verdict"], out["explanations"], missing)


def test_a_peering_reference_matches_once_the_route_takes_the_peering_connection(tmp_path):
    """The same network, the hub's routes to the spoke by the peering connection instead (and back): the reference
    admits the task (REACHABLE)."""
    snap = scenario(tmp_path)
    _add_tgw(snap, sg_ref=True, referencing=("disable", "enable", "enable"))
    _peer_too(snap)
    _routes_by_peering(snap)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 0, out["explanations"]
    assert "pcx-1" in json.dumps(out["forward_path"]) and "sg-0task" in json.dumps(out["forward_path"])


def test_an_outbound_security_group_reference_never_matches_across_the_transit_gateway(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap, referencing=("enable", "enable", "enable"))
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissionsEgress=[{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                                                           "UserIdGroupPairs": [{"GroupId": "sg-0db"}]}])
                                            for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and ("SG_REFERENCING_SUPPORT", "sg-0task", "forward") in _codes(out)


def test_source_availability_zone_needs_an_attachment_subnet(tmp_path):
    """tgw-vpc-attachments.html: resources in an AZ without an attachment subnet cannot reach the TGW."""
    snap = scenario(tmp_path)
    _add_tgw(snap, hub_att_subnets=("subnet-pub-b",))  # us-east-1b only; the task is in us-east-1a
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and ("TGW_ROUTE_AZ_RESTRICTION", "tgw-attach-hub", "forward") in _codes(out)
    # the blocked hop is drawn as the attachment it is blamed on (it read "route-table tgw-attach-hub")
    assert [(h["kind"], h["component"]) for h in out["forward_path"] if h["detail"] == "BLOCKED"] == [
        ("transit-gateway-attachment", "tgw-attach-hub")]


@pytest.mark.parametrize("cut", ["task", "all"])
def test_a_subnet_described_without_its_zone_leaves_the_attachment_subnet_undecided(tmp_path, cut):
    """DescribeSubnets gives AvailabilityZone and AvailabilityZoneId; a subnet cut of both was in zone "": the task's
    subnet alone cut, a certain TGW_ROUTE_AZ_RESTRICTION (and a proof of isolation); every subnet cut, "" matched ""
    and the path was REACHABLE on zones nobody knows (tgw-vpc-attachments.html: the zone picks the attachment subnet)."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "Subnets", lambda d: [(s.pop("AvailabilityZone", None), s.pop("AvailabilityZoneId", None))
                                     for s in d["Subnets"] if cut == "all" or s["SubnetId"] == "subnet-priv-a"])
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and ("subnet_zone", "subnet-priv-a") in {(m["missing"], m["component"]) for m in out["missing"]}, out


def test_destination_attachment_in_another_zone_is_still_entered(tmp_path):
    """how-transit-gateways-work.html "Availability Zones": no attachment subnet in the source's zone on
    the destination side, so the TGW uses one of the attachment's zones (every one must let it through)."""
    snap = scenario(tmp_path)
    _add_tgw(snap, spoke_att_subnets=("subnet-spoke-b",))
    # the database (us-east-1a) cannot answer: its zone has no subnet of the spoke attachment
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("TGW_ROUTE_AZ_RESTRICTION", "tgw-attach-spoke", "return")}
    # in us-east-1b it can: request and reply each cross zones (1a -> 1b, then 1b -> 1a)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(SubnetId="subnet-spoke-b", PrivateIpAddress="10.2.2.5")
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0db"])
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0


def _entry_elsewhere(snap: Path, db_subnet: str, deny_out_on: tuple[str, ...] = (), deny_in_db: bool = False) -> None:
    """The spoke attachment has subnets in us-east-1b (subnet-spoke-b) and us-east-1c (subnet-spoke-c), none in the
    task's us-east-1a; the database sits in ``db_subnet`` (us-east-1b).  ``deny_out_on``: attachment subnets whose NACL
    (acl-spoke-deny) denies outbound tcp 5432 to the database's subnets; ``deny_in_db``: the database subnet's NACL
    denies inbound from the task's VPC."""
    _add_tgw(snap, spoke_att_subnets=("subnet-spoke-b", "subnet-spoke-c"))
    edit(snap, "Subnets", lambda d: d["Subnets"].extend([
        _spoke_subnet("subnet-spoke-c", "10.2.4.0/24", "us-east-1c"),
        _spoke_subnet("subnet-spoke-b2", "10.2.3.0/24", "us-east-1b")]))
    ip = "10.2.3.5" if db_subnet == "subnet-spoke-b2" else "10.2.2.5"
    edit(snap, "NetworkInterfaces", lambda d: [n.update(SubnetId=db_subnet, PrivateIpAddress=ip)
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0db"])
    allow = [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "CidrBlock": "0.0.0.0/0"} for e in (True, False)]
    deny_out = [{"RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": True, "CidrBlock": "10.2.2.0/23",
                 "PortRange": {"From": 5432, "To": 5432}}]
    deny_in = [{"RuleNumber": 90, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.0.0/16"}]
    subnets = {"subnet-spoke", "subnet-spoke-tgw", "subnet-spoke-b", "subnet-spoke-b2", "subnet-spoke-c"}
    special = set(deny_out_on) | ({db_subnet} if deny_in_db else set())
    edit(snap, "NetworkAcls", lambda d: [a.update(Associations=[{"SubnetId": s} for s in sorted(subnets - special)])
                                         for a in d["NetworkAcls"] if a["NetworkAclId"] == "acl-spoke"])
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].extend(
        [_acl(f"acl-{s}", "vpc-0spoke", [s], (deny_out if s in deny_out_on else []) + (deny_in if deny_in_db and s == db_subnet
                                                                                      else []) + allow)
         for s in sorted(special)]))


def _audit_pairs(snap: Path) -> tuple[int, dict]:
    r = reason("audit", "pairs", "--facts", str(snap), "--by", "vpc", "--format", "json", "tcp", "5432")
    assert r.returncode in (0, 1, 3), r.stderr
    return r.returncode, json.loads(r.stdout)


def _pairs(rows: list[dict]) -> set[tuple[str, str]]:
    return {(r["from"], r["to"]) for r in rows}


@pytest.mark.parametrize("case", ["acl", "own_subnet"])
def test_entry_subnets_in_other_zones_that_disagree_leave_the_path_undecided(tmp_path, case):
    """how-transit-gateways-work.html "Availability Zones": the destination attachment has no subnet in the sender's
    zone, so the gateway enters by one of its subnets in other zones; AWS does not say which.  "acl": one candidate's
    NACL denies outbound to the database (tgw-nacls.html), the other admits it; "own_subnet": one candidate is the
    database's own subnet, where neither rule set of its NACL is evaluated (tgw-nacls.html), and through the other
    that NACL denies inbound.  Some entry subnet lets the traffic through and another refuses it: INCONCLUSIVE, naming
    the attachment and its zones (it was a certain UNREACHABLE: `assert unreachable` passed and `audit pairs` dropped
    the pair instead of listing it undecided)."""
    snap = scenario(tmp_path)
    if case == "acl":
        _entry_elsewhere(snap, "subnet-spoke-b2", deny_out_on=("subnet-spoke-c",))
        hop = "fwd_route"
    else:
        _entry_elsewhere(snap, "subnet-spoke-b", deny_in_db=True)
        hop = "fwd_nacl_in"
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and out["verdict"] == "inconclusive", (code, out["explanations"])
    missing = next(m for m in out["missing"] if m["missing"] == "tgw_entry_subnet")
    assert (missing["hop"], missing["component"]) == (hop, "tgw-attach-spoke"), out["missing"]
    assert "us-east-1b" in missing["message"] and "us-east-1c" in missing["message"], missing["message"]
    assert not any(e["code"] == "SUBNET_ACL_RESTRICTION" for e in out["explanations"]), out["explanations"]
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable task-eni -> db tcp 5432\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "0/1 assertions hold; 1 inconclusive" in r.stdout, r.stdout
    # the set engine agrees: the pair is undecided, neither connected nor dropped
    code, doc = _audit_pairs(snap)
    assert ("vpc-0a1b2c3d", "vpc-0spoke") in _pairs(doc["undecided"]), doc
    assert ("vpc-0a1b2c3d", "vpc-0spoke") not in _pairs(doc["cells"]), doc


def test_entry_subnets_in_other_zones_that_all_refuse_block_for_certain(tmp_path):
    """The control: every subnet the gateway may enter by refuses (their NACL denies outbound to the database), so
    whichever it uses the traffic is blocked: UNREACHABLE, a proof of isolation, and no undecided pair."""
    snap = scenario(tmp_path)
    _entry_elsewhere(snap, "subnet-spoke-b2", deny_out_on=("subnet-spoke-b", "subnet-spoke-c"))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and ("SUBNET_ACL_RESTRICTION", "acl-subnet-spoke-b", "forward") in _codes(out), out["explanations"]
    assert not out["missing"], out["missing"]
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable task-eni -> db tcp 5432\n")
    assert reason("verify", "--facts", str(snap), str(checks)).returncode == 0
    code, doc = _audit_pairs(snap)
    pair = ("vpc-0a1b2c3d", "vpc-0spoke")
    assert pair not in _pairs(doc["undecided"]) and pair not in _pairs(doc["cells"]), doc
    # and every candidate admitting it: reachable, both engines
    snap2 = scenario(tmp_path / "open")
    _entry_elsewhere(snap2, "subnet-spoke-b2")
    assert query_json(snap2, "task-eni -> db tcp 5432")[0] == 0
    assert ("vpc-0a1b2c3d", "vpc-0spoke") in _pairs(_audit_pairs(snap2)[1]["cells"])


def _spoke_owner(snap: Path, owner: str | None) -> None:
    """The spoke VPC's subnets owned by ``owner`` (None: no OwnerId), still named only (no AvailabilityZoneId)."""
    edit(snap, "Subnets", lambda d: [s.update(OwnerId=owner) if owner else s.pop("OwnerId", None)
                                     for s in d["Subnets"] if s["VpcId"] == "vpc-0spoke"])


def _two_zone_spoke(snap: Path, deny_on: str, owner: str | None, port: int = 5432) -> None:
    """The spoke attachment in subnet-spoke-tgw (us-east-1a, the task's zone name and the database's) and
    subnet-spoke-b (us-east-1b); ``deny_on``'s NACL denies outbound tcp ``port`` to the database's subnet, the other
    admits it.  The spoke's subnets are ``owner``'s (_spoke_owner)."""
    _add_tgw(snap, spoke_att_subnets=("subnet-spoke-tgw", "subnet-spoke-b"))
    _spoke_owner(snap, owner)
    allow = [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "CidrBlock": "0.0.0.0/0"} for e in (True, False)]
    deny = {"RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": True, "CidrBlock": "10.2.1.0/24",
            "PortRange": {"From": port, "To": port}}
    edit(snap, "NetworkAcls", lambda d: [a.update(Associations=[x for x in a["Associations"] if x["SubnetId"] != deny_on])
                                         for a in d["NetworkAcls"] if a["NetworkAclId"] == "acl-spoke"])
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].append(_acl("acl-deny", "vpc-0spoke", [deny_on], [deny] + allow)))


@pytest.mark.parametrize("deny_on, same_account", [("subnet-spoke-b", 0), ("subnet-spoke-tgw", 1)])
@pytest.mark.parametrize("owner", ["999999999999", None, ACCOUNT])
def test_zone_names_of_two_accounts_do_not_choose_the_attachment_subnet(tmp_path, deny_on, same_account, owner):
    """Zone names are mapped to zones per account: "the us-east-1a for your AWS account might not be the same physical
    location as the us-east-1a for another AWS account ... To coordinate Availability Zones across accounts ..., use
    the AZ IDs" (https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html).  The spoke's subnets
    carry no AvailabilityZoneId; named by the example's account (``ACCOUNT``, the task's subnet's owner), us-east-1a
    picks subnet-spoke-tgw (how-transit-gateways-work.html, Availability Zones) and the answer is certain.  Named by
    another account (999999999999) or an unknown one (no OwnerId), its us-east-1a may be another zone than the task's,
    so the gateway may leave by subnet-spoke-b: the two disagree, INCONCLUSIVE naming the subnets and their names'
    accounts (tgw_zone_accounts); it was that certain answer: REACHABLE through the admitting subnet-spoke-tgw, or
    UNREACHABLE (a proof of isolation) through the denying one."""
    snap = scenario(tmp_path)
    _two_zone_spoke(snap, deny_on, owner)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    if owner == ACCOUNT:
        assert code == same_account and not out["missing"], (code, out["explanations"], out["missing"])
        return
    assert code == 3, (code, out["explanations"])
    missing = {(m["hop"], m["missing"], m["component"]): m["message"] for m in out["missing"]}
    # (no owner: the reply's way into the gateway, from the database's subnet, rests on names of no known account too)
    assert {k for k in missing if k[1] == "tgw_zone_accounts"} == {
        (hop, "tgw_zone_accounts", sub) for sub in ("subnet-spoke-tgw", "subnet-spoke-b")
        for hop in (("fwd_route",) if owner else ("fwd_route", "ret_route"))}, missing
    assert not any(k[1] == "tgw_entry_subnet" and k[0] == "fwd_route" for k in missing), missing  # (its zone may have one)
    text = missing["fwd_route", "tgw_zone_accounts", "subnet-spoke-tgw"]
    assert ("us-east-1a to account 999999999999" if owner else "no account is known to give") in text, text
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable task-eni -> db tcp 5432\nassert reachable task-eni -> db tcp 5432\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "0/2 assertions hold; 2 inconclusive" in r.stdout, r.stdout
    code, doc = _audit_pairs(snap)  # the set engine: the pair undecided
    assert ("vpc-0a1b2c3d", "vpc-0spoke") in _pairs(doc["undecided"]), doc


@pytest.mark.parametrize("owner, code", [("keep", 1), ("drop", 3)])
def test_the_way_into_the_gateway_by_zone_names_needs_one_account_to_give_both(tmp_path, owner, code):
    """The hub's attachment only in subnet-pub-b (us-east-1b), the task in subnet-priv-a (us-east-1a), both named only
    (AvailabilityZoneId cut): by one account's names no attachment subnet is in the task's zone, a certain
    TGW_ROUTE_AZ_RESTRICTION (tgw-vpc-attachments.html); with the subnets' owner not given (no OwnerId, no account
    folder) whose names they are is not known (az-ids.html: per account), and it was the same certain block: now
    INCONCLUSIVE (tgw_zone_accounts)."""
    snap = scenario(tmp_path)
    _add_tgw(snap, hub_att_subnets=("subnet-pub-b",))
    edit(snap, "Subnets", lambda d: [(s.pop("AvailabilityZoneId", None), owner == "drop" and s.pop("OwnerId", None))
                                     for s in d["Subnets"] if s["VpcId"] == "vpc-0a1b2c3d"])
    got, out = query_json(snap, "task-eni -> db tcp 5432")
    assert got == code, (got, out["explanations"], out["missing"])
    if code == 1:
        assert ("TGW_ROUTE_AZ_RESTRICTION", "tgw-attach-hub", "forward") in _codes(out) and not out["missing"], out
    else:
        assert ("fwd_route", "tgw_zone_accounts", "subnet-pub-b") in {(m["hop"], m["missing"], m["component"])
                                                                      for m in out["missing"]}, out["missing"]
        assert not any(e["code"] == "TGW_ROUTE_AZ_RESTRICTION" for e in out["explanations"]), out["explanations"]


@pytest.mark.parametrize("target", [{"NetworkInterfaceId": "eni-0fw"}, {"GatewayId": "vpce-0gwlb"},
                                    {"NatGatewayId": "nat-0private"}])
def test_an_appliance_route_in_the_attachment_subnet_is_refused_not_a_block(tmp_path, target):
    """Inspection in the spoke VPC: the attachment subnet's own table sends the database's subnet to a firewall's
    network interface, a Gateway Load Balancer endpoint or a NAT gateway (tgw-vpc-attachments.html: traffic reaches
    other subnets of the zone only "if the transit gateway attachment subnets have appropriate routes configured in
    their route tables pointing to the target subnets"; gateway-route-tables.html: a route more specific than local
    may target "a network interface or a Gateway Load Balancer endpoint").  The appliance forwards the traffic on,
    which is not modelled: inconclusive both ways, and no proof of isolation (it was a certain MORE_SPECIFIC_ROUTE
    block, and `assert unreachable ... any` passed)."""
    snap = scenario(tmp_path)
    _add_tgw(snap, spoke_att_subnets=("subnet-spoke-tgw",))
    edit(snap, "RouteTables", lambda d: d["RouteTables"].append(
        {"RouteTableId": "rtb-spoke-tgw", "VpcId": "vpc-0spoke",
         "Associations": [{"SubnetId": "subnet-spoke-tgw", "Main": False}],
         "Routes": [{"DestinationCidrBlock": "10.2.0.0/16", "GatewayId": "local", "State": "active"},
                    {"DestinationCidrBlock": "10.2.1.0/24", "State": "active", **target}]}))
    component = next(iter(target.values()))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", component, "forward") in _codes(out), out["explanations"]
    assert "where the transit gateway leaves the traffic" in next(
        e["message"] for e in out["explanations"] if e["code"] == "UNSUPPORTED_COMPONENT")
    code, out = query_json(snap, "db -> task-eni tcp 5432")  # the reply to the database comes in the same way
    assert code in (1, 3) and ("UNSUPPORTED_COMPONENT", component, "return") in _codes(out) or code == 1, out
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable task-eni -> db any\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "0/1 assertions hold; 1 inconclusive" in r.stdout, r.stdout
    # the subnet's local route delivers (the appliance route gone): reachable again
    edit(snap, "RouteTables", lambda d: [t["Routes"].pop() for t in d["RouteTables"] if t["RouteTableId"] == "rtb-spoke-tgw"])
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0


def _acl(acl: str, vpc: str, subnets: list[str], entries: list[dict]) -> dict:
    return {"NetworkAclId": acl, "VpcId": vpc, "IsDefault": False, "Associations": [{"SubnetId": s} for s in subnets],
            "Entries": entries}


def _attachment_acl_denying_the_task(tmp_path):
    """The hub's attachment in subnet-pub-a (the task's AZ, another subnet), whose NACL acl-tgw denies everything
    inbound from the task's subnet 10.0.11.0/24 and admits the rest."""
    snap = scenario(tmp_path)
    _add_tgw(snap, hub_att_subnets=("subnet-pub-a",))  # same AZ as the task, another subnet and NACL
    edit(snap, "NetworkAcls", lambda d: [a.update(Associations=[x for x in a["Associations"] if x["SubnetId"] != "subnet-pub-a"])
                                         for a in d["NetworkAcls"]])
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].append(_acl("acl-tgw", "vpc-0a1b2c3d", ["subnet-pub-a"], [
        {"RuleNumber": 90, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.11.0/24"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"}])))
    return snap


def test_attachment_subnet_nacl_applies_inbound_towards_the_gateway(tmp_path):
    """tgw-nacls.html: the attachment subnet's NACL checks traffic from the instances by its source address."""
    snap = _attachment_acl_denying_the_task(tmp_path)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("SUBNET_ACL_RESTRICTION", "acl-tgw", "forward")}


def test_attachment_subnet_nacl_refusing_inbound_is_reported_as_ingress_from_the_source(tmp_path):
    """tgw-nacls.html: "Inbound rules use the source IP address to evaluate traffic from the instances to the transit
    gateway" (and outbound rules are not used for it): the refusing rule is inbound, on the source's address.  It was
    reported as egress "to or from" the destination, sending the reader to rules AWS never evaluates there."""
    snap = _attachment_acl_denying_the_task(tmp_path)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    src = out["packet"]["src_ip"]
    e = next(e for e in out["explanations"] if e["component"] == "acl-tgw")
    assert code == 1 and e["direction"] == "ingress" and f"from {src}" in e["message"] and "10.2.1.5" not in e["message"], e
    assert [(h["component"], h["direction"]) for h in out["forward_path"] if h["detail"] == "BLOCKED"] == [("acl-tgw", "ingress")]
    # the outbound case (the destination attachment's subnet, towards the destination) stays egress
    snap2 = scenario(tmp_path / "out")
    _entry_elsewhere(snap2, "subnet-spoke-b2", deny_out_on=("subnet-spoke-b", "subnet-spoke-c"))
    code, out = query_json(snap2, "task-eni -> db tcp 5432")
    assert code == 1 and {e["direction"] for e in out["explanations"] if e["component"].startswith("acl-subnet-spoke")} == {"egress"}


def test_attachment_subnet_nacl_outbound_cuts_the_port_space(tmp_path):
    """The spoke attachment's own subnet NACL (outbound towards the database) admits only 5500-5600: the
    analyzer must cut the queried ports at its bounds, or it would miss the open piece."""
    snap = scenario(tmp_path)
    _add_tgw(snap, spoke_att_subnets=("subnet-spoke-tgw",), db_ports=(5000, 6000))
    edit(snap, "NetworkAcls", lambda d: [a.update(Associations=[x for x in a["Associations"]
                                                                if x["SubnetId"] != "subnet-spoke-tgw"])
                                         for a in d["NetworkAcls"]])
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].append(_acl("acl-spoke-tgw", "vpc-0spoke", ["subnet-spoke-tgw"], [
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "10.2.1.0/24",
         "PortRange": {"From": 5500, "To": 5600}},
        {"RuleNumber": 110, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "10.0.0.0/16",
         "PortRange": {"From": 1024, "To": 65535}}])))
    code, out = query_json(snap, "task-eni -> db tcp 5000-6000")
    assert code == 0 and 5500 <= out["packet"]["dst_port"] <= 5600
    code, out = query_json(snap, "task-eni -> db tcp 5000-5499")
    assert code == 1 and _codes(out) == {("SUBNET_ACL_RESTRICTION", "acl-spoke-tgw", "forward")}


def test_destination_subnet_nacl_is_skipped_when_the_attachment_is_in_it(tmp_path):
    """tgw-nacls.html, same subnet: from the transit gateway to the instances neither direction of the NACL
    is evaluated; from the instances to the gateway both are."""
    snap = scenario(tmp_path)
    _add_tgw(snap)  # the spoke attachment sits in the database's own subnet
    edit(snap, "NetworkAcls", lambda d: [a.update(Entries=[
        {"RuleNumber": 90, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.0.0/16"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"}])
        for a in d["NetworkAcls"] if a["NetworkAclId"] == "acl-spoke"])
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 0 and "not evaluated" in next(h["detail"] for h in out["forward_path"] if h["hop"] == "fwd_nacl_in")
    # the reply, from the database to the gateway, is checked inbound by its source address: deny it
    edit(snap, "NetworkAcls", lambda d: [a["Entries"].insert(0, {"RuleNumber": 80, "Protocol": "-1", "RuleAction": "deny",
                                                                  "Egress": False, "CidrBlock": "10.2.1.5/32"})
                                         for a in d["NetworkAcls"] if a["NetworkAclId"] == "acl-spoke"])
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and _codes(out) == {("SUBNET_ACL_RESTRICTION", "acl-spoke", "return")}


@pytest.mark.parametrize("missing", ["TransitGatewayRouteTables", "RouteTables"])
def test_a_skipped_destination_nacl_is_not_a_blocker_while_the_path_is_undecided(tmp_path, missing):
    """The database's subnet NACL denies the task's VPC, but the transit gateway delivers from within that subnet, so
    it is not crossed (REACHABLE). Without the gateway's route tables, or the VPC route tables that lead to the
    gateway, where (and whether) the gateway delivers is not known, and so is the NACL's part: INCONCLUSIVE (it was
    UNREACHABLE, SUBNET_ACL_RESTRICTION: the NACL read as crossed, on data the snapshot lacks)."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "NetworkAcls", lambda d: [a.update(Entries=[
        {"RuleNumber": 90, "Protocol": "-1", "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.0.0/16"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"}])
        for a in d["NetworkAcls"] if a["NetworkAclId"] == "acl-spoke"])
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0
    drop(snap, missing)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and ("fwd_nacl_in", "tgw_delivery", "tgw-1") in {(m["hop"], m["missing"], m["component"]) for m in out["missing"]}
    assert not any(e["code"] == "SUBNET_ACL_RESTRICTION" for e in out["explanations"])


def test_routes_learned_from_a_vpn_attachment_are_refused_unless_collected(tmp_path):
    """A VPN attachment propagating to the table may add more specific routes (BGP) that a Batfish-style
    snapshot does not hold: no path is claimed. With the propagated routes collected, they are known."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "TransitGatewayPropagations", lambda d: d["TransitGatewayPropagations"][0][
        "TransitGatewayRouteTablePropagations"].append(
        {"TransitGatewayAttachmentId": "tgw-attach-vpn", "ResourceType": "vpn", "ResourceId": "vpn-1", "State": "enabled"}))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", "tgw-attach-vpn", "forward") in _codes(out)
    _write(snap, "TransitGatewayPropagatedRoutes", [{"TransitGatewayRouteTableId": "tgw-rtb-1", "Routes": [
        {"DestinationCidrBlock": cidr, "State": "active", "Type": "propagated",
         "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": att, "ResourceType": kind}]}
        for cidr, att, kind in (("10.0.0.0/16", "tgw-attach-hub", "vpc"), ("10.2.0.0/16", "tgw-attach-spoke", "vpc"),
                                ("192.168.0.0/16", "tgw-attach-vpn", "vpn"))]}])
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0
    # a more specific route learned from the VPN takes the traffic: refused, never a guessed path
    edit(snap, "TransitGatewayPropagatedRoutes", lambda d: d["TransitGatewayPropagatedRoutes"][0]["Routes"].append(
        {"DestinationCidrBlock": "10.2.1.0/24", "State": "active", "Type": "propagated",
         "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-vpn", "ResourceType": "vpn"}]}))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and _codes(out) == {("UNSUPPORTED_COMPONENT", "tgw-attach-vpn", "forward")}


def test_appliance_mode_is_refused(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "TransitGatewayVpcAttachments", lambda d: d["TransitGatewayVpcAttachments"][1]["Options"].update(
        ApplianceModeSupport="enable") if "Options" in d["TransitGatewayVpcAttachments"][1]
        else d["TransitGatewayVpcAttachments"][1].update(Options={"ApplianceModeSupport": "enable"}))
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", "tgw-attach-spoke", "forward") in _codes(out)


def test_route_to_a_transit_gateway_towards_the_internet_stays_unsupported(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1",
                                                             "State": "active"})
                                         for r in d["RouteTables"] if r["RouteTableId"] == "rtb-main"])
    code, out = query_json(snap, "task-eni -> 8.8.8.8 tcp 443")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", "tgw-1", "forward") in _codes(out)
    # the reply is drawn coming back by the transit gateway, not by an internet gateway's 1:1 NAT of a public address
    # the task does not have
    back = [(h["kind"], h["component"]) for h in out["return_path"] if h["hop"] == "ret_route"]
    assert back == [("transit-gateway", "tgw-1")], out["return_path"]


def _associations_answer(entries: list) -> Callable[[Path], None]:
    """TransitGatewayAttachments not collected (it gives each attachment's association); the per-table association
    answers ``entries`` instead."""
    def change(snap: Path) -> None:
        drop(snap, "TransitGatewayAttachments", missing_ok=True)  # (the test asks twice)
        _write(snap, "TransitGatewayRouteTableAssociations", entries)
    return change


def _spoke_attachment_subnet_missing(snap: Path) -> None:
    """The spoke attachment in subnet-spoke-tgw (us-east-1a, the zone of both ENIs) and subnet-spoke-b (us-east-1b);
    Subnets lacks subnet-spoke-tgw: the reply from the database (us-east-1a) enters by a subnet of unknown zone."""
    edit(snap, "TransitGatewayVpcAttachments", lambda d: [a.update(SubnetIds=["subnet-spoke-tgw", "subnet-spoke-b"])
                                                          for a in d["TransitGatewayVpcAttachments"]
                                                          if a["TransitGatewayAttachmentId"] == "tgw-attach-spoke"])
    edit(snap, "Subnets", lambda d: d.update(Subnets=[x for x in d["Subnets"] if x["SubnetId"] != "subnet-spoke-tgw"]))


_BOTH = [{"TransitGatewayAttachmentId": a, "ResourceType": "vpc", "State": "associated"} for a in ("tgw-attach-hub", "tgw-attach-spoke")]


@pytest.mark.parametrize("change, missing", [
    (lambda s: drop(s, "TransitGatewayAttachments"), ("tgw_association", "tgw-attach-hub")),
    (_associations_answer([]), ("tgw_association", "tgw-attach-hub")),
    (_associations_answer([{"TransitGatewayRouteTableId": "tgw-rtb-other", "Associations": []}]), ("tgw_association", "tgw-attach-hub")),
    (lambda s: drop(s, "TransitGatewayPropagations"), ("tgw_propagations", "tgw-rtb-1")),
    (lambda s: _write(s, "TransitGatewayPropagations", []), ("tgw_propagations", "tgw-rtb-1")),
    (lambda s: drop(s, "TransitGatewayVpcAttachments"), ("describe_key", "TransitGatewayVpcAttachments")),
    (lambda s: edit(s, "TransitGatewayVpcAttachments", lambda d: d.update(TransitGatewayVpcAttachments=[
        a for a in d["TransitGatewayVpcAttachments"] if a["TransitGatewayAttachmentId"] != "tgw-attach-hub"])),
     ("tgw_vpc_attachment", "tgw-attach-hub")),
    (lambda s: _spoke_attachment_subnet_missing(s), ("subnet", "subnet-spoke-tgw")),
    (lambda s: edit(s, "Subnets", lambda d: d.update(Subnets=[x for x in d["Subnets"] if x["SubnetId"] != "subnet-priv-a"])),
     ("subnet", "subnet-priv-a")),
    (lambda s: drop(s, "TransitGatewayStaticRoutes"), ("tgw_routes", "tgw-rtb-1")),
    (lambda s: drop(s, "TransitGatewayRouteTables"), ("tgw_routes", "tgw-rtb-1")),
], ids=["attachments not collected", "no association answer", "another table's answer only", "propagations not collected",
        "no propagation answer", "VPC attachments not collected", "the hub's VPC attachment missing",
        "an attachment subnet missing", "the sender's subnet missing", "static routes not collected",
        "route tables not collected"])
def test_transit_gateway_data_the_snapshot_lacks_leaves_the_path_undecided(tmp_path, change, missing):
    """Which table an attachment uses (DescribeTransitGatewayAttachments' Association, or every table's
    GetTransitGatewayRouteTableAssociations), which attachments propagate to a table
    (GetTransitGatewayRouteTablePropagations) and which subnets a VPC attachment has
    (DescribeTransitGatewayVpcAttachments), and the zones of the subnets that choose the attachment's subnet
    (tgw-vpc-attachments.html; DescribeSubnets) are data: without them the path through the gateway is INCONCLUSIVE,
    not UNREACHABLE (TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION, TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT,
    BAD_STATE_ATTACHMENT and TGW_ROUTE_AZ_RESTRICTION before: `assert unreachable` passed on them)."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    change(snap)
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 3 and missing in {(m["missing"], m["component"]) for m in out["missing"]}, (out["verdict"], out["missing"])
    assert {e["code"] for e in out["explanations"]} <= {"UNSUPPORTED_COMPONENT", "TGW_RTB_ROUTES_ARE_UNKNOWN"}  # (undecided codes)


def test_the_text_answer_does_not_call_an_undecided_hop_a_blocker(tmp_path):
    """Without the table's static routes nothing blocks the packet: its code (TGW_RTB_ROUTES_ARE_UNKNOWN) says where the
    path is undecided, under that heading, not under "Blocked by"."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    drop(snap, "TransitGatewayStaticRoutes")
    r = reason("query", "--facts", str(snap), "task-eni -> db tcp 5432")
    assert r.returncode == 3 and "Undecided at:\n  TGW_RTB_ROUTES_ARE_UNKNOWN tgw-rtb-1" in r.stdout, r.stdout
    assert "Blocked by" not in r.stdout


def test_verify_names_what_is_missing_once(tmp_path):
    """`reason verify` of an isolation assertion over a path whose route table lacks its propagations: not a proof
    (exit 3), and the missing answer said once, though both route hops (request and reply) depend on it."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    drop(snap, "TransitGatewayPropagations")
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable task-eni -> db tcp 5432\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "0/1 assertions hold; 1 inconclusive" in r.stdout
    assert r.stdout.count("the propagations to transit gateway route table tgw-rtb-1 are not in the snapshot") == 1


def test_a_complete_association_answer_decides_without_the_attachments_answer(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    _associations_answer([{"TransitGatewayRouteTableId": "tgw-rtb-1", "Associations": _BOTH}])(snap)
    assert query_json(snap, "task-eni -> db tcp 5432")[0] == 0
    _associations_answer([{"TransitGatewayRouteTableId": "tgw-rtb-1", "Associations": _BOTH[1:]}])(snap)  # the hub's is not there
    code, out = query_json(snap, "task-eni -> db tcp 5432")
    assert code == 1 and ("TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION", "tgw-attach-hub", "forward") in _codes(out)


def test_import_keeps_the_transit_gateway_keys_modelled(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    from reasoner.facts.importer import import_aws_configs
    s = import_aws_configs(snap)
    assert not {u["key"] for u in s.manifest["unmodelled"]} & {"TransitGateways", "TransitGatewayAttachments",
                                                               "TransitGatewayVpcAttachments", "TransitGatewayRouteTables",
                                                               "TransitGatewayPropagations", "TransitGatewayStaticRoutes"}
    assert ("tgw-attach-hub", "tgw-rtb-1", "associated") in s.relations["tgw_association"]
    assert s.relations["tgw_routes_collected"] == [("tgw-rtb-1", "static")] and s.names["tgw-1"] == "hub"


def _dual_stack(snap: Path, hub_ipv6: str | None, spoke_ipv6: str | None) -> None:
    """Both VPCs of _add_tgw get an IPv6 block (hub 2600:1::/56, spoke 2600:2::/56), the task and the database an
    IPv6 address, routes to each other's block through tgw-1, NACL and SG entries for ::/0; the attachments'
    Ipv6Support option is ``hub_ipv6`` / ``spoke_ipv6`` (None: not in the snapshot)."""
    blocks = {"vpc-0a1b2c3d": "2600:1::/56", "vpc-0spoke": "2600:2::/56"}
    other = {"vpc-0a1b2c3d": "2600:2::/56", "vpc-0spoke": "2600:1::/56"}
    edit(snap, "Vpcs", lambda d: [v.update(Ipv6CidrBlockAssociationSet=[
        {"Ipv6CidrBlock": blocks[v["VpcId"]], "Ipv6CidrBlockState": {"State": "associated"}}]) for v in d["Vpcs"]])
    addr = {"eni-0task01": "2600:1::20", "eni-0db": "2600:2::5"}
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Ipv6Addresses=[{"Ipv6Address": addr[n["NetworkInterfaceId"]]}])
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] in addr])
    edit(snap, "SecurityGroups", lambda d: [g[k].append({"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
                                            for g in d["SecurityGroups"] if g["GroupId"] in ("sg-0task", "sg-0db")
                                            for k in ("IpPermissions", "IpPermissionsEgress")])
    edit(snap, "NetworkAcls", lambda d: [a["Entries"].append({"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow",
                                                              "Egress": e, "Ipv6CidrBlock": "::/0"})
                                         for a in d["NetworkAcls"] for e in (True, False)
                                         if not any(x["RuleNumber"] == 101 and x["Egress"] == e for x in a["Entries"])])  # (once)
    edit(snap, "RouteTables", lambda d: [r["Routes"].extend([
        {"DestinationIpv6CidrBlock": blocks[r["VpcId"]], "GatewayId": "local", "State": "active"},
        {"DestinationIpv6CidrBlock": other[r["VpcId"]], "TransitGatewayId": "tgw-1", "State": "active"}]) for r in d["RouteTables"]])

    def options(d):
        for a in d["TransitGatewayVpcAttachments"]:
            value = hub_ipv6 if a["TransitGatewayAttachmentId"] == "tgw-attach-hub" else spoke_ipv6
            a["Options"] = {"Ipv6Support": value} if value else {}
    edit(snap, "TransitGatewayVpcAttachments", options)


def test_ipv6_crosses_the_transit_gateway_only_where_attachments_support_it(tmp_path):
    """API_CreateTransitGatewayVpcAttachmentRequestOptions, Ipv6Support: "When disabled, the network interface does not
    receive an IPv6 address, and IPv6 routes do not propagate. The setting does not filter IPv6 traffic."  So with the
    hub's option off its IPv6 block is not propagated (the reply finds no route back: certain), and a static route
    across it leaves the leg undecided; it was a certain TGW_ATTACHMENT_IPV6_DISABLED block, a proof of isolation
    where AWS says nothing is filtered."""
    snap = scenario(tmp_path)
    _add_tgw(snap)
    _dual_stack(snap, "enable", "enable")
    code, out = query_json(snap, "task-eni -> db tcp 5432 ipv6")
    assert code == 0 and out["packet"]["family"] == "ipv6" and out["packet"]["dst_ip"] == "2600:2::5"
    _dual_stack(snap, "disable", "enable")
    code, out = query_json(snap, "task-eni -> db tcp 5432 ipv6")
    assert code == 1 and ("TGW_RTB_NO_ROUTE_TO_TGW_ATTACHMENT", "tgw-rtb-1", "return") in _codes(out), _codes(out)
    code, out = query_json(snap, "task-eni -> db tcp 5432 ipv4")  # IPv4 is not concerned
    assert code == 0
    # a static route to the hub's IPv6 block: the legs across the hub's attachment are undecided, never blocked
    edit(snap, "TransitGatewayStaticRoutes", lambda d: d["TransitGatewayStaticRoutes"][0]["Routes"].append(
        {"DestinationCidrBlock": "2600:1::/56", "Type": "static", "State": "active",
         "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-hub", "ResourceType": "vpc",
                                        "ResourceId": "vpc-0a1b2c3d"}]}))
    code, out = query_json(snap, "task-eni -> db tcp 5432 ipv6")
    assert code == 3 and {(m["missing"], m["component"]) for m in out["missing"]} == {
        ("tgw_ipv6_disabled", "tgw-attach-hub")}, out["missing"]
    _dual_stack(snap, "enable", None)  # the spoke's option is not in the snapshot: never a path, never a proof
    code, out = query_json(snap, "task-eni -> db tcp 5432 ipv6")
    assert code == 3 and {(m["missing"], m["component"]) for m in out["missing"]} == {("tgw_ipv6_option", "tgw-attach-spoke")}
