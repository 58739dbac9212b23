"""`reason health`: every registered target of a target group, checked from every load balancer node that
sends it health checks, compared with the health AWS collected.

Handled: health checks over TCP (HTTP, HTTPS, TCP) on the traffic port or a fixed port; targets registered in
a zone the load balancer is not enabled in, and targets of a group no load balancer uses (rules/load_balancers.dl
``tg_not_in_use``): they get no health checks and no traffic, AWS says ``unused``, ``Target.NotInUse``
(APIReference/API_TargetHealth.html), and so does this; whether a group is used, when a listener or rule that could
name it is missing (``tg_use_unknown``), is not decided; targets the snapshot cannot place (no address, no network
interface, no zone), which are "not decided", never "explained by the network"; a target group whose health checks
depend on load-balancer data the snapshot lacks (rules/load_balancers.dl ``tg_health_unknown``: a load balancer using
it not described, its listeners not collected, the group's registered targets not collected), whose targets are all
"not decided" (one entry, ``(its targets)``, when the targets themselves are unknown), never "unused", "blocked" or
"no target".
Not handled: what the application answers (HTTP codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reasoner.explain.paths import Endpoint, Result, ip_text

if TYPE_CHECKING:
    from reasoner.explain.loadbalancers import LoadBalancers


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
    undecided_from: list[tuple[str, Result]] = field(default_factory=list)
    collected_state: str | None = None
    collected_reason: str = ""
    runs_on: str = ""  # the ENI behind the target, and the ECS task on it if any
    missing: list[str] = field(default_factory=list)  # what the snapshot lacks to check this target at all
    zone_disabled: str = ""  # the zone the target is registered in, when no load balancer using the group is enabled there
    not_in_use: bool = False  # no load balancer uses the target group (decided: rules/load_balancers.dl tg_not_in_use)

    @property
    def unused(self) -> bool:
        """AWS's ``unused`` (Target.NotInUse): the target gets no traffic and no health checks."""
        return bool(self.zone_disabled) or self.not_in_use

    @property
    def transport(self) -> str:
        """Health checks run over TCP (HTTP, HTTPS, TCP); only a UDP check, were one collected, would not."""
        return "udp" if self.protocol == "UDP" else "tcp"

    @property
    def open(self) -> bool:
        return bool(self.reachable_from) and not self.blocked_from and not self.undecided_from and not self.missing

    @property
    def decided(self) -> bool:
        """False when the snapshot lacks what the verdict depends on."""
        return not self.missing and not (self.undecided_from and not self.blocked_from)

    @property
    def verdict(self) -> str:
        state = self.collected_state
        if self.zone_disabled:
            why = (f"registered in {self.zone_disabled}, a zone the load balancer is not enabled in: it receives no traffic "
                   "and no health checks (ELB_INSTALLED_AZ_RESTRICTION)")
            return f"unused, as AWS says: {why}" if state == "unused" else f"unused: {why}"
        if self.not_in_use:
            why = ("no load balancer uses the target group (no listener or rule names it, and it names no load balancer): "
                   "it receives no traffic and no health checks (Target.NotInUse)")
            if not state or state == "unused":  # no state given, or AWS's own "unused"
                return f"unused, as AWS says: {why}" if state else f"unused: {why}"
            return f"unused here, but AWS says {state}: the model or the snapshot is wrong ({why})"
        if not self.decided:
            what = self.missing or [m.message for _, r in self.undecided_from for m in r.missing]
            return "not decided: " + "; ".join(dict.fromkeys(what))
        if state is None:
            return "open" if self.open else "blocked"
        if state == "healthy":
            return "healthy and open" if self.open else "healthy but blocked here: the model or the snapshot is wrong"
        if state == "draining":  # (API_TargetHealth.html: Target.DeregistrationInProgress)
            return "draining: being deregistered, it gets no new request whatever the network does"
        if not self.open:
            return f"{state}, explained by the network"
        return f"{state} although the network lets health checks through: look at the application"

    def to_json(self, label) -> dict[str, Any]:
        return {"target_group": self.tg, "target": self.target, "ip": ip_text(self.ip) if self.ip else None, "port": self.port,
                "protocol": self.protocol, "open": self.open, "unused": self.unused, "decided": self.decided, "verdict": self.verdict,
                "collected_state": self.collected_state, "collected_reason": self.collected_reason, "runs_on": self.runs_on,
                "missing": self.missing, "zone_disabled": self.zone_disabled or None,
                "reachable_from": self.reachable_from,
                "blocked_from": [{"node": n, "explanations": [e.to_json() for e in r.explanations]} for n, r in self.blocked_from],
                "undecided_from": [{"node": n, "missing": [m.to_json() for m in r.missing]} for n, r in self.undecided_from]}


