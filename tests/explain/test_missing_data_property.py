"""Property: deleting data never makes an answer more favourable than the data allows.

For random small snapshots (two VPCs joined by a peering connection or a transit gateway, public and private subnets, an internet gateway, a NAT gateway,
random security groups, network ACLs and public IPs; routes to CIDR blocks or to prefix lists), deleting any one describe-* file, or any one resource
that another resource references by id (an ENI's security group or subnet, a route's gateway or peering
connection), must never turn an UNREACHABLE or INCONCLUSIVE verdict into REACHABLE, nor a REACHABLE one into
UNREACHABLE (which would make a failing `assert unreachable` pass). Missing data may only make answers
inconclusive (rules/missing_data.dl).

Bounded for CI (a dozen snapshots, one deletion each); ``REASON_LONG_PROPERTIES=1`` tries every deletion on
more snapshots, by hand.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from reasoner.errors import ReasonError
from reasoner.session import Session

PORTS = (22, 80, 443, 8000)
EXAMPLES = 40 if os.environ.get("REASON_LONG_PROPERTIES") else 12
FILES = ("Vpcs", "Subnets", "SecurityGroups", "NetworkAcls", "RouteTables", "InternetGateways", "NatGateways",
         "VpcPeeringConnections", "PrefixLists", "TransitGateways", "TransitGatewayAttachments", "TransitGatewayVpcAttachments",
         "TransitGatewayRouteTables", "TransitGatewayPropagations", "TransitGatewayStaticRoutes")


def _perm(rng: random.Random, sgs: list[str]) -> dict:
    port = rng.choice(PORTS)
    perm: dict = {"IpProtocol": rng.choice(["tcp", "tcp", "-1"]), "FromPort": port, "ToPort": port}
    if perm["IpProtocol"] == "-1":
        del perm["FromPort"], perm["ToPort"]
    if rng.random() < 0.4:
        perm["UserIdGroupPairs"] = [{"GroupId": rng.choice(sgs)}]
    else:
        perm["IpRanges"] = [{"CidrIp": rng.choice(["0.0.0.0/0", "10.0.0.0/16", "10.1.0.0/16", "10.0.1.0/24"])}]
    return perm


def _acl(acl: str, vpc: str, default: bool, subnets: list[str], rng: random.Random) -> dict:
    entries = []
    for egress in (False, True):
        if rng.random() < 0.3:
            lo, hi = sorted((rng.choice(PORTS), rng.choice(PORTS)))  # a range as AWS holds one (From <= To)
            entries.append({"RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": egress, "CidrBlock": "0.0.0.0/0",
                            "PortRange": {"From": lo, "To": hi}})
        entries.append({"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": egress, "CidrBlock": "0.0.0.0/0"})
    return {"NetworkAclId": acl, "VpcId": vpc, "IsDefault": default, "Entries": entries,
            "Associations": [{"SubnetId": s} for s in subnets]}


def build(seed: int) -> dict[str, dict]:
    """One random snapshot: describe-* key -> response."""
    rng = random.Random(seed)
    sgs = ["sg-1", "sg-2", "sg-3", "sg-4"]
    sg_vpc = {"sg-1": "vpc-a", "sg-2": "vpc-a", "sg-3": "vpc-a", "sg-4": "vpc-b"}
    groups = [{"GroupId": g, "GroupName": g, "VpcId": sg_vpc[g],
               "IpPermissions": [_perm(rng, sgs) for _ in range(rng.randint(0, 2))],
               "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}] if rng.random() < 0.8
               else [_perm(rng, sgs)]} for g in sgs]
    enis = []
    for eni, sub, vpc, ip in (("eni-1", "subnet-a-pub", "vpc-a", "10.0.1.10"), ("eni-2", "subnet-a-priv", "vpc-a", "10.0.2.10"),
                              ("eni-3", "subnet-b", "vpc-b", "10.1.1.10")):
        pool = [g for g in sgs if sg_vpc[g] == vpc]
        n = {"NetworkInterfaceId": eni, "Status": "in-use", "SubnetId": sub, "VpcId": vpc, "PrivateIpAddress": ip,
             "PrivateIpAddresses": [{"PrivateIpAddress": ip, "Primary": True}],
             "Groups": [{"GroupId": g} for g in rng.sample(pool, rng.randint(1, len(pool)))]}
        if eni == "eni-1" and rng.random() < 0.7:
            n["Association"] = {"PublicIp": "54.1.1.10"}
        enis.append(n)
    custom = rng.random() < 0.5
    acls = [_acl("acl-a", "vpc-a", True, ["subnet-a-pub"] + ([] if custom else ["subnet-a-priv"]), rng),
            _acl("acl-b", "vpc-b", True, ["subnet-b"], rng)]  # (DescribeNetworkAcls lists every subnet, default ACL too)
    if custom:
        acls.append(_acl("acl-a2", "vpc-a", False, ["subnet-a-priv"], rng))
    # vpc-a's routes to vpc-b and to the internet: to CIDR blocks, or to prefix lists holding the same addresses
    # (managed-prefix-lists.html; the two must answer alike, missing targets included)
    via_list = rng.random() < 0.5
    to_b = {"DestinationPrefixListId": "pl-b"} if via_list else {"DestinationCidrBlock": "10.1.0.0/16"}
    anywhere = {"DestinationPrefixListId": "pl-all"} if via_list else {"DestinationCidrBlock": "0.0.0.0/0"}
    # the two VPCs joined by the peering connection, or (a third of the time) by a transit gateway
    via_tgw = rng.random() < 0.34
    pcx = ({"DestinationCidrBlock": "10.1.0.0/16", "TransitGatewayId": "tgw-1", "State": "active"} if via_tgw
           else {"DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": "pcx-ab", "State": "active"})
    pcx_a = {**{k: v for k, v in pcx.items() if k != "DestinationCidrBlock"}, **to_b}
    local_a = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}
    tables = [
        {"RouteTableId": "rtb-a-main", "VpcId": "vpc-a", "Associations": [{"Main": True}],
         "Routes": [local_a, pcx_a, {**anywhere, "NatGatewayId": "nat-a", "State": "active"}]},
        {"RouteTableId": "rtb-a-pub", "VpcId": "vpc-a", "Associations": [{"SubnetId": "subnet-a-pub"}],
         "Routes": [local_a, pcx_a, {**anywhere, "GatewayId": "igw-a", "State": "active"}]},
        {"RouteTableId": "rtb-b-main", "VpcId": "vpc-b", "Associations": [{"Main": True}],
         "Routes": [{"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "State": "active"},
                    {**pcx, "DestinationCidrBlock": "10.0.0.0/16"}]},
    ]
    lists = {"PrefixLists": {"PrefixLists": [
        {"PrefixListId": "pl-b", "PrefixListName": "vpc-b", "Cidrs": ["10.1.0.0/16"]},
        {"PrefixListId": "pl-all", "PrefixListName": "anywhere", "Cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}]}} if via_list else {}
    tgw = _transit_gateway() if via_tgw else {}
    return {
        **lists,
        **tgw,
        "Vpcs": {"Vpcs": [{"VpcId": "vpc-a", "CidrBlock": "10.0.0.0/16"}, {"VpcId": "vpc-b", "CidrBlock": "10.1.0.0/16"}]},
        "Subnets": {"Subnets": [{"SubnetId": s, "VpcId": v, "CidrBlock": c, "AvailabilityZone": "us-east-1a"} for s, v, c in (
            ("subnet-a-pub", "vpc-a", "10.0.1.0/24"), ("subnet-a-priv", "vpc-a", "10.0.2.0/24"), ("subnet-b", "vpc-b", "10.1.1.0/24"))]},
        "NetworkInterfaces": {"NetworkInterfaces": enis},
        "SecurityGroups": {"SecurityGroups": groups},
        "NetworkAcls": {"NetworkAcls": acls},
        "RouteTables": {"RouteTables": tables},
        "InternetGateways": {"InternetGateways": [{"InternetGatewayId": "igw-a", "Attachments": [{"VpcId": "vpc-a", "State": "available"}]}]},
        "NatGateways": {"NatGateways": [{"NatGatewayId": "nat-a", "SubnetId": "subnet-a-pub", "VpcId": "vpc-a", "State": "available",
                                         "ConnectivityType": "public",
                                         "NatGatewayAddresses": [{"PrivateIp": "10.0.1.99", "PublicIp": "54.1.1.99"}]}]},
        "VpcPeeringConnections": {"VpcPeeringConnections": [{
            "VpcPeeringConnectionId": "pcx-ab", "Status": {"Code": "active"},
            "RequesterVpcInfo": {"VpcId": "vpc-a", "Region": "us-east-1"}, "AccepterVpcInfo": {"VpcId": "vpc-b", "Region": "us-east-1"}}]},
    }


def _transit_gateway() -> dict[str, dict]:
    """Transit gateway tgw-1 between vpc-a and vpc-b: one VPC attachment each (subnet-a-priv and subnet-b, the
    zone of every subnet), both associated with tgw-rtb-1 and propagating to it (how-transit-gateways-work.html)."""
    atts = (("tgw-att-a", "vpc-a", "subnet-a-priv"), ("tgw-att-b", "vpc-b", "subnet-b"))
    return {
        "TransitGateways": {"TransitGateways": [{"TransitGatewayId": "tgw-1", "State": "available"}]},
        "TransitGatewayAttachments": {"TransitGatewayAttachments": [
            {"TransitGatewayAttachmentId": a, "TransitGatewayId": "tgw-1", "ResourceType": "vpc", "ResourceId": v,
             "State": "available", "Association": {"TransitGatewayRouteTableId": "tgw-rtb-1", "State": "associated"}}
            for a, v, _ in atts]},
        "TransitGatewayVpcAttachments": {"TransitGatewayVpcAttachments": [
            {"TransitGatewayAttachmentId": a, "TransitGatewayId": "tgw-1", "VpcId": v, "State": "available", "SubnetIds": [s]}
            for a, v, s in atts]},
        "TransitGatewayRouteTables": {"TransitGatewayRouteTables": [
            {"TransitGatewayRouteTableId": "tgw-rtb-1", "TransitGatewayId": "tgw-1", "State": "available"}]},
        "TransitGatewayPropagations": {"TransitGatewayPropagations": [{"TransitGatewayRouteTableId": "tgw-rtb-1",
            "TransitGatewayRouteTablePropagations": [{"TransitGatewayAttachmentId": a, "ResourceType": "vpc", "ResourceId": v,
                                                      "State": "enabled"} for a, v, _ in atts]}]},
        "TransitGatewayStaticRoutes": {"TransitGatewayStaticRoutes": [
            {"TransitGatewayRouteTableId": "tgw-rtb-1", "Routes": [], "AdditionalRoutesAvailable": False}]},
    }


def deletions(snapshot: dict[str, dict]) -> list[tuple[str, dict[str, dict]]]:
    """Every variant with one file, or one resource referenced by id elsewhere, removed."""
    out = []
    for key in FILES:
        if key in snapshot:
            out.append((f"file {key}", {k: v for k, v in snapshot.items() if k != key}))
    for key, id_key, ids in (("SecurityGroups", "GroupId", ["sg-1", "sg-2", "sg-3", "sg-4"]),
                             ("Subnets", "SubnetId", ["subnet-a-pub", "subnet-a-priv", "subnet-b"]),
                             ("InternetGateways", "InternetGatewayId", ["igw-a"]), ("NatGateways", "NatGatewayId", ["nat-a"]),
                             ("VpcPeeringConnections", "VpcPeeringConnectionId", ["pcx-ab"]),
                             ("TransitGateways", "TransitGatewayId", ["tgw-1"]),
                             ("TransitGatewayVpcAttachments", "TransitGatewayAttachmentId", ["tgw-att-a", "tgw-att-b"]),
                             ("TransitGatewayAttachments", "TransitGatewayAttachmentId", ["tgw-att-a"]),
                             ("TransitGatewayPropagations", "TransitGatewayRouteTableId", ["tgw-rtb-1"])):
        if key not in snapshot:  # (joined by a transit gateway, the peering connection is in the snapshot but carries
            continue              # nothing: deleting it must change no answer, sg_ref_visible)
        for rid in ids:
            variant = json.loads(json.dumps(snapshot))
            variant[key][key] = [r for r in variant[key][key] if r[id_key] != rid]
            out.append((f"resource {rid}", variant))
    return out


def write(folder: Path, snapshot: dict[str, dict]) -> Path:
    """``snapshot`` (describe-* key -> response) as a snapshot folder (aws_configs/us-east-1/KEY.json): ``folder``."""
    region = folder / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    for key, body in snapshot.items():
        (region / f"{key}.json").write_text(json.dumps(body))
    return folder


def verdicts(folder: Path, snapshot: dict[str, dict], queries: list[str]) -> dict[str, str]:
    session = Session.open(write(folder, snapshot))
    out = {}
    for q in queries:
        try:
            out[q] = session.query(q, depth=0, detail=False).verdict
        except ReasonError:
            out[q] = "error"
    return out


def assert_no_deletion_is_more_favourable(tmp_path_factory, snapshot: dict[str, dict], variants: list, queries: list[str],
                                          which: int, seed: int) -> None:
    """One deletion (``which``; every one with REASON_LONG_PROPERTIES): no verdict becomes REACHABLE from
    UNREACHABLE or INCONCLUSIVE, none becomes UNREACHABLE from REACHABLE."""
    base = verdicts(tmp_path_factory.mktemp("base"), snapshot, queries)
    for label, variant in [variants[which % len(variants)]] if not os.environ.get("REASON_LONG_PROPERTIES") else variants:
        after = verdicts(tmp_path_factory.mktemp("del"), variant, queries)
        for q in queries:
            before, now = base[q], after[q]
            assert not (before in ("unreachable", "inconclusive") and now == "reachable"), (seed, label, q, before, now)
            assert not (before == "reachable" and now == "unreachable"), (seed, label, q, before, now)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), port=st.sampled_from(PORTS), which=st.integers(0, 10**6))
def test_deleting_data_never_makes_a_verdict_more_favourable(tmp_path_factory, seed, port, which):
    snapshot = build(seed)
    queries = [f"{a} -> {b} tcp {port}" for a, b in (("eni-1", "eni-2"), ("eni-2", "eni-3"), ("eni-3", "eni-1"),
                                                      ("internet", "eni-1"), ("eni-2", "internet"), ("eni-1", "internet"))]
    assert_no_deletion_is_more_favourable(tmp_path_factory, snapshot, deletions(snapshot), queries, which, seed)
