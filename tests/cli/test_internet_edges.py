"""The internet's edges: addresses of other VPCs, IPv6 between VPCs over their internet gateways, egress-only
gateways, regional NAT gateways (rules/internet_gateways.dl, rules/route_explanations.dl, rules/nat_gateways.dl)."""

import ipaddress
import json
from pathlib import Path

import pytest
from test_query import REGION, _bastion, _public_ip, edit, query_json, reason, scenario


def _open_ssh_from(snap: Path, cidr: str) -> None:
    """The bastion's group (sg-0alb) admits tcp 22 from ``cidr`` only."""
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])


@pytest.mark.parametrize("other_vpc", [False, True])
def test_an_internet_range_that_another_vpc_uses_is_not_left_out_of_the_internet(tmp_path, other_vpc):
    """vpc-cidr-blocks.html: a VPC may use a publicly routable range.  The bastion admits ssh only from 52.20.0.0/16,
    the CIDR of an unrelated, unconnected VPC: those addresses are the internet's (or that VPC's own, reaching over the
    internet).  They were left out of `internet`, so the bastion read as unreachable, `audit exposure` listed nothing
    and `assert unreachable internet -> bastion tcp 22` passed; undecided now (never a proof), and REACHABLE as before
    without the other VPC."""
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    _open_ssh_from(snap, "52.20.0.0/16")
    if other_vpc:
        edit(snap, "Vpcs", lambda d: d["Vpcs"].append({"VpcId": "vpc-0other", "CidrBlock": "52.20.0.0/16", "State": "available"}))
    code, out = query_json(snap, "internet -> bastion tcp 22")
    assert code == (3 if other_vpc else 0), out["explanations"]
    r = reason("audit", "exposure", "--facts", str(snap), "--format", "json")
    doc = json.loads(r.stdout)
    exposed = {e["eni"] for e in doc.get("exposed", [])}
    undecided = json.dumps(doc.get("undecided", doc.get("not_decided", [])))
    assert ("eni-0bastion" in undecided) if other_vpc else ("eni-0bastion" in exposed), r.stdout
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable internet -> bastion tcp 22\n")
    assert reason("verify", "--facts", str(snap), str(checks)).returncode == (3 if other_vpc else 1)


def _dual_stack(snap: Path, vpc: str, block: str, subnets: dict[str, str]) -> None:
    edit(snap, "Vpcs", lambda d: [v.update(Ipv6CidrBlockAssociationSet=[
        {"Ipv6CidrBlock": block, "Ipv6CidrBlockState": {"State": "associated"}}]) for v in d["Vpcs"] if v["VpcId"] == vpc])
    edit(snap, "Subnets", lambda d: [s.update(Ipv6CidrBlockAssociationSet=[
        {"Ipv6CidrBlock": subnets[s["SubnetId"]], "Ipv6CidrBlockState": {"State": "associated"}}])
        for s in d["Subnets"] if s["SubnetId"] in subnets])


