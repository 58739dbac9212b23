"""Import AWS describe-* JSON (Batfish ``aws_configs`` layout) into base relations.

Layout accepted: ``aws_configs/[accounts/][<account>/][<region>/]*.json``.  ``src`` may be the
folder holding ``aws_configs``, ``aws_configs`` itself, or a region folder of ``*.json`` files.
Each JSON file is one describe-* response, recognised by its top-level key(s).

Handled (top-level key -> relations, see ``rules/00_snapshot.dl``):

* ``Vpcs`` -> ``vpc`` (IPv4 ``CidrBlockAssociationSet``, fallback ``CidrBlock``)
* ``Subnets`` -> ``subnet``
* ``NetworkInterfaces`` -> ``eni``, ``eni_ip``, ``eni_sg``, ``eni_attachment``
* ``SecurityGroups`` -> ``sg``, ``sg_{ingress,egress}_{cidr,sg,pl}``
* ``NetworkAcls`` -> ``nacl``, ``nacl_entry`` (plus the implicit rule-``*`` deny, 32767), ``subnet_nacl``
* ``RouteTables`` -> ``rtb``, ``rtb_subnet``, ``rtb_main``, ``route``, ``route_pl``
* ``InternetGateways`` -> ``igw_attachment``; ``NatGateways`` -> ``nat_gateway``, ``nat_state``, ``nat_public_ip``
* ``Reservations`` -> ``instance`` (and ``eni*`` for instance ENIs absent from NetworkInterfaces)
* ELBv2 (``LoadBalancers``, listeners, rules, target groups, target health, attributes) and ECS
  (``EcsClusters``, ``EcsServices``, ``EcsTasks``) -> see :mod:`reasoner.facts.elbv2`
* ``PrefixLists`` (``Cidrs``) and ``ManagedPrefixLists`` (with inlined ``Entries[].Cidr`` or ``Cidrs``)
  -> ``prefix_list_cidr``
* ``NetworkInterfaces[].Association.PublicIp`` (and per private address), ``Addresses`` (EIPs) -> ``eni_public_ip``
* ``VpcPeeringConnections`` -> ``peering``
* ``VpcEndpoints`` -> ``vpc_endpoint``, ``vpce_route_table``; prefix-list entries also -> ``prefix_list_entry``
  (with their length, for routes to prefix lists); propagated routes also -> ``route_propagated``
* Transit gateways (``rules/02_transit_gateway_snapshot.dl``): ``TransitGateways`` -> ``tgw``;
  ``TransitGatewayAttachments`` -> ``tgw_attachment`` (+ ``tgw_association`` from ``Association``);
  ``TransitGatewayVpcAttachments`` -> ``tgw_vpc_attachment``, ``tgw_attachment_subnet``, ``tgw_attachment_option``;
  ``TransitGatewayRouteTables`` -> ``tgw_rtb``; and, per route table (wrapped
  ``[{TransitGatewayRouteTableId, <list>}]`` or plain items naming their table):
  ``TransitGatewayRouteTableAssociations`` -> ``tgw_association``, ``TransitGatewayPropagations`` ->
  ``tgw_propagation``, ``TransitGatewayStaticRoutes`` / ``TransitGatewayPropagatedRoutes`` -> ``tgw_route``,
  ``tgw_route_pl``, ``tgw_routes_collected``
* ``Tags``/``TagSet`` ``Name`` -> ``names`` (``LoadBalancerName`` for load balancers)

Not handled: IPv6 (addresses, CIDRs, SG ranges, NACL entries and routes are skipped and counted in
``manifest["skipped_ipv6"]``), ICMP type/code (ICMP rules cover ports 0..65535), classic ELBs,
VPC endpoints, VPN, Direct Connect, RDS,
Elasticsearch: their top-level keys are listed in ``manifest["unmodelled"]``.  Instances without a
``SubnetId`` (stopped/terminated) produce no ``instance`` row.  A NAT gateway with no private
address gets ``private_ip`` 0.

Encoding: ids are strings; IPv4 addresses are ints; a CIDR is an inclusive ``[lo, hi]`` int range
(``route`` also keeps its prefix length); protocols are IANA numbers as strings (``"-1"`` = all).
Every relation is a sorted, de-duplicated list of tuples.  Malformed input raises
:class:`reasoner.errors.FactsError` (``facts.bad_json``, ``facts.missing_field``,
``facts.bad_value``, ``facts.not_found``); no ``KeyError``/``TypeError`` escapes.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from reasoner.errors import FactsError
from reasoner.facts import elbv2

SCHEMA_VERSION = 2  # 2: igw, snapshot_has, eni_ipv6

#: Every relation the importer produces, in a fixed order (all are present, possibly empty).
RELATIONS: tuple[str, ...] = (
    "vpc", "subnet", "eni", "eni_ip", "eni_public_ip", "peering", "eni_sg", "eni_attachment", "sg",
    "sg_ingress_cidr", "sg_egress_cidr", "sg_ingress_sg", "sg_egress_sg", "sg_ingress_pl", "sg_egress_pl",
    "prefix_list_cidr", "prefix_list_entry", "vpc_endpoint", "vpce_route_table", "route_propagated", "nacl", "nacl_entry", "subnet_nacl",
    "rtb", "rtb_subnet", "rtb_main", "route", "route_pl",
    "igw", "igw_attachment", "nat_gateway", "nat_state", "nat_public_ip", "instance",
    "tgw", "tgw_attachment", "tgw_vpc_attachment", "tgw_attachment_subnet", "tgw_attachment_option", "tgw_rtb",
    "tgw_association", "tgw_propagation", "tgw_route", "tgw_route_pl", "tgw_routes_collected",
    "snapshot_has", "eni_ipv6",
    *elbv2.RELATIONS,  # load balancers, target groups, ECS: reasoner/facts/elbv2.py
)

#: Top-level keys that carry no resources (pagination, SDK metadata): neither modelled nor reported.
_IGNORED_KEYS = frozenset({"ResponseMetadata", "NextToken", "Marker", "NextMarker"})

_PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1", "-1": "-1"}

Row = tuple[Any, ...]


@dataclass
class Snapshot:
    """Base relations of one snapshot, the Name tags, and a manifest describing where they came from."""

    relations: dict[str, list[Row]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)


# -- low-level helpers ------------------------------------------------------------------------


class _Ctx:
    """Per-file state: the file label for locations, and the accumulator."""

    def __init__(self, acc: "_Acc", file: str) -> None:
        self.acc = acc
        self.file = file

    def err(self, code: str, message: str, path: str, hint: str | None = None) -> FactsError:
        return FactsError(code, message, location=f"{self.file}:{path}", hint=hint)

    def req(self, obj: Any, key: str, path: str) -> Any:
        """``obj[key]``, which must be present and not null."""
        if not isinstance(obj, dict):
            raise self.err("facts.bad_value", f"expected an object, found {type(obj).__name__}", path)
        value = obj.get(key)
        if value is None:
            raise self.err("facts.missing_field", f"required field {key!r} is missing", f"{path}.{key}")
        return value

    def req_str(self, obj: Any, key: str, path: str) -> str:
        value = self.req(obj, key, path)
        if not isinstance(value, str) or not value:
            raise self.err("facts.bad_value", f"field {key!r} must be a non-empty string", f"{path}.{key}")
        return value

    def opt(self, obj: Any, key: str, path: str, default: Any = None) -> Any:
        if not isinstance(obj, dict):
            raise self.err("facts.bad_value", f"expected an object, found {type(obj).__name__}", path)
        value = obj.get(key)
        return default if value is None else value

    def items(self, obj: Any, key: str, path: str) -> list[tuple[str, Any]]:
        """``(json_path, item)`` for each element of the optional list ``obj[key]``."""
        value = self.opt(obj, key, path, [])
        if not isinstance(value, list):
            raise self.err("facts.bad_value", f"field {key!r} must be a list", f"{path}.{key}")
        return [(f"{path}.{key}[{i}]", item) for i, item in enumerate(value)]

    def cidr(self, text: Any, path: str) -> tuple[int, int, int]:
        try:
            net = ipaddress.IPv4Network(str(text), strict=False)
        except ValueError as exc:
            raise self.err("facts.bad_value", f"not an IPv4 CIDR: {text!r} ({exc})", path) from None
        return int(net.network_address), int(net.broadcast_address), net.prefixlen

    def ip(self, text: Any, path: str) -> int:
        try:
            return int(ipaddress.IPv4Address(str(text)))
        except ValueError:
            raise self.err("facts.bad_value", f"not an IPv4 address: {text!r}", path) from None

    def proto(self, value: Any, path: str) -> str:
        text = str(value).strip().lower()
        if text in _PROTOCOLS:
            return _PROTOCOLS[text]
        if text.lstrip("-").isdigit():
            return str(int(text))
        raise self.err("facts.bad_value", f"unknown protocol {value!r}", path)

    def ports(self, proto: str, lo: Any, hi: Any, path: str) -> tuple[int, int]:
        """Port range; all ports when missing, -1, or the protocol has no ports (all, ICMP)."""
        if proto in ("-1", "1") or lo is None or hi is None:
            return 0, 65535
        try:
            lo_i, hi_i = int(lo), int(hi)
        except (TypeError, ValueError):
            raise self.err("facts.bad_value", f"bad port range {lo!r}..{hi!r}", path) from None
        if lo_i < 0 or hi_i < 0:
            return 0, 65535
        return lo_i, hi_i

    def add(self, rel: str, *row: Any) -> None:
        self.acc.rels[rel].add(tuple(row))

    def name(self, obj: Any, rid: str, path: str) -> None:
        tags = self.opt(obj, "Tags", path, None)
        if tags is None:
            tags = self.opt(obj, "TagSet", path, [])
        if not isinstance(tags, list):
            return
        for tag in tags:
            if isinstance(tag, dict) and tag.get("Key") == "Name" and isinstance(tag.get("Value"), str):
                self.acc.names[rid] = tag["Value"]


class _Acc:
    def __init__(self) -> None:
        self.rels: dict[str, set[Row]] = {r: set() for r in RELATIONS}
        self.names: dict[str, str] = {}
        self.skipped_ipv6 = 0
        self.enis: set[str] = set()
        # instance ENIs seen in Reservations: processed after all files, if not already known
        self.instance_enis: list[tuple[_Ctx, str, dict[str, Any], str]] = []


# -- per-key handlers -------------------------------------------------------------------------


def _vpcs(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, v in items:
        vpc = c.req_str(v, "VpcId", p)
        c.name(v, vpc, p)
        assoc = c.items(v, "CidrBlockAssociationSet", p)
        blocks = []
        for ap, a in assoc:
            state = c.opt(c.opt(a, "CidrBlockState", ap, {}), "State", ap, "associated")
            if state in ("disassociated", "disassociating", "failed", "failing"):
                continue
            blocks.append((f"{ap}.CidrBlock", c.req(a, "CidrBlock", ap)))
        if not assoc:
            blocks.append((f"{p}.CidrBlock", c.req(v, "CidrBlock", p)))
        for bp, block in blocks:
            lo, hi, _ = c.cidr(block, bp)
            c.add("vpc", vpc, lo, hi)
        c.acc.skipped_ipv6 += len(c.items(v, "Ipv6CidrBlockAssociationSet", p))


def _subnets(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, s in items:
        sid = c.req_str(s, "SubnetId", p)
        c.name(s, sid, p)
        lo, hi, _ = c.cidr(c.req(s, "CidrBlock", p), f"{p}.CidrBlock")
        c.add("subnet", sid, c.req_str(s, "VpcId", p), lo, hi, str(c.opt(s, "AvailabilityZone", p, "")))
        c.acc.skipped_ipv6 += len(c.items(s, "Ipv6CidrBlockAssociationSet", p))


def _eni(c: _Ctx, p: str, e: Any, instance: str | None = None) -> None:
    eni = c.req_str(e, "NetworkInterfaceId", p)
    c.acc.enis.add(eni)
    c.name(e, eni, p)
    sdc = c.opt(e, "SourceDestCheck", p, True)
    c.add("eni", eni, c.req_str(e, "SubnetId", p), c.req_str(e, "VpcId", p), 0 if sdc is False else 1)
    primary = c.opt(e, "PrivateIpAddress", p)
    if primary is not None:
        c.add("eni_ip", eni, c.ip(primary, f"{p}.PrivateIpAddress"))
    for ip_p, ip in c.items(e, "PrivateIpAddresses", p):
        c.add("eni_ip", eni, c.ip(c.req(ip, "PrivateIpAddress", ip_p), f"{ip_p}.PrivateIpAddress"))
    assoc = c.opt(e, "Association", p, {})
    if primary is not None and c.opt(assoc, "PublicIp", f"{p}.Association") is not None:
        c.add("eni_public_ip", eni, c.ip(primary, f"{p}.PrivateIpAddress"), c.ip(assoc["PublicIp"], f"{p}.Association.PublicIp"))
    for ip_p, ip in c.items(e, "PrivateIpAddresses", p):
        a = c.opt(ip, "Association", ip_p, {})
        if c.opt(a, "PublicIp", f"{ip_p}.Association") is not None:
            c.add("eni_public_ip", eni, c.ip(c.req(ip, "PrivateIpAddress", ip_p), f"{ip_p}.PrivateIpAddress"),
                  c.ip(a["PublicIp"], f"{ip_p}.Association.PublicIp"))
    for ap, a in c.items(e, "Ipv6Addresses", p):  # kept so that answers can say IPv6 is not analysed
        c.add("eni_ipv6", eni, str(c.opt(a, "Ipv6Address", ap, "")))
        c.acc.skipped_ipv6 += 1
    for gp, g in c.items(e, "Groups", p):
        c.add("eni_sg", eni, c.req_str(g, "GroupId", gp))
    attachment = c.opt(e, "Attachment", p, {})
    owner = instance or c.opt(attachment, "InstanceId", f"{p}.Attachment")
    if owner:
        c.add("eni_attachment", eni, str(owner))


def _network_interfaces(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, e in items:
        _eni(c, p, e)


def _sg_rules(c: _Ctx, sg: str, direction: str, perms: list[tuple[str, Any]]) -> None:
    for i, (pp, perm) in enumerate(perms):
        proto = c.proto(c.req(perm, "IpProtocol", pp), f"{pp}.IpProtocol")
        lo, hi = c.ports(proto, c.opt(perm, "FromPort", pp), c.opt(perm, "ToPort", pp), pp)
        for j, (rp, r) in enumerate(c.items(perm, "IpRanges", pp)):
            clo, chi, _ = c.cidr(c.req(r, "CidrIp", rp), f"{rp}.CidrIp")
            c.add(f"sg_{direction}_cidr", sg, proto, lo, hi, clo, chi, f"{sg}:{direction}:{i}:{j}")
        c.acc.skipped_ipv6 += len(c.items(perm, "Ipv6Ranges", pp))
        for j, (rp, r) in enumerate(c.items(perm, "UserIdGroupPairs", pp)):
            peer = c.req_str(r, "GroupId", rp)
            c.add(f"sg_{direction}_sg", sg, proto, lo, hi, peer, f"{sg}:{direction}:{i}:sg{j}")
        for j, (rp, r) in enumerate(c.items(perm, "PrefixListIds", pp)):
            pl = c.req_str(r, "PrefixListId", rp)
            c.add(f"sg_{direction}_pl", sg, proto, lo, hi, pl, f"{sg}:{direction}:{i}:pl{j}")


def _security_groups(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, g in items:
        sg = c.req_str(g, "GroupId", p)
        c.name(g, sg, p)
        c.add("sg", sg, str(c.opt(g, "VpcId", p, "")), str(c.opt(g, "GroupName", p, "")))
        _sg_rules(c, sg, "ingress", c.items(g, "IpPermissions", p))
        _sg_rules(c, sg, "egress", c.items(g, "IpPermissionsEgress", p))


def _network_acls(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, a in items:
        acl = c.req_str(a, "NetworkAclId", p)
        c.name(a, acl, p)
        c.add("nacl", acl, c.req_str(a, "VpcId", p), 1 if c.opt(a, "IsDefault", p, False) is True else 0)
        for sp, s in c.items(a, "Associations", p):
            subnet = c.opt(s, "SubnetId", sp)
            if subnet:
                c.add("subnet_nacl", str(subnet), acl)
        has_star = {0: False, 1: False}
        for ep, e in c.items(a, "Entries", p):
            egress = 1 if c.opt(e, "Egress", ep, False) is True else 0
            number = c.req(e, "RuleNumber", ep)
            if not isinstance(number, int) or isinstance(number, bool):
                raise c.err("facts.bad_value", "RuleNumber must be an integer", f"{ep}.RuleNumber")
            if c.opt(e, "CidrBlock", ep) is None and c.opt(e, "Ipv6CidrBlock", ep) is not None:
                c.acc.skipped_ipv6 += 1
                continue
            lo, hi, _ = c.cidr(c.req(e, "CidrBlock", ep), f"{ep}.CidrBlock")
            proto = c.proto(c.req(e, "Protocol", ep), f"{ep}.Protocol")
            pr = c.opt(e, "PortRange", ep, {})
            plo, phi = c.ports(proto, c.opt(pr, "From", ep), c.opt(pr, "To", ep), f"{ep}.PortRange")
            action = str(c.req(e, "RuleAction", ep)).lower()
            if action not in ("allow", "deny"):
                raise c.err("facts.bad_value", f"RuleAction must be allow or deny, not {action!r}", f"{ep}.RuleAction")
            if number == 32767:
                has_star[egress] = True
            c.add("nacl_entry", acl, egress, number, proto, plo, phi, lo, hi, action)
        for egress, present in has_star.items():
            if not present:  # rule "*": anything unmatched is denied
                c.add("nacl_entry", acl, egress, 32767, "-1", 0, 65535, 0, 0xFFFFFFFF, "deny")


def _route_target(c: _Ctx, r: Any, rp: str) -> tuple[str, str]:
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


def _route_tables(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, t in items:
        rtb = c.req_str(t, "RouteTableId", p)
        vpc = c.req_str(t, "VpcId", p)
        c.name(t, rtb, p)
        c.add("rtb", rtb, vpc)
        for ap, a in c.items(t, "Associations", p):
            if c.opt(a, "SubnetId", ap):
                c.add("rtb_subnet", rtb, str(a["SubnetId"]))
            if c.opt(a, "Main", ap, False) is True:
                c.add("rtb_main", rtb, vpc)
        for rp, r in c.items(t, "Routes", p):
            kind, target = _route_target(c, r, rp)
            state = str(c.opt(r, "State", rp, "active"))
            if c.opt(r, "DestinationCidrBlock", rp) is not None:
                lo, hi, plen = c.cidr(r["DestinationCidrBlock"], f"{rp}.DestinationCidrBlock")
                c.add("route", rtb, lo, hi, plen, kind, target, state)
                if c.opt(r, "Origin", rp) == "EnableVgwRoutePropagation":
                    c.add("route_propagated", rtb, lo, hi, target)
            elif c.opt(r, "DestinationPrefixListId", rp) is not None:
                c.add("route_pl", rtb, str(r["DestinationPrefixListId"]), kind, target, state)
            elif c.opt(r, "DestinationIpv6CidrBlock", rp) is not None:
                c.acc.skipped_ipv6 += 1
            else:
                c.req(r, "DestinationCidrBlock", rp)  # raises facts.missing_field


def _internet_gateways(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, g in items:
        igw = c.req_str(g, "InternetGatewayId", p)
        c.name(g, igw, p)
        c.add("igw", igw)
        for ap, a in c.items(g, "Attachments", p):
            c.add("igw_attachment", igw, c.req_str(a, "VpcId", ap))


def _nat_gateways(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, n in items:
        nat = c.req_str(n, "NatGatewayId", p)
        c.name(n, nat, p)
        subnet, vpc = c.req_str(n, "SubnetId", p), c.req_str(n, "VpcId", p)
        ips = [c.ip(a["PrivateIp"], f"{ap}.PrivateIp")
               for ap, a in c.items(n, "NatGatewayAddresses", p) if c.opt(a, "PrivateIp", ap) is not None]
        for ip in ips or [0]:
            c.add("nat_gateway", nat, subnet, vpc, ip)
        c.add("nat_state", nat, str(c.opt(n, "State", p, "unknown")), str(c.opt(n, "ConnectivityType", p, "public")))
        for ap, a in c.items(n, "NatGatewayAddresses", p):
            if c.opt(a, "PublicIp", ap) is not None:
                c.add("nat_public_ip", nat, c.ip(a["PublicIp"], f"{ap}.PublicIp"))


def _reservations(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, res in items:
        for ip_, inst in c.items(res, "Instances", p):
            iid = c.req_str(inst, "InstanceId", ip_)
            c.name(inst, iid, ip_)
            if c.opt(inst, "SubnetId", ip_) and c.opt(inst, "VpcId", ip_):
                c.add("instance", iid, str(inst["SubnetId"]), str(inst["VpcId"]))
            for ep, e in c.items(inst, "NetworkInterfaces", ip_):
                if not isinstance(e, dict):
                    raise c.err("facts.bad_value", "expected an object", ep)
                c.acc.instance_enis.append((c, ep, e, iid))


def _addresses(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    """Elastic IPs (``describe-addresses``): an associated EIP is a public IP of its ENI."""
    for p, a in items:
        eni, private, public = (c.opt(a, k, p) for k in ("NetworkInterfaceId", "PrivateIpAddress", "PublicIp"))
        if eni and private and public:
            c.add("eni_public_ip", str(eni), c.ip(private, f"{p}.PrivateIpAddress"), c.ip(public, f"{p}.PublicIp"))


def _peerings(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    """VPC peering connections: requester and accepter VPC, status code, and whether both are in one Region
    (security-group references across peering work only then: peering guide, vpc-peering-security-groups)."""
    for p, x in items:
        pcx = c.req_str(x, "VpcPeeringConnectionId", p)
        c.name(x, pcx, p)
        req, acc = c.opt(x, "RequesterVpcInfo", p, {}), c.opt(x, "AccepterVpcInfo", p, {})
        status = str(c.opt(c.opt(x, "Status", p, {}), "Code", f"{p}.Status", "unknown"))
        same_region = 1 if c.opt(req, "Region", f"{p}.RequesterVpcInfo") == c.opt(acc, "Region", f"{p}.AccepterVpcInfo") else 0
        c.add("peering", pcx, c.req_str(req, "VpcId", f"{p}.RequesterVpcInfo"), c.req_str(acc, "VpcId", f"{p}.AccepterVpcInfo"),
              status, same_region)


def _prefix_lists(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, pl in items:
        plid = c.req_str(pl, "PrefixListId", p)
        c.name(pl, plid, p)
        for cp, cidr in c.items(pl, "Cidrs", p):
            lo, hi, plen = c.cidr(cidr, cp)
            c.add("prefix_list_cidr", plid, lo, hi)
            c.add("prefix_list_entry", plid, lo, hi, plen)
        for ep, e in c.items(pl, "Entries", p):
            text = c.req(e, "Cidr", ep)
            if ":" in str(text):
                c.acc.skipped_ipv6 += 1
                continue
            lo, hi, plen = c.cidr(text, f"{ep}.Cidr")
            c.add("prefix_list_cidr", plid, lo, hi)
            c.add("prefix_list_entry", plid, lo, hi, plen)


def _vpc_endpoints(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    """VPC endpoints: type (Gateway, Interface, GatewayLoadBalancer), service, state, and the route tables
    a gateway endpoint is added to. Interface endpoints' ENIs come with NetworkInterfaces."""
    for p, e in items:
        vpce = c.req_str(e, "VpcEndpointId", p)
        c.name(e, vpce, p)
        c.add("vpc_endpoint", vpce, c.req_str(e, "VpcId", p), str(c.opt(e, "VpcEndpointType", p, "")),
              str(c.opt(e, "ServiceName", p, "")), str(c.opt(e, "State", p, "")).lower())
        for rp, rtb in c.items(e, "RouteTableIds", p):
            if not isinstance(rtb, str):
                raise c.err("facts.bad_value", "route table id must be a string", rp)
            c.add("vpce_route_table", vpce, rtb)


