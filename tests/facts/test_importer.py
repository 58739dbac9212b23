"""Tests for reasoner.facts.importer: the shipped ALB example, round trips, and error reporting."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from reasoner.errors import FactsError, ReasonError
from reasoner.facts.importer import RELATIONS, SCHEMA_VERSION, import_aws_configs, load_snapshot, read_facts, write_facts

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "facts"
FIXED = REPO / "facts" / "examples" / "seed-fixed"
SHARED = REPO.parent / "shared" / "datasets" / "batfish-aws"

ALL = int(ipaddress.IPv4Address("255.255.255.255"))


def ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


@pytest.fixture(scope="module")
def snap():
    return import_aws_configs(EXAMPLE)


def test_all_relations_present_sorted_and_deduplicated(snap) -> None:
    assert set(snap.relations) == set(RELATIONS)
    for rel, rs in snap.relations.items():
        assert rs == sorted(set(rs)), rel
    assert snap.manifest["schema_version"] == SCHEMA_VERSION == 22
    assert snap.manifest["regions"] == ["us-east-1"]
    assert snap.manifest["unmodelled"] == []
    assert snap.manifest["counts"]["eni"] == 3


def test_network_basics(snap) -> None:
    assert snap.relations["vpc"] == [("vpc-0a1b2c3d", ip("10.0.0.0"), ip("10.0.255.255"))]
    assert ("subnet-priv-a", "vpc-0a1b2c3d", ip("10.0.11.0"), ip("10.0.11.255"), "us-east-1a") in snap.relations["subnet"]
    assert ("eni-0alb0a", "subnet-pub-a", "vpc-0a1b2c3d", 1) in snap.relations["eni"]
    assert ("eni-0task01", ip("10.0.11.20")) in snap.relations["eni_ip"]
    assert ("eni-0alb0b", "sg-0alb") in snap.relations["eni_sg"]
    assert snap.names["vpc-0a1b2c3d"] == "prod"
    assert snap.names["sg-0alb"] == "alb-sg"


def test_security_groups(snap) -> None:
    assert [r for r in snap.relations["sg_egress_cidr"] if r[0] == "sg-0alb"] == []
    assert [r for r in snap.relations["sg_egress_sg"] if r[0] == "sg-0alb"] == []
    assert snap.relations["sg_ingress_sg"] == [("sg-0task", "6", 8000, 8000, "sg-0alb", "sg-0task:ingress:0:sg0")]
    assert ("sg-0alb", "6", 80, 80, 0, ALL, "sg-0alb:ingress:0:0") in snap.relations["sg_ingress_cidr"]
    assert ("sg-0task", "-1", 0, 65535, 0, ALL, "sg-0task:egress:0:0") in snap.relations["sg_egress_cidr"]


def test_fixed_variant_has_alb_egress() -> None:
    fixed = import_aws_configs(FIXED)
    assert [r[:5] for r in fixed.relations["sg_egress_sg"]] == [("sg-0alb", "6", 8000, 8000, "sg-0task")]
    assert (FIXED / "reason.toml").read_text() == (EXAMPLE / "reason.toml").read_text()


def test_nacl_rule_star_present(snap) -> None:
    for egress in (0, 1):
        assert ("acl-0default", egress, 32767, "-1", 0, 65535, 0, ALL, "deny") in snap.relations["nacl_entry"]
    assert snap.relations["nacl"] == [("acl-0default", "vpc-0a1b2c3d", 1)]
    assert len(snap.relations["subnet_nacl"]) == 3


def test_routes(snap) -> None:
    explicit = {s for _, s in snap.relations["rtb_subnet"]}
    assert explicit == {"subnet-pub-a", "subnet-pub-b"}
    assert "subnet-priv-a" not in explicit
    assert snap.relations["rtb_main"] == [("rtb-main", "vpc-0a1b2c3d")]
    assert ("rtb-public", 0, ALL, 0, "igw", "igw-0main", "active") in snap.relations["route"]
    assert [r for r in snap.relations["route"] if r[0] == "rtb-main"] == [
        ("rtb-main", ip("10.0.0.0"), ip("10.0.255.255"), 16, "local", "local", "active")
    ]
    assert snap.relations["igw_attachment"] == [("igw-0main", "vpc-0a1b2c3d")]
    assert snap.relations["rtb_gateway"] == []  # no gateway route table in the example


def test_an_association_that_is_gone_routes_nothing(tmp_path: Path) -> None:
    """RouteTableAssociationState: a failed or (being) disassociated association is skipped, as a CIDR block is."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    table = {"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Routes": [],
             "Associations": [{"SubnetId": "subnet-a", "AssociationState": {"State": "associated"}},
                              {"SubnetId": "subnet-b", "AssociationState": {"State": "failed"}},
                              {"SubnetId": "subnet-c", "AssociationState": {"State": "disassociating"}},
                              {"SubnetId": "subnet-d"},
                              {"GatewayId": "igw-1", "AssociationState": {"State": "disassociated"}}]}
    (region / "RouteTables.json").write_text(json.dumps({"RouteTables": [table]}))
    snap = import_aws_configs(tmp_path)
    assert snap.relations["rtb_subnet"] == [("rtb-1", "subnet-a"), ("rtb-1", "subnet-d")]
    assert snap.relations["rtb_gateway"] == []


