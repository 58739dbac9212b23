"""A listener's rules in the order the load balancer reads them: which client addresses each forwarding rule can get.

"Rules are evaluated in priority order, from the lowest value to the highest value. The default rule is evaluated last"
(application/listener-rules.html): a rule's ``source-ip`` condition admits only its ranges, and a rule before it whose
only condition is ``source-ip`` answers those clients' every request itself (rules/load_balancers.dl
``rule_captures``); other conditions (host, path, headers, ...) are assumed to match some requests and not others.
One home for this reading, used for a load balancer as the destination (its clients, ``LoadBalancers``) and as the
source (the groups some request reaches, ``lb_source.requested_tgs``).
"""

from __future__ import annotations

from typing import Protocol

from reasoner import addresses

#: where the default actions of a listener come in its rules' order (rules/load_balancers.dl action_priority)
DEFAULT_PRIORITY = 50001


class _Asks(Protocol):
    def query(self, pred: str, pattern: tuple) -> list[tuple]: ...


def forwarding_rules(p: _Asks, listener: str) -> list[tuple[str, list[tuple], list[tuple[int, int]]]]:
    """``(owner, forwards, admitted)`` for each rule or default action of ``listener`` that forwards
    (``listener_forwards``: weight above 0), in priority order (the default action last): ``forwards`` its
    ``listener_forwards`` rows, ``admitted`` the client address ranges (IPv4 and IPv6 as one integer line) it can
    get a request from: its ``source-ip`` ranges (every address without one) less those of each rule before it that
    answers every request of its clients (``rule_captures``).  ``admitted`` may be empty: no client gets that far."""
    forwards: dict[str, list[tuple]] = {}
    for f in p.query("listener_forwards", (listener, None, None)):
        forwards.setdefault(f[1], []).append(f)
    priority = {r[1]: r[2] for r in p.query("action_priority", (listener, None, None))}
    captures = p.query("rule_captures", (listener, None, None, None, None))
    every = [(0, addresses.V6_MAX)]
    out = []
    for owner in sorted(forwards, key=lambda o: (priority.get(o, DEFAULT_PRIORITY), o)):
        rank = priority.get(owner, DEFAULT_PRIORITY)
        own = [(lo, hi) for _, lo, hi in p.query("rule_source_ip", (owner, None, None))] or every
        before = [(lo, hi) for _, _, pr, lo, hi in captures if pr < rank]
        out.append((owner, forwards[owner], addresses.subtract(own, before)))
    return out