# -- transit gateways (rules/02_transit_gateway_snapshot.dl) ----------------------------------


def _transit_gateways(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, g in items:
        tgw = c.req_str(g, "TransitGatewayId", p)
        c.name(g, tgw, p)
        c.add("tgw", tgw, str(c.opt(g, "State", p, "unknown")))


def _tgw_association(c: _Ctx, att: str, rtb: str, a: Any, p: str) -> None:
    c.add("tgw_association", att, rtb, str(c.opt(a, "State", p, "associated")))


def _tgw_attachments(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    """``TransitGatewayAttachments`` (every kind); ``Association`` is the attachment's route table."""
    for p, a in items:
        att = c.req_str(a, "TransitGatewayAttachmentId", p)
        c.name(a, att, p)
        c.add("tgw_attachment", att, c.req_str(a, "TransitGatewayId", p), str(c.opt(a, "ResourceType", p, "unknown")),
              str(c.opt(a, "ResourceId", p, "")), str(c.opt(a, "State", p, "unknown")))
        assoc = c.opt(a, "Association", p)
        if assoc is not None:
            ap = f"{p}.Association"
            _tgw_association(c, att, c.req_str(assoc, "TransitGatewayRouteTableId", ap), assoc, ap)


def _tgw_vpc_attachments(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, a in items:
        att = c.req_str(a, "TransitGatewayAttachmentId", p)
        c.name(a, att, p)
        c.add("tgw_vpc_attachment", att, c.req_str(a, "TransitGatewayId", p), c.req_str(a, "VpcId", p),
              str(c.opt(a, "State", p, "unknown")))
        for sp, s in c.items(a, "SubnetIds", p):
            if not isinstance(s, str) or not s:
                raise c.err("facts.bad_value", "a subnet id must be a non-empty string", sp)
            c.add("tgw_attachment_subnet", att, s)
        options = c.opt(a, "Options", p, {})
        for key in ("ApplianceModeSupport", "SecurityGroupReferencingSupport"):
            value = c.opt(options, key, f"{p}.Options")
            if value is not None:
                c.add("tgw_attachment_option", att, key, str(value))


def _tgw_route_tables(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for p, t in items:
        rtb = c.req_str(t, "TransitGatewayRouteTableId", p)
        c.name(t, rtb, p)
        c.add("tgw_rtb", rtb, c.req_str(t, "TransitGatewayId", p), str(c.opt(t, "State", p, "unknown")))


def _tgw_wrapped(c: _Ctx, items: list[tuple[str, Any]], inner: str) -> list[tuple[str, Any, list[tuple[str, Any]], bool]]:
    """Per-route-table answers as ``(route table, wrapper, [(path, item)], wrapped)``: the wrapped shape
    ``[{TransitGatewayRouteTableId, <inner>: [...]}]`` (Batfish, `reason collect`), or plain items that
    each carry their ``TransitGatewayRouteTableId``."""
    out = []
    for p, w in items:
        rtb = c.req_str(w, "TransitGatewayRouteTableId", p)
        if inner in w:
            out.append((rtb, w, c.items(w, inner, p), True))
        else:
            out.append((rtb, w, [(p, w)], False))
    return out


def _tgw_propagations(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for rtb, _, props, _ in _tgw_wrapped(c, items, "TransitGatewayRouteTablePropagations"):
        for pp, x in props:
            c.add("tgw_propagation", rtb, c.req_str(x, "TransitGatewayAttachmentId", pp),
                  str(c.opt(x, "ResourceType", pp, "unknown")), str(c.opt(x, "State", pp, "unknown")))


def _tgw_associations(c: _Ctx, items: list[tuple[str, Any]]) -> None:
    for rtb, _, assocs, _ in _tgw_wrapped(c, items, "Associations"):
        for ap, a in assocs:
            _tgw_association(c, c.req_str(a, "TransitGatewayAttachmentId", ap), rtb, a, ap)


def _tgw_routes(kind: str) -> Callable[[_Ctx, list[tuple[str, Any]]], None]:
    """``TransitGatewayStaticRoutes`` / ``TransitGatewayPropagatedRoutes`` (SearchTransitGatewayRoutes per
    table).  A wrapped answer not flagged ``AdditionalRoutesAvailable`` is complete for its table; plain
    route items (each naming its table) are taken as the complete answer for the tables they name."""
    def handler(c: _Ctx, items: list[tuple[str, Any]]) -> None:
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
                text = c.req(r, "DestinationCidrBlock", rp)
                if ":" in str(text):
                    c.acc.skipped_ipv6 += 1
                    continue
                lo, hi, plen = c.cidr(text, f"{rp}.DestinationCidrBlock")
                for att in atts or ["none"]:
                    c.add("tgw_route", rtb, lo, hi, plen, att, rtype, state)

    return handler


_HANDLERS: dict[str, Callable[[_Ctx, list[tuple[str, Any]]], None]] = {
    "Vpcs": _vpcs,
    "Subnets": _subnets,
    "NetworkInterfaces": elbv2.chain(_network_interfaces, elbv2.lb_enis),
    "SecurityGroups": _security_groups,
    "NetworkAcls": _network_acls,
    "RouteTables": _route_tables,
    "InternetGateways": _internet_gateways,
    "NatGateways": _nat_gateways,
    "Reservations": elbv2.chain(_reservations, elbv2.instance_ips),
    **elbv2.HANDLERS,
    "PrefixLists": _prefix_lists,
    "Addresses": _addresses,
    "VpcEndpoints": _vpc_endpoints,
    "VpcPeeringConnections": _peerings,
    "ManagedPrefixLists": _prefix_lists,
    "TransitGateways": _transit_gateways,
    "TransitGatewayAttachments": _tgw_attachments,
    "TransitGatewayVpcAttachments": _tgw_vpc_attachments,
    "TransitGatewayRouteTables": _tgw_route_tables,
    "TransitGatewayRouteTableAssociations": _tgw_associations,
    "TransitGatewayPropagations": _tgw_propagations,
    "TransitGatewayStaticRoutes": _tgw_routes("static"),
    "TransitGatewayPropagatedRoutes": _tgw_routes("propagated"),
}


# -- the walk ---------------------------------------------------------------------------------


def _find_root(src: Path) -> tuple[Path, str | None]:
    """The ``aws_configs`` root to walk, and the region name when ``src`` is a region folder."""
    src = Path(src)
    if not src.is_dir():
        raise FactsError("facts.not_found", f"no such folder: {src}", location=str(src),
                         hint="give the folder that contains aws_configs/, or a facts directory")
    if src.name == "aws_configs":
        return src, None
    if (src / "aws_configs").is_dir():
        return src / "aws_configs", None
    if any(src.glob("*.json")):
        return src, src.name
    raise FactsError("facts.not_found", f"{src} holds neither aws_configs/ nor describe-* JSON files",
                     location=str(src), hint="expected <src>/aws_configs/[<account>/]<region>/*.json")


def _load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FactsError("facts.bad_json", f"not UTF-8 text: {exc.reason}", location=f"{path}:1:1") from None
    except OSError as exc:
        raise FactsError("facts.not_found", f"cannot read file: {exc.strerror}", location=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FactsError("facts.bad_json", f"malformed JSON: {exc.msg}",
                         location=f"{path}:{exc.lineno}:{exc.colno}",
                         hint="each file must be one describe-* API response (a JSON object)") from None


def import_aws_configs(src: Path) -> Snapshot:
    """Import every describe-* JSON file under ``src`` into a :class:`Snapshot`."""
    root, fixed_region = _find_root(Path(src))
    acc = _Acc()
    accounts: set[str] = set()
    regions: set[str] = set()
    unmodelled: list[dict[str, str]] = []
    held: set[str] = set()  # describe-* keys present in some file
    files = sorted(p for p in root.rglob("*.json") if p.is_file())
    for path in files:
        rel = path.relative_to(root)
        parts = [x for x in rel.parts[:-1]]
        if parts and parts[0] == "accounts":
            parts = parts[1:]
        if fixed_region:
            regions.add(fixed_region)
        elif parts:
            regions.add(parts[-1])
            if len(parts) >= 2:
                accounts.add(parts[-2])
        data = _load_json(path)
        ctx = _Ctx(acc, str(path))
        if not isinstance(data, dict):
            raise ctx.err("facts.bad_value", "top level must be a JSON object (one describe-* response)", "$")
        for key in sorted(data):
            if key in _IGNORED_KEYS:
                continue
            handler = _HANDLERS.get(key)
            if handler is None:
                unmodelled.append({"file": rel.as_posix(), "key": key})
                continue
            _guarded(ctx, f"$.{key}", lambda h=handler, k=key: h(ctx, ctx.items(data, k, "$")))
            held.add(key)
    for ctx, ep, e, iid in acc.instance_enis:
        eni = e.get("NetworkInterfaceId")
        if isinstance(eni, str) and eni in acc.enis:
            ctx.add("eni_attachment", eni, iid)
            continue
        _guarded(ctx, ep, lambda c=ctx, p=ep, x=e, i=iid: _eni(c, p, x, i))
    elbv2.finish(acc)  # needs every file: LB ENIs, instance target IPs

    incomplete = _collect_incomplete(root)
    refused = {key for item in incomplete or [] for key in _keys_of_operation(str(item.get("operation", "")))}
    acc.rels["snapshot_has"] = {(key,) for key in held - refused}
    relations = {r: sorted(rows) for r, rows in acc.rels.items()}
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "source": str(Path(src).resolve()),
        "accounts": sorted(accounts),
        "regions": sorted(regions),
        "files": len(files),
        "counts": {r: len(rows) for r, rows in relations.items()},
        "skipped_ipv6": acc.skipped_ipv6,
        "unmodelled": sorted(unmodelled, key=lambda u: (u["file"], u["key"])),
    }
    if incomplete is not None:
        manifest["incomplete"] = incomplete
    return Snapshot(relations=relations, names=dict(sorted(acc.names.items())), manifest=manifest)


#: Written by `reason collect` next to ``aws_configs/``: its ``incomplete`` calls go into the manifest
#: (each one becomes a warning on every query of the snapshot).
COLLECT_METADATA = "reason-collect.json"


#: describe-* keys whose API operation name is not ``Describe<Key>`` (reasoner/collect/calls.py spells the calls).
_OPERATION_KEYS: dict[str, tuple[str, ...]] = {
    "DescribeManagedPrefixLists": ("PrefixLists",), "GetManagedPrefixListEntries": ("PrefixLists",),
    "DescribeInstances": ("Reservations",), "GetTransitGatewayRouteTablePropagations": ("TransitGatewayPropagations",),
    "GetTransitGatewayRouteTableAssociations": ("TransitGatewayRouteTableAssociations",),
    "SearchTransitGatewayRoutes": ("TransitGatewayStaticRoutes", "TransitGatewayPropagatedRoutes"),
    "DescribeLoadBalancerAttributes": ("LoadBalancerAttributes",), "DescribeListeners": ("LoadBalancerListeners",),
    "DescribeRules": ("LoadBalancerListenerRules",), "DescribeTargetGroupAttributes": ("TargetGroupAttributes",),
    "DescribeTargetHealth": ("LoadBalancerTargetHealth",), "ListClusters": ("EcsClusters",), "DescribeClusters": ("EcsClusters",),
    "ListTasks": ("EcsTasks",), "DescribeTasks": ("EcsTasks",), "ListServices": ("EcsServices",), "DescribeServices": ("EcsServices",),
}


def _keys_of_operation(operation: str) -> tuple[str, ...]:
    """The describe-* keys a refused collect call leaves incomplete (``DescribeNatGateways`` -> ``NatGateways``)."""
    return _OPERATION_KEYS.get(operation, (operation.removeprefix("Describe"),))


def _collect_incomplete(root: Path) -> list[dict[str, Any]] | None:
    """The ``incomplete`` list of ``reason-collect.json`` beside ``aws_configs/``; None without that file."""
    path = root.parent / COLLECT_METADATA
    if root.name != "aws_configs" or not path.is_file():
        return None
    data = _load_json(path)
    items = data.get("incomplete", []) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise FactsError("facts.bad_value", "'incomplete' must be a list of objects", location=f"{path}:$.incomplete")
    return items


def _guarded(ctx: _Ctx, path: str, fn: Callable[[], None]) -> None:
    """Run a handler; any stray Python error becomes a FactsError located at ``path``."""
    try:
        fn()
    except FactsError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ctx.err("facts.bad_value", f"unexpected shape ({type(exc).__name__}: {exc})", path) from None


# -- facts directories ------------------------------------------------------------------------


def _hash_relations(contents: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(contents):
        h.update(name.encode() + b"\0" + contents[name] + b"\0")
    return h.hexdigest()


def _encode(rows: list[Row]) -> bytes:
    lines = [json.dumps(list(row), separators=(",", ":"), ensure_ascii=False) for row in sorted(rows)]
    return ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8")


def replace_directory(staging: Path, out: Path) -> None:
    """Puts the fully written folder ``staging`` in place of ``out`` by renames, so no reader ever sees a
    half-written one; if the final rename fails, the previous ``out`` is put back."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old.{os.getpid()}")
        os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_facts(snapshot: Snapshot, out_dir: Path) -> Path:
    """Write ``<relation>.jsonl``, ``names.json`` and ``manifest.json`` atomically into ``out_dir``.

    Files are written into a temporary sibling directory which then replaces ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    contents = {f"{r}.jsonl": _encode(rows) for r, rows in snapshot.relations.items()}
    manifest = dict(snapshot.manifest)
    manifest["schema_version"] = manifest.get("schema_version", SCHEMA_VERSION)
    manifest["counts"] = {r: len(rows) for r, rows in sorted(snapshot.relations.items())}
    manifest["content_hash"] = "sha256:" + _hash_relations(contents)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for name, data in contents.items():
            (tmp / name).write_bytes(data)
        (tmp / "names.json").write_text(json.dumps(dict(sorted(snapshot.names.items())), indent=1) + "\n",
                                        encoding="utf-8")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
        replace_directory(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def read_facts(directory: Path) -> Snapshot:
    """Read a directory written by :func:`write_facts`, checking its content hash."""
    directory = Path(directory)
    mpath = directory / "manifest.json"
    if not mpath.is_file():
        raise FactsError("facts.not_found", f"{directory} is not a facts directory (no manifest.json)",
                         location=str(directory), hint="write one with write_facts, or pass an aws_configs folder")
    manifest = _load_json(mpath)
    names = _load_json(directory / "names.json") if (directory / "names.json").is_file() else {}
    if not isinstance(manifest, dict) or not isinstance(names, dict):
        raise FactsError("facts.bad_value", "manifest.json and names.json must be JSON objects", location=str(directory))
    if manifest.get("schema_version") != SCHEMA_VERSION or not str(manifest.get("content_hash", "")).startswith("sha256:"):
        raise FactsError("facts.bad_manifest",
                         f"manifest.json has schema_version {manifest.get('schema_version')!r} and content_hash "
                         f"{manifest.get('content_hash')!r}; this reason reads schema {SCHEMA_VERSION} with a sha256 hash",
                         location=str(mpath), hint="re-import the snapshot: reason import SRC --out DIR")
    relations: dict[str, list[Row]] = {}
    contents: dict[str, bytes] = {}
    for path in sorted(directory.glob("*.jsonl")):
        data = path.read_bytes()
        contents[path.name] = data
        text = data.decode("utf-8")
        try:  # fast path: the whole file as one JSON array of arrays
            fast = json.loads("[" + ",".join(l for l in text.splitlines() if l.strip()) + "]")
            if all(isinstance(v, list) for v in fast):
                relations[path.name[: -len(".jsonl")]] = sorted(set(map(tuple, fast)))
                continue
        except json.JSONDecodeError:
            pass  # find and report the bad line below
        rows: list[Row] = []
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise FactsError("facts.bad_json", f"malformed JSON: {exc.msg}",
                                 location=f"{path}:{lineno}:{exc.colno}") from None
            if not isinstance(value, list):
                raise FactsError("facts.bad_value", "each line must be a JSON array", location=f"{path}:{lineno}:1")
            rows.append(tuple(value))
        relations[path.name[: -len(".jsonl")]] = sorted(set(rows))
    expected = manifest.get("content_hash")
    if expected != "sha256:" + _hash_relations(contents):
        raise FactsError("facts.corrupt", "relation files do not match the manifest's content hash",
                         location=str(mpath), hint="re-import the snapshot")
    return Snapshot(relations=relations, names={str(k): str(v) for k, v in names.items()}, manifest=manifest)


def load_snapshot(path: Path) -> Snapshot:
    """A facts directory (has ``manifest.json``) or a raw folder with ``aws_configs/`` (imported now)."""
    path = Path(path)
    if (path / "manifest.json").is_file():
        return read_facts(path)
    if path.is_dir() and ((path / "aws_configs").is_dir() or path.name == "aws_configs"):
        return import_aws_configs(path)
    raise FactsError("facts.not_found", f"{path} is neither a facts directory nor a folder with aws_configs/",
                     location=str(path),
                     hint="pass a directory written by `reason import` (manifest.json) or one containing aws_configs/")
