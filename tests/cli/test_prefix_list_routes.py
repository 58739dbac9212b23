"""Routes to a prefix list (managed-prefix-lists.html: prefix lists are referenced "in security group rules and
routes"; CreateRoute takes DestinationPrefixListId with any target a CIDR route takes): a route of the private
subnet's table to a prefix list answers as the same route to the list's CIDR block, whatever its target.

The case that was wrong: a target the snapshot does not describe (a deleted or another account's gateway, or a
describe-* answer not collected) read as a blocked path through a prefix list (UNREACHABLE, BAD_STATE: an
``assert unreachable`` would pass on data the snapshot lacks) and as missing data through a CIDR block
(INCONCLUSIVE).  rules/missing_data.dl now reads both kinds of route (``route_target_of``)."""

from __future__ import annotations

import json

import pytest
from test_query import FACTS, REGION, _bastion, _public_ip, edit, query_json, scenario

QUERY = "task-eni -> 8.8.8.8 tcp 443"  # task-eni: 10.0.11.20 in the private subnet, whose table is rtb-main

#: (target key, target id, whether the snapshot describes it)
TARGETS = [("GatewayId", "igw-gone", False), ("NatGatewayId", "nat-gone", False),
           ("VpcPeeringConnectionId", "pcx-gone", False), ("TransitGatewayId", "tgw-gone", False),
           ("GatewayId", "igw-0main", True), ("NatGatewayId", "nat-0pub", True)]
#: the NAT gateway described when a route names it: public, in subnet-pub-a (whose table routes to igw-0main)
NAT = {"NatGateways": [{"NatGatewayId": "nat-0pub", "SubnetId": "subnet-pub-a", "VpcId": "vpc-0a1b2c3d", "State": "available",
                        "ConnectivityType": "public",
                        "NatGatewayAddresses": [{"PrivateIp": "10.0.1.99", "PublicIp": "54.9.9.9"}]}]}


def _route(tmp_path, via: str, key: str, target: str, state: str = "active"):
    snap = scenario(tmp_path / via)
    if target == "nat-0pub":
        (snap / REGION / "NatGateways.json").write_text(json.dumps(NAT))
    if via == "cidr":
        destination = {"DestinationCidrBlock": "8.8.8.0/24"}
    else:
        (snap / REGION / "PrefixLists.json").write_text(json.dumps({"PrefixLists": [
            {"PrefixListId": "pl-dns", "PrefixListName": "public-dns", "Cidrs": ["8.8.8.0/24"]}]}))
        destination = {"DestinationPrefixListId": "pl-dns"}
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({**destination, key: target, "State": state,
                                                             "Origin": "CreateRoute"})
                                         for r in d["RouteTables"] if r["RouteTableId"] == "rtb-main"])
    return snap


def _verdict(snap) -> tuple:
    code, out = query_json(snap, QUERY)
    return (code, out["verdict"], sorted((m["hop"], m["component"]) for m in out["missing"]),
            sorted((e["code"], e["component"]) for e in out["explanations"]))


@pytest.mark.parametrize("key, target, described", TARGETS)
def test_a_route_to_a_prefix_list_answers_as_the_same_route_to_its_cidr_block(tmp_path, key, target, described):
    by_cidr, by_list = _verdict(_route(tmp_path, "cidr", key, target)), _verdict(_route(tmp_path, "list", key, target))
    assert by_list == by_cidr
    if not described:  # missing data: never blocked, never reachable
        assert by_list[0] == 3 and by_list[1] == "inconclusive"
        assert ("fwd_route", target) in by_list[2]
    elif target == "nat-0pub":  # out through the NAT gateway's address, back through it
        assert by_list[0] == 0 and by_list[1] == "reachable"


@pytest.mark.parametrize("target", ["igw-gone", "igw-0main"])
def test_a_blackhole_route_to_a_prefix_list_drops_as_the_same_route_to_its_cidr_block(tmp_path, target):
    """A route in state blackhole ("the route's target isn't available": EC2 API, Route.State) drops what it
    matches, whether or not the snapshot describes the target, through a prefix list as through a CIDR block."""
    by_cidr = _verdict(_route(tmp_path, "cidr", "GatewayId", target, "blackhole"))
    by_list = _verdict(_route(tmp_path, "list", "GatewayId", target, "blackhole"))
    assert by_list == by_cidr and by_list[0] == 1