def test_a_gateway_route_table_is_the_gateways_and_no_subnets(tmp_path: Path) -> None:
    """DescribeRouteTables Associations[].GatewayId: an edge association (gateway-route-tables.html)."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    table = {"RouteTableId": "rtb-edge", "VpcId": "vpc-1",
             "Associations": [{"RouteTableId": "rtb-edge", "GatewayId": "igw-1", "Main": False},
                              {"RouteTableId": "rtb-edge", "GatewayId": "vgw-1", "Main": False}],
             "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
                        {"DestinationCidrBlock": "10.0.1.0/24", "NetworkInterfaceId": "eni-fw", "State": "active"}]}
    (region / "RouteTables.json").write_text(json.dumps({"RouteTables": [table]}))
    snap = import_aws_configs(tmp_path)
    assert snap.relations["rtb_gateway"] == [("rtb-edge", "igw-1"), ("rtb-edge", "vgw-1")]
    assert snap.relations["rtb_subnet"] == [] and snap.relations["rtb_main"] == []
    assert ("rtb-edge", ip("10.0.1.0"), ip("10.0.1.255"), 24, "eni", "eni-fw", "active") in snap.relations["route"]


def test_load_balancer(snap) -> None:
    (lb,) = snap.relations["load_balancer"]
    assert lb[1:] == ("web", "application", "internet-facing", "vpc-0a1b2c3d")
    assert snap.names[lb[0]] == "web"
    assert {r[1] for r in snap.relations["lb_subnet"]} == {"subnet-pub-a", "subnet-pub-b"}
    assert snap.relations["lb_sg"] == [(lb[0], "sg-0alb")]


def test_implicit_deny_added_when_absent(tmp_path: Path) -> None:
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    acl = {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": False, "Associations": [],
           "Entries": [{"CidrBlock": "10.0.0.0/8", "Egress": False, "Protocol": "tcp", "PortRange": {"From": 22, "To": 22},
                        "RuleAction": "allow", "RuleNumber": 10}]}
    (region / "NetworkAcls.json").write_text(json.dumps({"NetworkAcls": [acl]}))
    snap = import_aws_configs(tmp_path)
    assert snap.relations["nacl_entry"] == [
        ("acl-1", 0, 10, "6", 22, 22, ip("10.0.0.0"), ip("10.255.255.255"), "allow"),
        ("acl-1", 0, 32767, "-1", 0, 65535, 0, ALL, "deny"),
        ("acl-1", 0, 32767, "-1", 0, 65535, 1 << 32, (1 << 128) - 1, "deny"),  # rule * for IPv6 (::/0 on the line)
        ("acl-1", 1, 32767, "-1", 0, 65535, 0, ALL, "deny"),
        ("acl-1", 1, 32767, "-1", 0, 65535, 1 << 32, (1 << 128) - 1, "deny"),
    ]


def test_the_ipv6_star_rule_as_the_api_lists_it_is_not_added_twice(tmp_path: Path) -> None:
    """default-network-acl.html: rule * exists for each family; the EC2 API lists the IPv6 one as 32768."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    entries = [{"Ipv6CidrBlock": "::/0", "Egress": e, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32768}
               for e in (False, True)]
    acl = {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": False, "Associations": [], "Entries": entries}
    (region / "NetworkAcls.json").write_text(json.dumps({"NetworkAcls": [acl]}))
    rows = import_aws_configs(tmp_path).relations["nacl_entry"]
    assert sorted((r[1], r[2], r[6]) for r in rows) == [(0, 32767, 0), (0, 32768, 1 << 32), (1, 32767, 0), (1, 32768, 1 << 32)]


def test_round_trip(snap, tmp_path: Path) -> None:
    out = write_facts(snap, tmp_path / "facts")
    assert (out / "manifest.json").is_file() and (out / "names.json").is_file()
    assert (out / "sg_ingress_sg.jsonl").read_text().splitlines()[0].startswith('["sg-0task"')
    back = read_facts(out)
    assert back.relations == snap.relations
    assert back.names == snap.names
    assert back.manifest["content_hash"].startswith("sha256:")
    # rewriting replaces the directory in place
    write_facts(snap, out)
    assert load_snapshot(out).relations == snap.relations
    assert load_snapshot(EXAMPLE).relations == snap.relations
    assert [p.name for p in tmp_path.iterdir()] == ["facts"]


def test_tampered_facts_detected(snap, tmp_path: Path) -> None:
    out = write_facts(snap, tmp_path / "facts")
    (out / "eni.jsonl").write_text('["eni-x","subnet-x","vpc-x",1]\n')
    with pytest.raises(FactsError) as info:
        read_facts(out)
    assert info.value.code == "facts.corrupt"


def test_malformed_json_has_line_and_column(tmp_path: Path) -> None:
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    bad = region / "Vpcs.json"
    bad.write_text('{\n "Vpcs": [\n  {"VpcId": "vpc-1",}\n ]\n}\n')
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    err = info.value
    assert isinstance(err, ReasonError)
    assert err.code == "facts.bad_json"
    assert err.location == f"{bad}:3:21"


@pytest.mark.parametrize("key, id_key, field", [
    ("SecurityGroups", "GroupId", "IpPermissions"), ("SecurityGroups", "GroupId", "IpPermissionsEgress"),
    ("NetworkAcls", "NetworkAclId", "Entries"), ("NetworkAcls", "NetworkAclId", "Associations"),
    ("RouteTables", "RouteTableId", "Routes"), ("RouteTables", "RouteTableId", "Associations"),
    ("NetworkInterfaces", "NetworkInterfaceId", "Groups"), ("InternetGateways", "InternetGatewayId", "Attachments"),
    ("LoadBalancers", "LoadBalancerArn", "AvailabilityZones")])
def test_a_list_the_api_always_returns_is_required(tmp_path: Path, key: str, id_key: str, field: str) -> None:
    """A security group without IpPermissionsEgress read as "no outbound rule" (the README's own ALB bug, UNREACHABLE),
    a network ACL without Entries as "deny all", a route table without Routes as "no route", an ENI without Groups as
    "in no group": verdicts on data an answer cut or edited by hand does not have. Describe* always returns these
    lists, empty or not (so do DescribeInternetGateways its Attachments, DescribeLoadBalancers its AvailabilityZones,
    and the listener, rule and VPC attachment answers theirs): absent, the import stops with the JSON path and a hint;
    written as [] they mean none."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    for f in (EXAMPLE / "aws_configs" / "us-east-1").glob("*.json"):
        (region / f.name).write_text(f.read_text())
    path = region / f"{key}.json"
    doc = json.loads(path.read_text())
    doc[key][-1][field] = []
    path.write_text(json.dumps(doc))
    import_aws_configs(tmp_path)  # an empty list is an answer: none
    del doc[key][-1][field]
    path.write_text(json.dumps(doc))
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    last = len(doc[key]) - 1
    assert info.value.code == "facts.missing_field" and info.value.location == f"{path}:$.{key}[{last}].{field}"
    assert f'"{field}": []' in (info.value.hint or "")


def test_missing_group_id_gives_json_path(tmp_path: Path) -> None:
    groups = [{"GroupId": f"sg-{i}", "GroupName": "g", "VpcId": "vpc-1", "IpPermissions": [], "IpPermissionsEgress": []}
              for i in range(3)]
    del groups[2]["GroupId"]
    (tmp_path / "SecurityGroups.json").write_text(json.dumps({"SecurityGroups": groups}))
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)  # a region folder of JSON files
    assert info.value.code == "facts.missing_field"
    assert info.value.location == f"{tmp_path / 'SecurityGroups.json'}:$.SecurityGroups[2].GroupId"


@pytest.mark.parametrize(
    "doc",
    [
        {"SecurityGroups": {"not": "a list"}},
        {"SecurityGroups": [None]},
        {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp", "IpRanges": [{"CidrIp": 7}]}]}]},
        {"RouteTables": [{"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Routes": [{"GatewayId": "local"}]}]},
        {"Reservations": [{"Instances": [{"InstanceId": "i-1", "NetworkInterfaces": ["x"]}]}]},
        {"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcId": "vpc-1", "NetworkInterfaceIds": [7]}]},
        {"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcId": "vpc-1", "NetworkInterfaceIds": "eni-1"}]},
        ["not", "an", "object"],
    ],
)
def test_bad_shapes_raise_facts_error(tmp_path: Path, doc: object) -> None:
    (tmp_path / "aws_configs").mkdir()
    (tmp_path / "aws_configs" / "X.json").write_text(json.dumps(doc))
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.location and info.value.location.startswith(str(tmp_path / "aws_configs" / "X.json"))


def test_an_interface_endpoint_names_its_network_interfaces(tmp_path: Path) -> None:
    """DescribeVpcEndpoints NetworkInterfaceIds: "(Interface endpoint) The network interfaces for the endpoint"; a
    gateway endpoint has none. The endpoint's tags are kept, for the ENIs' eni_tag (rules/tags.dl)."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    (region / "VpcEndpoints.json").write_text(json.dumps({"VpcEndpoints": [
        {"VpcEndpointId": "vpce-if", "VpcId": "vpc-1", "VpcEndpointType": "Interface", "State": "available",
         "ServiceName": "com.amazonaws.us-east-1.ssm", "NetworkInterfaceIds": ["eni-b", "eni-a"],
         "Tags": [{"Key": "team", "Value": "net"}]},
        {"VpcEndpointId": "vpce-gw", "VpcId": "vpc-1", "VpcEndpointType": "Gateway", "State": "available",
         "ServiceName": "com.amazonaws.us-east-1.s3", "RouteTableIds": ["rtb-1"], "NetworkInterfaceIds": []}]}))
    snap = import_aws_configs(tmp_path)
    assert snap.relations["vpce_eni"] == [("vpce-if", "eni-a"), ("vpce-if", "eni-b")]
    assert snap.relations["tag"] == [("vpce-if", "team", "net")]


