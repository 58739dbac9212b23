"""Reading a packet's hops for people: which component each hop is, the rule, entry or route that admitted it
(asked of the rules: ``sg_egress_admits``, ``nacl_allows``, ``route_selected``, ...), the explanations of a blocked
hop (the hop's ``@code``/``@message`` annotations and ``hop_problem`` rows), and the answer built from them
(``HopReader._result``).  A mixin of ``reasoner/explain/paths.py`` ``Analyzer``, which holds the snapshot's indexes
(``eni``, ``sgs``, ``sg_rules``, ``nacl_entries``, ``routes``, ``pl_routes``) and the program ``p``.
"""

from __future__ import annotations

from typing import Any

from reasoner import addresses
from reasoner.engine.provenance import why, why_not
from reasoner.explain import wording
from reasoner.explain.answer import HOPS, INTERNET, PROTO_NAMES, Explanation, Hop, Result, ip_text
from reasoner.explain.space import NO_REPLY


def _traffic(proto: str, port: int) -> str:
    """One packet's protocol and port as the hop messages write it: ``tcp/8000``; ``icmp type 8 code 0`` for an
    ICMP message (its port is type * 256 + code; an echo request's reply is ``icmp type 0 code 0``), ``icmp (no
    reply)`` for the source port of a message that gets none (65537: reasoner/explain/space.py NO_REPLY)."""
    name = PROTO_NAMES.get(proto, f"protocol {proto}")
    if proto in wording.ICMP:
        return f"{name} (no reply)" if port > 65535 else f"{name} {wording.icmp_text(port, port)}"
    return f"{name}/{port}"


#: id prefixes of the components a route hop may be blamed on, and their types (Reachability Analyzer's names)
_KINDS = (("tgw-attach-", "transit-gateway-attachment"), ("tgw-rtb-", "transit-gateway-route-table"),
          ("tgw-", "transit-gateway"), ("acl-", "network-acl"), ("pcx-", "vpc-peering-connection"),
          ("nat-", "nat-gateway"), ("vpce-", "vpc-endpoint"), ("eigw-", "egress-only-internet-gateway"),
          ("igw-", "internet-gateway"))