@pytest.mark.parametrize("egress_only", [False, True])
def test_ipv6_between_two_vpcs_over_their_internet_gateways_is_undecided_not_disconnected(tmp_path, egress_only):
    """Each VPC routes ::/0 to its internet gateway and both ENIs have global IPv6 addresses ("Public IPv6 addresses
    are those advertised on the internet from AWS", API_VpcIpv6CidrBlockAssociation): the packet may cross the
    internet and come in by the other VPC's gateway, a path not analysed as one.  It was a certain DISCONNECTED_VPCS
    (and `assert unreachable` passed); undecided now.  ``egress_only``: the second VPC leaves by an egress-only internet
    gateway, which "is used to enable outbound communication over IPv6 from instances in your VPC to the internet"
    (API_CreateEgressOnlyInternetGateway): it was a certain NO_ROUTE_TO_DESTINATION (no rule read that route towards
    another VPC), a false proof of isolation; undecided as well."""
    snap = scenario(tmp_path)
    _bastion(snap)
    _dual_stack(snap, "vpc-0a1b2c3d", "2600:1f18:aaaa:bb00::/56", {"subnet-pub-a": "2600:1f18:aaaa:bb01::/64"})
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Ipv6Addresses=[{"Ipv6Address": "2600:1f18:aaaa:bb01::50"}])
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0bastion"])
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-0main",
                                                             "State": "active"}) for r in d["RouteTables"]])
    edit(snap, "NetworkAcls", lambda d: [a["Entries"].extend(
        [{"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "Ipv6CidrBlock": "::/0"} for e in (True, False)])
        for a in d["NetworkAcls"]])
    # a second VPC with its own gateway, a dual-stack ENI whose group lets everything out
    edit(snap, "Vpcs", lambda d: d["Vpcs"].append({"VpcId": "vpc-0two", "CidrBlock": "10.9.0.0/16", "State": "available",
                                                    "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:cccc:dd00::/56",
                                                                                     "Ipv6CidrBlockState": {"State": "associated"}}]}))
    edit(snap, "Subnets", lambda d: d["Subnets"].append(
        {"SubnetId": "subnet-two", "VpcId": "vpc-0two", "CidrBlock": "10.9.1.0/24", "AvailabilityZone": "us-east-1a",
         "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:cccc:dd01::/64", "Ipv6CidrBlockState": {"State": "associated"}}]}))
    edit(snap, "SecurityGroups", lambda d: d["SecurityGroups"].append(
        {"GroupId": "sg-0two", "GroupName": "two", "VpcId": "vpc-0two", "IpPermissions": [],
         "IpPermissionsEgress": [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}], "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}))
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].append(
        {"NetworkInterfaceId": "eni-0two", "SubnetId": "subnet-two", "VpcId": "vpc-0two", "PrivateIpAddress": "10.9.1.10",
         "Status": "in-use", "Ipv6Addresses": [{"Ipv6Address": "2600:1f18:cccc:dd01::10"}], "Groups": [{"GroupId": "sg-0two"}]}))
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].append(
        {"NetworkAclId": "acl-0two", "VpcId": "vpc-0two", "IsDefault": True, "Associations": [{"SubnetId": "subnet-two"}],
         "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "Ipv6CidrBlock": "::/0"}
                     for e in (True, False)]}))
    edit(snap, "RouteTables", lambda d: d["RouteTables"].append(
        {"RouteTableId": "rtb-0two", "VpcId": "vpc-0two", "Associations": [{"Main": True}],
         "Routes": [{"DestinationCidrBlock": "10.9.0.0/16", "GatewayId": "local", "State": "active"},
                    {"DestinationIpv6CidrBlock": "2600:1f18:cccc:dd00::/56", "GatewayId": "local", "State": "active"},
                    {"DestinationIpv6CidrBlock": "::/0", "State": "active",
                     **({"EgressOnlyInternetGatewayId": "eigw-0two"} if egress_only else {"GatewayId": "igw-0two"})}]}))
    if egress_only:
        (snap / REGION / "EgressOnlyInternetGateways.json").write_text(json.dumps({"EgressOnlyInternetGateways": [
            {"EgressOnlyInternetGatewayId": "eigw-0two", "Attachments": [{"VpcId": "vpc-0two", "State": "attached"}]}]}))
    else:
        edit(snap, "InternetGateways", lambda d: d["InternetGateways"].append(
            {"InternetGatewayId": "igw-0two", "Attachments": [{"VpcId": "vpc-0two", "State": "available"}]}))
    gateway = "eigw-0two" if egress_only else "igw-0two"
    code, out = query_json(snap, "eni-0two -> bastion tcp 22 ipv6")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", gateway) in {(e["code"], e["component"]) for e in out["explanations"]}, \
        out["explanations"]
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable eni-0two -> bastion tcp 22 ipv6\nassert unreachable vpc-0two -> bastion any\n")
    assert reason("verify", "--facts", str(snap), str(checks)).returncode == 3  # never a proof
    assert "DISCONNECTED_VPCS" not in {e["code"] for e in out["explanations"]}
    # over IPv4 the private address crosses no internet: still disconnected, for certain
    code, out = query_json(snap, "eni-0two -> bastion tcp 22 ipv4")
    assert code == 1