@pytest.mark.parametrize("via", ["cidr", "list"])
def test_from_the_internet_a_default_route_to_a_prefix_list_naming_an_undescribed_gateway_is_undecided(tmp_path, via):
    """From the internet, the destination's VPC needs an attached internet gateway: with none described and the
    public subnet's default route naming igw-gone (to 0.0.0.0/0, or to a prefix list of 0.0.0.0/1 and 128.0.0.0/1),
    whether one is attached is unknown (rules/missing_data.dl), not "no gateway"."""
    snap = scenario(tmp_path)
    _bastion(snap)  # 10.0.1.50 in subnet-pub-a, sg-0alb admits tcp 80 from anywhere
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    (snap / REGION / "InternetGateways.json").write_text(json.dumps({"InternetGateways": []}))
    if via == "list":
        (snap / REGION / "PrefixLists.json").write_text(json.dumps({"PrefixLists": [
            {"PrefixListId": "pl-all", "PrefixListName": "anywhere", "Cidrs": ["0.0.0.0/1", "128.0.0.0/1"]}]}))

    def default_route(d):
        for r in d["RouteTables"]:
            if r["RouteTableId"] == "rtb-public":
                r["Routes"] = [x for x in r["Routes"] if x.get("DestinationCidrBlock") != "0.0.0.0/0"]
                r["Routes"].append({**({"DestinationCidrBlock": "0.0.0.0/0"} if via == "cidr"
                                       else {"DestinationPrefixListId": "pl-all"}), "GatewayId": "igw-gone", "State": "active"})
    edit(snap, "RouteTables", default_route)
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and out["verdict"] == "inconclusive"
    assert ("fwd_route", "igw-gone") in {(m["hop"], m["component"]) for m in out["missing"]}


def _public_bastion_with(tmp_path, route: dict, lists: list | None):
    """The bastion (public subnet, public IP, every packet out allowed) and ``route`` added to its subnet's table
    (rtb-public: local, 0.0.0.0/0 -> igw-0main); ``lists``: the PrefixLists answer (None: not collected)."""
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissionsEgress"].append({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
                                            for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])
    edit(snap, "RouteTables", lambda d: [t["Routes"].append(route) for t in d["RouteTables"] if t["RouteTableId"] == "rtb-public"])
    if lists is not None:
        (snap / REGION / "PrefixLists.json").write_text(json.dumps({"PrefixLists": lists}))
    return snap


@pytest.mark.parametrize("lists", [None, []], ids=["PrefixLists not collected", "the list not in the answer"])
@pytest.mark.parametrize("state", ["blackhole", "active"])
def test_a_route_to_a_prefix_list_whose_entries_are_missing_leaves_every_lookup_in_its_table_undecided(tmp_path, lists, state):
    """Longest prefix first, then static before prefix-list routes (route-tables-priority.html): a route to a
    prefix list whose entries the snapshot lacks may match the destination more specifically than every route the
    snapshot shows. The bastion's packet to 8.8.8.8 took the default route to the internet gateway (REACHABLE)
    though a blackhole route to the list could hold 8.8.8.0/24 (as it does below, once the entries are known)."""
    route = {"DestinationPrefixListId": "pl-x", "GatewayId": "igw-0main", "State": state}
    code, out = query_json(_public_bastion_with(tmp_path / "unknown", route, lists), "bastion -> 8.8.8.8 tcp 443")
    assert code == 3 and ("fwd_route", "prefix_list", "pl-x") in {(m["hop"], m["missing"], m["component"]) for m in out["missing"]}
    known = _public_bastion_with(tmp_path / "known", route, [{"PrefixListId": "pl-x", "PrefixListName": "x", "Cidrs": ["8.8.8.0/24"]}])
    code, out = query_json(known, "bastion -> 8.8.8.8 tcp 443")
    assert code == (1 if state == "blackhole" else 0)


def test_no_route_is_not_decided_while_a_prefix_list_route_may_match(tmp_path):
    """The private subnet's table (local route only) with a route to a prefix list the snapshot lacks: "no route to
    8.8.8.8" was a blocked path (UNREACHABLE, NO_ROUTE_TO_DESTINATION); the list may hold it."""
    snap = scenario(tmp_path)
    edit(snap, "RouteTables", lambda d: [t["Routes"].append({"DestinationPrefixListId": "pl-x", "GatewayId": "igw-0main",
                                                             "State": "active"}) for t in d["RouteTables"] if t["RouteTableId"] == "rtb-main"])
    code, out = query_json(snap, QUERY)
    assert code == 3 and not any(e["code"] == "NO_ROUTE_TO_DESTINATION" for e in out["explanations"])
    assert ("fwd_route", "pl-x") in {(m["hop"], m["component"]) for m in out["missing"]}


def _inside_local(tmp_path, cidr: str, target: dict):
    """The fixed example, with rtb-public (the ALB's subnets) routing prefix list pl-in (``cidr``) to ``target``."""
    snap = scenario(tmp_path / cidr.replace("/", "_"), FACTS / "examples" / "seed-fixed")
    (snap / REGION / "ManagedPrefixLists.json").write_text(json.dumps({"ManagedPrefixLists": [
        {"PrefixListId": "pl-in", "PrefixListName": "inside", "Entries": [{"Cidr": cidr}]}]}))
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationPrefixListId": "pl-in", **target, "State": "active"})
                                         for r in d["RouteTables"] if r["RouteTableId"] == "rtb-public"])
    return snap