def test_unknown_key_is_unmodelled(tmp_path: Path) -> None:
    region = tmp_path / "aws_configs" / "111122223333" / "eu-west-1"
    region.mkdir(parents=True)
    (region / "Widgets.json").write_text(json.dumps({"Widgets": [{"WidgetId": "w-1"}]}))
    snap = import_aws_configs(tmp_path / "aws_configs")
    assert snap.manifest["unmodelled"] == [{"file": "111122223333/eu-west-1/Widgets.json", "key": "Widgets"}]
    assert snap.manifest["accounts"] == ["111122223333"]
    assert snap.manifest["regions"] == ["eu-west-1"]


def test_load_snapshot_not_found(tmp_path: Path) -> None:
    with pytest.raises(FactsError) as info:
        load_snapshot(tmp_path)
    assert info.value.code == "facts.not_found"
    assert info.value.hint


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared Batfish AWS datasets (../shared) not available")
def test_batfish_public_private_subnet() -> None:
    snap = import_aws_configs(SHARED / "test-public-private-subnet")
    assert snap.relations["subnet"] and snap.relations["route"] and snap.relations["eni"]
    kinds = {r[4] for r in snap.relations["route"]}
    assert {"local", "igw", "vgw"} <= kinds
    assert snap.names.get("subnet-0cf7a93fbd779f3a3") == "Public subnet"
    assert {u["key"] for u in snap.manifest["unmodelled"]} >= {"VpnConnections", "CustomerGateways"}


