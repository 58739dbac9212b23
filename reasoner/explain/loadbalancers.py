"""Queries through a load balancer: two legs of ordinary packets.

``SRC -> alb:NAME PROTO PORT`` is answered as (rules/load_balancers.dl says which listener, target
group and targets apply):

1. a listener of the load balancer must accept PROTO/PORT (else ``ELBV2_LISTENERS_MISMATCH``) and
   forward to a target group with targets (else ``ELBV2_LISTENER_HAS_NO_TG``);
2. leg 1: SRC to a node of the load balancer on PORT (the node is an ENI: collected, or derived);
3. leg 2: that node to a target on the target's registered port (``TARGET_PORT_RESTRICTION``: the
   load balancer sends only there), among the targets the node sends to: in a zone the load balancer is
   enabled in (``ELB_INSTALLED_AZ_RESTRICTION``), the node's own or every zone with cross-zone load balancing
   (``ELB_NOT_CROSSZONE``). With NLB client IP preservation the target sees the client's address and the
   reply goes back through the node (rules/load_balancers.dl ``lb_preserved_source``): one client packet must
   pass both legs (reasoner/explain/lb_preserved.py).

Reachable when some node passes leg 1 and then some target passes leg 2. Missing data never reads as "no
listener", "no target" or "allowed": where what the snapshot lacks (rules/load_balancers.dl ``lb_unknown`` and
its parts) decides, the answer is INCONCLUSIVE and names it; an attribute default that does not change the answer
is assumed and said (``ASSUMPTION_PRESERVE_CLIENT_IP_IS_*``). A load-balancer node as a destination, named or in
a set, is answered through its load balancer (:meth:`LoadBalancers.analyze_destinations`). Listener rules are
followed in priority order, each client asked only of the rules that can forward its requests (``_clients_by_rule``).
Not handled: listener rule conditions other than source-ip (such a rule is assumed to match some requests), TLS, lambda
targets (not a network path), targets in another VPC reached with a preserved client address.
"""

from __future__ import annotations

from dataclasses import replace

from reasoner import addresses
from reasoner.errors import QueryError
from reasoner.explain.lb_health import HealthCheck, health_checks
from reasoner.explain.lb_nodes import derive_nodes
from reasoner.explain.lb_ping import answers_ping, ping
from reasoner.explain.lb_preserved import aligned, client_matters, other_clients, preserved_ranges, quick_leg2, to_target
from reasoner.explain.lb_rules import forwarding_rules
from reasoner.explain.lb_source import analyze_from
from reasoner.explain.paths import INTERNET, Analyzer, Endpoint, Explanation, Hop, Missing, Result
from reasoner.query.endpoints import Endpoints

__all__ = ["HealthCheck", "LoadBalancers", "derive_nodes"]


