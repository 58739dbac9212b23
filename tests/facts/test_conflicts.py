"""One description per resource (reasoner/facts/conflicts.py): a resource described twice, differently, in one region's
folder is refused (``facts.conflict``); described twice alike, or in two accounts' folders, it is read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoner.errors import FactsError
from reasoner.facts.importer import import_aws_configs


def _group(gid: str, egress: list) -> dict:
    return {"GroupId": gid, "GroupName": gid, "VpcId": "vpc-1", "IpPermissions": [], "IpPermissionsEgress": egress}


ANYWHERE = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def _put(folder: Path, name: str, doc: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(doc))
    return folder / name


def test_an_older_copy_beside_the_new_answer_is_refused_naming_both_files(tmp_path: Path) -> None:
    """Joined, sg-1 would hold the egress rule it has since lost (its group allowing what it no longer allows)."""
    region = tmp_path / "aws_configs" / "us-east-1"
    new = _put(region, "SecurityGroups.json", {"SecurityGroups": [_group("sg-1", [])]})
    old = _put(region, "SecurityGroups.2026-11-01.json", {"SecurityGroups": [_group("sg-1", ANYWHERE)]})
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    e = info.value
    assert e.code == "facts.conflict" and "sg-1 is described twice, differently" in e.message
    # (files are read in name order: the second one read is where the conflict is found)
    assert e.location == f"{new}:$.SecurityGroups[0]" and str(old) in e.message
    assert "older copy" in (e.hint or "")


def test_a_resource_described_twice_alike_is_one_resource(tmp_path: Path) -> None:
    region = tmp_path / "aws_configs" / "us-east-1"
    _put(region, "SecurityGroups.json", {"SecurityGroups": [_group("sg-1", ANYWHERE)]})
    _put(region, "SecurityGroups-copy.json", {"SecurityGroups": [_group("sg-1", ANYWHERE)]})
    rows = import_aws_configs(tmp_path).relations["sg_egress_cidr"]
    assert len(rows) == 1 and rows[0][0] == "sg-1"


def test_parts_of_one_answer_in_two_files_are_joined(tmp_path: Path) -> None:
    """Pages saved apart (without their tokens), or one file per VPC of a filtered call: different resources."""
    region = tmp_path / "aws_configs" / "us-east-1"
    _put(region, "SecurityGroups-1.json", {"SecurityGroups": [_group("sg-1", [])]})
    _put(region, "SecurityGroups-2.json", {"SecurityGroups": [_group("sg-2", ANYWHERE)]})
    assert {r[0] for r in import_aws_configs(tmp_path).relations["sg"]} == {"sg-1", "sg-2"}


def test_two_accounts_may_each_describe_a_shared_resource_from_their_side(tmp_path: Path) -> None:
    """A peering connection is described by the requester's and the accepter's account (vpc-peering-basics.html), each
    from its side; the folders of two accounts are two answers."""
    pcx = {"VpcPeeringConnectionId": "pcx-1", "Status": {"Code": "active"},
           "RequesterVpcInfo": {"VpcId": "vpc-a", "Region": "us-east-1", "OwnerId": "111111111111"},
           "AccepterVpcInfo": {"VpcId": "vpc-b", "Region": "us-east-1", "OwnerId": "222222222222"}}
    _put(tmp_path / "aws_configs" / "111111111111" / "us-east-1", "VpcPeeringConnections.json",
         {"VpcPeeringConnections": [{**pcx, "Tags": [{"Key": "Name", "Value": "to-b"}]}]})
    _put(tmp_path / "aws_configs" / "222222222222" / "us-east-1", "VpcPeeringConnections.json",
         {"VpcPeeringConnections": [{**pcx, "Tags": [{"Key": "Name", "Value": "from-a"}]}]})
    assert import_aws_configs(tmp_path).relations["peering"]


@pytest.mark.parametrize("key, first, second", [
    ("NetworkAcls",
     {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": False, "Associations": [], "Entries": []},
     {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": False, "Associations": [{"SubnetId": "subnet-1"}], "Entries": []}),
    ("LoadBalancerListeners",
     {"LoadBalancerArn": "arn:lb", "Listeners": []},
     {"LoadBalancerArn": "arn:lb", "Listeners": [{"ListenerArn": "arn:l", "LoadBalancerArn": "arn:lb", "Port": 80,
                                                  "Protocol": "HTTP", "DefaultActions": []}]}),
])
def test_a_resource_twice_in_one_answer_differently_is_refused(tmp_path: Path, key: str, first: dict, second: dict) -> None:
    """AWS lists a resource once per answer (a wrapped per-parent answer once per parent): twice, differently, the
    file was edited or pieced together wrongly."""
    path = _put(tmp_path / "aws_configs" / "us-east-1", f"{key}.json", {key: [first, second]})
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.code == "facts.conflict" and info.value.location == f"{path}:$.{key}[1]"


@pytest.mark.parametrize("second", [
    {"DestinationCidrBlock": "10.0.0.0/16", "NetworkInterfaceId": "eni-mb", "State": "active"},
    {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "blackhole"},
])
def test_two_routes_to_one_destination_in_one_table_are_refused(tmp_path: Path, second: dict) -> None:
    """A table holds one route per destination (CreateRoute refuses a second): read as given, the lookup took either
    one, and the path named the one not used (the probe's REACHABLE through 'eni-mb (active)').  A propagated route
    beside a static one to the same destination is allowed (the static one wins: route-tables-priority.html), and so
    is the same route listed twice alike (pages joined)."""
    local = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}
    table = {"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Associations": [], "Routes": [local, second]}
    region = tmp_path / "aws_configs" / "us-east-1"
    _put(region, "RouteTables.json", {"RouteTables": [table]})
    with pytest.raises(FactsError) as e:
        import_aws_configs(tmp_path)
    assert e.value.code == "facts.conflict" and "rtb-1 (static route to 10.0.0.0/16)" in e.value.message
    propagated = {"DestinationCidrBlock": "10.9.0.0/16", "GatewayId": "vgw-1", "State": "active", "Origin": "EnableVgwRoutePropagation"}
    static = {"DestinationCidrBlock": "10.9.0.0/16", "NetworkInterfaceId": "eni-mb", "State": "active", "Origin": "CreateRoute"}
    _put(region, "RouteTables.json", {"RouteTables": [{**table, "Routes": [local, local, propagated, static]}]})
    snap = import_aws_configs(tmp_path)
    assert len([r for r in snap.relations["route"] if r[0] == "rtb-1"]) == 3


def _lists(region: Path, cidrs: list[str], entries: list[str]) -> None:
    _put(region, "PrefixLists.json", {"PrefixLists": [{"PrefixListId": "pl-1", "PrefixListName": "s3", "Cidrs": cidrs}]})
    _put(region, "ManagedPrefixLists.json", {"ManagedPrefixLists": [
        {"PrefixListId": "pl-1", "PrefixListName": "s3", "AddressFamily": "IPv4", "Entries": [{"Cidr": c} for c in entries]}]})


def test_a_prefix_list_described_by_both_answers_with_other_entries_is_refused_not_joined(tmp_path: Path) -> None:
    """describe-prefix-lists' Cidrs and describe-managed-prefix-lists' Entries of one list, saved at different times:
    joined, the entry since removed (10.9.0.0/16) still matched, and an SG rule naming the list allowed it."""
    region = tmp_path / "aws_configs" / "us-east-1"
    _lists(region, ["52.216.0.0/15", "10.9.0.0/16"], ["52.216.0.0/15"])
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    e = info.value
    assert e.code == "facts.conflict" and "pl-1 has two entry sets" in e.message
    assert "[10.9.0.0/16 52.216.0.0/15]" in e.message and "[52.216.0.0/15]" in e.message


def test_a_prefix_list_described_by_both_answers_alike_is_read_once(tmp_path: Path) -> None:
    region = tmp_path / "aws_configs" / "us-east-1"
    _lists(region, ["52.216.0.0/15", "10.9.0.0/16"], ["10.9.0.0/16", "52.216.0.0/15"])
    rows = import_aws_configs(tmp_path).relations["prefix_list_entry"]
    assert sorted(r[3] for r in rows) == [15, 16] and {r[0] for r in rows} == {"pl-1"}


def test_describe_prefix_lists_and_describe_managed_prefix_lists_saved_side_by_side_are_one_list(tmp_path: Path) -> None:
    """The AWS CLI prints both under "PrefixLists": one gives the entries (Cidrs), the other the list's state and owner.
    They were refused as "described twice, differently" with a hint about an older copy, which neither is."""
    region = tmp_path / "aws_configs" / "us-east-1"
    _put(region, "describe-prefix-lists.json", {"PrefixLists": [
        {"PrefixListId": "pl-1", "PrefixListName": "s3", "Cidrs": ["52.216.0.0/15"]}]})
    _put(region, "describe-managed-prefix-lists.json", {"PrefixLists": [
        {"PrefixListId": "pl-1", "PrefixListName": "s3", "AddressFamily": "IPv4", "State": "create-complete", "OwnerId": "AWS"}]})
    relations = import_aws_configs(tmp_path).relations
    assert [r[3] for r in relations["prefix_list_entry"]] == [15] and relations["prefix_list_listed"] == [("pl-1",)]
    # a field both give, differently (another name): an older copy, refused as before
    _put(region, "describe-managed-prefix-lists.json", {"PrefixLists": [
        {"PrefixListId": "pl-1", "PrefixListName": "s3-old", "AddressFamily": "IPv4", "State": "create-complete"}]})
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.code == "facts.conflict" and "described twice, differently" in info.value.message