def test_every_tag_is_kept_as_a_fact_and_never_as_code(tmp_path):
    """Policies read tags (`tag(Sub, "tier", "db")`); a hostile value stays a plain string."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    (region / "Subnets.json").write_text(json.dumps({"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24",
        "Tags": [{"Key": "tier", "Value": "db"}, {"Key": "Name", "Value": "db-a"}, {"Key": "x", "Value": "__import__('os')"},
                 {"Key": "no-value"}]}]}))
    snap = import_aws_configs(tmp_path)
    assert snap.relations["tag"] == [("subnet-1", "Name", "db-a"), ("subnet-1", "no-value", ""), ("subnet-1", "tier", "db"),
                                     ("subnet-1", "x", "__import__('os')")]
    assert snap.names["subnet-1"] == "db-a"


@pytest.mark.parametrize("tags, where", [
    ([{"Key": "bad", "Value": 5}], "Subnets[0].Tags[0].Value"),
    ([{"Value": "x"}], "Subnets[0].Tags[0]"),
    (["tier=db"], "Subnets[0].Tags[0]"),
    ({"tier": "db"}, "Subnets[0].Tags"),
])
def test_a_malformed_tag_is_an_error_never_a_tag_dropped_unseen(tmp_path, tags, where):
    """A policy may read tags (``tag(Sub, "tier", "db")``): a tag that cannot be read is named with its JSON path,
    as for load balancers' tags (tests/facts/test_elbv2.py), not left out of the snapshot."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    (region / "Subnets.json").write_text(json.dumps({"Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1",
                                                                  "CidrBlock": "10.0.0.0/24", "Tags": tags}]}))
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert where in str(info.value.render())


