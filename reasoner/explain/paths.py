"""Answers one query on one snapshot: verdict, forward and return path, blockers, proof.

The semantics are the rules' (``rules/reachability.dl``): this module asserts the packet,
asks the hop predicates and ``reach``, and reads which rule, entry or route admitted each hop.

Packet space: protocol and destination port come from the query; the source port ranges over
the ephemeral range 1024-65535.  Instead of sampling, the range is cut at every boundary of
every NACL entry's port range (the only rules that look at it), so one representative per piece
covers the whole range: the answer is exact for every source port.  The same is done for a
destination port range, cut at SG and NACL rule boundaries.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from reasoner.engine.program import Program
from reasoner.engine.provenance import Node, why, why_not
from reasoner.errors import QueryError

EPHEMERAL = (1024, 65535)
HOPS = ["fwd_sg_egress", "fwd_nacl_out", "fwd_route", "fwd_nacl_in", "fwd_sg_ingress", "ret_nacl_out", "ret_route", "ret_nacl_in"]
PROTO_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "all"}


def ip_text(ip: int) -> str:
    return str(ipaddress.IPv4Address(ip))


@dataclass
class Hop:
    component: str
    kind: str
    direction: str
    detail: str
    hop: str

    def to_json(self, seq: int) -> dict:
        return {"sequence": seq, "component": self.component, "kind": self.kind, "direction": self.direction,
                "detail": self.detail, "hop": self.hop}


@dataclass
class Explanation:
    code: str
    component: str
    direction: str
    path: str
    message: str
    hop: str

    def to_json(self) -> dict:
        return {"code": self.code, "component": self.component, "direction": self.direction, "path": self.path,
                "message": self.message, "hop": self.hop}


@dataclass
class Result:
    query: str
    reachable: bool
    packet: dict[str, Any]
    forward_path: list[Hop] = field(default_factory=list)
    return_path: list[Hop] = field(default_factory=list)
    explanations: list[Explanation] = field(default_factory=list)
    proof: Node | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "schema": "reason.query/v1",
            "query": self.query,
            "reachable": self.reachable,
            "packet": self.packet,
            "forward_path": [h.to_json(i + 1) for i, h in enumerate(self.forward_path)],
            "return_path": [h.to_json(i + 1) for i, h in enumerate(self.return_path)],
            "explanations": [e.to_json() for e in self.explanations],
            "warnings": self.warnings,
            "proof": self.proof.to_json() if self.proof else None,
        }

    def to_aws(self) -> dict:
        """The shape of Reachability Analyzer's NetworkInsightsAnalysis (aws-semantics.md §3)."""
        def comp(h: Hop, i: int) -> dict:
            return {"SequenceNumber": i + 1, "Component": {"Id": h.component}, "AdditionalDetails": [], "Explanations": []}
        return {"NetworkInsightsAnalyses": [{
            "Status": "succeeded",
            "NetworkPathFound": self.reachable,
            "ForwardPathComponents": [comp(h, i) for i, h in enumerate(self.forward_path)],
            "ReturnPathComponents": [comp(h, i) for i, h in enumerate(self.return_path)],
            "Explanations": [{"ExplanationCode": e.code, "Direction": e.direction, "Component": {"Id": e.component}}
                             for e in self.explanations],
        }]}


def _cuts(lo: int, hi: int, bounds: list[tuple[int, int]]) -> list[int]:
    """One representative per piece of [lo, hi] cut at every rule range boundary."""
    points = {lo}
    for a, b in bounds:
        for p in (a, b + 1):
            if lo < p <= hi:
                points.add(p)
    return sorted(points)


