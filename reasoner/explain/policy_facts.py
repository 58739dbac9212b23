"""The reachability relations a policy reads (rules/policy_relations.dl), computed over the whole snapshot.

``exposed(eni, proto, port_lo, port_hi)`` is ``reason audit exposure`` (reasoner/explain/audit.py) as rows;
``can_reach(src, dst, proto, port_lo, port_hi)`` is ``* -> * any`` enumerated by ``every_reachable``
(reasoner/explain/search.py), both evaluated set-at-a-time by the DuckDB engine.  Each is computed only
when a predicate the policies define (``violation`` and what it reads) uses it; ``can_reach`` only for the
sources and destinations a policy can read (``demand``), every ENI pair when a side is unrestricted.  Rows are existential over addresses and source ports, like a query; port ranges are merged.

Addresses of both families count (a row holds if some IPv4 or some IPv6 packet gets through).
Not handled: the internet as a ``can_reach`` source (``exposed`` says it).
"""

from __future__ import annotations

from typing import Iterable

from reasoner.addresses import family
from reasoner.engine.syntax import Atom, Const, Var
from reasoner.explain.audit import _merge, exposure
from reasoner.explain.search import every_reachable
from reasoner.explain.space import PORTED
from reasoner.protocols import ICMP, OTHER

#: The relations computed here, in the order they are filled.
RELATIONS = ("exposed", "can_reach")


def used_relations(checked, roots: Iterable[str] = ("violation", "undecided")) -> list[str]:
    """Which of ``RELATIONS`` the predicates ``roots`` read, directly or not."""
    seen = _reachable(checked, roots)
    return [r for r in RELATIONS if r in seen]


def exposed_rows(session, undecided: set[str] | None = None) -> list[tuple[str, str, int, int]]:
    """The rows of ``exposed``: per ENI the internet reaches, per protocol, each merged port range.  ``undecided``,
    when given, receives the ENIs whose exposure missing data leaves open (``exposure``): they have no row they
    might have."""
    found, _ = exposure(session.analyzer, session.set_backend(), undecided)
    return sorted((e.eni, _proto(proto), lo, hi) for e in found for proto, ranges in e.ports.items() for lo, hi in ranges)


def _proto(proto: str) -> str:
    """A protocol as the relations hold it: the class of the protocols no rule names (reasoner/protocols.py OTHER)
    is "-1" (rules/policy_relations.dl); before 2026-12-06 it was its example packet's number, 0, and a policy
    written as documented, ``exposed(E, "-1", _, _)``, never matched."""
    return "-1" if proto == OTHER else proto


def can_reach_rows(session, srcs: set[str] | None = None, dsts: set[str] | None = None,
                   undecided: list | None = None) -> list[tuple[str, str, str, int, int]]:
    """The rows of ``can_reach``: per ordered pair of distinct ENIs, per protocol, each merged port range; with
    ``srcs``/``dsts``, only the rows whose source/destination is one of them (None: every ENI). ``undecided``, when
    given, receives the groups of pairs a class of which missing data leaves open (``every_reachable``)."""
    ports: dict[tuple[str, str, str], list[tuple[int, int]]] = {}
    for (s, d, p, _), ranges in can_reach_by_family(session, srcs, dsts, undecided).items():
        ports.setdefault((s, d, p), []).extend(ranges)
    return sorted((s, d, p, lo, hi) for (s, d, p), r in ports.items() for lo, hi in _merge(r))


def can_reach_by_family(session, srcs: set[str] | None = None, dsts: set[str] | None = None,
                        undecided: list | None = None) -> dict[tuple[str, str, str, str], list[tuple[int, int]]]:
    """``can_reach`` keyed by (source, destination, protocol, address family "ipv4" or "ipv6"): the merged port
    ranges some packet of that family gets through on (a packet's two addresses are of one family).  Arguments as
    ``can_reach_rows``."""
    an = session.analyzer
    enis = an.eni_endpoints()
    from_, to = [e for e in enis if srcs is None or e.eni in srcs], [e for e in enis if dsts is None or e.eni in dsts]
    if not from_ or not to:
        return {}
    classes, _ = every_reachable(an, session.set_backend(), from_, to, "-1", 0, 65535, undecided)
    ports: dict[tuple[str, str, str, str], list[tuple[int, int]]] = {}
    for c in classes:
        if c.src_eni != c.dst_eni:
            # (a protocol without ports holds every port, as in ``exposed``: its class's piece is port 0 only)
            ports.setdefault((c.src_eni, c.dst_eni, _proto(c.proto), family(c.src_ips[0])), []).append(
                c.dst_ports if c.proto in PORTED or c.proto in ICMP else (0, 65535))
    return {k: _merge(r) for k, r in ports.items()}