class LoadBalancers:
    """Load-balancer questions over one snapshot; names, nodes, targets' owners and addresses come from the
    snapshot's endpoint index (reasoner/query/endpoints.py, built on first use where it can be)."""

    def __init__(self, analyzer: Analyzer, endpoints: Endpoints) -> None:
        self.a, self.p, self.n, self.r = analyzer, analyzer.p, endpoints, endpoints.resolver
        self.lbs, self.tgs = endpoints.lbs, endpoints.tgs

    def nodes(self, lb: str) -> list[tuple[str, str, str]]:
        return [(r[1], r[2], r[3]) for r in self.p.query("lb_node", (lb, None, None, None))]

    def node_endpoint(self, node: str, ips: tuple[int, ...] | None = None) -> Endpoint:
        return Endpoint(node, ips if ips is not None else tuple(self.r.eni_ips.get(node, ())))

    def _tg_hop(self, tg: str, target: str, port: int) -> Hop:
        return Hop(tg, "elb-target-group", "egress", f"tg:{self.a.names.get(tg, tg)} -> target {target} port {port}",
                   "target_group")

    # -- queries -------------------------------------------------------------------------------
    def analyze(self, query_text: str, srcs: list[Endpoint], lb: str, proto: str, port_lo: int, port_hi: int,
                depth: int = 3, only_nodes: set[str] | None = None) -> Result:
        name = self.n.lb_label(lb)
        if proto not in ("6", "17"):
            raise QueryError("query.unsupported", "load balancers listen on tcp or udp ports", hint="ask tcp PORT or udp PORT")
        listeners = [r for r in self.p.query("listener_accepts", (lb, None, proto, None)) if port_lo <= r[3] <= port_hi]
        base = Result(query_text, False, {"load_balancer": lb})
        stopped = self._not_routing(base, lb, name)
        if stopped is not None:
            return stopped
        if self.p.holds("lb_unmodelled", (lb,)):  # a Gateway Load Balancer (rules/load_balancers.dl)
            return self._undecided(base, [self._missing("load_balancer", "unmodelled", lb)])
        if not listeners:
            gaps = [self._missing("listener", m, c) for _, m, c in sorted(set(self.p.query("listeners_unknown", (lb, None, None))))]
            # a listener whose protocol this version does not know may accept the packet (rules/load_balancers.dl)
            gaps += [self._missing("listener", "elb_protocol", f"{r[3]} (listener {self.a.names.get(r[1], r[1])})")
                     for r in sorted(self.p.query("listener_protocol_unknown", (lb, None, None, None)))
                     if port_lo <= r[2] <= port_hi]
            if gaps:  # "no listener" would be read from absence
                return self._undecided(base, gaps)
            all_listeners = self.p.query("listener", (None, lb, None, None))
            have = [f"{r[3]}/{r[2]}" for r in all_listeners]
            asked = f"{'tcp' if proto == '6' else 'udp'}/{port_lo if port_lo == port_hi else f'{port_lo}-{port_hi}'}"
            res = self._blocked(base, "ELBV2_LISTENERS_MISMATCH", lb,
                                f"no listener of {name} accepts {asked} (listeners: {', '.join(have) or 'none'})")
            for li, _, lport, lprot in all_listeners:  # each listener takes only its own port
                if self.p.query("listener_accepts", (lb, li, proto, lport)):
                    res.explanations.append(Explanation("ELBV2_LISTENER_PORT_RESTRICTION", li, "ingress", "forward",
                                                        f"listener {self.a.names.get(li, li)} accepts only port {lport}", "load_balancer"))
            return res
        nodes = [n for n in self.nodes(lb) if only_nodes is None or n[0] in only_nodes]
        if not nodes:
            return self._blocked(base, "NO_PATH", lb, f"{name} has no node in the snapshot")
        best: Result | None = None
        unknown: list[Missing] = []  # what the answer depends on beyond a node some client reaches (or may reach)
        assumed: list[str] = []  # warnings of the answer
        own = {r[1] for r in self.p.query("lb_eni", (lb, None))}
        if any(s.eni in own for s in srcs):  # a load balancer's node is not a client of its own listeners
            srcs = [s for s in srcs if s.eni not in own]
            if not srcs:
                raise QueryError("query.own_node", f"the source is a node of {name}, which opens no connection to its own "
                                 "listeners", hint=f"ask what it sends to its targets: {name} -> DST")
            assumed.append(f"the nodes of {name} in the source set are not its clients: left out")
        _, _, node_ranges = self.a._rules_on([Endpoint(n[0]) for n in nodes])
        families = {addresses.family(ip) for n in nodes for ip in self.r.eni_ips.get(n[0], ())}
        for _, li, _, port in listeners:
            # Which clients each rule forwards, in priority order (rules/load_balancers.dl action_priority,
            # rule_captures): a rule's source-ip condition admits only its ranges, and a rule before it whose only
            # condition is source-ip answers those clients itself; other conditions (host, path, headers) are
            # assumed to match some request. Each client is asked only of the rules that can forward its requests.
            # a target group keeping the client's address reads it too: the internet's representatives are cut at
            # its targets' rules as well (reasoner/explain/lb_preserved.py)
            kept = preserved_ranges(self, li)
            parts = self._clients_by_rule(li, srcs, node_ranges + kept, families, cut=bool(kept))
            pending = self._listener_unknowns(li, {f[2] for _, fs in parts for f in fs})
            if self.p.holds("lb_ipv6_nodes_unknown", (lb,)) and any(s.family != "ipv4" for s in srcs):
                pending.append(self._missing("load_balancer", "lb_ipv6_nodes", lb))
            if not parts:
                res = self._blocked(self._fresh(base), "ELBV2_LISTENER_REQUIRES_TG_ACCEPT", li,
                                    f"the rules of listener {self.a.names.get(li, li)} forward only requests from source addresses "
                                    "that are not the query's clients (or that a rule before answers itself)")
                best = self._better(best, self._with_unknown(res, pending))
                continue
            for leg1_srcs, forwards in parts:
                found = self._through(query_text, base, lb, name, li, nodes, leg1_srcs, forwards, pending, proto, port,
                                      depth, assumed, unknown)
                if found.reachable and self.p.holds("listener_rules_unknown", (li,)):
                    # a rule the snapshot lacks may come first and answer these requests itself (a fixed response)
                    found.reachable, found.inconclusive = False, True
                    found.missing.append(self._missing("listener", "listener_rules", li))
                if found.reachable:
                    return found
                best = self._better(best, found)
        res = best if best is not None else self._fresh(base)
        res = self._with_unknown(res, unknown)
        res.warnings.extend(w for w in assumed if w not in res.warnings)
        return res

    def _through(self, query_text: str, base: Result, lb: str, name: str, li: str, nodes: list, leg1_srcs: list[Endpoint],
                 forwards: list[tuple], pending: list[Missing], proto: str, port: int, depth: int, assumed: list[str],
                 unknown: list[Missing]) -> Result:
        """Clients ``leg1_srcs`` through the nodes to the targets of ``forwards`` (the rules that forward their
        requests): the first reachable combination, else the nearest miss."""
        best: Result | None = None
        # a target group the snapshot does not describe is not followed (its protocol, type and VPC are unknown)
        forwards = [f for f in forwards if self.p.holds("tg_known", (f[2],))]
        targets = [t for _, owner, tg in forwards for t in self.p.query("tg_target", (tg, None, None, None, None))
                   if t[2] != 0]
        if not targets and not pending:
            return self._blocked(self._fresh(base), "ELBV2_LISTENER_HAS_NO_TG", li,
                                 f"listener {self.a.names.get(li, li)} forwards to no target group with targets")
        for node, _, az in nodes:
            leg1 = self.a.analyze(query_text, leg1_srcs, [self.node_endpoint(node)], proto, port, port, depth)
            if not leg1.reachable and not leg1.inconclusive:
                best = self._better(best, leg1)
                continue
            unknown.extend(pending)  # a client reaches (or may reach) this node: the listener's unknowns matter
            tgs = {f[2] for f in forwards}
            if self.lbs[lb][2] == "network":  # off by default: other zones' targets may be sent to after all
                unknown.extend(m for tg in sorted(tgs) if self.p.holds("cross_zone_unknown", (lb, tg))
                               and any(r[5] not in (az, "all") for r in self.p.query("target_served", (lb, tg, None, None, None, None)))
                               for m in self._cross_zone_missing(lb, tg))
            sent = [r for tg in sorted(tgs) for r in self.p.query("node_target", (lb, node, tg, None, None, None))]
            if not sent and (not targets or any(m.hop in ("target", "target_group") for m in pending)):
                # the targets themselves, or what decides which of them this node sends to (a target whose zone only
                # another account names, ...) are what the snapshot lacks: the node's hop is undecided, not blocked by
                # a reason ("the target groups have none there") the missing data may contradict
                best = self._better(best, self._undecided(base, pending))
                continue
            if not sent:
                best = self._better(best, self._nothing_sent(base, lb, name, az, tgs))
                continue
            for _, _, tg, target, ip, tport in sent:
                eni = self.n.target_eni(tg, ip)
                if eni is None:  # target_unknown (rules/load_balancers.dl) names it
                    continue
                def through(first: Result, tg=tg, eni=eni, ip=ip, tport=tport, target=target) -> Result:
                    leg2 = to_target(self, query_text, first, node, tg, eni, ip, proto, tport, depth, assumed, unknown)
                    first = aligned(self, query_text, first, leg2, self.node_endpoint(node), proto, port, depth)
                    return self._combine(query_text, first, leg2, li, tg, target, tport)
                combined = through(leg1)
                if not combined.reachable and leg1.reachable and client_matters(self, tg):
                    # the target reads the client's packet: another client packet that reaches the node may get through
                    combined = other_clients(self, query_text, leg1, leg1_srcs, self.node_endpoint(node), proto, port,
                                             depth, combined, through,
                                             lambda c, tg=tg, eni=eni, ip=ip, tport=tport: quick_leg2(self, c, node, tg, eni,
                                                                                                      ip, proto, tport))
                if combined.reachable and self.p.holds("cross_zone_unknown", (lb, tg)) and \
                        not self.p.query("target_served", (lb, tg, target, ip, tport, az)) and \
                        not self.p.query("target_served", (lb, tg, target, ip, tport, "all")):
                    # sent across zones by the default only: a target-group attribute the snapshot lacks may say no
                    combined.reachable, combined.inconclusive = False, True
                    combined.missing.extend(self._cross_zone_missing(lb, tg))
                if combined.reachable:
                    combined.warnings.extend(w for w in assumed if w not in combined.warnings)
                    return combined
                best = self._better(best, combined)
        return best if best is not None else self._fresh(base)

    def analyze_destinations(self, query_text: str, srcs: list[Endpoint], dsts: list[Endpoint], proto: str, port_lo: int,
                             port_hi: int, depth: int = 3, detail: bool = True, plain=None) -> Result:
        """Destinations some of which are load-balancer nodes. One rule, whether the node is named (its ENI or
        address) or is a member of a set (a subnet, a VPC, a security group): a packet to a load balancer's node
        is a request to the load balancer, answered through that node to the targets it sends to, as
        ``SRC -> alb:NAME`` restricted to that node. A node accepts only what a listener accepts (tcp or udp), and an
        ALB's node an ICMP echo request, which it answers itself (reasoner/explain/lb_ping.py): any other protocol is
        refused there (ELBV2_LISTENERS_MISMATCH). The other destinations are plain
        packets, scanned by ``plain(srcs, dsts)`` when given (the session's choice of engine). Reachable if any part
        is; else inconclusive if any part is; else the nearest miss."""
        groups: dict[str | None, list[Endpoint]] = {}
        for d in dsts:
            groups.setdefault(self.n.lb_of_node(d.eni), []).append(d)
        results: list[Result] = []
        for lb, eps in groups.items():
            if lb is None:
                try:
                    results.append(plain(srcs, eps) if plain is not None else
                                   self.a.analyze(query_text, srcs, eps, proto, port_lo, port_hi, depth, detail=detail))
                except QueryError as e:
                    # the plain part alone may name no pair (`task-eni -> *` where every other ENI is a node): the
                    # nodes' answers decide, as `query --all` on the same text does; with no node either, the error
                    if e.code != "query.empty" or len(groups) == 1:
                        raise
                continue
            pings = answers_ping(self, lb)  # an ALB's node answers an echo request itself (reasoner/explain/lb_ping.py)
            protos = (("6", "17", "1") if pings else ("6", "17")) if proto == "-1" else (proto,)
            for p in protos:
                if p == "1" and pings:
                    lo, hi = (0, 65535) if proto == "-1" else (port_lo, port_hi)
                    results.append(ping(self, query_text, srcs, eps, lb, lo, hi, depth, detail))
                    continue
                if p not in ("6", "17"):
                    results.append(self._blocked(Result(query_text, False, {"load_balancer": lb}), "ELBV2_LISTENERS_MISMATCH", lb,
                                                 f"{self.n.lb_label(lb)} listens on tcp or udp ports only"))
                    continue
                results.append(self.analyze(query_text, srcs, lb, p, port_lo, port_hi, depth, only_nodes={d.eni for d in eps}))
        best: Result | None = None
        for res in results:
            if res.reachable:
                return res
            best = self._better(best, res)
        assert best is not None
        return best

    def _not_routing(self, base: Result, lb: str, name: str) -> Result | None:
        """A load balancer that routes nothing (State provisioning or failed: BAD_STATE), or whose State the snapshot
        lacks (undecided); None when it routes (rules/load_balancers.dl ``lb_routes``) or is not described."""
        if not self.p.holds("lb_described", (lb,)) or self.p.holds("lb_routes", (lb,)):
            return None
        if not self.p.holds("lb_state_known", (lb,)):
            return self._undecided(base, [self._missing("load_balancer", "lb_state", lb)])
        state = self.p.query("lb_state", (lb, None))[0][1]
        return self._blocked(self._fresh(base), "BAD_STATE", lb, f"{name} is {state}, not active: it routes no traffic "
                             "(APIReference/API_LoadBalancerState.html)")

    def _nothing_sent(self, base: Result, lb: str, name: str, az: str, tgs: set[str]) -> Result:
        """The node sends to no target: all are in zones the load balancer is not enabled in
        (ELB_INSTALLED_AZ_RESTRICTION), or in other zones with cross-zone load balancing off (ELB_NOT_CROSSZONE)."""
        off = sorted({(r[2], r[5]) for tg in tgs for r in self.p.query("target_zone_disabled", (lb, tg, None, None, None, None))})
        served = [r for tg in tgs for r in self.p.query("target_served", (lb, tg, None, None, None, None))]
        draining = sorted({r[1] for tg in tgs for r in self.p.query("target_draining", (tg, None, None))})
        if draining and not served and not off:
            return self._blocked(self._fresh(base), "ELBV2_LISTENER_HAS_NO_TG", lb,
                                 f"the targets of {name}'s target groups are being deregistered (draining: "
                                 f"{', '.join(draining)}), and a deregistering target gets no new request")
        if off and not served:
            res = self._fresh(base)
            for target, zone in off:
                self._blocked(res, "ELB_INSTALLED_AZ_RESTRICTION", target,
                              f"target {target} is registered in {zone}, a zone {name} is not enabled in: it receives no traffic "
                              "(how-elastic-load-balancing-works.html)", "egress")
            return res
        return self._blocked(self._fresh(base), "ELB_NOT_CROSSZONE", lb,
                             f"the node of {name} in {az} sends only to targets in {az} (cross-zone load balancing "
                             "is off) and the target groups have none there")

    def _listener_unknowns(self, listener: str, tgs: set[str]) -> list[Missing]:
        """What the snapshot lacks about the listener's target groups and their targets (rules/load_balancers.dl)."""
        out = []
        if self.p.holds("listener_rules_unknown", (listener,)):
            out.append(self._missing("listener", "listener_rules", listener))
        for tg in sorted(tgs):
            if not self.p.holds("tg_known", (tg,)):
                out.append(self._missing("target_group", "target_group", tg))
            for _, what, comp in sorted(set(self.p.query("tg_targets_unknown", (tg, None, None)))):
                out.append(self._missing("target_group", what, comp))
            for _, _, what, comp in sorted(set(self.p.query("target_unknown", (tg, None, None, None)))):
                out.append(self._missing("target", what, comp))
            if self.p.holds("tg_alb_target", (tg,)):
                out.append(self._missing("target_group", "alb_target", tg))
            if self.p.holds("tg_lambda_target", (tg,)):  # (it was "forwards to no target group with targets": a proof)
                out.append(self._missing("target_group", "lambda_target", tg))
        return out

    def _cross_zone_missing(self, lb: str, tg: str) -> list[Missing]:
        """What the snapshot lacks to say whether lb sends tg's traffic across zones (rules/load_balancers.dl)."""
        return [self._missing("load_balancer" if what == "lb_attribute" else "target_group", what, comp)
                for _, _, what, comp in sorted(set(self.p.query("cross_zone_missing", (lb, tg, None, None))))]

    def _missing(self, hop: str, what: str, component: str) -> Missing:
        label = self.a.label(component) if component.startswith("arn:") or component in self.a.names else component
        return Missing(hop, what, component, self.a.missing_sentence(what, component, label))

    @staticmethod
    def _with_unknown(res: Result, unknown: list[Missing]) -> Result:
        """Not reachable, and the snapshot lacks something the answer depends on: inconclusive."""
        if res.reachable or not unknown:
            return res
        res.inconclusive = True
        res.missing.extend(m for m in dict.fromkeys(unknown) if m not in res.missing)
        return res

    def _undecided(self, base: Result, missing: list[Missing]) -> Result:
        res = self._fresh(base)
        res.forward_path.append(Hop(base.packet.get("load_balancer", ""), "load-balancer", "ingress", "UNKNOWN", "load_balancer"))
        return self._with_unknown(res, missing)

    def _clients_by_rule(self, listener: str, srcs: list[Endpoint], extra: list[tuple[int, int]],
                         families: set[str], cut: bool = False) -> list[tuple[list[Endpoint], list[tuple]]]:
        """The listener's forwarding rules (reasoner/explain/lb_rules.py ``forwarding_rules``), each with the query's
        clients whose requests it may forward. Rules forwarding the same clients are asked together; rules that
        forward none of them are left out. ``cut``: the internet is represented by addresses cut at ``extra`` even
        where no rule restricts it (a target group keeping the client's address reads it)."""
        parts: dict[tuple, tuple[list[Endpoint], list[tuple]]] = {}
        for _, forwards, admitted in forwarding_rules(self.p, listener):
            clients = self._restrict(srcs, admitted, extra, families, cut)
            if clients:
                parts.setdefault(tuple(clients), (clients, []))[1].extend(forwards)
        return list(parts.values())

    def _restrict(self, srcs: list[Endpoint], admitted: list[tuple[int, int]], extra: list[tuple[int, int]],
                  families: set[str], cut: bool = False) -> list[Endpoint]:
        """The clients with addresses in ``admitted`` (a rule's) of the nodes' address ``families``: an ENI with those
        of its addresses; the internet (or a public CIDR of it) as representative addresses cut inside the ranges, at
        the nodes' rules' ranges (``extra``) and at the CIDR's bounds. A client with no address there is left out."""
        if admitted == [(0, addresses.V6_MAX)] and not cut:
            return srcs

        def inside(ip: int) -> bool:
            return addresses.family(ip) in families and any(lo <= ip <= hi for lo, hi in admitted)

        out = []
        for e in srcs:
            if e.is_internet and e.ips is None:
                within = [e.within] if e.within is not None else []
                cut = self.a.internet_ips(admitted + list(extra) + within)
                ips = tuple(ip for ip in cut if inside(ip) and all(lo <= ip <= hi for lo, hi in within))
                if ips:  # no public address in the ranges: the internet cannot be the client
                    out.append(Endpoint(INTERNET, ips, family=e.family))
            else:
                ips = tuple(ip for ip in (e.ips or ()) if inside(ip))
                if ips:
                    out.append(replace(e, ips=ips))
        return out

    def _better(self, best: Result | None, res: Result) -> Result:
        """The answer to show among non-reachable ones: an inconclusive one (some packet may get through), else
        the one that gets furthest."""
        if best is None or res.inconclusive and not best.inconclusive:
            return res
        if best.inconclusive and not res.inconclusive:
            return best
        if res.forward_path and len(res.forward_path) > len(best.forward_path):
            return res
        return best

    @staticmethod
    def _fresh(base: Result) -> Result:
        """A new blocked result for the same query and load balancer."""
        return Result(base.query, False, dict(base.packet))

    def _blocked(self, res: Result, code: str, component: str, message: str, direction: str = "ingress") -> Result:
        res.explanations.append(Explanation(code, component, direction, "forward", message, "load_balancer"))
        res.forward_path.append(Hop(component, "load-balancer", direction, "BLOCKED", "load_balancer"))
        return res

    def _combine(self, query_text: str, leg1: Result, leg2: Result, listener: str, tg: str, target: str, port: int) -> Result:
        res = Result(query_text, leg1.reachable and leg2.reachable, {"client": leg1.packet, "to_target": leg2.packet})
        # a leg a known hop blocks decides; otherwise an undecided leg leaves the whole undecided
        res.inconclusive = not res.reachable and leg1.verdict != "unreachable" and leg2.verdict != "unreachable"
        res.missing = list(leg1.missing) + list(leg2.missing) if res.inconclusive else []
        lr = self.p.query("listener", (listener, None, None, None))
        res.forward_path = list(leg1.forward_path) + [
            Hop(listener, "elb-listener", "ingress", self.a.names.get(listener) or (f"{lr[0][3]}:{lr[0][2]}" if lr else ""),
                "listener"),
            self._tg_hop(tg, target, port),
        ] + list(leg2.forward_path)
        res.return_path = list(leg2.return_path) + list(leg1.return_path)
        res.explanations = list(leg1.explanations) + list(leg2.explanations)
        res.warnings = list(dict.fromkeys(leg1.warnings + leg2.warnings))
        res.packets_checked = leg1.packets_checked + leg2.packets_checked
        res.proof = leg2.proof
        return res

    def analyze_from(self, query_text: str, lb: str, dsts: list[Endpoint], proto: str, port_lo: int, port_hi: int,
                     depth: int = 3) -> Result:
        """``alb:NAME -> DST``: what the load balancer's nodes send to DST (reasoner/explain/lb_source.py)."""
        return analyze_from(self, query_text, lb, dsts, proto, port_lo, port_hi, depth)

    def health(self, tgs: list[str] | None = None, lbs: list[str] = ()) -> list["HealthCheck"]:
        """Target health as the network sees it (reasoner/explain/lb_health.py)."""
        return health_checks(self, tgs, list(lbs))

