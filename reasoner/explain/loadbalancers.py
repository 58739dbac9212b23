"""Queries through a load balancer, and target health: two legs of ordinary packets.

``SRC -> alb:NAME PROTO PORT`` is answered as (rules/load_balancers.dl says which listener, target
group and targets apply):

1. a listener of the load balancer must accept PROTO/PORT (else ``ELBV2_LISTENERS_MISMATCH``) and
   forward to a target group with targets (else ``ELBV2_LISTENER_HAS_NO_TG``);
2. leg 1: SRC to a node of the load balancer on PORT (the node is an ENI: collected, or derived);
3. leg 2: that node to a target on the target's registered port (``TARGET_PORT_RESTRICTION``: the
   load balancer sends only there), among the targets the node sends to (same zone, or every zone
   with cross-zone load balancing; ``ELB_NOT_CROSSZONE`` when only other-zone targets exist).

Reachable when some node passes leg 1 and then some target passes leg 2. Not handled: listener rule
conditions (every forwarding rule is assumed to match some request), TLS, lambda targets (not a
network path), the reply of leg 2 when an NLB preserves an internet client's address (checked as a
reply to the client's address: may say unreachable where AWS delivers; never the reverse).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from reasoner.errors import QueryError
from reasoner.explain.paths import INTERNET, Analyzer, Endpoint, Explanation, Hop, Missing, Result, ip_text
from reasoner.query.names import Resolver, did_you_mean

LB_KINDS = {"alb": "application", "nlb": "network"}


def derive_nodes(relations: dict[str, list[tuple]], names: dict[str, str]) -> tuple[dict[str, list[tuple]], list[str]]:
    """Nodes for load balancers whose ENIs were not collected (e.g. moto, or a partial snapshot): one
    per enabled subnet, carrying the load balancer's security groups, at the address from
    ``LoadBalancerAddresses`` or, when unknown, the subnet's first usable address (AWS reserves the
    first four): the returned warnings say which addresses are assumed."""
    eni_subnet = {r[0]: r[1] for r in relations.get("eni", [])}
    have = {(lb, eni_subnet.get(e)) for lb, e in relations.get("lb_eni", [])}
    addr = {(lb, sub): ip for lb, sub, ip in relations.get("lb_node_ip", [])}
    subnets = {r[0]: r for r in relations.get("subnet", [])}
    lbs = {r[0]: r for r in relations.get("load_balancer", [])}
    sgs: dict[str, list[str]] = {}
    for lb, sg in relations.get("lb_sg", []):
        sgs.setdefault(lb, []).append(sg)
    extra: dict[str, list[tuple]] = {"eni": [], "eni_ip": [], "eni_sg": [], "lb_eni": []}
    warnings = []
    for lb, sub, az in relations.get("lb_subnet", []):
        if (lb, sub) in have or sub not in subnets or lb not in lbs:
            continue
        node = f"lb-node:{lbs[lb][1]}:{az or sub}"
        ip = addr.get((lb, sub))
        if ip is None:
            ip = subnets[sub][2] + 4
            warnings.append(f"{node}: the load balancer's ENI in {sub} is not in the snapshot; its address is assumed "
                            f"to be {ip_text(ip)}")
        extra["eni"].append((node, sub, subnets[sub][1], 1))
        extra["eni_ip"].append((node, ip))
        extra["eni_sg"].extend((node, g) for g in sgs.get(lb, []))
        extra["lb_eni"].append((lb, node))
        names.setdefault(node, f"{lbs[lb][1]} node in {az or sub}")
    return extra, warnings


@dataclass
class HealthCheck:
    """One target of one target group, checked from every node that sends it health checks."""

    tg: str
    target: str
    ip: int
    port: int
    protocol: str
    reachable_from: list[str] = field(default_factory=list)
    blocked_from: list[tuple[str, Result]] = field(default_factory=list)
    collected_state: str | None = None
    collected_reason: str = ""
    runs_on: str = ""  # the ENI behind the target, and the ECS task on it if any

    @property
    def transport(self) -> str:
        """Health checks run over TCP (HTTP, HTTPS, TCP); only a UDP check, were one collected, would not."""
        return "udp" if self.protocol == "UDP" else "tcp"

    @property
    def open(self) -> bool:
        return bool(self.reachable_from) and not self.blocked_from

    @property
    def verdict(self) -> str:
        state = self.collected_state
        if state is None:
            return "open" if self.open else "blocked"
        if state == "healthy":
            return "healthy and open" if self.open else "healthy but blocked here: the model or the snapshot is wrong"
        if not self.open:
            return f"{state}, explained by the network"
        return f"{state} although the network lets health checks through: look at the application"

    def to_json(self, label) -> dict[str, Any]:
        return {"target_group": self.tg, "target": self.target, "ip": ip_text(self.ip), "port": self.port,
                "protocol": self.protocol, "open": self.open, "verdict": self.verdict,
                "collected_state": self.collected_state, "collected_reason": self.collected_reason, "runs_on": self.runs_on,
                "reachable_from": self.reachable_from,
                "blocked_from": [{"node": n, "explanations": [e.to_json() for e in r.explanations]} for n, r in self.blocked_from]}


class LoadBalancers:
    """Load-balancer questions over one snapshot; addresses and owners come from the resolver's indexes
    (built on first use, so a query that names no load balancer pays nothing for them)."""

    def __init__(self, analyzer: Analyzer, resolver: Resolver, relations: dict[str, list[tuple]]) -> None:
        self.a, self.p, self.r = analyzer, analyzer.p, resolver
        self.lbs = {r[0]: r for r in relations.get("load_balancer", [])}
        self.tgs = {r[0]: r for r in relations.get("target_group", [])}
        self._node_lb = {e: lb for lb, e in relations.get("lb_eni", [])}

    # -- names ---------------------------------------------------------------------------------
    def resolve_lb(self, text: str) -> str | None:
        """``alb:NAME`` / ``nlb:NAME`` / a load balancer ARN -> its ARN; None if not a load balancer name."""
        kind, _, name = text.partition(":")
        if text in self.lbs:
            return text
        if kind not in LB_KINDS or not name:
            return None
        hits = [arn for arn, r in self.lbs.items() if (r[1] == name or arn == name) and r[2] == LB_KINDS[kind]]
        if not hits:
            known = [f"{k}:{r[1]}" for r in self.lbs.values() for k, t in LB_KINDS.items() if r[2] == t]
            raise QueryError("query.unknown_name", f"no {LB_KINDS[kind]} load balancer called {name!r}",
                             hint=did_you_mean(text, known, 0.4))
        return hits[0]

    def resolve_tg(self, text: str) -> str:
        name = text[3:] if text.startswith("tg:") else text
        hits = [arn for arn, r in self.tgs.items() if r[1] == name or arn == name]
        if not hits:
            raise QueryError("query.unknown_name", f"no target group called {name!r}",
                             hint=did_you_mean(f"tg:{name}", [f"tg:{r[1]}" for r in self.tgs.values()], 0.4))
        return hits[0]

    def lb_label(self, lb: str) -> str:
        """``alb:web`` / ``nlb:api`` for a load balancer ARN (the name users type)."""
        row = self.lbs.get(lb)
        kind = {t: k for k, t in LB_KINDS.items()}.get(row[2], "lb") if row else "lb"
        return f"{kind}:{row[1]}" if row else lb

    def lb_of_node(self, eni: str) -> str | None:
        return self._node_lb.get(eni)

    def nodes(self, lb: str) -> list[tuple[str, str, str]]:
        return [(r[1], r[2], r[3]) for r in self.p.query("lb_node", (lb, None, None, None))]

    def target_eni(self, tg: str, ip: int) -> str | None:
        """The ENI owning a target's address, in the target group's VPC when several VPCs use it."""
        owners = [e for e in self.r.ip_owners.get(ip, []) if e in self.r.enis]  # an address of a missing ENI: no owner
        vpc = self.tgs[tg][4] if tg in self.tgs else None  # a target group missing from the snapshot: any owner
        return next((e for e in owners if self.r.enis[e][2] == vpc), owners[0] if owners else None)

    def node_endpoint(self, node: str, ips: tuple[int, ...] | None = None) -> Endpoint:
        return Endpoint(node, ips if ips is not None else tuple(self.r.eni_ips.get(node, ())))

    def _tg_hop(self, tg: str, target: str, port: int) -> Hop:
        return Hop(tg, "elb-target-group", "egress", f"tg:{self.a.names.get(tg, tg)} -> target {target} port {port}",
                   "target_group")

    # -- queries -------------------------------------------------------------------------------
    def analyze(self, query_text: str, srcs: list[Endpoint], lb: str, proto: str, port_lo: int, port_hi: int,
                depth: int = 3, only_nodes: set[str] | None = None) -> Result:
        name = self.lb_label(lb)
        if proto not in ("6", "17"):
            raise QueryError("query.unsupported", "load balancers listen on tcp or udp ports", hint="ask tcp PORT or udp PORT")
        listeners = [r for r in self.p.query("listener_accepts", (lb, None, proto, None)) if port_lo <= r[3] <= port_hi]
        base = Result(query_text, False, {"load_balancer": lb})
        if not listeners:
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
        client = self._client_ips(srcs)
        _, _, node_ranges = self.a._rules_on([Endpoint(n[0]) for n in nodes])
        for _, li, _, port in listeners:
            # A rule with source-ip conditions forwards only requests from those addresses (listener rule
            # conditions, "source-ip"); other conditions (host, path, headers) are assumed to match some request.
            forwards = [f for f in self.p.query("listener_forwards", (li, None, None)) if self._admits_source(f[1], client)]
            leg1_srcs = self._restrict_internet(srcs, [f[1] for f in forwards], node_ranges)
            if not leg1_srcs:
                res = self._blocked(self._fresh(base), "ELBV2_LISTENER_REQUIRES_TG_ACCEPT", li,
                                    f"the rules of listener {self.a.names.get(li, li)} forward only requests from source addresses "
                                    "that are not the query's clients")
                best = best or res
                continue
            targets = [t for _, owner, tg in forwards for t in self.p.query("tg_target", (tg, None, None, None, None))
                       if t[2] != 0]
            if not targets:
                res = self._blocked(self._fresh(base), "ELBV2_LISTENER_HAS_NO_TG", li,
                                    f"listener {self.a.names.get(li, li)} forwards to no target group with targets")
                best = best or res
                continue
            for node, _, az in nodes:
                leg1 = self.a.analyze(query_text, leg1_srcs, [self.node_endpoint(node)], proto, port, port, depth)
                if not leg1.reachable:
                    best = self._better(best, leg1)
                    continue
                sent = [r for _, owner, tg in forwards for r in self.p.query("node_target", (lb, node, tg, None, None, None))]
                if not sent:
                    res = self._blocked(self._fresh(base), "ELB_NOT_CROSSZONE", lb,
                                        f"the node of {name} in {az} sends only to targets in {az} (cross-zone load balancing "
                                        "is off) and the target groups have none there")
                    best = best or res
                    continue
                for _, _, tg, target, ip, tport in sent:
                    eni = self.target_eni(tg, ip)
                    if eni is None:
                        continue
                    src_ip = int(ipaddress.IPv4Address(leg1.packet["src_ip"])) if self.p.holds("preserves_client_ip", (tg,)) \
                        else self.r.eni_ips[node][0]
                    leg2 = self.a.analyze(query_text, [self.node_endpoint(node, (src_ip,))], [Endpoint(eni, (ip,))], proto,
                                          tport, tport, depth)
                    combined = self._combine(query_text, leg1, leg2, li, tg, target, tport)
                    if combined.reachable:
                        return combined
                    best = self._better(best, combined)
        if best is None:  # every target's network interface is missing: nothing was checked
            return self._no_target_eni(base, lb, name)
        return best

    def _client_ips(self, srcs: list[Endpoint]) -> list[int] | None:
        """The client addresses of the query, None when any public address may be the client."""
        ips: list[int] = []
        for e in srcs:
            if e.ips is None:
                return None
            ips.extend(e.ips)
        return ips

    def _restrict_internet(self, srcs: list[Endpoint], owners: list[str], extra: list[tuple[int, int]]) -> list[Endpoint]:
        """When every forwarding rule admits only some source addresses, the internet as client means
        those addresses: representatives cut inside the rules' ranges."""
        ranges = [(lo, hi) for o in owners for _, lo, hi in self.p.query("rule_source_ip", (o, None, None))]
        if not owners or any(not self.p.query("rule_source_ip", (o, None, None)) for o in owners):
            return srcs
        out = []
        for e in srcs:
            if e.is_internet and e.ips is None:
                cut = self.a.internet_ips(ranges + list(extra))
                ips = tuple(ip for ip in cut if any(lo <= ip <= hi for lo, hi in ranges))
                if ips:  # no public address in the ranges: the internet cannot be the client
                    out.append(Endpoint(INTERNET, ips))
            else:
                out.append(e)
        return out

    def _admits_source(self, owner: str, client: list[int] | None) -> bool:
        ranges = self.p.query("rule_source_ip", (owner, None, None))
        if not ranges or client is None:
            return True
        return any(lo <= ip <= hi for _, lo, hi in ranges for ip in client)

    def _better(self, best: Result | None, res: Result) -> Result:
        if best is None or (res.forward_path and len(res.forward_path) > len(best.forward_path)):
            return res
        return best

    @staticmethod
    def _fresh(base: Result) -> Result:
        """A new blocked result for the same query and load balancer."""
        return Result(base.query, False, dict(base.packet))

    def _no_target_eni(self, base: Result, lb: str, name: str) -> Result:
        """INCONCLUSIVE: the load balancer's targets have no network interface in the snapshot (not collected,
        or the target group is missing), so no hop to them could be checked."""
        res = self._fresh(base)
        res.inconclusive = True
        res.missing.append(Missing("load_balancer", "target ENI", lb, f"none of the targets of {name} has a network "
                                   "interface in the snapshot (NetworkInterfaces or TargetGroups not collected?)"))
        return res

    def _blocked(self, res: Result, code: str, component: str, message: str, direction: str = "ingress") -> Result:
        res.explanations.append(Explanation(code, component, direction, "forward", message, "load_balancer"))
        res.forward_path.append(Hop(component, "load-balancer", direction, "BLOCKED", "load_balancer"))
        return res

    def _combine(self, query_text: str, leg1: Result, leg2: Result, listener: str, tg: str, target: str, port: int) -> Result:
        res = Result(query_text, leg1.reachable and leg2.reachable, {"client": leg1.packet, "to_target": leg2.packet})
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

    def tg_endpoints(self, tg: str) -> list[Endpoint]:
        """The ENIs behind the registered targets of tg, at the targets' addresses."""
        out: dict[str, set[int]] = {}
        for _, _, ip, _, _ in self.p.query("tg_target", (tg, None, None, None, None)):
            eni = self.target_eni(tg, ip) if ip else None
            if eni is not None:
                out.setdefault(eni, set()).add(ip)
        if not out:
            raise QueryError("query.empty_set", f"tg:{self.a.names.get(tg, tg)} has no registered target with an address in the snapshot")
        return [Endpoint(e, tuple(sorted(ips))) for e, ips in sorted(out.items())]

    def analyze_from(self, query_text: str, lb: str, dsts: list[Endpoint], proto: str, port_lo: int, port_hi: int,
                     depth: int = 3) -> Result:
        """``alb:NAME -> DST``: what the load balancer's nodes send to DST. A load balancer sends only to its
        registered targets (TARGET_ADDRESS_RESTRICTION), on their registered ports (TARGET_PORT_RESTRICTION),
        from the nodes that serve them (cross-zone)."""
        name = self.lb_label(lb)
        base = Result(query_text, False, {"load_balancer": lb})
        wanted = {(d.eni, ip) for d in dsts for ip in (d.ips or ())}
        sent = [r for r in self.p.query("node_target", (lb, None, None, None, None, None))
                if (self.target_eni(r[2], r[4]), r[4]) in wanted]
        if not sent:
            return self._blocked(base, "TARGET_ADDRESS_RESTRICTION", lb,
                                 f"{name} sends only to its registered targets, and the destination is not one of them"
                                 " (or no node of it serves the destination's zone)", "egress")
        in_ports = [r for r in sent if port_lo <= r[5] <= port_hi]
        if not in_ports:
            ports = ", ".join(sorted({f"{ip_text(r[4])}:{r[5]}" for r in sent}))
            return self._blocked(base, "TARGET_PORT_RESTRICTION", lb,
                                 f"{name} sends to its targets only on their registered ports ({ports})", "egress")
        best: Result | None = None
        for _, node, tg, target, ip, port in in_ports:
            tproto = proto if proto in ("6", "17") else "6"
            res = self.a.analyze(query_text, [self.node_endpoint(node)], [Endpoint(self.target_eni(tg, ip), (ip,))], tproto,
                                 port, port, depth)
            res.forward_path.insert(1, self._tg_hop(tg, target, port))
            if res.reachable:
                return res
            best = self._better(best, res)
        if best is None:  # every target's network interface is missing: nothing was checked
            return self._no_target_eni(base, lb, name)
        return best

    # -- health --------------------------------------------------------------------------------
    def health(self, tgs: list[str] | None = None) -> list[HealthCheck]:
        """Every target of the given target groups (default: all), checked from every node of every load
        balancer using the group that sends to it, on the health-check port and protocol."""
        out = []
        collected = {(r[0], r[1], r[2]): r for r in self.p.query("target_health", (None,) * 7)}
        for tg in sorted(tgs or self.tgs):
            lbs = sorted({r[0] for r in self.p.query("lb_tg", (None, tg))})
            for _, target, ip, port, _ in self.p.query("tg_target", (tg, None, None, None, None)):
                if ip == 0:
                    continue
                hcs = self.p.query("health_check_port", (tg, target, None, None))
                if not hcs:
                    continue
                _, _, hprot, hport = hcs[0]
                hc = HealthCheck(tg, target, ip, hport, hprot)
                row = collected.get((tg, target, port))
                if row:
                    hc.collected_state, hc.collected_reason = row[3], (row[5] or row[4])
                out.append(hc)
                eni = self.target_eni(tg, ip)
                if eni is None:  # no ENI in the snapshot owns the target's address: nothing to check
                    continue
                tasks = self.p.query("ecs_task_eni", (None, eni, None, None))
                hc.runs_on = eni + (f", ECS task {tasks[0][0].rsplit('/', 1)[-1]}" if tasks else "")
                proto = {"tcp": "6", "udp": "17"}[hc.transport]
                for lb in lbs:
                    for node in sorted({r[1] for r in self.p.query("node_target", (lb, None, tg, target, ip, port))}):
                        res = self.a.analyze(f"{node} -> {target} health check {hprot}:{hport}", [self.node_endpoint(node)],
                                             [Endpoint(eni, (ip,))], proto, hport, hport, depth=0)
                        if res.reachable:
                            hc.reachable_from.append(node)
                        else:
                            hc.blocked_from.append((node, res))
        return out