class Analyzer:
    def __init__(self, program: Program, relations: dict[str, list[tuple]], names: dict[str, str]) -> None:
        self.p, self.rel, self.names = program, relations, names
        self.eni = {r[0]: r for r in relations.get("eni", [])}
        self.sgs: dict[str, list[str]] = {}
        for e, sg in relations.get("eni_sg", []):
            self.sgs.setdefault(e, []).append(sg)

    def label(self, rid: str) -> str:
        name = self.names.get(rid)
        return f"{rid} ({name})" if name and name != rid else rid

    def analyze(self, query_text: str, src: tuple[str, int], dst: tuple[str, int], proto: str, port_lo: int, port_hi: int,
                depth: int = 3) -> Result:
        if proto == "-1":
            raise QueryError("query.unsupported", "protocol 'any' is not analysed in this version", hint="ask tcp, udp or icmp")
        nacl_ports = [(r[4], r[5]) for r in self.rel.get("nacl_entry", [])]
        sg_ports = [(r[2], r[3]) for k in ("sg_ingress_cidr", "sg_egress_cidr", "sg_ingress_sg", "sg_egress_sg",
                                          "sg_ingress_pl", "sg_egress_pl") for r in self.rel.get(k, [])]
        sports = _cuts(*EPHEMERAL, nacl_ports)
        dports = _cuts(port_lo, port_hi, nacl_ports + sg_ports)
        best: tuple | None = None
        best_fail: list[str] | None = None
        for dp in dports:
            for sp in sports:
                row = (src[0], dst[0], src[1], dst[1], proto, sp, dp)
                self.p.add_fact("packet", row)
                try:
                    if self.p.holds("reach", row):
                        return self._result(query_text, row, True, [], depth)
                    failing = [h for h in HOPS if not self.p.holds(h, row)]
                    if best_fail is None or len(failing) < len(best_fail):
                        best, best_fail = row, failing
                finally:
                    self.p.retract_fact("packet", row)
        assert best is not None and best_fail is not None
        self.p.add_fact("packet", best)
        try:
            return self._result(query_text, best, False, best_fail, depth)
        finally:
            self.p.retract_fact("packet", best)

    # -- reading the hops -------------------------------------------------------------------
    def _subnet(self, eni: str) -> str:
        return self.eni[eni][1]

    def _acl(self, eni: str) -> str:
        rows = self.p.query("subnet_nacl", (self._subnet(eni), None))
        return rows[0][1] if rows else "(no network ACL)"

    def _rtb(self, eni: str) -> str:
        rows = self.p.query("subnet_route_table", (self._subnet(eni), None))
        return rows[0][1] if rows else "(no route table)"

    def _component(self, how: str, row: tuple) -> str:
        s, d = row[0], row[1]
        return {
            "sg_of_src": lambda: ", ".join(sorted(self.sgs.get(s, []))) or "(no security group)",
            "sg_of_dst": lambda: ", ".join(sorted(self.sgs.get(d, []))) or "(no security group)",
            "acl_of_src": lambda: self._acl(s), "acl_of_dst": lambda: self._acl(d),
            "rtb_of_src": lambda: self._rtb(s), "rtb_of_dst": lambda: self._rtb(d),
        }[how]()

    def _hop(self, hop: str, row: tuple) -> Hop | None:
        s, d, sip, dip, p, sp, dp = row
        same = self._subnet(s) == self._subnet(d)
        ann = self.p.decls[hop].annotations
        comp = self._component(ann["component"], row)
        if hop in ("fwd_sg_egress", "fwd_sg_ingress"):
            pred, pat = ("sg_egress_admits", (s, d, dip, p, dp, None, None)) if hop == "fwd_sg_egress" else \
                ("sg_ingress_admits", (s, d, sip, p, dp, None, None))
            hits = self.p.query(pred, pat)
            detail = f"allowed by {hits[0][6]}" if hits else "no rule"
            return Hop(hits[0][5] if hits else comp, "security-group", ann["direction"], detail, hop)
        if "nacl" in hop:
            if same:
                return None
            eg = 1 if ann["direction"] == "egress" else 0
            port = dp if ann["path"] == "forward" else sp
            remote = (dip if eg else sip) if ann["path"] == "forward" else (sip if eg else dip)
            hits = self.p.query("nacl_allows", (comp, eg, p, port, remote, None))
            detail = f"rule {hits[0][5]} allow" if hits else "denied"
            return Hop(comp, "network-acl", ann["direction"], detail, hop)
        ip = dip if ann["path"] == "forward" else sip
        hits = self.p.query("route_selected", (comp, ip, None, None, None, None))
        if hits:
            _, _, length, ttype, target, state = hits[0]
            detail = f"route /{length} -> {target if ttype != 'local' else 'local'} ({state})"
        else:
            detail = "no matching route"
        return Hop(comp, "route-table", ann["direction"], detail, hop)

    def _explain(self, hop: str, row: tuple) -> Explanation:
        s, d, sip, dip, p, sp, dp = row
        ann = self.p.decls[hop].annotations
        comp = self._component(ann["component"], row)
        code = ann["code"]
        if "route" in hop:
            ip = dip if ann["path"] == "forward" else sip
            probs = self.p.query("route_problem", (comp, ip, None, None))
            if probs:
                code = probs[0][2]
        eni_of = s if ann["component"].endswith("src") else d
        fields = {
            "src_eni": self.label(s), "dst_eni": self.label(d), "src_ip_text": ip_text(sip), "dst_ip_text": ip_text(dip),
            "proto_name": PROTO_NAMES.get(p, p), "src_port": sp, "dst_port": dp, "component": self.label(comp),
            "src_subnet": self.label(self._subnet(s)), "dst_subnet": self.label(self._subnet(d)),
            "sgs": ", ".join(self.label(g) for g in sorted(self.sgs.get(eni_of, []))) or "none",
        }
        message = ann["message"].format(**fields)
        if code == "MORE_SPECIFIC_ROUTE":
            message += " (the selected route leads elsewhere; paths beyond the VPC are not modelled in this version)"
        if code == "BAD_STATE_ROUTE":
            message += " (the selected route is a blackhole)"
        return Explanation(code, comp, ann["direction"], ann["path"], message, hop)

    def _result(self, query_text: str, row: tuple, ok: bool, failing: list[str], depth: int) -> Result:
        s, d, sip, dip, p, sp, dp = row
        packet = {"src_eni": s, "dst_eni": d, "src_ip": ip_text(sip), "dst_ip": ip_text(dip), "protocol": PROTO_NAMES.get(p, p),
                  "src_port": sp, "dst_port": dp}
        res = Result(query_text, ok, packet)
        res.forward_path.append(Hop(s, "network-interface", "egress", f"{ip_text(sip)} in {self._subnet(s)}", "source"))
        for hop in HOPS:
            if hop in failing:
                res.explanations.append(self._explain(hop, row))
                target = res.forward_path if hop.startswith("fwd") else res.return_path
                target.append(Hop(self._component(self.p.decls[hop].annotations["component"], row), hop.split("_", 1)[1],
                                  self.p.decls[hop].annotations["direction"], "BLOCKED", hop))
                if hop.startswith("fwd"):
                    continue
                continue
            h = self._hop(hop, row)
            if h is None:
                continue
            if hop.startswith("fwd"):
                res.forward_path.append(h)
            else:
                res.return_path.append(h)
            if hop == "fwd_sg_ingress":
                res.forward_path.append(Hop(d, "network-interface", "ingress", f"{ip_text(dip)} in {self._subnet(d)}", "destination"))
                res.return_path.append(Hop(d, "network-interface", "egress", "reply", "destination"))
                res.return_path.append(Hop(", ".join(sorted(self.sgs.get(d, []))), "security-group", "egress",
                                           "stateful: reply of an allowed flow", "ret_sg"))
        if ok:
            res.return_path.append(Hop(s, "network-interface", "ingress", "reply delivered", "source"))
            res.proof = why(self.p, "reach", row, depth=depth * 4)
        else:
            res.proof = why_not(self.p, "reach", row, depth=depth)
        return res
