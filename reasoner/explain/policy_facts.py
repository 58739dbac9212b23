"""The reachability relations a policy reads (rules/policy_relations.dl), computed over the whole snapshot.

``exposed(eni, proto, port_lo, port_hi)`` is ``reason audit exposure`` (reasoner/explain/audit.py) as rows;
``can_reach(src, dst, proto, port_lo, port_hi)`` is ``* -> * any`` enumerated by ``every_reachable``
(reasoner/explain/search.py), both evaluated set-at-a-time by the DuckDB engine.  Each is computed only
when a predicate the policies define (``violation`` and what it reads) uses it: ``can_reach`` evaluates every
ENI pair.  Rows are existential over addresses and source ports, like a query; port ranges are merged.

Addresses of both families count (a row holds if some IPv4 or some IPv6 packet gets through).
Not handled: the internet as a ``can_reach`` source (``exposed`` says it).
"""

from __future__ import annotations

from typing import Iterable

from reasoner.explain.audit import _merge, exposure
from reasoner.explain.search import every_reachable

#: The relations computed here, in the order they are filled.
RELATIONS = ("exposed", "can_reach")


def used_relations(checked, roots: Iterable[str] = ("violation",)) -> list[str]:
    """Which of ``RELATIONS`` the predicates ``roots`` read, directly or not."""
    seen, stack = set(roots), list(roots)
    while stack:
        for pred in checked.edges.get(stack.pop(), ()):
            if pred not in seen:
                seen.add(pred)
                stack.append(pred)
    return [r for r in RELATIONS if r in seen]


def exposed_rows(session) -> list[tuple[str, str, int, int]]:
    """The rows of ``exposed``: per ENI the internet reaches, per protocol, each merged port range."""
    found, _ = exposure(session.analyzer, session.set_backend())
    return sorted((e.eni, proto, lo, hi) for e in found for proto, ranges in e.ports.items() for lo, hi in ranges)


def can_reach_rows(session) -> list[tuple[str, str, str, int, int]]:
    """The rows of ``can_reach``: per ordered pair of distinct ENIs, per protocol, each merged port range."""
    an = session.analyzer
    enis = an.eni_endpoints()
    if not enis:
        return []
    classes, _ = every_reachable(an, session.set_backend(), enis, enis, "-1", 0, 65535)
    ports: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    for c in classes:
        if c.src_eni != c.dst_eni:
            ports.setdefault((c.src_eni, c.dst_eni, c.proto), []).append(c.dst_ports)
    return sorted((s, d, p, lo, hi) for (s, d, p), r in ports.items() for lo, hi in _merge(r))


def fill(session, roots: Iterable[str] = ("violation",)) -> list[str]:
    """Loads the relations the policies use into the session's program; gets the names filled."""
    used = used_relations(session.program.checked, roots)
    for rel in used:
        rows = exposed_rows(session) if rel == "exposed" else can_reach_rows(session)
        session.program.add_facts(rel, rows, source=f"{rel}: computed over the snapshot (rules/policy_relations.dl)")
    return used