@pytest.mark.parametrize("row", ['["eni-x","subnet-x","vpc-x",true]', '["eni-x","subnet-x","vpc-x",1.5]',
                                 '["eni-x",["subnet-x"],"vpc-x",1]', '["eni-x","subnet-x","vpc-x",null]',
                                 '{"eni":"eni-x"}'])
def test_a_row_value_neither_string_nor_integer_is_named_at_its_line(snap, tmp_path: Path, row: str) -> None:
    """The hash is made to match, so the row check is what refuses it (store.py ``_parse_rows``: the fast path's type
    check must send such a file to the line-by-line reading)."""
    from reasoner.facts.store import _hash_relations

    out = write_facts(snap, tmp_path / "facts")
    eni = out / "eni.jsonl"
    eni.write_text(eni.read_text() + row + "\n")
    manifest = json.loads((out / "manifest.json").read_text())
    contents = {p.name: p.read_bytes() for p in out.glob("*.jsonl")}
    names = (out / "names.json").read_bytes() if (out / "names.json").exists() else b""
    manifest["content_hash"] = "sha256:" + _hash_relations(contents, names, manifest)
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FactsError) as info:
        read_facts(out)
    lines = len(eni.read_text().splitlines())
    assert info.value.code == "facts.bad_value" and info.value.location == f"{eni}:{lines}:1"


@pytest.mark.parametrize("token", ["NextToken", "NextMarker", "Marker", "nextToken"])
def test_one_page_of_a_paginated_answer_is_refused_at_its_token(tmp_path: Path, token: str) -> None:
    """EC2 API reference, NextToken: "null when there are no more items to return"; the AWS CLI prints one when
    --max-items cuts the answer (cli-usage-pagination.html); ELBv2's NextMarker, ECS's nextToken alike.  A set token
    means the rest of the answer is not in the file: refused, never read as the whole answer."""
    (tmp_path / "SecurityGroups.json").write_text(json.dumps(
        {"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "g", "VpcId": "vpc-1", "IpPermissions": [],
                             "IpPermissionsEgress": []}], token: "eyJOZXh0VG9rZW4iOiAiYWJjIn0="}))
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.code == "facts.truncated"
    assert info.value.location == f"{tmp_path / 'SecurityGroups.json'}:$.{token}"
    assert "--max-items" in (info.value.hint or "")


