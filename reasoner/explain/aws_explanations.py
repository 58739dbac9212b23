"""The ``Explanations`` of ``--format aws``: each code with the context fields Reachability Analyzer sets for
its family (aws-semantics.md §3.3, API_Explanation): security groups (``SecurityGroups``,
``NetworkInterface``, ``PacketField``, ``Port``, ``Protocols``, ``Addresses``), network ACLs (``Acl``,
``AclRule``, ``Subnet``), routes (``RouteTable``, ``Subnet``, ``Addresses``, the NAT gateway / endpoint /
peering connection involved), internet gateways (``InternetGateway``, ``NetworkInterface``), transit
gateways (``TransitGateway``, ``TransitGatewayAttachment`` or ``TransitGatewayRouteTable``,
``AvailabilityZones``), load balancers (``LoadBalancerArn``, ``ElasticLoadBalancerListener``,
``LoadBalancerListenerPort``, ``LoadBalancerTargetGroups``, ``LoadBalancerTarget``, ``LoadBalancerTargetPort``,
``AvailabilityZones``), and state/configuration codes (``State``, ``SourceVpc``/``DestinationVpc``).

``PacketField`` for security groups says which field no rule matched (protocol, then port, else the
address): a reading of the groups' rule rows for the message, not a verdict (the rules decided that).
"""

from __future__ import annotations

from typing import Any

from reasoner.protocols import ICMP
from reasoner import addresses

from reasoner.explain.paths import INTERNET, PROTO_NAMES, Explanation, ip_text

SG_CODES = {"ENI_SG_RULES_MISMATCH", "SG_HAS_NO_RULES", "SG_REFERENCING_SUPPORT", "UNKNOWN_PEERED_SGS", "SG_REFERENCES_NOT_PRESERVED"}
ACL_CODES = {"SUBNET_ACL_RESTRICTION", "ELB_ACL_RESTRICTION"}


def family(code: str) -> str:
    """The explanation code's family, which decides the context fields: sg, acl, igw, tgw, elb, route, state."""
    if code in SG_CODES:
        return "sg"
    if code in ACL_CODES:
        return "acl"
    if code.startswith("IGW_"):
        return "igw"
    if code.startswith("TGW_"):
        return "tgw"
    if code.startswith(("ELB", "TARGET_")):
        return "elb"
    if code in ("NO_ROUTE_TO_DESTINATION", "MORE_SPECIFIC_ROUTE", "BAD_STATE_ROUTE", "CANNOT_ROUTE", "HIGHER_PRIORITY_ROUTE",
                "VPC_LOCAL_ROUTE_CIDR_RESTRICTION", "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR") or code.startswith(("NGW_", "VPCE_")):
        return "route"
    return "state"


def cidr(lo: int, hi: int) -> str:
    """A [lo, hi] range as CIDR text (the first block when it is not one)."""
    return "::/0" if (lo, hi) == addresses.FAMILIES["ipv6"] else str(addresses.summarize(lo, hi)[0])


def _proto_name(p: str) -> str:
    return PROTO_NAMES.get(p, p)