def test_an_egress_only_gateway_says_nothing_of_an_ipv4_connection(tmp_path):
    """The egress-only gateway is "[IPv6 only]" (egress-only-internet-gateway.html): an IPv4 connection from the internet
    into a VPC whose only gateway it is was blamed on it (EGRESS_ONLY_IGW_INBOUND, "lets no connection in ...
    (10.0.1.50)"); the VPC's want of an internet gateway is the reason."""
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "InternetGateways", lambda d: d.update(InternetGateways=[]))
    edit(snap, "RouteTables", lambda d: [r.update(Routes=[x for x in r["Routes"] if x.get("GatewayId") != "igw-0main"])
                                         for r in d["RouteTables"]])
    (snap / REGION / "EgressOnlyInternetGateways.json").write_text(json.dumps({"EgressOnlyInternetGateways": [
        {"EgressOnlyInternetGatewayId": "eigw-0one", "Attachments": [{"VpcId": "vpc-0a1b2c3d", "State": "attached"}]}]}))
    code, out = query_json(snap, "internet -> bastion tcp 80 ipv4")
    assert code == 1 and "EGRESS_ONLY_IGW_INBOUND" not in {e["code"] for e in out["explanations"]}, out["explanations"]


@pytest.mark.parametrize("state", ["attaching", "detaching"])
def test_an_egress_only_gateway_caught_changing_is_undecided(tmp_path, state):
    """As an internet gateway caught attaching or detaching (API_InternetGatewayAttachment: the same states): whether
    it carries the traffic is not known; it was left out (BAD_STATE "not attached", UNREACHABLE)."""
    snap = scenario(tmp_path)
    _dual_stack(snap, "vpc-0a1b2c3d", "2600:1f18:aaaa:bb00::/56", {"subnet-priv-a": "2600:1f18:aaaa:bb11::/64"})
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Ipv6Addresses=[{"Ipv6Address": "2600:1f18:aaaa:bb11::20"}])
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01"])
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissionsEgress=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
                                            for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    edit(snap, "NetworkAcls", lambda d: [a["Entries"].extend(
        [{"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "Ipv6CidrBlock": "::/0"} for e in (True, False)])
        for a in d["NetworkAcls"]])
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-0one",
                                                             "State": "active"}) for r in d["RouteTables"] if r["RouteTableId"] == "rtb-main"])
    (snap / REGION / "EgressOnlyInternetGateways.json").write_text(json.dumps({"EgressOnlyInternetGateways": [
        {"EgressOnlyInternetGatewayId": "eigw-0one", "Attachments": [{"VpcId": "vpc-0a1b2c3d", "State": "attached"}]}]}))
    assert query_json(snap, "task-eni -> internet tcp 443 ipv6")[0] == 0
    (snap / REGION / "EgressOnlyInternetGateways.json").write_text(json.dumps({"EgressOnlyInternetGateways": [
        {"EgressOnlyInternetGatewayId": "eigw-0one", "Attachments": [{"VpcId": "vpc-0a1b2c3d", "State": state}]}]}))
    code, out = query_json(snap, "task-eni -> internet tcp 443 ipv6")
    assert code == 3 and ("fwd_route", "eigw_changing", "eigw-0one") in {
        (m["hop"], m["missing"], m["component"]) for m in out["missing"]}, out


def test_a_regional_nat_gateway_is_refused_not_the_whole_snapshot(tmp_path):
    """A NAT gateway with AvailabilityMode regional has no SubnetId: the whole snapshot was refused (facts.missing_field,
    exit 2 on every question); it is read, the paths through it refused as unmodelled, the rest answered."""
    snap = scenario(tmp_path)
    (snap / REGION / "NatGateways.json").write_text(json.dumps({"NatGateways": [
        {"NatGatewayId": "nat-0reg", "VpcId": "vpc-0a1b2c3d", "State": "available", "ConnectivityType": "public",
         "AvailabilityMode": "regional", "NatGatewayAddresses": [{"PrivateIp": "10.0.1.99", "PublicIp": "3.3.3.3"}]}]}))
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0reg",
                                                             "State": "active"}) for r in d["RouteTables"] if r["RouteTableId"] == "rtb-main"])
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 3 and ("UNSUPPORTED_COMPONENT", "nat-0reg") in {(e["code"], e["component"]) for e in out["explanations"]}, out
    assert query_json(snap, "alb-eni -> task-eni tcp 8000")[0] == 1  # the shipped answer, unchanged


