"""EC2 ``DescribeRouteTables`` -> base relations (``rules/00_snapshot.dl``): route tables, their associations with
subnets, the VPC (main) and gateways (edge associations), associations caught changing, and their routes (to CIDR
blocks and to prefix lists). See :mod:`reasoner.facts.importer` for the key -> relation table."""

from __future__ import annotations

from typing import Any

from reasoner.facts.context import Ctx

#: association states in which an association routes nothing (API_RouteTableAssociationState)
_GONE = ("disassociated", "failed", "failing")
#: association states of a change caught half-way (API_RouteTableAssociationState)
_CHANGING = ("associating", "disassociating")


#: the fields naming a route's target (API_Route); a route has one
_TARGETS = ("GatewayId", "NatGatewayId", "VpcPeeringConnectionId", "TransitGatewayId", "EgressOnlyInternetGatewayId",
            "NetworkInterfaceId", "CarrierGatewayId", "LocalGatewayId", "CoreNetworkArn")


def _route_target(c: Ctx, r: Any, rp: str) -> tuple[str, str]:
    # One target per route (CreateRoute takes one; API_Route gives it).  A route naming two (a GatewayId and a
    # NatGatewayId) was read as the first found, the other dropped unseen: a located error, as two destinations
    # are.  A route to an instance names the instance and its network interface both: one target, the interface.
    c.one_of(r, _TARGETS if c.opt(r, "NetworkInterfaceId", rp) is not None else (*_TARGETS, "InstanceId"), rp)
    gw = c.opt(r, "GatewayId", rp)
    if gw == "local":
        return "local", "local"
    if isinstance(gw, str):
        for prefix, kind in (("igw-", "igw"), ("vgw-", "vgw"), ("vpce-", "vpce")):
            if gw.startswith(prefix):
                return kind, gw
    for key, kind in (
        ("NatGatewayId", "nat"), ("VpcPeeringConnectionId", "pcx"), ("TransitGatewayId", "tgw"),
        ("EgressOnlyInternetGatewayId", "egress_igw"), ("NetworkInterfaceId", "eni"), ("InstanceId", "instance"),
    ):
        value = c.opt(r, key, rp)
        if value:
            return kind, str(value)
    if gw:
        return "unknown", str(gw)
    for key in ("CarrierGatewayId", "LocalGatewayId", "CoreNetworkArn"):
        if c.opt(r, key, rp):
            return "unknown", str(r[key])
    return "unknown", ""


def route_tables(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, t in items:
        rtb = c.req_str(t, "RouteTableId", p)
        vpc = c.req_str(t, "VpcId", p)
        c.name(t, rtb, p)
        c.add("rtb", rtb, vpc)
        for ap, a in c.req_items(t, "Associations", p):
            # AssociationState (API_RouteTableAssociationState: associating | associated | disassociating |
            # disassociated | failed). Disassociated or failed routes nothing: the subnet falls back to its VPC's
            # main table. Associating or disassociating is a change caught half-way: which table routes the subnet
            # (this one, or the one before) is not known, so the association is kept as changing and the answers
            # that depend on it are undecided (rules/missing_data.dl rtb_changing), never read as settled.
            state = c.opt(c.opt(a, "AssociationState", ap, {}), "State", f"{ap}.AssociationState", "associated")
            if state in _CHANGING:
                for key, kind in (("SubnetId", "subnet"), ("GatewayId", "gateway")):
                    if c.opt(a, key, ap):
                        c.add("rtb_association_changing", rtb, str(a[key]), kind, str(state))
                if c.opt(a, "Main", ap, False) is True:
                    c.add("rtb_association_changing", rtb, vpc, "main", str(state))
                continue
            if state in _GONE:
                continue
            if c.opt(a, "SubnetId", ap):
                c.only_one("route table", str(a["SubnetId"]), rtb, f"{ap}.SubnetId",
                           "\"A subnet can only be associated with one route table at a time\", subnet-route-tables.html")
                c.add("rtb_subnet", rtb, str(a["SubnetId"]))
            if c.opt(a, "Main", ap, False) is True:
                c.only_one("main route table", vpc, rtb, f"{ap}.Main",
                           "a VPC has one main route table, subnet-route-tables.html")
                c.add("rtb_main", rtb, vpc)
            # an edge association: "You can associate a route table with an internet gateway or a virtual private
            # gateway ... referred to as a gateway route table" (gateway-route-tables.html): rules/gateway_route_tables.dl
            if c.opt(a, "GatewayId", ap):
                c.add("rtb_gateway", rtb, str(a["GatewayId"]))
        for rp, r in c.req_items(t, "Routes", p):
            kind, target = _route_target(c, r, rp)
            state = str(c.opt(r, "State", rp, "active"))
            if state not in ("active", "blackhole"):  # (Route State: active | blackhole, EC2 API reference)
                raise c.err("facts.bad_value", f"a route's State is active or blackhole, not {state!r}", f"{rp}.State")
            # One destination per route (API_CreateRoute: "You must specify either a destination CIDR block or a prefix
            # list ID"): two set is refused, not read as the first (the other silently dropped)
            key = c.one_of(r, ("DestinationCidrBlock", "DestinationPrefixListId", "DestinationIpv6CidrBlock"), rp)
            dest = None if key is None else str(r[key])
            if dest is not None:  # one route per destination (a propagated one may stand beside a static one)
                origin = "propagated" if c.opt(r, "Origin", rp) == "EnableVgwRoutePropagation" else "static"
                c.only_one("route", f"{rtb} ({origin} route to {dest})", f"{target} ({state})", rp,
                           "a route table holds one route per destination: CreateRoute refuses a second, "
                           "route-tables-priority.html")
            if c.opt(r, "DestinationCidrBlock", rp) is not None:
                lo, hi, plen = c.cidr(r["DestinationCidrBlock"], f"{rp}.DestinationCidrBlock")
                c.add("route", rtb, lo, hi, plen, kind, target, state)
                if c.opt(r, "Origin", rp) == "EnableVgwRoutePropagation":
                    c.add("route_propagated", rtb, lo, hi, target)
            elif c.opt(r, "DestinationPrefixListId", rp) is not None:
                c.add("route_pl", rtb, str(r["DestinationPrefixListId"]), kind, target, state)
            elif c.opt(r, "DestinationIpv6CidrBlock", rp) is not None:
                lo, hi, plen = c.cidr(r["DestinationIpv6CidrBlock"], f"{rp}.DestinationIpv6CidrBlock", "ipv6")
                c.add("route", rtb, lo, hi, plen, kind, target, state)
                if c.opt(r, "Origin", rp) == "EnableVgwRoutePropagation":  # (a static route wins, as for IPv4)
                    c.add("route_propagated", rtb, lo, hi, target)
            else:
                c.req(r, "DestinationCidrBlock", rp)  # raises facts.missing_field
