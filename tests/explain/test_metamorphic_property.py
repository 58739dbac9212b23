"""Property: the same network, described another way, gets the same answers.

AWS lets one configuration be written many ways: ids are names, API lists have no meaningful order, a network
ACL's rule numbers matter only by their order, one permission may hold several sources, a route may be split
into two more specific routes to the same target, a peering connection works the same from either side.  For
random small snapshots (``test_missing_data_property.build``: two peered VPCs, public and private subnets, an
internet gateway, a NAT gateway, random security groups and network ACLs, routes to CIDR blocks or to prefix
lists), each rewriting below must leave every answer unchanged: the verdict, the explanation codes of an
unreachable answer and what an inconclusive one lacks.  A difference is a bug in one of the two readings (the
prefix-list route bug of 48437f5 was found this way, by hand).

Bounded for CI (four snapshots, every rewriting of each); ``REASON_LONG_PROPERTIES=1`` tries 40 snapshots, by
hand.  The missing-data property (``test_missing_data_property.py``) asks what deleting data may change; this one
asks what describing the same data otherwise may change (nothing); ``test_incomplete_network_described_another_way``
asks it of snapshots with one deletion.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import random
from pathlib import Path
from typing import Callable

from hypothesis import HealthCheck, given, settings, strategies as st

from reasoner.errors import ReasonError
from reasoner.session import Session
from tests.explain.test_missing_data_property import PORTS, build, deletions, write

EXAMPLES = 40 if os.environ.get("REASON_LONG_PROPERTIES") else 4

Snapshot = dict[str, dict]
#: the kinds of id renamed (ENIs are not: the queries name them)
PREFIXES = frozenset({"sg", "subnet", "vpc", "acl", "rtb", "igw", "nat", "pcx", "pl"})


def build_rich(seed: int) -> Snapshot:
    """``build(seed)``, with a second source for some permissions' protocol and ports (a permission of the same
    protocol and ports, another CIDR block or group), so that merging permissions has something to merge."""
    snap = build(seed)
    rng = random.Random(seed ^ 0x5EED)
    for g in snap["SecurityGroups"]["SecurityGroups"]:
        for key in ("IpPermissions", "IpPermissionsEgress"):
            for p in list(g[key]):
                if rng.random() < 0.6:
                    extra = {f: v for f, v in p.items() if f in ("IpProtocol", "FromPort", "ToPort")}
                    if rng.random() < 0.5:
                        extra["UserIdGroupPairs"] = [{"GroupId": rng.choice(["sg-1", "sg-2", "sg-3", "sg-4"])}]
                    else:
                        extra["IpRanges"] = [{"CidrIp": rng.choice(["10.0.2.0/24", "10.1.1.0/24", "54.0.0.0/8"])}]
                    g[key].append(extra)
    return snap


def rename_ids(snap: Snapshot, prefixes: frozenset[str] = PREFIXES) -> Snapshot:
    """Every resource id of the kinds ``prefixes`` renamed, in an order that reverses their sorting: an id is a
    name, and no answer may depend on how ids compare."""
    found: set[str] = set()

    def collect(v) -> None:
        if isinstance(v, dict):
            for x in v.values():
                collect(x)
        elif isinstance(v, list):
            for x in v:
                collect(x)
        elif isinstance(v, str) and v.split("-")[0] in prefixes and "-" in v:
            found.add(v)

    collect(snap)
    mapping = {old: f"{old.split('-')[0]}-{9999 - n:04d}x" for n, old in enumerate(sorted(found))}

    def walk(v):
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return mapping.get(v, v) if isinstance(v, str) else v

    return walk(snap)


def shuffle_lists(snap: Snapshot, rng: random.Random) -> Snapshot:
    """Every list reversed or shuffled: the API's lists (resources, permissions, ACL entries, routes,
    associations, a prefix list's CIDRs) carry no meaning in their order (ACL entries by RuleNumber,
    vpc-network-acls.html; routes by longest prefix, route-tables-priority.html)."""

    def walk(v):
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            out = [walk(x) for x in v]
            rng.shuffle(out)
            return out
        return v

    return walk(snap)


def renumber_acl_rules(snap: Snapshot) -> Snapshot:
    """Every ACL rule number n becomes 3n + 7: the same order, other numbers ("rules are evaluated starting with
    the lowest numbered rule", vpc-network-acls.html)."""
    out = copy.deepcopy(snap)
    for acl in out.get("NetworkAcls", {}).get("NetworkAcls", []):
        for e in acl.get("Entries", []):
            if e.get("RuleNumber", 32767) < 32767:
                e["RuleNumber"] = 3 * e["RuleNumber"] + 7
    return out


def merge_permissions(snap: Snapshot) -> Snapshot:
    """A security group's permissions of one protocol and port range merged into one permission holding all their
    sources, as DescribeSecurityGroups itself groups them (IpPermission: IpRanges, UserIdGroupPairs, lists)."""
    out = copy.deepcopy(snap)
    for g in out.get("SecurityGroups", {}).get("SecurityGroups", []):
        for key in ("IpPermissions", "IpPermissionsEgress"):
            merged: dict[tuple, dict] = {}
            for p in g.get(key, []):
                k = (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"))
                into = merged.setdefault(k, {f: v for f, v in p.items() if f in ("IpProtocol", "FromPort", "ToPort")})
                for src in ("IpRanges", "UserIdGroupPairs", "PrefixListIds", "Ipv6Ranges"):
                    if p.get(src):
                        into.setdefault(src, []).extend(p[src])
            g[key] = list(merged.values())
    return out


def add_empty_group(snap: Snapshot) -> Snapshot:
    """Every ENI gets one more security group, with no rule at all: the rules of an ENI's groups are aggregated
    (security-group-rules.html), and a group without rules adds none."""
    out = copy.deepcopy(snap)
    vpcs = sorted({n["VpcId"] for n in out["NetworkInterfaces"]["NetworkInterfaces"]})
    groups = out.get("SecurityGroups", {}).get("SecurityGroups")
    if groups is None:
        return out
    for v in vpcs:
        groups.append({"GroupId": f"sg-empty-{v}", "GroupName": f"empty-{v}", "VpcId": v, "IpPermissions": [],
                       "IpPermissionsEgress": []})
    for n in out["NetworkInterfaces"]["NetworkInterfaces"]:
        n["Groups"].append({"GroupId": f"sg-empty-{n['VpcId']}"})
    return out


def add_shadowed_acl_rules(snap: Snapshot) -> Snapshot:
    """Deny rules numbered after a rule that allows every packet: the first matching rule decides
    (vpc-network-acls.html), so they never apply."""
    out = copy.deepcopy(snap)
    for acl in out.get("NetworkAcls", {}).get("NetworkAcls", []):
        entries = acl.get("Entries", [])
        for egress in (False, True):
            catch_all = [e["RuleNumber"] for e in entries if e.get("Egress") == egress and e.get("Protocol") == "-1"
                         and e.get("CidrBlock") == "0.0.0.0/0" and e.get("RuleAction") == "allow"]
            if catch_all:
                entries.append({"RuleNumber": min(catch_all) + 50, "Protocol": "-1", "RuleAction": "deny", "Egress": egress,
                                "CidrBlock": "0.0.0.0/0"})
    return out


def split_routes(snap: Snapshot) -> Snapshot:
    """Every route to a CIDR block (but the local ones) split into two routes to its halves, same target and
    state: longest prefix match (route-tables-priority.html) sends each address where the whole block did, since
    no other route's block lies strictly between the two lengths here."""
    out = copy.deepcopy(snap)
    for t in out.get("RouteTables", {}).get("RouteTables", []):
        routes = []
        for r in t.get("Routes", []):
            cidr = r.get("DestinationCidrBlock")
            if cidr is None or r.get("GatewayId") == "local" or ipaddress.ip_network(cidr).prefixlen >= 32:
                routes.append(r)
                continue
            for half in ipaddress.ip_network(cidr).subnets(1):
                routes.append({**r, "DestinationCidrBlock": str(half)})
        t["Routes"] = routes
    return out


def swap_peering_sides(snap: Snapshot) -> Snapshot:
    """The peering connection's requester and accepter swapped: once active, a peering connection carries traffic
    both ways and neither side is special for routing or security group references (vpc-peering-basics.html)."""
    out = copy.deepcopy(snap)
    for p in out.get("VpcPeeringConnections", {}).get("VpcPeeringConnections", []):
        p["RequesterVpcInfo"], p["AccepterVpcInfo"] = p["AccepterVpcInfo"], p["RequesterVpcInfo"]
    return out


def explicit_main_association(snap: Snapshot) -> Snapshot:
    """Each subnet without an explicit route table association associated explicitly with its VPC's main table:
    "a subnet that is not explicitly associated with any route table is implicitly associated with the main route
    table" (subnet-route-tables.html)."""
    out = copy.deepcopy(snap)
    tables = out.get("RouteTables", {}).get("RouteTables", [])
    explicit = {a["SubnetId"] for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    for s in out.get("Subnets", {}).get("Subnets", []):
        if s["SubnetId"] in explicit:
            continue
        main = [t for t in tables if t["VpcId"] == s["VpcId"] and any(a.get("Main") for a in t.get("Associations", []))]
        if main:
            main[0]["Associations"].append({"SubnetId": s["SubnetId"]})
    return out


def unrelated_vpc(snap: Snapshot) -> Snapshot:
    """A third VPC, peered with nothing and reached by no route, with an ENI whose group admits everything: no
    answer between the first two VPCs and the internet may change."""
    out = copy.deepcopy(snap)
    if "Vpcs" in out:
        out["Vpcs"]["Vpcs"].append({"VpcId": "vpc-c", "CidrBlock": "10.2.0.0/16"})
    if "Subnets" in out:
        out["Subnets"]["Subnets"].append({"SubnetId": "subnet-c", "VpcId": "vpc-c", "CidrBlock": "10.2.1.0/24",
                                          "AvailabilityZone": "us-east-1a"})
    if "SecurityGroups" in out:
        out["SecurityGroups"]["SecurityGroups"].append({
            "GroupId": "sg-c", "GroupName": "open", "VpcId": "vpc-c",
            "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
            "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]})
    out["NetworkInterfaces"]["NetworkInterfaces"].append({
        "NetworkInterfaceId": "eni-9", "SubnetId": "subnet-c", "VpcId": "vpc-c", "PrivateIpAddress": "10.2.1.10",
        "PrivateIpAddresses": [{"PrivateIpAddress": "10.2.1.10", "Primary": True}], "Groups": [{"GroupId": "sg-c"}],
        "Status": "in-use"})
    if "RouteTables" in out:
        out["RouteTables"]["RouteTables"].append({
            "RouteTableId": "rtb-c-main", "VpcId": "vpc-c", "Associations": [{"Main": True}],
            "Routes": [{"DestinationCidrBlock": "10.2.0.0/16", "GatewayId": "local", "State": "active"}]})
    if "NetworkAcls" in out:
        out["NetworkAcls"]["NetworkAcls"].append({
            "NetworkAclId": "acl-c", "VpcId": "vpc-c", "IsDefault": True, "Associations": [{"SubnetId": "subnet-c"}],
            "Entries": [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": e, "CidrBlock": "0.0.0.0/0"}
                        for e in (False, True)]})
    return out


def unused_blackhole(snap: Snapshot) -> Snapshot:
    """A blackhole route for a documentation block (203.0.113.0/24) in every table: packets to those addresses
    drop, and the internet has other addresses, so whether some packet reaches the internet (or comes from it)
    does not change."""
    out = copy.deepcopy(snap)
    for t in out.get("RouteTables", {}).get("RouteTables", []):
        t["Routes"].append({"DestinationCidrBlock": "203.0.113.0/24", "GatewayId": "igw-gone", "State": "blackhole"})
    return out


REWRITINGS: dict[str, Callable[[Snapshot, random.Random], Snapshot]] = {
    "rename ids": lambda s, r: rename_ids(s),
    "shuffle lists": shuffle_lists,
    "renumber ACL rules": lambda s, r: renumber_acl_rules(s),
    "merge permissions": lambda s, r: merge_permissions(s),
    "add an empty group": lambda s, r: add_empty_group(s),
    "add shadowed ACL rules": lambda s, r: add_shadowed_acl_rules(s),
    "split routes": lambda s, r: split_routes(s),
    "swap peering sides": lambda s, r: swap_peering_sides(s),
    "explicit main association": lambda s, r: explicit_main_association(s),
    "an unrelated VPC": lambda s, r: unrelated_vpc(s),
    "an unused blackhole": lambda s, r: unused_blackhole(s),
}


def answers(folder: Path, snapshot: Snapshot, queries: list[str]) -> dict[str, tuple]:
    """Per query: (verdict, explanation codes, what is missing by hop and kind); errors as ("error", code)."""
    try:
        session = Session.open(write(folder, snapshot))
    except ReasonError as e:
        return {q: ("error", e.code) for q in queries}
    out = {}
    for q in queries:
        try:
            a = session.query(q, depth=0, detail=False)
        except ReasonError as e:
            out[q] = ("error", e.code)
            continue
        out[q] = (a.verdict, tuple(sorted({e.code for e in a.explanations})),
                  tuple(sorted({(m.hop, m.missing) for m in a.missing})))
    return out


def queries_for(port: int) -> list[str]:
    pairs = (("eni-1", "eni-2"), ("eni-2", "eni-1"), ("eni-2", "eni-3"), ("eni-3", "eni-1"), ("internet", "eni-1"),
             ("eni-2", "internet"), ("eni-1", "internet"))
    return [f"{a} -> {b} tcp {port}" for a, b in pairs] + ["eni-3 -> eni-2 any"]


def assert_same_answers(tmp_path_factory, snapshot: Snapshot, queries: list[str], seed: int, label: str = "") -> None:
    base = answers(tmp_path_factory.mktemp("base"), snapshot, queries)
    for name in sorted(REWRITINGS):
        variant = REWRITINGS[name](snapshot, random.Random(seed))
        after = answers(tmp_path_factory.mktemp("variant"), variant, queries)
        for q in queries:
            assert after[q] == base[q], (seed, label, name, q, base[q], after[q])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), port=st.sampled_from(PORTS))
def test_the_same_network_described_another_way_gets_the_same_answers(tmp_path_factory, seed, port):
    assert_same_answers(tmp_path_factory, build_rich(seed), queries_for(port), seed)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), port=st.sampled_from(PORTS), which=st.integers(0, 10**6))
def test_incomplete_network_described_another_way(tmp_path_factory, seed, port, which):
    """The same, on a snapshot that lacks one file or one referenced resource: what an inconclusive answer lacks
    must not depend on how the rest is written either (rules/missing_data.dl)."""
    variants = deletions(build_rich(seed))
    label, snapshot = variants[which % len(variants)]
    assert_same_answers(tmp_path_factory, snapshot, queries_for(port), seed, label)


def test_each_rewriting_changes_the_snapshot():
    """A rewriting that left the snapshot as it was would test nothing."""
    for seed in range(5):
        snapshot = build_rich(seed)
        for name, rewrite in REWRITINGS.items():
            if name == "swap peering sides" and "VpcPeeringConnections" not in snapshot:
                continue
            assert rewrite(snapshot, random.Random(seed)) != snapshot, name