def test_reach_does_not_hold_for_a_packet_from_an_internet_address_in_another_vpcs_range(tmp_path):
    """The undecided packet itself: reach does not hold (the internet routes of fwd_route need !internet_in_vpc_range,
    rules/reachability.dl), so nothing reading reach or the hop takes it for a path; it held while a side rule only
    marked the hop blocked.  The same packet from an address outside every VPC reaches the bastion."""
    from reasoner.session import Session

    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    _open_ssh_from(snap, "52.0.0.0/8")
    edit(snap, "Vpcs", lambda d: d["Vpcs"].append({"VpcId": "vpc-0other", "CidrBlock": "52.20.0.0/16", "State": "available"}))
    p = Session.open(snap).program
    bastion = int(ipaddress.ip_address("10.0.1.50"))
    for src, holds in (("52.20.1.1", False), ("52.21.1.1", True)):
        row = ("internet", "eni-0bastion", int(ipaddress.ip_address(src)), bastion, "6", 1024, 22)
        p.add_fact("packet", row)
        try:
            assert p.holds("reach", row) is holds, src
            assert p.holds("fwd_route", row) is holds, src
            assert bool(p.query("hop_problem", ("fwd_route", None, None, None))) is not holds, src
        finally:
            p.retract_fact("packet", row)


def test_an_internet_address_in_another_vpcs_range_does_not_hide_a_certain_block_at_the_gateway(tmp_path):
    """The internet gets in only at a public IP (IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS), whoever holds the source
    address: the internet end's address in another VPC's CIDR leaves the route hop undecided only where a gateway would
    carry the packet (rules/internet_gateways.dl).  The bastion has no public IP: it was INCONCLUSIVE
    (`internet_in_vpc_range`, `audit exposure` "not decided"); UNREACHABLE now, as without the other VPC."""
    snap = scenario(tmp_path)
    _bastion(snap)
    _open_ssh_from(snap, "52.20.0.0/16")
    edit(snap, "Vpcs", lambda d: d["Vpcs"].append({"VpcId": "vpc-0other", "CidrBlock": "52.20.0.0/16", "State": "available"}))
    code, out = query_json(snap, "internet -> bastion tcp 22")
    assert code == 1, out["explanations"]
    assert [e["code"] for e in out["explanations"]][:1] == ["IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"], out["explanations"]
    assert "internet_in_vpc_range" not in json.dumps(out), out["explanations"]


@pytest.mark.parametrize("target", [None, ("GatewayId", "vgw-0onprem"), ("LocalGatewayId", "lgw-0outpost"),
                                    ("CarrierGatewayId", "cagw-0wl"), ("TransitGatewayId", "tgw-0undescribed")])
def test_an_internet_address_the_subnet_routes_to_another_gateway_may_come_in_by_it(tmp_path, target):
    """The internet end stands for every public address; a public on-premises range behind a virtual private gateway
    (Site-to-Site VPN: the VPC's route to the remote network targets the virtual private gateway, VPNRoutingTypes.html),
    a carrier network behind a carrier gateway ("It allows inbound traffic from a carrier network", Wavelength guide,
    how-wavelengths-work.html), an Outpost's local gateway (outposts-networking-components.html), a transit gateway's
    networks come in by those gateways, not by the internet gateway.  The bastion has no public IP and admits ssh from
    198.51.100.0/24: with its subnet routing that range to another gateway, the internet gateway's blocker (no public
    IP) was certain and `assert unreachable` passed; undecided now.  Without such a route it stays a certain block."""
    snap = scenario(tmp_path)
    _bastion(snap)
    _open_ssh_from(snap, "198.51.100.0/24")
    if target is not None:
        key, gw = target
        edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationCidrBlock": "198.51.100.0/24", key: gw,
                                                                 "State": "active"})
                                             for r in d["RouteTables"] if r["RouteTableId"] == "rtb-public"])
    code, out = query_json(snap, "198.51.100.0/24 -> bastion tcp 22")
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable 198.51.100.0/24 -> bastion tcp 22\n")
    verified = reason("verify", "--facts", str(snap), str(checks)).returncode
    if target is None:
        assert code == 1 and ("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", "eni-0bastion") in {
            (e["code"], e["component"]) for e in out["explanations"]}
        assert verified == 0
        return
    assert code == 3, out["explanations"]
    assert ("fwd_route", target[1]) in {(m["hop"], m["component"]) for m in out["missing"]}
    assert "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS" not in {e["code"] for e in out["explanations"]}
    assert verified == 3
    doc = json.loads(reason("audit", "exposure", "--facts", str(snap), "--format", "json").stdout)
    assert "eni-0bastion" in json.dumps(doc.get("undecided", doc.get("not_decided", []))), doc
