"""A load balancer as the source: what its nodes send to a destination.

A load balancer sends requests only to the registered targets of the groups it forwards to with a weight above 0
(TARGET_ADDRESS_RESTRICTION), on their registered ports (TARGET_PORT_RESTRICTION), with its target group's protocol (PROTOCOL_RESTRICTION: rules/load_balancers.dl
``lb_sends_proto``), from the nodes that serve them (zones, cross-zone). When the snapshot lacks what decides
this (rules/load_balancers.dl ``lb_unknown``), the answer is inconclusive, never "not a target".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reasoner import addresses
from reasoner.explain.lb_rules import forwarding_rules
from reasoner.explain.paths import PROTO_NAMES, Endpoint, Missing, Result, ip_text

if TYPE_CHECKING:
    from reasoner.explain.loadbalancers import LoadBalancers

def analyze_from(self: "LoadBalancers", query_text: str, lb: str, dsts: list[Endpoint], proto: str, port_lo: int, port_hi: int,
                 depth: int = 3) -> Result:
    """``alb:NAME -> DST``: what the load balancer's nodes send to DST. A load balancer sends only to its
    registered targets (TARGET_ADDRESS_RESTRICTION), on their registered ports (TARGET_PORT_RESTRICTION),
    from the nodes that serve them (cross-zone), while its State routes traffic (BAD_STATE: rules/load_balancers.dl
    ``lb_routes``; no State: undecided): requests (rules/load_balancers.dl node_request_target). Health checks,
    also sent to a weight-0 group's targets and to the health-check port, are not modelled here (`reason health`)."""
    name = self.n.lb_label(lb)
    base = Result(query_text, False, {"load_balancer": lb})
    stopped = self._not_routing(base, lb, name)  # provisioning or failed: BAD_STATE; no State: undecided
    if stopped is not None:
        return stopped
    wanted = {(d.eni, ip) for d in dsts for ip in (d.ips or ())}
    named = [r for r in self.p.query("node_request_target", (lb, None, None, None, None, None))
             if (self.n.target_eni(r[2], r[4]), r[4]) in wanted]
    requested = requested_tgs(self, lb)
    sent = [r for r in named if r[2] in requested]
    gaps = [self._missing("load_balancer", m, c) for _, m, c in sorted(set(self.p.query("lb_unknown", (lb, None, None))))]
    if not sent and gaps:  # the targets, or what decides which node sends to them, are what the snapshot lacks
        return self._undecided(base, gaps)
    if not sent and named:  # a forward to the destination's groups that no client's request reaches
        return self._blocked(base, "ELBV2_LISTENER_REQUIRES_TG_ACCEPT", lb,
                             f"the rules of {name}'s listeners forward no request to the destination's target groups: a rule "
                             "before each such forward answers every client's requests itself", "egress")
    # a rule the snapshot lacks may come first and answer every request itself (as `CLIENT -> alb:NAME` says)
    rules_gap = [self._missing("listener", "listener_rules", li) for li in sorted({r[0] for r in self.p.query(
        "listener", (None, lb, None, None))}) if self.p.holds("listener_rules_unknown", (li,))]
    if not sent:
        return self._blocked(base, "TARGET_ADDRESS_RESTRICTION", lb,
                             f"{name} sends only to its registered targets, and the destination is not one of them"
                             " (or no node of it serves the destination's zone)", "egress")
    in_ports = [r for r in sent if port_lo <= r[5] <= port_hi]
    if not in_ports and gaps:
        return self._undecided(base, gaps)
    if not in_ports:
        ports = ", ".join(sorted({f"{ip_text(r[4])}:{r[5]}" for r in sent}))
        return self._blocked(base, "TARGET_PORT_RESTRICTION", lb,
                             f"{name} sends to its targets only on their registered ports ({ports})", "egress")
    best: Result | None = None
    for _, node, tg, target, ip, port in in_ports:
        kept = _preserved(self, base, lb, name, tg)
        if kept is not None:  # the requests carry the clients' addresses, not the node's
            best = self._better(best, kept)
            continue
        for tproto in sorted(r[1] for r in self.p.query("lb_sends_proto", (tg, None)) if proto in ("-1", r[1])):
            res = self.a.analyze(query_text, [self.node_endpoint(node)], [Endpoint(self.n.target_eni(tg, ip), (ip,))], tproto,
                                 port, port, depth)
            res.forward_path.insert(1, self._tg_hop(tg, target, port))
            zone = next((r[2] for r in self.nodes(lb) if r[0] == node), "")
            if res.reachable and self.p.holds("cross_zone_unknown", (lb, tg)) and not any(
                    self.p.query("target_served", (lb, tg, target, ip, port, z)) for z in (zone, "all")):
                res.reachable, res.inconclusive = False, True  # sent across zones by the default only
                res.missing.extend(self._cross_zone_missing(lb, tg))
            if res.reachable and rules_gap:
                res.reachable, res.inconclusive = False, True
                res.missing.extend(m for m in rules_gap if m not in res.missing)
            if res.reachable:
                return res
            best = self._better(best, res)
    if best is not None:
        return best
    unknown = [self._missing("target_group", "target_group", tg) for tg in sorted({r[2] for r in in_ports})
               if not self.p.holds("tg_known", (tg,))]
    unknown += [self._missing("target_group", "elb_protocol", f"{prot} (target group {self.a.label(tg)})")
                for tg in sorted({r[2] for r in in_ports}) for _, prot in self.p.query("tg_protocol_unknown", (tg, None))]
    if unknown:  # the target group's protocol is what the snapshot lacks, or one this version does not know
        return self._undecided(base, unknown)
    sends = ", ".join(sorted({f"{self.tgs[r[2]][2]} ({'/'.join(PROTO_NAMES.get(x[1], x[1]) for x in self.p.query('lb_sends_proto', (r[2], None)))})"
                              for r in in_ports}))
    return self._blocked(base, "PROTOCOL_RESTRICTION", lb,
                         f"{name} sends to these targets only what their target group's protocol carries: {sends}", "egress")