@pytest.mark.parametrize("last", [None, ""])
def test_the_token_of_a_last_page_is_no_page_at_all(tmp_path: Path, last: str | None) -> None:
    (tmp_path / "Vpcs.json").write_text(json.dumps({"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}], "NextToken": last}))
    assert import_aws_configs(tmp_path).relations["vpc"] == [("vpc-1", ip("10.0.0.0"), ip("10.0.255.255"))]


@pytest.mark.parametrize("key, wrapper", [
    ("LoadBalancerListeners", {"LoadBalancerArn": "arn:lb", "Listeners": [], "NextMarker": "m2"}),
    ("EcsTasks", {"ClusterArn": "arn:cluster", "Tasks": [], "nextToken": "t2"}),
    ("TransitGatewayPropagations", {"TransitGatewayRouteTableId": "tgw-rtb-1", "TransitGatewayRouteTablePropagations": [],
                                    "NextToken": "t2"}),
])
def test_one_page_of_a_parents_answer_is_refused(tmp_path: Path, key: str, wrapper: dict) -> None:
    """The per-parent answers (a load balancer's listeners, a cluster's tasks, a route table's propagations) as the CLI
    prints them, one page of one: refused at the wrapper's token."""
    (tmp_path / f"{key}.json").write_text(json.dumps({key: [wrapper]}))
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.code == "facts.truncated"
    token = next(k for k in wrapper if k.lower() in ("nexttoken", "nextmarker"))
    assert info.value.location == f"{tmp_path / f'{key}.json'}:$.{key}[0].{token}"


def test_a_key_given_twice_in_one_object_is_refused_never_one_dropped(tmp_path: Path) -> None:
    """RFC 8259 section 4: names within an object SHOULD be unique, and readers differ on duplicates (Python's json keeps
    the last).  A group whose IpPermissionsEgress is given twice, empty then open, is refused: read, it would hold one
    of them unseen (the open one here)."""
    (tmp_path / "SecurityGroups.json").write_text(
        '{"SecurityGroups": [{"GroupId": "sg-1", "GroupName": "g", "VpcId": "vpc-1", "IpPermissions": [], '
        '"IpPermissionsEgress": [], "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]}')
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.code == "facts.bad_json" and info.value.location == str(tmp_path / "SecurityGroups.json")
    assert "'IpPermissionsEgress' appears twice in one object (GroupId sg-1)" in info.value.message


@pytest.mark.parametrize("status", [None, {}, {"Code": None}, {"Code": ""}])
def test_a_peering_connection_without_its_status_is_malformed_never_not_active(tmp_path: Path, status) -> None:
    """API_VpcPeeringConnection always gives Status.Code, which decides whether the connection carries anything: one
    without it was read as "unknown", so not active (a certain BAD_STATE), and `assert unreachable` passed on data
    the answer lacks.  Now the answer is refused (exit 2), located."""
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    pcx = {"VpcPeeringConnectionId": "pcx-1", "RequesterVpcInfo": {"VpcId": "vpc-a"}, "AccepterVpcInfo": {"VpcId": "vpc-b"},
           **({} if status is None else {"Status": status})}
    (region / "VpcPeeringConnections.json").write_text(json.dumps({"VpcPeeringConnections": [pcx]}))
    with pytest.raises(FactsError) as err:
        import_aws_configs(tmp_path)
    assert err.value.code in ("facts.missing_field", "facts.bad_value") and "Status" in (err.value.location or "")


def _routes(tmp_path: Path, *routes: dict):
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    (region / "RouteTables.json").write_text(json.dumps({"RouteTables": [
        {"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Associations": [], "Routes": list(routes)}]}))
    return import_aws_configs(tmp_path)


def test_a_route_to_an_instance_names_it_and_its_network_interface_one_target(tmp_path: Path) -> None:
    """API_Route gives a route to an instance its InstanceId and NetworkInterfaceId both (one target): not two targets."""
    snap = _routes(tmp_path, {"DestinationCidrBlock": "10.9.0.0/16", "InstanceId": "i-1", "InstanceOwnerId": "123456789012",
                              "NetworkInterfaceId": "eni-1", "State": "active"})
    assert [r[4:6] for r in snap.relations["route"]] == [("eni", "eni-1")]


def test_a_route_with_two_targets_is_refused_at_the_second(tmp_path: Path) -> None:
    """API_CreateRoute takes one target: GatewayId and NatGatewayId both set were read as the gateway, unseen."""
    with pytest.raises(FactsError) as err:
        _routes(tmp_path, {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "NatGatewayId": "nat-1", "State": "active"})
    assert err.value.code == "facts.bad_value" and err.value.location.endswith(":$.RouteTables[0].Routes[0].NatGatewayId")


def _lists(tmp_path: Path, *answers: tuple[str, list]):
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True, exist_ok=True)
    for key, items in answers:
        (region / f"{key}.json").write_text(json.dumps({key: items}))
    return import_aws_configs(tmp_path)


def test_an_interface_given_no_status_and_no_attachment_is_unsettled(tmp_path: Path) -> None:
    """"Status - The status of the network interface. Valid Values: available | associated | attaching | in-use |
    detaching" (API_NetworkInterface): the API always gives it. An interface given neither Status nor Attachment is an
    eni_unsettled row with both Statuses empty (rules/route_explanations.dl: eni_status_missing); it was read as
    attached. One whose Status is in-use, whose Attachment says attached, whose Attachment names its instance without
    a Status, or which DescribeInstances lists under an instance, is attached: no row."""
    def eni(eid, **more):
        return {"NetworkInterfaceId": eid, "SubnetId": "subnet-1", "VpcId": "vpc-1", "PrivateIpAddress": "10.0.0.9",
                "Groups": [], **more}
    snap = _lists(tmp_path, ("NetworkInterfaces", [
        eni("eni-bare"), eni("eni-inuse", Status="in-use"),
        eni("eni-att", Attachment={"AttachmentId": "eni-attach-1", "InstanceId": "i-1", "Status": "attached"}),
        eni("eni-att-nostatus", Attachment={"AttachmentId": "eni-attach-2", "InstanceId": "i-2"}),
        eni("eni-listed")]), ("Reservations", [{"Instances": [
            {"InstanceId": "i-3", "SubnetId": "subnet-1", "VpcId": "vpc-1",
             "NetworkInterfaces": [eni("eni-listed"), eni("eni-only-listed")]}]}]))
    assert snap.relations["eni_unsettled"] == [("eni-bare", "", "")]
    assert {e for e, *_ in snap.relations["eni"]} >= {"eni-bare", "eni-inuse", "eni-listed", "eni-only-listed"}


def test_a_managed_prefix_lists_state_is_kept(tmp_path: Path) -> None:
    """API_ManagedPrefixList State (create-complete, modify-in-progress, ...): kept as given for the rules, which read a
    list caught changing or failed as undecided (rules/missing_data.dl prefix_list_unsettled; it was read as settled).
    An AWS-managed list, as describe-prefix-lists gives it, has none."""
    snap = _lists(tmp_path, ("ManagedPrefixLists", [
        {"PrefixListId": "pl-a", "State": "modify-in-progress", "Entries": [{"Cidr": "10.0.0.0/24"}]},
        {"PrefixListId": "pl-b", "State": "create-complete", "Entries": []}]),
        ("PrefixLists", [{"PrefixListId": "pl-s3", "Cidrs": ["52.216.0.0/15"]}]))
    assert snap.relations["prefix_list_state"] == [("pl-a", "modify-in-progress"), ("pl-b", "create-complete")]


@pytest.mark.parametrize("state", [None, 3, ""])
def test_a_prefix_list_state_that_is_not_a_string_is_refused(tmp_path: Path, state) -> None:
    with pytest.raises(FactsError) as err:
        _lists(tmp_path, ("ManagedPrefixLists", [{"PrefixListId": "pl-a", "State": state, "Entries": []}]))
    assert err.value.code == "facts.bad_value" and err.value.location.endswith(":$.ManagedPrefixLists[0].State")


def test_one_prefix_list_given_two_states_is_refused(tmp_path: Path) -> None:
    """Two answers saved at different times (describe-managed-prefix-lists under PrefixLists and ManagedPrefixLists): one
    list, one State (API_ManagedPrefixList); read as both, the settled one would not say which entries apply."""
    with pytest.raises(FactsError) as err:
        _lists(tmp_path, ("ManagedPrefixLists", [{"PrefixListId": "pl-a", "State": "modify-in-progress", "Entries": []}]),
               ("PrefixLists", [{"PrefixListId": "pl-a", "State": "modify-complete", "Cidrs": []}]))
    assert err.value.code == "facts.conflict"