class HopReader:
    """The hop-reading half of ``Analyzer`` (see the module doc)."""

    def _subnet(self, eni: str) -> str:
        return self.eni[eni][1] if eni in self.eni else INTERNET

    def _vpc(self, eni: str) -> str:
        return self.eni[eni][2] if eni in self.eni else INTERNET

    def _acl(self, eni: str) -> str:
        return self.acl_of(self._subnet(eni)) or "(network ACL not in the snapshot)"

    def _rtb(self, eni: str) -> str:
        return self._rtb_of_subnet(self._subnet(eni)) or "(route table not in the snapshot)"

    def _igw(self, vpc: str) -> str:
        rows = self.p.query("igw_attachment", (None, vpc))
        return rows[0][0] if rows else "(no internet gateway)"

    def _component(self, how: str, row: tuple) -> str:
        s, d = row[0], row[1]
        return {
            "sg_of_src": lambda: ", ".join(sorted(self.sgs.get(s, []))) or "(no security group)",
            "sg_of_dst": lambda: ", ".join(sorted(self.sgs.get(d, []))) or "(no security group)",
            "acl_of_src": lambda: self._acl(s), "acl_of_dst": lambda: self._acl(d),
            "rtb_of_src": lambda: self._rtb(s) if s != INTERNET else self._igw(self._vpc(d)),
            "rtb_of_dst": lambda: self._rtb(d) if d != INTERNET else self._igw(self._vpc(s)),
        }[how]()

    def _hop(self, hop: str, row: tuple) -> Hop | None:
        s, d, sip, dip, p, sp, dp = row
        ann = self.p.decls[hop].annotations
        if (hop == "fwd_sg_egress" and s == INTERNET) or (hop == "fwd_sg_ingress" and d == INTERNET):
            return None
        if "nacl" in hop:
            side = s if ann["component"].endswith("src") else d
            if side == INTERNET or self._subnet(s) == self._subnet(d):
                return None
        if hop in ("fwd_route", "ret_route") and self.p.holds("on_link", (s, d)):
            return None  # the subnet's own link: no route table (rules/reachability.dl on_link)
        comp = self._component(ann["component"], row)
        if hop in ("fwd_sg_egress", "fwd_sg_ingress"):
            pred, pat = ("sg_egress_admits", (s, d, dip, p, dp, None, None)) if hop == "fwd_sg_egress" else \
                ("sg_ingress_admits", (s, d, sip, p, dp, None, None))
            hits = self.p.query(pred, pat)
            detail = wording.sg_rule(self.sg_rules.get(hits[0][5], []), hits[0][5], hits[0][6], ann["direction"]) if hits \
                else "no rule"
            return Hop(hits[0][5] if hits else comp, "security-group", ann["direction"], detail, hop,
                       ref=("sg_rule", hits[0][5], hits[0][6]) if hits else ())
        if "nacl" in hop:
            eg = 1 if ann["direction"] == "egress" else 0
            port = dp if ann["path"] == "forward" else sp
            remote = (dip if eg else sip) if ann["path"] == "forward" else (sip if eg else dip)
            hits = self.p.query("nacl_allows", (comp, eg, p, port, remote, None))
            detail = wording.acl_rule(self.nacl_entries.get(comp, []), comp, eg, hits[0][5]) if hits else "denied"
            if hop in ("fwd_nacl_in", "ret_nacl_in") and self.p.holds("tgw_delivers_in_subnet", (hop[:3],)):
                detail = "not evaluated: the transit gateway delivers from this subnet (tgw-nacls.html)"
            return Hop(comp, "network-acl", ann["direction"], detail, hop, ref=("acl_rule", comp, eg, hits[0][5]) if hits else ())
        forward = ann["path"] == "forward"
        from_eni = s if forward else d
        if from_eni == INTERNET and not forward:
            vpce = self.p.query("via_vpce", (None,))
            if vpce:  # the reply of a gateway endpoint's service comes back through the endpoint (rules/vpc_endpoints.dl)
                return Hop(vpce[0][0], "vpc-endpoint", "ingress", f"reply from the service through {vpce[0][0]} -> {ip_text(sip)}",
                           hop, ref=("vpce", vpce[0][0]))
            out = self.p.query("route_selected", (self._rtb(s), dip, None, None, None, None)) if s != INTERNET else []
            if out and out[0][3] == "egress_igw":  # the reply of a connection out by an egress-only gateway comes back by it
                return Hop(out[0][4], "egress-only-internet-gateway", "ingress",
                           f"reply to a connection it saw leave -> {ip_text(sip)}", hop, ref=("eigw", out[0][4]))
            if out and out[0][3] not in ("igw", "nat", "local"):  # the request left by a transit gateway, a peering
                # connection, an appliance...: the reply comes back that way, never by this VPC's internet gateway's 1:1
                # NAT (which the source, without a public address, may not even have)
                target = out[0][4]
                kind = next((name for prefix, name in _KINDS if target.startswith(prefix)), "route-target")
                return Hop(target, kind, "ingress", f"reply by {target}, the way the request left (not followed further) "
                           f"-> {ip_text(sip)}", hop)
        if from_eni == INTERNET:  # the internet gateway delivers by the local route
            addr = dip if forward else sip
            nat = [] if forward else self.p.query("via_nat", (None, None))  # (a reply to a NAT gateway's connection)
            how = (f"to {nat[0][0]}'s public IP -> {nat[0][0]} translates it back -> {ip_text(addr)}" if nat
                   else f"public IP -> {ip_text(addr)} (1:1 NAT)" if addresses.family(addr) == "ipv4"
                   else f"to {ip_text(addr)} (global IPv6 address, no NAT)")
            return Hop(comp, "internet-gateway", "ingress", how, hop, ref=("igw", comp))
        ip = dip if forward else sip
        hits = self.p.query("route_selected", (comp, ip, None, None, None, None))
        ref: tuple = ()
        if hits:
            _, _, length, ttype, target, state = hits[0]
            ref = ("route", comp, ip, length, ttype, target, state)
            detail = wording.route(self.routes.get(comp, []), self.pl_routes.get(comp, []), comp, ip, length, ttype, target, state)
            if ttype == "tgw":  # the transit gateway's own lookup (rules/transit_gateways.dl)
                leg = "fwd" if forward else "ret"
                ins = self.p.query("tgw_in_rtb", (leg, None, None))
                outs = self.p.query("tgw_next", (leg, None))
                if ins:
                    detail += f"; {target}: from {ins[0][1]}, route table {ins[0][2]}"
                    detail += f" -> {outs[0][1]}" if outs else " -> no attachment"
                    ref += ("tgw_route", ins[0][2], ins[0][1], outs[0][1] if outs else "")
        else:
            detail = "no matching route"
        return Hop(comp, "route-table", ann["direction"], detail, hop, ref=ref)

    def _kind(self, hop: str, row: tuple) -> str:
        """The component type of a hop, Reachability Analyzer's name for it (the same whether it passes or blocks)."""
        if "sg" in hop:
            return "security-group"
        if "nacl" in hop:
            return "network-acl"
        from_internet = row[0] == INTERNET if hop.startswith("fwd") else row[1] == INTERNET
        return "internet-gateway" if from_internet else "route-table"

    def _blocked_kind(self, hop: str, row: tuple, component: str) -> str:
        """The component type of a blocked hop: a route hop blamed on a transit gateway part, a network ACL of its
        attachment subnet, a peering connection, a gateway is drawn as that, not as a route table."""
        kind = self._kind(hop, row)
        if kind != "route-table":
            return kind
        for prefix, name in _KINDS:
            if component.startswith(prefix):
                return name
        return kind

    def _hop_component(self, hop: str, row: tuple, blamed: str) -> str:
        """The component a blocked hop is drawn as: the internet gateway where the internet enters a VPC (the
        explanation may blame the ENI behind it), else the component the explanation names."""
        if self._kind(hop, row) == "internet-gateway":
            return self._component(self.p.decls[hop].annotations["component"], row)
        return blamed

    def _fields(self, row: tuple, eni_of: str) -> dict[str, Any]:
        s, d, sip, dip, p, sp, dp = row
        return {
            "src_eni": self.label(s), "dst_eni": self.label(d), "src_ip_text": ip_text(sip), "dst_ip_text": ip_text(dip),
            "proto_name": PROTO_NAMES.get(p, f"protocol {p}"), "src_port": sp, "dst_port": dp,
            "dst_traffic": _traffic(p, dp), "src_traffic": _traffic(p, sp),
            "src_subnet": self.label(self._subnet(s)), "dst_subnet": self.label(self._subnet(d)),
            "sgs": ", ".join(self.label(g) for g in sorted(self.sgs.get(eni_of, []))) or "none",
        }

    def _explain(self, hop: str, row: tuple) -> list[Explanation]:
        s, d, sip, dip = row[:4]
        ann = self.p.decls[hop].annotations
        comp = self._component(ann["component"], row)
        eni_of = s if ann["component"].endswith("src") else d
        fields = self._fields(row, eni_of)
        problems = sorted(set(self.p.query("hop_problem", (hop, None, None, None))))
        out = []
        if problems:
            forward = ann["path"] == "forward"
            ip = dip if forward else sip
            for _, code, where, why_key in problems:
                tmpl = self.p.query("problem_message", (why_key, None)) or self.p.query("code_message", (code, None))
                text = tmpl[0][1] if tmpl else f"{code} at {{component}}"
                msg = text.format(component=self.label(where), ip_text=ip_text(ip), rtb=self.label(comp),
                                  ip_text_src=ip_text(sip if forward else dip))
                direction = self.p.query("problem_direction", (why_key, None))
                out.append(Explanation(code, where, direction[0][1] if direction else ann["direction"], ann["path"], msg, hop, row))
            if self._problems_replace(hop, problems):
                return out
        message = ann["message"].format(component=self.label(comp), **fields)
        return [Explanation(ann["code"], comp, ann["direction"], ann["path"], message, hop, row, self._blocking_ref(hop, row, comp))] + out

    def _problems_replace(self, hop: str, problems: list[tuple]) -> bool:
        """Whether a blocked hop's ``hop_problem`` rows say all there is: the precise codes replace the route hop's
        default one, and any hop's where the rules say so (``replaces_hop_message``); else the hop's own code
        (its ``@code``) comes first."""
        return bool(problems) and ("route" in hop or any(self.p.holds("replaces_hop_message", (w,)) for *_, w in problems))

    def blockers(self, hop: str, row: tuple, problems: list[tuple]) -> list[tuple[str, str]]:
        """Why ``hop`` blocks the packet ``row``, as (code, component) pairs in the order ``_explain`` words them:
        the hop's own code at its component (``@code``, ``@component``), unless its ``hop_problem`` rows
        (``problems``: (hop, code, component, why) of this hop) replace it, then each problem."""
        ann = self.p.decls[hop].annotations
        own = [] if self._problems_replace(hop, problems) else [(ann["code"], self._component(ann["component"], row))]
        return own + [(code, where) for _, code, where, _ in sorted(problems)]

    def _blocking_ref(self, hop: str, row: tuple, comp: str) -> tuple:
        """The network ACL entry that denies the packet at a blocked ACL hop (the first match: rules/network_acls.dl)."""
        if "nacl" not in hop:
            return ()
        s, d, sip, dip, p, sp, dp = row
        ann = self.p.decls[hop].annotations
        eg = 1 if ann["direction"] == "egress" else 0
        forward = ann["path"] == "forward"
        port = dp if forward else sp
        remote = (dip if eg else sip) if forward else (sip if eg else dip)
        hits = self.p.query("nacl_decides", (comp, eg, None, p, port, remote))
        return ("acl_rule", comp, eg, hits[0][2]) if hits else ("acl_rule", comp, eg, 32767)

    def _result(self, query_text: str, row: tuple, ok: bool, failing: list[str], depth: int, detail: bool = True,
                unknown: set[str] | None = None) -> Result:
        s, d, sip, dip, p, sp, dp = row
        packet = {"src_eni": s, "dst_eni": d, "src_ip": ip_text(sip), "dst_ip": ip_text(dip),
                  "protocol": PROTO_NAMES.get(p, p), "src_port": sp, "dst_port": dp, "family": addresses.family(sip)}
        if p in wording.ICMP and 0 <= dp <= 65535:  # the message: dst_port is type * 256 + code
            packet["icmp_type"], packet["icmp_code"] = divmod(dp, 256)
        res = Result(query_text, ok, packet)
        if not detail:
            for hop in failing:
                ann = self.p.decls[hop].annotations
                res.explanations.append(Explanation(ann["code"], self._component(ann["component"], row), ann["direction"],
                                                    ann["path"], "", hop))
            return res
        where = lambda e, ip: f"{ip_text(ip)} in {self._subnet(e)}" if e != INTERNET else ip_text(ip)  # noqa: E731
        res.forward_path.append(Hop(s, "network-interface" if s != INTERNET else "internet", "egress", where(s, sip), "source", row))
        # an ICMP message that gets no reply (an error message: rules/reachability.dl no_reply) has no return path
        no_reply = p in wording.ICMP and sp == NO_REPLY
        for hop in HOPS:
            if no_reply and hop.startswith("ret"):
                continue
            ann = self.p.decls[hop].annotations
            target = res.forward_path if hop.startswith("fwd") else res.return_path
            if hop in failing:
                exps = self._explain(hop, row)
                res.explanations.extend(exps)
                comp = self._hop_component(hop, row, exps[0].component)
                kind = self._blocked_kind(hop, row, comp)
                # a network ACL a route hop is blamed on is drawn in the direction of the rule that refuses (a transit
                # gateway attachment subnet's inbound rules, towards the gateway: tgw-nacls.html)
                target.append(Hop(comp, kind, exps[0].direction if kind == "network-acl" else ann["direction"],
                                  "BLOCKED", hop, row, exps[0].ref))
            elif unknown and hop in unknown:
                target.append(Hop(self._component(ann["component"], row), self._kind(hop, row), ann["direction"], "UNKNOWN", hop,
                                  row))
                # what the model refuses keeps its code (UNSUPPORTED_COMPONENT, ...): an explanation, not a blocker
                res.explanations.extend(e for e in self._explain(hop, row) if self.p.holds("unknown_code", (e.code,)))
            else:
                h = self._hop(hop, row)
                if h is not None:
                    h.row = row
                    target.append(h)
            if hop == "fwd_sg_ingress":
                res.forward_path.append(Hop(d, "network-interface" if d != INTERNET else "internet", "ingress", where(d, dip),
                                            "destination", row))
                if no_reply:
                    continue
                res.return_path.append(Hop(d, "network-interface" if d != INTERNET else "internet", "egress", "reply",
                                           "destination", row))
                if d != INTERNET and self.sgs.get(d):  # an ENI without groups (an NLB node) has no SG hop
                    res.return_path.append(Hop(", ".join(sorted(self.sgs.get(d, []))), "security-group", "egress",
                                               "stateful: reply of an allowed flow", "ret_sg", row))
        if ok:
            if not no_reply:
                res.return_path.append(Hop(s, "network-interface" if s != INTERNET else "internet", "ingress", "reply delivered",
                                           "source", row))
            res.proof = why(self.p, "reach", row, depth=depth * 4) if depth else None
        elif unknown and not failing:
            res.proof = None  # no derivation decides it: the missing pieces are the answer
        else:
            res.proof = why_not(self.p, "reach", row, depth=depth) if depth else None
        return res