class ExplanationFields:
    """Mixed into AwsRenderer: needs ``a`` (the Analyzer), ``comp``, ``_place``, ``acl_rule``, ``subnets``,
    ``listeners``, ``lbs``."""

    def explanation(self, e: Explanation) -> dict[str, Any]:
        out: dict[str, Any] = {"ExplanationCode": e.code, "Direction": e.direction, "Component": self.comp(e.component.split(",")[0].strip())}
        fam = family(e.code)
        row = e.row
        forward = e.path == "forward"
        if row is not None:
            s, d, sip, dip, p, sp, dp = row
            egress = e.direction == "egress"
            eni = (s if egress else d) if forward else (d if egress else s)
            remote = (dip if egress else sip) if forward else (sip if egress else dip)
            port = dp if forward else sp
        if fam == "sg" and row is not None:
            sgs = sorted(self.a.sgs.get(eni, []))
            out["SecurityGroups"] = [self.comp(g) for g in sgs]
            if sgs:
                out["Component"] = self.comp(sgs[0]) if e.component not in sgs else out["Component"]
            out["NetworkInterface"] = self.comp(eni)
            self._place(eni, out, vpc_only=True)
            out["PacketField"] = self._sg_field(sgs, e.direction, p, dp)
            out["Protocols"] = [_proto_name(p)]
            if p in ("6", "17"):
                out["Port"] = dp
                out["PortRanges"] = [{"From": dp, "To": dp}]
            out["Addresses"] = [ip_text(dip if egress else sip)]
        elif fam == "acl":
            out["Acl"] = self.comp(e.component)
            if e.ref and e.ref[0] == "acl_rule":
                rule = self.acl_rule(*e.ref[1:])
                out["AclRule"] = rule or {"Cidr": "0.0.0.0/0", "Egress": bool(e.ref[2]), "Protocol": "all",
                                          "RuleAction": "deny", "RuleNumber": e.ref[3]}
            sub = next((r[0] for r in self.a.rel.get("subnet_nacl", []) if r[1] == e.component), "")
            if row is not None and eni in self.a.eni and self.a.acl_of(self.a.eni[eni][1]) == e.component:
                sub = self.a.eni[eni][1]
            if sub:
                out["Subnet"] = self.comp(sub)
                if sub in self.subnets:
                    out["Vpc"] = self.comp(self.subnets[sub][1])
            if row is not None:
                out["Protocols"] = [_proto_name(p)]
                out["Addresses"] = [ip_text(remote)]
                if p in ("6", "17"):
                    out["PortRanges"] = [{"From": port, "To": port}]
        elif fam == "igw" and row is not None:
            inside = d if s == INTERNET else s
            vpc = self.a.eni[inside][2] if inside in self.a.eni else ""
            igw = self.a._igw(vpc) if vpc else ""
            if igw.startswith("igw-"):
                out["Component"] = out["InternetGateway"] = self.comp(igw)
            if inside in self.a.eni:
                out["NetworkInterface"] = self.comp(inside)
                out["Vpc"] = self.comp(vpc)
            out["Addresses"] = [ip_text(dip if s == INTERNET else sip)]
            out["PacketField"] = "destination-address" if s == INTERNET else "source-address"
        elif fam == "route" and row is not None:
            hop_eni = s if forward else d
            if hop_eni in self.a.eni:
                sub = self.a.eni[hop_eni][1]
                rtb = self.a._rtb_of_subnet(sub)
                if rtb:
                    out["RouteTable"] = self.comp(rtb)
                out["Subnet"] = self.comp(sub)
                out["Vpc"] = self.comp(self.a.eni[hop_eni][2])
            target = dip if forward else sip
            out["Addresses"] = [ip_text(target)]
            if e.code.startswith(("NGW_", "VPCE_")) or e.code == "PCX_REQUIRES_ADDRESS_IN_VPC_CIDR":
                key = {"nat-": "NatGateway", "vpce-": "VpcEndpoint", "pcx-": "VpcPeeringConnection"}
                k = next((v for pre, v in key.items() if e.component.startswith(pre)), "")
                if k:
                    out[k] = self.comp(e.component)
        elif fam == "tgw":
            self._tgw_fields(e, out)
        elif fam == "elb":
            self._elb_fields(e, out)
        else:  # state and configuration codes: the component and, where the snapshot says, its state
            if e.code == "DISCONNECTED_VPCS" and row is not None and s in self.a.eni and d in self.a.eni:
                out["SourceVpc"], out["DestinationVpc"] = self.comp(self.a.eni[s][2]), self.comp(self.a.eni[d][2])
            if e.code == "PROTOCOL_RESTRICTION" and row is not None:
                out["Protocols"] = [_proto_name(p)]
            state = self._state(e.component)
            if state:
                out["State"] = state
        return out

    def _direction(self, hop: str) -> str:
        """The direction of a hop predicate (its @direction annotation); ingress for the packet space."""
        decl = self.a.p.decls.get(hop)
        return decl.annotations.get("direction", "ingress") if decl is not None else "ingress"

    def _sg_field(self, sgs: list[str], direction: str, p: str, port: int) -> str:
        """Which packet field no rule matched: the protocol, the port, else the address (``PacketField``)."""
        rules = [r for g in sgs for r in self.a.sg_rules.get(g, []) if f":{direction}:" in str(r[-1])]
        if not any(r[1] in ("-1", p) for r in rules):
            return "protocol"
        # (an ICMP or ICMPv6 "port" is its message, type * 256 + code: rules/00_snapshot.dl)
        if not any(r[1] in ("-1", p) and (p not in ("6", "17") + ICMP or r[2] <= port <= r[3]) for r in rules):
            return "destination-port"
        return "destination-address" if direction == "egress" else "source-address"

    def _state(self, rid: str) -> str:
        for rel, col in (("nat_state", 1), ("tgw", 1), ("lb_state", 1)):
            for r in self.a.rel.get(rel, []):
                if r[0] == rid:
                    return str(r[col])
        for r in self.a.rel.get("tgw_vpc_attachment", []):
            if r[0] == rid:
                return str(r[3])
        return ""

    def _tgw_fields(self, e: Explanation, out: dict[str, Any]) -> None:
        c = e.component
        if c.startswith("tgw-attach-"):
            out["TransitGatewayAttachment"] = self.comp(c)
            att = next((r for r in self.a.rel.get("tgw_vpc_attachment", []) if r[0] == c), None)
            if att:
                out["TransitGateway"], out["Vpc"] = self.comp(att[1]), self.comp(att[2])
        elif c.startswith("tgw-rtb-"):
            out["TransitGatewayRouteTable"] = self.comp(c)
            rtb = next((r for r in self.a.rel.get("tgw_rtb", []) if r[0] == c), None)
            if rtb:
                out["TransitGateway"] = self.comp(rtb[1])
        if e.row is not None:
            s = e.row[0] if e.path == "forward" else e.row[1]
            if s in self.a.eni and self.a.eni[s][1] in self.subnets:
                out["AvailabilityZones"] = [self.subnets[self.a.eni[s][1]][4]]
            out["Addresses"] = [ip_text(e.row[3] if e.path == "forward" else e.row[2])]

    def _elb_fields(self, e: Explanation, out: dict[str, Any]) -> None:
        c = e.component
        li = self.listeners.get(c)
        lb = li[1] if li else c if c in self.lbs else ""
        if lb:
            out["LoadBalancerArn"] = lb
            out["Component"] = self.comp(lb)
        if li:
            out["ElasticLoadBalancerListener"] = {"LoadBalancerPort": li[2]}
            out["LoadBalancerListenerPort"] = li[2]
            out["Protocols"] = [li[3]]
        elif lb:
            ports = sorted(r[2] for r in self.listeners.values() if r[1] == lb)
            if ports:
                out["PortRanges"] = [{"From": x, "To": x} for x in ports]
        tgs = sorted(r[0] for r in self.a.rel.get("tg_lb", []) if r[1] == lb)
        if tgs:
            out["LoadBalancerTargetGroups"] = [self.comp(t) for t in tgs]
        if e.code in ("TARGET_PORT_RESTRICTION", "TARGET_ADDRESS_RESTRICTION", "ELB_NOT_CROSSZONE"):
            targets = [r for r in self.a.rel.get("tg_target", []) if r[0] in tgs]
            if targets:
                t = targets[0]
                out["LoadBalancerTarget"] = {"Address": ip_text(t[2]) if t[2] else "", "Id": t[1], "Port": t[3],
                                             "AvailabilityZone": t[4]}
                out["LoadBalancerTargetPort"] = t[3]
                if e.code == "TARGET_PORT_RESTRICTION":
                    out["PacketField"] = "destination-port"
        if e.code == "ELB_NOT_CROSSZONE" and lb:
            out["AvailabilityZones"] = sorted({r[2] for r in self.a.rel.get("lb_subnet", []) if r[0] == lb and r[2]})