def requested_tgs(self: "LoadBalancers", lb: str) -> set[str]:
    """The target groups lb forwards some request to: a forward (weight above 0) of a listener's rule or default action
    (reasoner/explain/lb_rules.py ``forwarding_rules``) that some client address of the nodes' families gets to, as
    ``CLIENT -> alb:NAME`` reads them."""
    families = {addresses.family(ip) for n in self.nodes(lb) for ip in self.r.eni_ips.get(n[0], ())} or set(addresses.FAMILIES)
    every = [addresses.FAMILIES[f] for f in sorted(families)]
    out: set[str] = set()
    for li in {r[0] for r in self.p.query("listener", (None, lb, None, None))}:
        for _, forwards, admitted in forwarding_rules(self.p, li):
            if any(max(a, c) <= min(b, d) for a, b in admitted for c, d in every):
                out.update(tg for _, _, tg in forwards)
    return out


def _preserved(self: "LoadBalancers", base: Result, lb: str, name: str, tg: str) -> Result | None:
    """An NLB target group that keeps the client's address (rules/load_balancers.dl ``preserves_client_ip``; or whose
    attribute is unknown, ``preserve_unknown``): "Network Load Balancers can preserve the source IP addresses of clients
    when routing requests to backend targets" (network/edit-target-group-attributes.html), so no request leaves the
    node with the node's address and the question is the clients': INCONCLUSIVE, naming why and what to ask. Health
    checks, from the node's address, are `reason health`'s. None for any other group."""
    if self.lbs.get(lb, ("", "", ""))[2] != "network":
        return None
    why: list[Missing] = []
    if self.p.holds("preserves_client_ip", (tg,)) or self.p.holds("preserve_unknown", (tg,)):
        tmpl = self.p.query("missing_message", ("lb_preserved_source", None))[0][1]
        why.append(Missing("target_group", "lb_preserved_source", tg, tmpl.format(component=self.a.label(tg))
                           + f"; ask what a client's request gets: CLIENT -> {name} PROTO PORT"))
    if self.p.holds("preserve_unknown", (tg,)):
        why.append(self._missing("target_group", "tg_attribute", tg))
    return self._undecided(base, why) if why else None