def health_checks(lbs: "LoadBalancers", tgs: list[str] | None = None, named_lbs: list[str] | None = None) -> list[HealthCheck]:
    """Every target of the given target groups (None: all), checked from every node of every load balancer using the
    group (cross-zone load balancing or not: rules/load_balancers.dl ``node_health_checks``), on the health-check port
    and protocol. For each load balancer of ``named_lbs`` whose target
    groups are not all known (rules/load_balancers.dl ``lb_tgs_unknown``), one undecided entry, target
    ``(its target groups)``, naming what is missing."""
    p, a = lbs.p, lbs.a
    out = []
    for lb in named_lbs or []:
        gaps = sorted(set(p.query("lb_tgs_unknown", (lb, None, None))))
        if gaps:
            hc = HealthCheck(lb, "(its target groups)", 0, 0, "")
            hc.missing.extend(dict.fromkeys(_message(p, a, what, comp) for _, what, comp in gaps))
            out.append(hc)
    collected = {(r[0], r[1], r[2]): r for r in p.query("target_health", (None,) * 7)}
    every = set(lbs.tgs) | {r[1] for r in p.query("lb_tg", (None, None))}

    def message(what: str, comp: str) -> str:
        return _message(p, a, what, comp)

    for tg in sorted(every if tgs is None else tgs):
        users = sorted({r[1] for r in p.query("tg_user", (tg, None))})
        if not p.holds("tg_known", (tg,)):  # its health-check settings are unknown: nothing can be checked
            hc = HealthCheck(tg, "(its targets)", 0, 0, "")
            hc.missing.append(message("target_group", tg))
            out.append(hc)
            continue
        # what the snapshot lacks about the load balancers using tg and its targets (never "no node", "no target")
        gaps = [message(what, comp) for _, what, comp in sorted(set(p.query("tg_health_unknown", (tg, None, None))))]
        targets = p.query("tg_target", (tg, None, None, None, None))
        not_in_use = p.holds("tg_not_in_use", (tg,))
        # whether any load balancer uses tg at all, when a listener or rule that could name it is missing
        use_gaps = [message(what, comp) for _, what, comp in sorted(set(p.query("tg_use_unknown", (tg, None, None))))]
        if gaps and not targets:
            hc = HealthCheck(tg, "(its targets)", 0, 0, "")
            hc.missing.extend(gaps)
            out.append(hc)
            continue
        for _, target, ip, port, az in targets:
            if ip == 0 and p.holds("tg_not_ip_endpoint", (tg,)):
                continue  # lambda functions, an ALB: not a network path
            hcs = p.query("health_check_port", (tg, target, port, None, None))
            if not hcs:
                continue
            _, _, _, hprot, hport = hcs[0]
            hc = HealthCheck(tg, target, ip, hport, hprot)
            row = collected.get((tg, target, port))
            if row:
                hc.collected_state, hc.collected_reason = row[3], (row[5] or row[4])
            out.append(hc)
            for _, _, what, comp in sorted(set(p.query("target_unknown", (tg, target, None, None)))):
                hc.missing.append(message(what, comp))
            hc.missing.extend(gaps + use_gaps)
            if not_in_use:
                hc.not_in_use = True
                continue
            disabled = [p.query("target_zone_disabled", (lb, tg, target, ip, port, None)) for lb in users]
            if users and all(disabled):
                # its zone's name, or its zone's ID when only another account names it (tg_target_subnet)
                hc.zone_disabled = az or min(r[5] for r in disabled[0])
                continue
            if hc.missing:
                continue
            eni = lbs.n.target_eni(tg, ip)
            if eni is None:
                continue
            tasks = p.query("ecs_task_eni", (None, eni, None, None))
            hc.runs_on = eni + (f", ECS task {tasks[0][0].rsplit('/', 1)[-1]}" if tasks else "")
            proto = {"tcp": "6", "udp": "17"}[hc.transport]
            stopped = [message("lb_state", lb) if not p.holds("lb_state_known", (lb,)) else
                       f"load balancer {a.label(lb)} is {p.query('lb_state', (lb, None))[0][1]}, not active: it routes no "
                       "traffic (APIReference/API_LoadBalancerState.html), and whether its nodes send health checks is not "
                       "documented" for lb in users if p.holds("lb_described", (lb,)) and not p.holds("lb_routes", (lb,))]
            if stopped:  # never "healthy and open" from the nodes of a load balancer that routes nothing
                hc.missing.extend(stopped)
                continue
            for lb in users:
                # every node checks every target (rules/load_balancers.dl node_health_checks), cross-zone or not
                for node in sorted({r[1] for r in p.query("node_health_checks", (lb, None, tg, target, ip, port))}):
                    res = a.analyze(f"{node} -> {target} health check {hprot}:{hport}", [lbs.node_endpoint(node)],
                                    [Endpoint(eni, (ip,))], proto, hport, hport, depth=0)
                    if res.reachable:
                        hc.reachable_from.append(node)
                    elif res.inconclusive:
                        hc.undecided_from.append((node, res))
                    else:
                        hc.blocked_from.append((node, res))
    return out


def _message(p, a, what: str, comp: str) -> str:
    """The sentence of rules/missing_data.dl ``missing_message`` for what is missing, naming comp."""
    return a.missing_sentence(what, comp, a.label(comp), default=f"{what} {{component}}")