def demand(session, roots: Iterable[str] = ("violation", "undecided")) -> tuple[set[str] | None, set[str] | None]:
    """Which sources and destinations of ``can_reach`` the policies can ever read (None: any ENI), so that
    ``* -> * any`` is not evaluated for a policy about, say, databases.  For every rule reachable from ``roots``
    that reads ``can_reach(S, D, ...)`` (positive or negated), a side is restricted when it is a constant, or a
    variable that a positive atom of the same rule binds, over a predicate that does not itself depend on the
    computed relations (its rows are final before they are filled): the values that atom holds in that column
    are a superset of what the rule can read there (several such atoms: their intersection).  Any other rule
    (a side bound only through ``=`` or by a computed relation, a wildcard) leaves that side unrestricted.  The
    union over rules is the demand: every row a rule could read is computed, so the restriction never changes a
    policy's result."""
    checked = session.program.checked
    computed = set(RELATIONS)
    reads_computed = {p for p in checked.decls if set(used_relations(checked, (p,))) & computed}
    reachable = _reachable(checked, roots)
    sides: list[set[str] | None] = [set(), set()]
    for rule in checked.module.rules:
        if rule.head.pred not in reachable:
            continue
        for atom in (lit for lit in rule.body if isinstance(lit, Atom) and lit.pred == "can_reach"):
            for i in (0, 1):
                if sides[i] is None:
                    continue
                values = _bound_values(session, rule, atom.args[i], reads_computed | computed)
                sides[i] = None if values is None else sides[i] | values  # type: ignore[operator]
    return sides[0], sides[1]


def _reachable(checked, roots: Iterable[str]) -> set[str]:
    seen, stack = set(roots), list(roots)
    while stack:
        for pred in checked.edges.get(stack.pop(), ()):
            if pred not in seen:
                seen.add(pred)
                stack.append(pred)
    return seen


def _bound_values(session, rule, term, unsettled: set[str]) -> set[str] | None:
    """The values ``term`` can take in ``rule``, as a superset; None when no settled positive atom binds it."""
    if isinstance(term, Const):
        return {str(term.value)}
    if not isinstance(term, Var):
        return None
    best: set[str] | None = None
    for lit in rule.body:
        if not isinstance(lit, Atom) or lit.negated or lit.pred in unsettled or term not in lit.args:
            continue
        pattern = tuple(a.value if isinstance(a, Const) else None for a in lit.args)
        col = lit.args.index(term)
        values = {str(row[col]) for row in session.program.query(lit.pred, pattern)}
        best = values if best is None else best & values
    return best


def fill(session, roots: Iterable[str] = ("violation", "undecided"),
         open_rows: list[tuple[str, str]] | None = None) -> tuple[list[str], list[str]]:
    """Loads the relations the policies use into the session's program; gets the names filled, and what missing
    data leaves open in them, as sentences (empty when nothing): an ENI whose exposure, or a pair whose reachability,
    is not decided has no row it might have, so a policy that finds nothing over them is not decided either
    (``reason verify`` exits 3), as ``audit exposure`` and ``query --all`` say of them.  ``can_reach`` is computed
    for the sources and destinations the policies can read (``demand``), not for every pair.  ``open_rows``, when
    given, gets the same one per item as ``(what, relation)``: ``(eni, "exposed")``, ``("src -> dst", "can_reach")``,
    ``("*", "exposed: no NetworkInterfaces answer")`` (``reason test`` compares them with a case's ``.expected``)."""
    from reasoner.explain.audit import estate_unknown

    used = used_relations(session.program.checked, roots)
    open_: list[str] = []
    for rel in used:
        if rel == "exposed":
            enis: set[str] = set()
            rows = exposed_rows(session, enis)
            if open_rows is not None:
                open_rows.extend((e, rel) for e in sorted(enis))
            if enis:
                open_.append(f"exposed: the exposure of {len(enis)} ENI(s) is not decided (the snapshot lacks data it "
                             f"depends on: ask `reason query \"internet -> ENI any\"`): {', '.join(sorted(enis)[:10])}"
                             + (", ..." if len(enis) > 10 else ""))
        else:
            groups: list = []
            rows = can_reach_rows(session, *demand(session, roots), undecided=groups)
            pairs = sorted({(s.eni, d.eni) for g in groups for s, d in g.members()})
            if open_rows is not None:
                open_rows.extend((f"{a} -> {b}", rel) for a, b in pairs)
            if pairs:
                open_.append(f"can_reach: {len(pairs)} ENI pair(s) are not decided (the snapshot lacks data their "
                             f"answer depends on: ask `reason query \"SRC -> DST any\"`): "
                             + ", ".join(f"{a} -> {b}" for a, b in pairs[:10]) + (", ..." if len(pairs) > 10 else ""))
        session.program.add_facts(rel, rows, source=f"{rel}: computed over the snapshot (rules/policy_relations.dl)")
    if used:
        open_.extend(f"{', '.join(used)}: {w}" for w in estate_unknown(session.analyzer))
        if open_rows is not None:
            open_rows.extend(("*", f"{', '.join(used)}: no {key} answer")
                             for (key,) in session.analyzer.p.query("estate_unknown", (None,)))
    return used, open_
