"""Port ranges of security group rules and network ACL entries (reasoner/facts/context.py ``Ctx.ports``).

EC2 API reference, IpPermission: "For tcp, udp, and icmp, you must specify a port range" and "specifying -1 or a
protocol number other than tcp, udp, icmp, or icmpv6 allows traffic on all ports, regardless of any port range you
specify"; NetworkAclEntry PortRange: "Required if specifying protocol 6 (TCP) or 17 (UDP)".  A TCP/UDP range
that is missing or outside 0-65535 is a malformed row (exit 2), never every port: read as every port, it made a
rule for one port allow them all.  So is an ICMP rule's or entry's missing type and code (an ICMPv6 rule's range
is optional: "For icmpv6, the port range is optional").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reasoner.errors import FactsError
from reasoner.facts.importer import import_aws_configs


def _sg(tmp_path: Path, perm: dict) -> Path:
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    group = {"GroupId": "sg-1", "GroupName": "g", "VpcId": "vpc-1", "IpPermissions": [perm], "IpPermissionsEgress": []}
    (region / "SecurityGroups.json").write_text(json.dumps({"SecurityGroups": [group]}))
    return tmp_path


def _acl(tmp_path: Path, entry: dict) -> Path:
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True)
    acl = {"NetworkAclId": "acl-1", "VpcId": "vpc-1", "IsDefault": False, "Associations": [],
           "Entries": [{"CidrBlock": "10.0.0.0/8", "Egress": False, "RuleAction": "allow", "RuleNumber": 10, **entry}]}
    (region / "NetworkAcls.json").write_text(json.dumps({"NetworkAcls": [acl]}))
    return tmp_path


CIDR = [{"CidrIp": "10.0.0.0/8"}]


@pytest.mark.parametrize("perm", [
    {"IpProtocol": "tcp", "IpRanges": CIDR},                                   # no FromPort/ToPort
    {"IpProtocol": "udp", "FromPort": 53, "IpRanges": CIDR},                   # no ToPort
    {"IpProtocol": "tcp", "FromPort": -5, "ToPort": 22, "IpRanges": CIDR},
    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 10 ** 30, "IpRanges": CIDR},
    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 80, "IpRanges": CIDR},   # upside down
    {"IpProtocol": "6", "FromPort": True, "ToPort": 80, "IpRanges": CIDR},
    {"IpProtocol": "icmp", "IpRanges": CIDR},                                  # ICMP too: "you must specify a port range"
    {"IpProtocol": "1", "FromPort": 8, "IpRanges": CIDR},
])
def test_a_tcp_udp_or_icmp_rule_without_a_valid_port_range_is_malformed(tmp_path: Path, perm: dict) -> None:
    with pytest.raises(FactsError) as err:
        import_aws_configs(_sg(tmp_path, perm))
    assert err.value.code == "facts.bad_value" and "IpPermissions" in (err.value.location or "")


def test_a_tcp_acl_entry_without_its_port_range_is_malformed(tmp_path: Path) -> None:
    with pytest.raises(FactsError, match="port range"):
        import_aws_configs(_acl(tmp_path, {"Protocol": "6"}))


@pytest.mark.parametrize("perm, ports", [
    ({"IpProtocol": "tcp", "FromPort": -1, "ToPort": 50, "IpRanges": CIDR}, (0, 50)),  # Batfish: -1 is an open end
    ({"IpProtocol": "tcp", "FromPort": 30, "ToPort": -1, "IpRanges": CIDR}, (30, 65535)),
    ({"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": CIDR}, (8000, 8000)),
    ({"IpProtocol": "50", "FromPort": 10, "ToPort": 20, "IpRanges": CIDR}, (0, 65535)),  # ESP: ports ignored (AWS)
    # ICMP and ICMPv6: FromPort is "the ICMP type or -1 (all ICMP types)", ToPort "the ICMP code or -1 (all ICMP
    # codes)" (IpPermission); kept as the messages type * 256 + code (rules/00_snapshot.dl)
    ({"IpProtocol": "icmpv6", "FromPort": 128, "ToPort": 0, "IpRanges": CIDR}, (128 * 256, 128 * 256)),
    ({"IpProtocol": "icmp", "FromPort": 8, "ToPort": -1, "IpRanges": CIDR}, (8 * 256, 8 * 256 + 255)),
    ({"IpProtocol": "icmp", "FromPort": 3, "ToPort": 4, "IpRanges": CIDR}, (3 * 256 + 4, 3 * 256 + 4)),
    ({"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": CIDR}, (0, 65535)),
    ({"IpProtocol": "icmpv6", "IpRanges": CIDR}, (0, 65535)),  # "For icmpv6, the port range is optional"
    ({"IpProtocol": "-1", "IpRanges": CIDR}, (0, 65535)),
])
def test_port_ranges_as_aws_reads_them(tmp_path: Path, perm: dict, ports: tuple[int, int]) -> None:
    rows = import_aws_configs(_sg(tmp_path, perm)).relations["sg_ingress_cidr"]
    assert [(r[2], r[3]) for r in rows] == [ports]


@pytest.mark.parametrize("entry, ports", [
    # NetworkAclEntry IcmpTypeCode: "Type ... A value of -1 means all types", "Code ... -1 means all codes for the
    # specified ICMP type"
    ({"Protocol": "1", "IcmpTypeCode": {"Type": 0, "Code": -1}}, (0, 255)),
    ({"Protocol": "1", "IcmpTypeCode": {"Type": 3, "Code": 4}}, (3 * 256 + 4, 3 * 256 + 4)),
    ({"Protocol": "1", "IcmpTypeCode": {"Type": -1, "Code": -1}}, (0, 65535)),
    ({"Protocol": "58", "IcmpTypeCode": {"Type": 129, "Code": 0}, "CidrBlock": None, "Ipv6CidrBlock": "::/0"},
     (129 * 256, 129 * 256)),
    # CreateNetworkAclEntry, Protocol: "If you specify protocol "58" (ICMPv6) and specify an IPv4 CIDR block, traffic
    # for all ICMP types and codes allowed, regardless of any that you specify" (it read the type and code)
    ({"Protocol": "58", "IcmpTypeCode": {"Type": 129, "Code": 0}}, (0, 65535)),
    ({"Protocol": "58", "IcmpTypeCode": {"Type": 128, "Code": 0}, "RuleAction": "deny"}, (0, 65535)),
    ({"Protocol": "1", "IcmpTypeCode": {"Type": -1, "Code": -1}, "PortRange": {"From": 22, "To": 22}}, (0, 65535)),
])
def test_icmp_acl_entries_keep_their_type_and_code(tmp_path: Path, entry: dict, ports: tuple[int, int]) -> None:
    rows = [r for r in import_aws_configs(_acl(tmp_path, entry)).relations["nacl_entry"] if r[2] == 10]
    assert [(r[4], r[5]) for r in rows] == [ports]


@pytest.mark.parametrize("entry", [{"Protocol": "1", "IcmpTypeCode": {"Type": 256, "Code": 0}},
                                   {"Protocol": "1", "IcmpTypeCode": {"Type": 3, "Code": "x"}},
                                   {"Protocol": "1", "IcmpTypeCode": "echo"}])
def test_an_icmp_type_or_code_outside_0_255_is_malformed(tmp_path: Path, entry: dict) -> None:
    with pytest.raises(FactsError) as err:
        import_aws_configs(_acl(tmp_path, entry))
    assert err.value.code == "facts.bad_value" and "IcmpTypeCode" in (err.value.location or "")


@pytest.mark.parametrize("entry", [{"Protocol": "1"}, {"Protocol": "1", "PortRange": {"From": 22, "To": 22}}])
def test_an_icmp_acl_entry_without_its_type_and_code_is_refused_never_every_message(tmp_path: Path, entry: dict) -> None:
    """AWS::EC2::NetworkAclEntry Icmp: the type and code are "Required if you specify 1 (ICMP) for the protocol"; an
    entry without them was cut (it read as every ICMP message: an allow passed an echo request it may not)."""
    with pytest.raises(FactsError) as err:
        import_aws_configs(_acl(tmp_path, entry))
    assert err.value.code == "facts.missing_field" and (err.value.location or "").endswith(".IcmpTypeCode")


V6 = {"CidrBlock": None, "Ipv6CidrBlock": "::/0"}


@pytest.mark.parametrize("entry, code, where", [
    ({"Protocol": "58", **V6}, "facts.missing_field", ".IcmpTypeCode"),
    ({"Protocol": "58", **V6, "IcmpTypeCode": {"Type": 128}}, "facts.bad_value", ".IcmpTypeCode.Code"),
    ({"Protocol": "1", "IcmpTypeCode": {"Code": 0}}, "facts.bad_value", ".IcmpTypeCode.Type"),
    ({"Protocol": "1", "IcmpTypeCode": {}}, "facts.bad_value", ".IcmpTypeCode.Type"),
    ({"Protocol": "1", "IcmpTypeCode": {"Type": 8}}, "facts.bad_value", ".IcmpTypeCode.Code"),
    ({"Protocol": "1", "IcmpTypeCode": {"Type": 8, "Code": None}}, "facts.bad_value", ".IcmpTypeCode.Code"),
])
def test_an_icmp_acl_entry_with_an_incomplete_type_and_code_is_refused_never_every_message(
        tmp_path: Path, entry: dict, code: str, where: str) -> None:
    """CreateNetworkAclEntry IcmpTypeCode: "Required if specifying protocol 1 (ICMP) or protocol 58 (ICMPv6) with an
    IPv6 CIDR block" (API_CreateNetworkAclEntry.html), and DescribeNetworkAcls lists both its Type and Code (-1 for
    all).  An ICMPv6 entry over IPv6 without it, or an IcmpTypeCode without its Type or Code, was read as every
    message (the absent field as -1): an allow of echo requests passed every ICMP message (found by an adversarial
    test session, F3).  An ICMPv6 entry with an IPv4 block still covers every message (it needs no IcmpTypeCode)."""
    with pytest.raises(FactsError) as err:
        import_aws_configs(_acl(tmp_path, entry))
    assert err.value.code == code and (err.value.location or "").endswith(where), err.value


def test_an_icmpv6_acl_entry_with_an_ipv4_block_needs_no_type_and_code(tmp_path: Path) -> None:
    rows = [r for r in import_aws_configs(_acl(tmp_path, {"Protocol": "58"})).relations["nacl_entry"] if r[2] == 10]
    assert [(r[4], r[5]) for r in rows] == [(0, 65535)]


@pytest.mark.parametrize("proto", ["999", "256", "-2"])
def test_a_protocol_number_outside_0_255_is_malformed_never_a_packet_class(tmp_path: Path, proto: str) -> None:
    """An IP protocol number is 8 bits ("Use -1 to specify all protocols", IpPermission IpProtocol): `999` was read as
    a protocol of its own, and `query ... any` answered REACHABLE with a packet of protocol 999 (no such packet
    exists), so `assert unreachable` failed on it; a network ACL entry likewise."""
    with pytest.raises(FactsError) as err:
        import_aws_configs(_sg(tmp_path / "sg", {"IpProtocol": proto, "IpRanges": CIDR}))
    assert err.value.code == "facts.bad_value" and "IpProtocol" in (err.value.location or "")
    with pytest.raises(FactsError) as err:
        import_aws_configs(_acl(tmp_path / "acl", {"Protocol": proto}))
    assert err.value.code == "facts.bad_value" and "Protocol" in (err.value.location or "")


@pytest.mark.parametrize("proto", ["0", "255", "-1", "47"])
def test_protocol_numbers_of_0_255_and_all_are_read(tmp_path: Path, proto: str) -> None:
    rows = import_aws_configs(_sg(tmp_path, {"IpProtocol": proto, "IpRanges": CIDR})).relations["sg_ingress_cidr"]
    assert [r[1] for r in rows] == [proto]