def test_a_prefix_list_entry_more_specific_than_the_local_route_to_a_gateway_is_undecided(tmp_path):
    """A route more specific than the local route may target a network interface or a Gateway Load Balancer
    endpoint only (gateway-route-tables.html; CreateRoute refuses a CIDR route to anything else), but a prefix
    list may gain such an entry after its route was made, and what AWS does then is not documented. The entry
    10.0.11.0/24 (the task's subnet) to the internet gateway was followed: the ALB's packet to the task left by
    the gateway (UNREACHABLE, and `assert unreachable` passed)."""
    snap = _inside_local(tmp_path, "10.0.11.0/24", {"GatewayId": "igw-0main"})
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 3 and ("route_pl_in_local", "rtb-public") in {(m["missing"], m["component"]) for m in out["missing"]}, out
    assert any("AWS does not document" in m["message"] for m in out["missing"])
    # an entry outside the VPC's block is an ordinary route; the local route decides the task's address
    snap = _inside_local(tmp_path, "8.8.8.0/24", {"GatewayId": "igw-0main"})
    assert query_json(snap, "alb-eni -> task-eni tcp 8000")[0] == 0
    # to a network interface (a middlebox, as AWS allows): followed, and refused as a component not modelled
    snap = _inside_local(tmp_path / "eni", "10.0.11.0/24", {"NetworkInterfaceId": "eni-0task01"})
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert not any(m["missing"] == "route_pl_in_local" for m in out["missing"]), out


@pytest.mark.parametrize("key", ["Cidrs", "Entries", None])
def test_an_empty_prefix_list_matches_nothing_and_is_not_missing(tmp_path, key):
    """A managed prefix list may have no entry (API_CreateManagedPrefixList, Entry.N: "Minimum number of 0 items"): it
    matches nothing.  Its `"Entries": []` (what `reason collect` writes for it) or `"Cidrs": []` was read as "the
    entries are not in the snapshot": a route to it left every lookup of the table undecided (INCONCLUSIVE).  Now the
    route matches nothing and the others decide, as with no route to it; without either key its entries are unknown,
    as before."""
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")  # the ALB reaches its task there
    item = {"PrefixListId": "pl-none", "PrefixListName": "none", **({key: []} if key else {})}
    (snap / REGION / "ManagedPrefixLists.json").write_text(json.dumps({"ManagedPrefixLists": [item]}))
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationPrefixListId": "pl-none", "GatewayId": "igw-0main",
                                                             "State": "active", "Origin": "CreateRoute"})
                                         for r in d["RouteTables"] if r["RouteTableId"] == "rtb-main"])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")  # the reply leaves by rtb-main
    if key is None:
        assert code == 3 and ("ret_route", "pl-none") in {(m["hop"], m["component"]) for m in out["missing"]}, out["missing"]
    else:
        assert code == 0 and not out["missing"], out["missing"]


@pytest.mark.parametrize("state", ["modify-in-progress", "modify-failed", "restore-in-progress", "delete-in-progress",
                                   "create-failed", "delete-complete"])
@pytest.mark.parametrize("route_state", ["blackhole", "active"])
def test_a_route_to_a_prefix_list_caught_changing_or_failed_leaves_every_lookup_in_its_table_undecided(
        tmp_path, state, route_state):
    """API_ModifyManagedPrefixList: "Adding or removing entries in a prefix list creates a new version", applied to the
    resources that reference the list, and the modify operation fails when one of them cannot take it; in a State but
    create-, modify- or restore-complete (API_ManagedPrefixList) the entries the snapshot shows or the version before
    apply.  The route was read by the entries shown: a blackhole route to 8.8.8.0/24 was a certain BAD_STATE (an
    `assert unreachable` passed), an active one decided the lookup.  Now every lookup of the table is undecided,
    naming the list and its State, as when the list's entries are missing; settled, the entries decide."""
    route = {"DestinationPrefixListId": "pl-x", "GatewayId": "igw-0main", "State": route_state}
    item = {"PrefixListId": "pl-x", "PrefixListName": "x", "AddressFamily": "IPv4", "Entries": [{"Cidr": "8.8.8.0/24"}]}
    snap = _public_bastion_with(tmp_path / "changing", route, None)
    (snap / REGION / "ManagedPrefixLists.json").write_text(json.dumps({"ManagedPrefixLists": [{**item, "State": state}]}))
    for question in ("bastion -> 8.8.8.8 tcp 443", "* -> 8.8.8.8 tcp 443", "bastion -> internet tcp 443"):
        code, out = query_json(snap, question)
        assert code == 3 and out["verdict"] == "inconclusive", (question, out["verdict"])
        assert ("fwd_route", "pl-x") in {(m["hop"], m["component"]) for m in out["missing"]}
        assert any(state in m["message"] for m in out["missing"] if m["component"] == "pl-x"), out["missing"]
    settled = _public_bastion_with(tmp_path / "settled", route, None)
    (settled / REGION / "ManagedPrefixLists.json").write_text(json.dumps({"ManagedPrefixLists": [
        {**item, "State": "modify-complete"}]}))
    assert query_json(settled, "bastion -> 8.8.8.8 tcp 443")[0] == (1 if route_state == "blackhole" else 0)
