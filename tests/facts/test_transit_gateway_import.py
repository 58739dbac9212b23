"""Transit gateway keys in reasoner.facts.importer: Batfish's shapes, `reason collect`'s shapes, errors."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from reasoner.engine.parse import parse_files
from reasoner.errors import FactsError
from reasoner.facts.importer import RELATIONS, import_aws_configs

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "datasets" / "batfish-aws"
DECLS = REPO / "rules" / "02_transit_gateway_snapshot.dl"
TGW_RELATIONS = {r for r in RELATIONS if r.startswith("tgw")}


def ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def _write(folder: Path, docs: dict) -> Path:
    region = folder / "aws_configs" / "us-east-1"
    region.mkdir(parents=True, exist_ok=True)
    for key, items in docs.items():
        (region / f"{key}.json").write_text(json.dumps({key: items}))
    return folder


def test_relations_declared_once_in_the_snapshot_file() -> None:
    module = parse_files([DECLS])
    assert {d.name for d in module.decls} == TGW_RELATIONS and not module.rules


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared Batfish AWS datasets (../shared) not available")
def test_batfish_transit_gateway_snapshot() -> None:
    s = import_aws_configs(SHARED / "test-transit-gateway")
    r = s.relations
    assert r["tgw"] == [("tgw-044be4464fcc69aff", "available")] and s.names["tgw-044be4464fcc69aff"] == "transit-test"
    att_a, tgw = "tgw-attach-07f5ec59e9f540021", "tgw-044be4464fcc69aff"
    assert (att_a, tgw, "vpc-0404e08ceddf7f650", "available") in r["tgw_vpc_attachment"]
    assert ("tgw-attach-07f5ec59e9f540021", "subnet-006a19c846f047bd7") in r["tgw_attachment_subnet"]
    assert ("tgw-attach-0d724909ecd7a5961", tgw, "vpn", "vpn-034885b776a3f8a80", "deleted") in r["tgw_attachment"]
    assert ("tgw-attach-0ae2696617bb06fb4", "tgw-rtb-0fa40c8df355dce6e", "associated") in r["tgw_association"]
    assert ("tgw-rtb-0fa40c8df355dce6e", "tgw-attach-0ae2696617bb06fb4", "vpc", "enabled") in r["tgw_propagation"]
    assert r["tgw_routes_collected"] == [("tgw-rtb-0fa40c8df355dce6e", "static")] and r["tgw_route"] == []
    assert not any(u["key"].startswith("TransitGateway") for u in s.manifest["unmodelled"])


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared Batfish AWS datasets (../shared) not available")
def test_batfish_unit_fixture_static_and_blackhole_routes(tmp_path: Path) -> None:
    # (Batfish's unit fixtures are independent answers, one per test: several describe one ACL differently, which is
    # refused in one region's folder, reasoner/facts/conflicts.py; the routes' fixture is imported on its own)
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    (region / "TransitGatewayStaticRoutesTest.json").write_bytes(
        (SHARED / "unit-fixtures" / "TransitGatewayStaticRoutesTest.json").read_bytes())
    r = import_aws_configs(tmp_path).relations
    rtb = "tgw-rtb-08262a9ed03306288"
    assert (rtb, ip("1.1.1.1"), ip("1.1.1.1"), 32, "tgw-attach-07f5ec59e9f540021", "static", "active") in r["tgw_route"]
    assert (rtb, ip("192.168.0.0"), ip("192.168.255.255"), 16, "none", "static", "blackhole") in r["tgw_route"]


def test_collected_shapes_wrapped_plain_truncated_and_ipv6(tmp_path: Path) -> None:
    s = import_aws_configs(_write(tmp_path, {
        "TransitGatewayRouteTableAssociations": [{"TransitGatewayRouteTableId": "tgw-rtb-1", "Associations": [
            {"TransitGatewayAttachmentId": "tgw-attach-1", "ResourceType": "vpc", "State": "associated"}]}],
        "TransitGatewayPropagations": [{"TransitGatewayRouteTableId": "tgw-rtb-2", "TransitGatewayAttachmentId": "tgw-attach-1",
                                        "ResourceType": "vpc", "State": "enabled"}],  # plain item naming its table
        "TransitGatewayPropagatedRoutes": [{"TransitGatewayRouteTableId": "tgw-rtb-1", "Routes": [
            {"DestinationCidrBlock": "10.1.0.0/16", "State": "active", "Type": "propagated",
             "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-1"},
                                           {"TransitGatewayAttachmentId": "tgw-attach-2"}]},
            {"DestinationCidrBlock": "2600::/40", "State": "active", "Type": "propagated"}]}],
        "TransitGatewayStaticRoutes": [{"TransitGatewayRouteTableId": "tgw-rtb-1", "AdditionalRoutesAvailable": True, "Routes": [
            {"PrefixListId": "pl-1", "State": "active", "Type": "static",
             "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-1"}]}]}],
        "TransitGatewayVpcAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-1", "TransitGatewayId": "tgw-1",
                                          "VpcId": "vpc-1", "State": "available", "SubnetIds": ["subnet-1"],
                                          "Options": {"ApplianceModeSupport": "enable",
                                                      "SecurityGroupReferencingSupport": "disable"}}],
    }))
    r = s.relations
    assert r["tgw_association"] == [("tgw-attach-1", "tgw-rtb-1", "associated")]
    assert r["tgw_propagation"] == [("tgw-rtb-2", "tgw-attach-1", "vpc", "enabled")]
    # whose answers the snapshot holds: the wrapped entry's table, the table the plain item names
    assert r["tgw_associations_listed"] == [("tgw-rtb-1",)] and r["tgw_propagations_listed"] == [("tgw-rtb-2",)]
    assert [x[4] for x in r["tgw_route"] if x[1] < 1 << 32] == ["tgw-attach-1", "tgw-attach-2"]  # one row per ECMP attachment
    assert r["tgw_route_pl"] == [("tgw-rtb-1", "pl-1", "tgw-attach-1", "active")]
    # the static answer was truncated: not complete, so the table's lookup will be refused
    assert r["tgw_routes_collected"] == [("tgw-rtb-1", "propagated")]
    assert s.manifest["skipped_ipv6"] == 0  # the IPv6 route is a route like any other (one line of addresses)
    v6 = ipaddress.IPv6Network("2600::/40")
    assert ("tgw-rtb-1", int(v6.network_address), int(v6.broadcast_address), 40, "none", "propagated", "active") in r["tgw_route"]
    assert ("tgw-attach-1", "ApplianceModeSupport", "enable") in r["tgw_attachment_option"]


def test_a_transit_gateways_referencing_option_is_kept(tmp_path: Path) -> None:
    """TransitGateways Options.SecurityGroupReferencingSupport (API_TransitGatewayOptions) -> tgw_option; absent when
    the answer does not give it; Options that are not an object are a located error."""
    _write(tmp_path, {"TransitGateways": [
        {"TransitGatewayId": "tgw-1", "State": "available", "Options": {"SecurityGroupReferencingSupport": "enable",
                                                                        "DnsSupport": "enable"}},
        {"TransitGatewayId": "tgw-2", "State": "available"}]})
    assert import_aws_configs(tmp_path).relations["tgw_option"] == [("tgw-1", "SecurityGroupReferencingSupport", "enable")]
    _write(tmp_path, {"TransitGateways": [{"TransitGatewayId": "tgw-1", "Options": "enable"}]})
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert "Options" in info.value.render()


def test_missing_route_table_id_is_located(tmp_path: Path) -> None:
    _write(tmp_path, {"TransitGatewayStaticRoutes": [{"Routes": []}]})
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.code == "facts.missing_field"
    assert info.value.location.endswith(
        "TransitGatewayStaticRoutes.json:$.TransitGatewayStaticRoutes[0].TransitGatewayRouteTableId")
    _write(tmp_path, {"TransitGatewayStaticRoutes": [{"TransitGatewayRouteTableId": "tgw-rtb-1",
                                                      "Routes": [{"State": "active"}]}]})
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.location.endswith("$.TransitGatewayStaticRoutes[0].Routes[0].DestinationCidrBlock")


def test_a_zone_name_is_kept_with_the_account_that_gives_it(tmp_path: Path) -> None:
    """Zone names are mapped to zones per account (https://docs.aws.amazon.com/global-infrastructure/latest/regions/
    az-ids.html), so each subnet's name is kept with the account giving it (subnet_zone_named_by, which the transit
    gateway's zone choice reads): the describing account of an aws_configs/<account>/ folder, even for a subnet another
    account owns (a shared subnet is in "the Availability Zone whose AZ ID is also use1-az2" of the account it is shared
    with, by that account's name); in a layout without one, the subnet's OwnerId; neither: no row."""
    def subnet(sid: str, az: str, owner: str | None) -> dict:
        return {"SubnetId": sid, "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24" if sid == "subnet-a" else "10.0.2.0/24",
                "AvailabilityZone": az, **({"OwnerId": owner} if owner else {})}
    single = _write(tmp_path / "single", {"Subnets": [subnet("subnet-a", "us-east-1a", "111111111111"),
                                                      subnet("subnet-b", "us-east-1b", None)]})
    assert sorted(import_aws_configs(single).relations["subnet_zone_named_by"]) == [
        ("subnet-a", "us-east-1a", "111111111111")]
    multi = tmp_path / "multi"
    for account, subnets in (("111111111111", [subnet("subnet-a", "us-east-1a", "999999999999")]),
                             ("222222222222", [subnet("subnet-a", "us-east-1c", "999999999999"),
                                               subnet("subnet-b", "us-east-1b", None)])):
        region = multi / "aws_configs" / account / "us-east-1"
        region.mkdir(parents=True)
        (region / "Subnets.json").write_text(json.dumps({"Subnets": subnets}))
    assert sorted(import_aws_configs(multi).relations["subnet_zone_named_by"]) == [
        ("subnet-a", "us-east-1a", "111111111111"), ("subnet-a", "us-east-1c", "222222222222"),
        ("subnet-b", "us-east-1b", "222222222222")]
