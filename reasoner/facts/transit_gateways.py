"""Transit gateway describe-* answers -> base relations (``rules/02_transit_gateway_snapshot.dl``)."""

from __future__ import annotations

from typing import Any, Callable

from reasoner.facts.context import Ctx

def _transit_gateways(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, g in items:
        tgw = c.req_str(g, "TransitGatewayId", p)
        c.name(g, tgw, p)
        c.add("tgw", tgw, str(c.opt(g, "State", p, "unknown")))
        # (rules/transit_gateways.dl tgw_sg_ref; Options that are not an object: the located error of Ctx.opt)
        value = c.opt(c.opt(g, "Options", p, {}), "SecurityGroupReferencingSupport", f"{p}.Options")
        if value is not None:
            c.add("tgw_option", tgw, "SecurityGroupReferencingSupport", str(value))


def _tgw_association(c: Ctx, att: str, rtb: str, a: Any, p: str, kind: str) -> None:
    state = str(c.opt(a, "State", p, "associated"))
    # a VPC attachment has one route table (one associating and another disassociating, while it changes, is no
    # conflict); a peering attachment is associated with a table of each of its two gateways
    if state == "associated" and kind not in ("peering", "tgw-peering"):  # (ResourceType absent: checked as well)
        c.only_one("associated route table", att, rtb, p, "\"You can associate only one route table with an attachment\": "
                   "API_AssociateTransitGatewayRouteTable")
    c.add("tgw_association", att, rtb, state)


def _one_attachment(c: Ctx, att: str, tgw: str, vpc: str | None, state: Any, p: str) -> None:
    """What TransitGatewayAttachments and TransitGatewayVpcAttachments both say of an attachment (its gateway, its VPC,
    its State) must agree: read as given, the answer letting traffic through would win."""
    c.only_one("transit gateway", att, tgw, f"{p}.TransitGatewayId", "an attachment belongs to one transit gateway")
    if vpc is not None:
        c.only_one("VPC", att, vpc, p, "a VPC attachment attaches one VPC")
        if str(state) != "deleted":
            # one attachment per VPC and gateway: CreateTransitGatewayVpcAttachment refuses a second while the first is
            # not deleted (DuplicateTransitGatewayAttachment: "has non-deleted Transit Gateway Attachments with same VPC
            # ID"); two would each enter the gateway, and a lookup could take the other one's route table
            c.only_one("attachment", f"{vpc} on {tgw}", att, p, "one non-deleted attachment per VPC and transit gateway "
                       "(DuplicateTransitGatewayAttachment)")
    if state is not None:
        c.only_one("state", att, str(state), f"{p}.State", "an attachment is in one state")


def _tgw_attachments(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """``TransitGatewayAttachments`` (every kind); ``Association`` is the attachment's route table."""
    for p, a in items:
        att = c.req_str(a, "TransitGatewayAttachmentId", p)
        c.name(a, att, p)
        kind, resource = str(c.opt(a, "ResourceType", p, "unknown")), str(c.opt(a, "ResourceId", p, ""))
        if kind == "vpc":  # (a peering attachment is listed by both its gateways, each with its own id and state)
            _one_attachment(c, att, c.req_str(a, "TransitGatewayId", p), resource or None, c.opt(a, "State", p), p)
        c.add("tgw_attachment", att, c.req_str(a, "TransitGatewayId", p), kind, resource, str(c.opt(a, "State", p, "unknown")))
        assoc = c.opt(a, "Association", p)
        if assoc is not None:
            ap = f"{p}.Association"
            _tgw_association(c, att, c.req_str(assoc, "TransitGatewayRouteTableId", ap), assoc, ap, kind)


def _tgw_vpc_attachments(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, a in items:
        att = c.req_str(a, "TransitGatewayAttachmentId", p)
        c.name(a, att, p)
        _one_attachment(c, att, c.req_str(a, "TransitGatewayId", p), c.req_str(a, "VpcId", p), c.opt(a, "State", p), p)
        c.add("tgw_vpc_attachment", att, c.req_str(a, "TransitGatewayId", p), c.req_str(a, "VpcId", p),
              str(c.opt(a, "State", p, "unknown")))
        for sp, s in c.req_items(a, "SubnetIds", p):
            if not isinstance(s, str) or not s:
                raise c.err("facts.bad_value", "a subnet id must be a non-empty string", sp)
            c.add("tgw_attachment_subnet", att, s)
        options = c.opt(a, "Options", p, {})
        for key in ("ApplianceModeSupport", "SecurityGroupReferencingSupport", "Ipv6Support"):
            value = c.opt(options, key, f"{p}.Options")
            if value is not None:
                c.add("tgw_attachment_option", att, key, str(value))


def _tgw_route_tables(c: Ctx, items: list[tuple[str, Any]]) -> None:
    for p, t in items:
        rtb = c.req_str(t, "TransitGatewayRouteTableId", p)
        c.name(t, rtb, p)
        c.add("tgw_rtb", rtb, c.req_str(t, "TransitGatewayId", p), str(c.opt(t, "State", p, "unknown")))


def _tgw_wrapped(c: Ctx, items: list[tuple[str, Any]], inner: str) -> list[tuple[str, Any, list[tuple[str, Any]], bool]]:
    """Per-route-table answers as ``(route table, wrapper, [(path, item)], wrapped)``: the wrapped shape
    ``[{TransitGatewayRouteTableId, <inner>: [...]}]`` (Batfish, `reason collect`), or plain items that
    each carry their ``TransitGatewayRouteTableId``."""
    out = []
    for p, w in items:
        rtb = c.req_str(w, "TransitGatewayRouteTableId", p)
        if inner in w:  # (a table's answer as the CLI prints it: one page of it is refused, as a file's is)
            c.whole(w, p)
            out.append((rtb, w, c.items(w, inner, p), True))
        else:
            out.append((rtb, w, [(p, w)], False))
    return out


def _tgw_propagations(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """Each wrapped entry is one table's complete answer (``tgw_propagations_listed``), even with no propagation;
    plain items are taken as the complete answer for the tables they name."""
    for rtb, _, props, _ in _tgw_wrapped(c, items, "TransitGatewayRouteTablePropagations"):
        c.add("tgw_propagations_listed", rtb)
        for pp, x in props:
            c.add("tgw_propagation", rtb, c.req_str(x, "TransitGatewayAttachmentId", pp),
                  str(c.opt(x, "ResourceType", pp, "unknown")), str(c.opt(x, "State", pp, "unknown")))


def _tgw_associations(c: Ctx, items: list[tuple[str, Any]]) -> None:
    """As ``_tgw_propagations``: ``tgw_associations_listed`` for every table answered."""
    for rtb, _, assocs, _ in _tgw_wrapped(c, items, "Associations"):
        c.add("tgw_associations_listed", rtb)
        for ap, a in assocs:
            _tgw_association(c, c.req_str(a, "TransitGatewayAttachmentId", ap), rtb, a, ap, str(c.opt(a, "ResourceType", ap, "")))


def _tgw_routes(kind: str) -> Callable[[Ctx, list[tuple[str, Any]]], None]:
    """``TransitGatewayStaticRoutes`` / ``TransitGatewayPropagatedRoutes`` (SearchTransitGatewayRoutes per
    table).  A wrapped answer not flagged ``AdditionalRoutesAvailable`` is complete for its table; plain
    route items (each naming its table) are taken as the complete answer for the tables they name."""
    def handler(c: Ctx, items: list[tuple[str, Any]]) -> None:
        for rtb, w, routes, wrapped in _tgw_wrapped(c, items, "Routes"):
            if not wrapped or w.get("AdditionalRoutesAvailable") is not True:
                c.add("tgw_routes_collected", rtb, kind)
            for rp, r in routes:
                state = str(c.opt(r, "State", rp, "active"))
                if state == "deleted":
                    continue
                atts = [c.req_str(x, "TransitGatewayAttachmentId", xp) for xp, x in c.items(r, "TransitGatewayAttachments", rp)]
                rtype = str(c.opt(r, "Type", rp, kind))
                if c.opt(r, "PrefixListId", rp) is not None:
                    for att in atts or ["none"]:
                        c.add("tgw_route_pl", rtb, str(r["PrefixListId"]), att, state)
                    continue
                text = c.req(r, "DestinationCidrBlock", rp)  # either family: the API has one field for both
                lo, hi, plen = c.cidr(text, f"{rp}.DestinationCidrBlock", "ipv6" if ":" in str(text) else "ipv4")
                for att in atts or ["none"]:
                    c.add("tgw_route", rtb, lo, hi, plen, att, rtype, state)

    return handler


#: describe-* key -> handler.
HANDLERS: dict[str, Callable[[Ctx, list[tuple[str, Any]]], None]] = {
    "TransitGateways": _transit_gateways,
    "TransitGatewayAttachments": _tgw_attachments,
    "TransitGatewayVpcAttachments": _tgw_vpc_attachments,
    "TransitGatewayRouteTables": _tgw_route_tables,
    "TransitGatewayRouteTableAssociations": _tgw_associations,
    "TransitGatewayPropagations": _tgw_propagations,
    "TransitGatewayStaticRoutes": _tgw_routes("static"),
    "TransitGatewayPropagatedRoutes": _tgw_routes("propagated"),
}
