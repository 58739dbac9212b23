"""``--format aws``: an answer in the shape of Reachability Analyzer's ``NetworkInsightsAnalysis``.

Shape from ``aws-semantics.md`` §3 (API_NetworkInsightsAnalysis, API_PathComponent, API_Explanation,
API_AnalysisPacketHeader, API_AnalysisAclRule, API_AnalysisSecurityGroupRule, API_AnalysisRouteTableRoute):
the schema ``reasoner/schemas/aws-analysis.schema.json`` is written from the same reference.

Filled from the answer (``Result``: hops carry the packet and what decided them) and the snapshot's
relations: analysis id (stable: the snapshot's content hash and the query), status, verdict, the two
paths with component, subnet, VPC, packet headers (changed by the internet gateway's 1:1 NAT and by a
load balancer), the ACL entry, security group rule, route, TGW route and listener that decided a hop,
explanations with the context fields Reachability Analyzer sets for the code's family, and
alternate path hints where a load balancer is crossed.

An inconclusive answer is ``NetworkPathFound: false`` with a ``WarningMessage`` saying so, and one
``UNKNOWN_RESOURCE`` explanation (``MissingComponent``) per missing piece: it is not a proof of isolation.
ARNs are given for ids that are ARNs, and for EC2 resources when the snapshot holds exactly one account and
one Region (else unknown, left out). Not filled: ``FilterInArns``/``FilterOutArns`` (the query language
has no filters), ``AdditionalAccounts``, ``SuggestedAccounts``, firewall rules (not modelled).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from reasoner import addresses
from reasoner.explain.aws_explanations import ExplanationFields, _proto_name, cidr
from reasoner.explain.paths import INTERNET, Analyzer, Explanation, Hop, Result, ip_text

SCHEMA = "reason.aws/v1"
#: EC2 id prefix -> ARN resource type (the longest prefix that matches wins)
ARN_TYPES = {"eni-": "network-interface", "sg-": "security-group", "acl-": "network-acl", "rtb-": "route-table",
             "igw-": "internet-gateway", "subnet-": "subnet", "vpc-": "vpc", "nat-": "natgateway", "tgw-": "transit-gateway",
             "tgw-attach-": "transit-gateway-attachment", "tgw-rtb-": "transit-gateway-route-table",
             "pcx-": "vpc-peering-connection", "vpce-": "vpc-endpoint", "i-": "instance", "pl-": "prefix-list",
             "vgw-": "vpn-gateway", "eigw-": "egress-only-internet-gateway"}
ROUTE_TARGET_KEYS = {"igw": "GatewayId", "vgw": "GatewayId", "vpce": "GatewayId", "local": "GatewayId", "nat": "NatGatewayId",
                     "pcx": "VpcPeeringConnectionId", "tgw": "TransitGatewayId", "egress_igw": "EgressOnlyInternetGatewayId",
                     "eni": "NetworkInterfaceId", "instance": "InstanceId"}


def _host(ip: int) -> str:
    """An address as a host CIDR: ``10.0.1.10/32``, ``2600:1f18::10/128``."""
    return f"{ip_text(ip)}/{32 if addresses.family(ip) == 'ipv4' else 128}"

class AwsRenderer(ExplanationFields):
    """Turns answers on one snapshot into NetworkInsightsAnalysis objects."""

    def __init__(self, analyzer: Analyzer, manifest: dict[str, Any] | None = None, tool_version: str = "") -> None:
        self.a = analyzer
        self.manifest = manifest or {}
        self.tool_version = tool_version
        accounts, regions = self.manifest.get("accounts") or [], self.manifest.get("regions") or []
        self.account = accounts[0] if len(accounts) == 1 else ""
        self.region = regions[0] if len(regions) == 1 else ""
        self.subnets = {r[0]: r for r in analyzer.rel.get("subnet", [])}
        self.public_ip = {(r[0], r[1]): r[2] for r in analyzer.rel.get("eni_public_ip", [])}
        self.listeners = {r[0]: r for r in analyzer.rel.get("listener", [])}
        self.tgs = {r[0]: r for r in analyzer.rel.get("target_group", [])}
        self.lbs = {r[0]: r for r in analyzer.rel.get("load_balancer", [])}
        self._hash = ""

    # -- identity ---------------------------------------------------------------------------------
    def snapshot_hash(self) -> str:
        """The facts directory's content hash, else a hash of the loaded relations (a snapshot imported on the fly)."""
        if not self._hash:
            h = self.manifest.get("content_hash")
            if not h:
                digest = hashlib.sha256()
                for rel in sorted(self.a.rel):
                    digest.update(rel.encode() + b"\0" + json.dumps(sorted(map(list, self.a.rel[rel])), default=str).encode())
                h = "sha256:" + digest.hexdigest()
            self._hash = h
        return self._hash

    def arn(self, rid: str) -> str:
        if rid.startswith("arn:"):
            return rid
        if not (self.account and self.region):
            return ""
        kind = next((ARN_TYPES[p] for p in sorted(ARN_TYPES, key=len, reverse=True) if rid.startswith(p)), "")
        return f"arn:aws:ec2:{self.region}:{self.account}:{kind}/{rid}" if kind else ""

    def comp(self, rid: str) -> dict[str, str]:
        """An AnalysisComponent {Id, Arn, Name}: Arn and Name only where known."""
        out = {"Id": rid}
        arn = self.arn(rid)
        if arn:
            out["Arn"] = arn
        name = self.a.names.get(rid)
        if name and name != rid:
            out["Name"] = name
        return out

    # -- the analysis -----------------------------------------------------------------------------
    def analysis(self, res: Result, now: datetime | None = None) -> dict[str, Any]:
        nia = "nia-" + hashlib.sha256(f"{self.snapshot_hash()}\0{res.query}".encode()).hexdigest()[:17]
        nip = "nip-" + hashlib.sha256(res.query.encode()).hexdigest()[:17]
        started = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out: dict[str, Any] = {"NetworkInsightsAnalysisId": nia}
        if self.account and self.region:
            out["NetworkInsightsAnalysisArn"] = f"arn:aws:ec2:{self.region}:{self.account}:network-insights-analysis/{nia}"
        out.update({"NetworkInsightsPathId": nip, "StartDate": started, "Status": "succeeded",
                    "StatusMessage": "Analysis completed successfully", "NetworkPathFound": bool(res.reachable)})
        warnings = list(res.warnings)
        if res.inconclusive and not res.reachable:
            warnings.insert(0, "INCONCLUSIVE: no path was found, but this is not a proof that none exists: "
                            + "; ".join(m.message for m in res.missing))
        if warnings:
            out["WarningMessage"] = " | ".join(warnings)
        out["ForwardPathComponents"] = self.components(res.forward_path, res.explanations)
        out["ReturnPathComponents"] = self.components(res.return_path, res.explanations)
        out["Explanations"] = [self.explanation(e) for e in res.explanations] + [
            {"ExplanationCode": "UNKNOWN_RESOURCE", "Direction": self._direction(m.hop), "Component": self.comp(m.component),
             "MissingComponent": m.missing} for m in res.missing if m.missing != "unmodelled"]
        hints = self.alternate_hints(res)
        if hints:
            out["AlternatePathHints"] = hints
        out["Tags"] = [{"Key": "reason:schema", "Value": SCHEMA}, {"Key": "reason:verdict", "Value": res.verdict},
                       {"Key": "reason:query", "Value": res.query}, {"Key": "reason:snapshot", "Value": self.snapshot_hash()}]
        if self.tool_version:
            out["Tags"].append({"Key": "reason:tool-version", "Value": self.tool_version})
        pk = res.packet or {}
        if "icmp_type" in pk:  # RA's packet header and rule shapes have no ICMP type or code: the message is a tag
            out["Tags"].append({"Key": "reason:icmp", "Value": f"type {pk['icmp_type']} code {pk.get('icmp_code')}"})
        return out

    def document(self, res: Result, now: datetime | None = None) -> dict[str, Any]:
        """What ``aws ec2 describe-network-insights-analyses`` prints for this one analysis."""
        return {"NetworkInsightsAnalyses": [self.analysis(res, now)]}

    def alternate_hints(self, res: Result) -> list[dict[str, str]]:
        """The load balancer and target groups a path crosses: Reachability Analyzer's potential intermediate components."""
        seen: list[str] = []
        for h in res.forward_path:
            if h.kind == "elb-listener":
                lb = self.listeners.get(h.component, (None, ""))[1]
                if lb:
                    seen.append(lb)
            if h.kind in ("elb-target-group", "load-balancer"):
                seen.append(h.component)
        lb = res.packet.get("load_balancer") if isinstance(res.packet.get("load_balancer"), str) else None
        if lb:
            seen.insert(0, lb)
        out = []
        for rid in dict.fromkeys(seen):
            hint = {"ComponentId": rid}
            if self.arn(rid):
                hint["ComponentArn"] = self.arn(rid)
            out.append(hint)
        return out

    # -- path components --------------------------------------------------------------------------
    def components(self, hops: list[Hop], explanations: list[Explanation] | None = None) -> list[dict[str, Any]]:
        """One PathComponent per hop (the internet itself is not one); a blocked or undecided hop carries its
        explanations (the analysis lists them all as well)."""
        out: list[dict[str, Any]] = []
        for h in hops:
            for c in self.component(h):
                c = {"SequenceNumber": len(out) + 1, **c}
                c.setdefault("AdditionalDetails", [])
                c["Explanations"] = [self.explanation(e) for e in explanations or [] if e.hop == h.hop and e.row == h.row
                                     and h.detail in ("BLOCKED", "UNKNOWN")]
                out.append(c)
        return out

    def _side(self, h: Hop) -> str | None:
        """The ENI whose subnet the hop belongs to."""
        if h.row is None:
            return None
        if h.hop in ("source", "destination"):
            return h.component
        ann = self.a.p.decls[h.hop].annotations if h.hop in self.a.p.decls else {}
        which = ann.get("component", "")
        if h.hop == "ret_sg":
            return h.row[1]
        if h.kind == "internet-gateway":  # the VPC the internet enters or leaves
            return h.row[1] if h.row[0] == INTERNET else h.row[0]
        return h.row[0] if which.endswith("src") else h.row[1] if which.endswith("dst") else None

    def _place(self, eni: str | None, out: dict[str, Any], vpc_only: bool = False) -> None:
        if not eni or eni == INTERNET or eni not in self.a.eni:
            return
        _, sub, vpc, _ = self.a.eni[eni]
        if not vpc_only:
            out["Subnet"] = self.comp(sub)
        out["Vpc"] = self.comp(vpc)

    def component(self, h: Hop) -> list[dict[str, Any]]:
        if h.kind == "internet":
            return []  # Reachability Analyzer's paths start and end at the internet gateway
        ids = [x.strip() for x in h.component.split(",")] if h.kind == "security-group" else [h.component]
        if not ids[0]:
            return []  # nothing to name (no security group on the ENI)
        out: dict[str, Any] = {"Component": self.comp(ids[0])}
        self._place(self._side(h), out, vpc_only=h.kind == "internet-gateway")
        row = h.row
        if h.kind == "network-interface" and row is not None:
            header = self.header(row)
            if h.hop == "source" and h.direction == "egress":
                out["OutboundHeader"] = header
            elif h.hop == "destination" and h.direction == "ingress":
                out["InboundHeader"] = header
                zones = [self.subnets[self.a.eni[e][1]][4] for e in row[:2] if e in self.a.eni and self.a.eni[e][1] in self.subnets]
                if len(zones) == 2 and zones[0] != zones[1]:  # additional-detail-codes.html
                    out["AdditionalDetails"] = [{"AdditionalDetailType": "AVAILABILITY_ZONE_CROSSED",
                                                 "Component": self.comp(h.component)}]
            elif h.hop == "destination":  # the reply leaves the destination
                out["OutboundHeader"] = self.header(row, reply=True)
            else:
                out["InboundHeader"] = self.header(row, reply=True)
        elif h.kind == "internet-gateway" and row is not None:
            self._igw_headers(row, inbound=True, reply=not h.hop.startswith("fwd"), out=out)
        elif h.kind == "security-group" and h.ref and h.ref[0] == "sg_rule":
            rule = self.sg_rule(h.ref[1], h.ref[2], h.direction)
            if rule:
                out["SecurityGroupRule"] = rule
        elif h.kind == "network-acl" and h.ref and h.ref[0] == "acl_rule":
            rule = self.acl_rule(*h.ref[1:])
            if rule:
                out["AclRule"] = rule
        elif h.kind == "route-table" and h.ref and h.ref[0] == "route":
            out["RouteTableRoute"] = self.route(*h.ref[1:7])
            igw = self._igw_after_route(h)
            if igw is not None:
                return [out, igw]
            nat = self._nat_after_route(h)
            if nat:
                return [out, *nat]
            if len(h.ref) > 7 and h.ref[7] == "tgw_route":
                tgw_route = self.tgw_route(h.ref[8], row, h.ref[10], h.hop.startswith("fwd"))
                out["TransitGateway"] = self.comp(h.ref[5])
                if tgw_route:
                    out["TransitGatewayRouteTableRoute"] = tgw_route
        elif h.kind == "elb-listener":
            li = self.listeners.get(h.component)
            if li:
                out["ElasticLoadBalancerListener"] = {"LoadBalancerPort": li[2]}
                if li[1] in self.lbs:
                    out["Vpc"] = self.comp(self.lbs[li[1]][4])
        elif h.kind == "elb-target-group":
            tg = self.tgs.get(h.component)
            if tg:
                out["Vpc"] = self.comp(tg[4])
        return [out]

    def _igw_headers(self, row: tuple, inbound: bool, reply: bool, out: dict[str, Any]) -> None:
        """The internet gateway's 1:1 NAT (VPC user guide, internet gateways): the ENI's public address outside,
        its private address inside.  A public address the snapshot lacks is left out, never invented."""
        s, d, sip, dip = row[:4]
        eni = d if s == INTERNET else s
        private = (sip if reply else dip) if inbound else (dip if reply else sip)
        public = self.public_ip.get((eni, private))
        if public is None and eni in self.a.eni:  # a load balancer node: its subnet's public address, if collected
            lb = next((r[0] for r in self.a.rel.get("lb_eni", []) if r[1] == eni), None)
            public = next((r[2] for r in self.a.rel.get("lb_public_ip", []) if r[0] == lb and r[1] == self.a.eni[eni][1]), None)
        key = "DestinationAddresses" if inbound else "SourceAddresses"
        inside, outside = self.header(row, reply), self.header(row, reply)
        if public is not None:
            outside[key] = [_host(public)]
        else:
            del outside[key]
        out["InboundHeader"], out["OutboundHeader"] = (outside, inside) if inbound else (inside, outside)

    def _igw_after_route(self, h: Hop) -> dict[str, Any] | None:
        """The internet gateway a route sends the packet out through, as its own component (RA lists it)."""
        if not (h.ref and h.ref[0] == "route" and h.ref[4] == "igw" and h.row is not None):
            return None
        forward = h.hop.startswith("fwd")
        if (h.row[1] if forward else h.row[0]) != INTERNET:
            return None
        igw: dict[str, Any] = {"Component": self.comp(h.ref[5])}
        eni = h.row[0] if forward else h.row[1]
        self._place(eni, igw, vpc_only=True)
        self._igw_headers(h.row, inbound=False, reply=not forward, out=igw)
        return igw

    def _nat_after_route(self, h: Hop) -> list[dict[str, Any]]:
        """A public NAT gateway on the way to the internet (vpc-nat-gateway.html): it rewrites the source to its
        private address and an ephemeral port (REMAP_EPHEMERAL_PORT), then the internet gateway maps that to its
        public address.  Shown on the forward path only."""
        if not (h.ref and h.ref[0] == "route" and h.ref[4] == "nat" and h.row is not None and h.hop.startswith("fwd")
                and h.row[1] == INTERNET):
            return []
        nat = h.ref[5]
        row = next((r for r in self.a.rel.get("nat_gateway", []) if r[0] == nat), None)
        if row is None:
            return []
        _, sub, vpc, nat_ip = row
        before = self.header(h.row)
        after = dict(before, SourceAddresses=[_host(nat_ip)])
        if "SourcePortRanges" in after:
            after["SourcePortRanges"] = [{"From": 1024, "To": 65535}]
        out = [{"Component": self.comp(nat), "Subnet": self.comp(sub), "Vpc": self.comp(vpc),
                "InboundHeader": before, "OutboundHeader": after}]
        rtb = self.a._rtb_of_subnet(sub)
        igw_route = next((r for r in self.a.routes.get(rtb, []) if r[4] == "igw" and r[1] <= h.row[3] <= r[2]), None)
        if igw_route is not None:
            public = next((r[1] for r in self.a.rel.get("nat_public_ip", []) if r[0] == nat), None)
            outside = dict(after)
            if public is not None:
                outside["SourceAddresses"] = [_host(public)]
            else:
                del outside["SourceAddresses"]
            out.append({"Component": self.comp(igw_route[5]), "Vpc": self.comp(vpc), "InboundHeader": after,
                        "OutboundHeader": outside})
        return out

    @staticmethod
    def header(row: tuple, reply: bool = False) -> dict[str, Any]:
        """An AnalysisPacketHeader for the packet (or its reply): addresses as host CIDRs (/32, /128), protocol as an IANA number."""
        _, _, sip, dip, p, sp, dp = row
        if reply:
            sip, dip, sp, dp = dip, sip, dp, sp
        out: dict[str, Any] = {"SourceAddresses": [_host(sip)], "DestinationAddresses": [_host(dip)],
                               "Protocol": p}
        if p in ("6", "17"):
            out["SourcePortRanges"] = [{"From": sp, "To": sp}]
            out["DestinationPortRanges"] = [{"From": dp, "To": dp}]
        return out

    # -- rules as Reachability Analyzer shows them ------------------------------------------------
    def sg_rule(self, sg: str, rule_id: str, direction: str) -> dict[str, Any] | None:
        row = next((r for r in self.a.sg_rules.get(sg, []) if r[-1] == rule_id), None)
        if row is None:
            return None
        out: dict[str, Any] = {"Direction": direction, "SecurityGroupId": sg, "Protocol": _proto_name(row[1])}
        if row[1] in ("6", "17"):
            out["PortRange"] = {"From": row[2], "To": row[3]}
        if len(row) == 7:
            out["Cidr"] = cidr(row[4], row[5])
        elif str(row[4]).startswith("pl-"):
            out["PrefixListId"] = row[4]
        else:
            out["SecurityGroupId"] = row[4]  # the referenced group, as RA names the rule's source
        return out

    def acl_rule(self, acl: str, egress: int, number: int) -> dict[str, Any] | None:
        row = next((r for r in self.a.nacl_entries.get(acl, []) if r[1] == egress and r[2] == number), None)
        if row is None:
            return None
        out: dict[str, Any] = {"Cidr": cidr(row[6], row[7]), "Egress": bool(egress), "Protocol": _proto_name(row[3]),
                               "RuleAction": row[8], "RuleNumber": number}
        if row[3] in ("6", "17"):
            out["PortRange"] = {"From": row[4], "To": row[5]}
        return out

    def route(self, rtb: str, ip: int, length: int, ttype: str, target: str, state: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        exact = [r for r in self.a.routes.get(rtb, []) if r[3] == length and r[1] <= ip <= r[2] and r[5] == target]
        if exact:
            out["DestinationCidr"] = cidr(exact[0][1], exact[0][2])
        else:
            pls = [r[1] for r in self.a.pl_routes.get(rtb, []) if r[3] == target]
            if pls:
                out["DestinationPrefixListId"] = pls[0]
        out[ROUTE_TARGET_KEYS.get(ttype, "GatewayId")] = target
        out["Origin"] = "CreateRouteTable" if ttype == "local" else "CreateRoute"
        out["State"] = state
        return out

    def tgw_route(self, tgw_rtb: str, row: tuple | None, att: str, forward: bool) -> dict[str, Any] | None:
        """The transit gateway route that sent the packet to att: the most specific candidate of the table
        (rules/transit_gateways.dl ``tgw_route_cand``: static, collected propagated, or one per CIDR of a
        propagating VPC), static before propagated."""
        if row is None or not att:
            return None
        ip = row[3] if forward else row[2]
        cands = [r for r in self.a.p.query("tgw_route_cand", (tgw_rtb, None, None, None, att, None)) if r[1] <= ip <= r[2]]
        if not cands:
            return None
        best = min(cands, key=lambda r: (r[2] - r[1], r[3]))
        kinds = {r[0]: (r[2], r[3]) for r in self.a.rel.get("tgw_attachment", [])}
        out = {"DestinationCidr": cidr(best[1], best[2]), "State": best[5], "RouteOrigin": "static" if best[3] == 1 else "propagated",
               "AttachmentId": att}
        if att in kinds:
            out["ResourceType"], out["ResourceId"] = kinds[att]
        return out
