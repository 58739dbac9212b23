"""Set questions: which engine scans a query's packet space, and ``query --all``.

``Analyzer.analyze`` (reasoner/explain/paths.py) scans the representative packets of a query
(reasoner/explain/space.py) with pyDatalog, or, given a backend, with the set engine (DuckDB,
reasoner/engine/backend.py) and then pyDatalog for the one packet the answer names.  ``is_large`` is the
choice the session makes: above ``SET_THRESHOLD`` packets, the set engine.  ``every_reachable`` is
``reason query --all``: every piece of the packet space that gets through and back, with the ranges it
stands for (``PacketClass``); ``merge`` joins adjacent port ranges for reading.
"""

from __future__ import annotations

from dataclasses import dataclass

from reasoner.engine.backend import Backend
from reasoner.engine.separable import products
from reasoner.explain.factor import PairGroup, rename
from reasoner.explain.paths import Analyzer, Endpoint, group_facts
from reasoner.explain.scan import ANSWER_RELATIONS, blocked_for_certain
from reasoner.protocols import OTHER

#: Above this many representative packets a query is scanned by the set engine (when the session has one).
SET_THRESHOLD = 300


def is_large(an: Analyzer, srcs: list[Endpoint], dsts: list[Endpoint], proto: str, port_lo: int, port_hi: int,
             threshold: int | None = None) -> bool:
    """Whether the query has more than ``threshold`` (default ``SET_THRESHOLD``) representative packets (counted lazily)."""
    threshold = SET_THRESHOLD if threshold is None else threshold
    n = 0
    for _ in an.space.packets(srcs, dsts, proto, port_lo, port_hi):
        n += 1
        if n > threshold:
            return True
    return False


@dataclass(frozen=True)
class PacketClass:
    """One piece of a query's packet space, which the rules cannot tell apart: a pair of endpoints, a protocol,
    and ranges of destination port, source port and addresses (inclusive)."""

    src_eni: str
    dst_eni: str
    proto: str
    dst_ports: tuple[int, int]
    src_ports: tuple[int, int]
    src_ips: tuple[int, int]
    dst_ips: tuple[int, int]


def every_reachable(an: Analyzer, backend: Backend, srcs: list[Endpoint], dsts: list[Endpoint], proto: str,
                    port_lo: int, port_hi: int, undecided: list[PairGroup] | None = None) -> tuple[list[PacketClass], int]:
    """Every class of the query's packet space that gets through and back (``query --all``), in the analyzer's
    order, and how many classes were evaluated.  A class's representative packet decides for the whole class;
    a class whose fate depends on missing data is not listed (it is not known to get through).  Pairs no rule
    can tell apart are evaluated once and the answer is given for each member pair (reasoner/explain/factor.py).
    ``undecided``, when given, receives the groups with such a class (``reachable_groups``)."""
    found, evaluated = reachable_groups(an, backend, srcs, dsts, proto, port_lo, port_hi, undecided)
    numbers = an.factoring.numbers()
    spos = {id(e): i for i, e in enumerate(srcs)}
    dpos = {id(e): i for i, e in enumerate(dsts)}
    out = []
    for g, classes in found:
        for s, d in g.members():
            for n, c in enumerate(classes):
                row = rename((c.src_eni, c.dst_eni, c.src_ips[0], c.dst_ips[0]), g, s, d, numbers)
                sips = c.src_ips if s.ips is None else (row[2], row[2])
                dips = c.dst_ips if d.ips is None else (row[3], row[3])
                out.append(((spos[id(s)], dpos[id(d)], n),
                            PacketClass(s.eni, d.eni, c.proto, c.dst_ports, c.src_ports, sips, dips)))
    out.sort(key=lambda x: x[0])
    return [c for _, c in out], evaluated


def reachable_groups(an: Analyzer, backend: Backend, srcs: list[Endpoint], dsts: list[Endpoint], proto: str,
                     port_lo: int, port_hi: int, undecided: list[PairGroup] | None = None,
                     ) -> tuple[list[tuple[PairGroup, list[PacketClass]]], int]:
    """The representative pairs whose packet classes get through, each with its group (the member pairs it
    stands for; one pair when factoring is off) and its classes; and how many classes were covered.  A port
    group that a hop reading no source port blocks for certain is not evaluated further (``blocked_for_certain``:
    at 20k ENIs most pairs of ``audit pairs`` stop at a security group after one packet).  ``undecided``, when
    given, receives the groups (once each) with a class that does not get through only because of hops missing
    data leaves open (rules/missing_data.dl): they are not known to be blocked."""
    an.check_query(srcs, dsts)
    space = an.factoring.port_groups(an.factoring.every_group(srcs, dsts), proto, port_lo, port_hi)
    prods = products(backend, space, group_facts, ANSWER_RELATIONS, early=False, settles=blocked_for_certain)
    found: dict[int, tuple[PairGroup, list[PacketClass]]] = {}
    seen: set[int] = set()  # groups already in ``undecided``
    evaluated = 0
    for pg, prod in prods:
        g = pg.pair
        evaluated += len(pg)
        if prod.settled:  # every packet blocked for certain: no class of it gets through
            continue
        for i, dp in enumerate(pg.dps):
            passes = False
            for j, sp in enumerate(pg.sps):
                if not (j and prod.uniform):  # with ``uniform``, every source port shares (dp, sps[0])'s answer
                    ans = prod.answer(i, j)
                    passes = not ans["fwd_blocked"] and not ans["ret_blocked"]
                    if not passes and undecided is not None and id(g) not in seen and not blocked_for_certain(ans):
                        seen.add(id(g))
                        undecided.append(g)
                if passes:
                    piece = pg.piece(dp, sp)
                    c = PacketClass(pg.src.eni, pg.dst.eni, OTHER if pg.rest else pg.proto, piece.dst_ports, piece.src_ports,
                                    piece.src_ips, piece.dst_ips)
                    found.setdefault(id(g), (g, []))[1].append(c)
                elif prod.uniform:
                    break
    return list(found.values()), evaluated


def merge(classes: list[PacketClass]) -> list[PacketClass]:
    """Joins classes that differ only by adjacent source-port, then destination-port ranges (for reading)."""
    def join(items: list[PacketClass], field_: str) -> list[PacketClass]:
        out: list[PacketClass] = []
        for c in sorted(items, key=lambda c: (c.src_eni, c.dst_eni, c.proto, c.src_ips, c.dst_ips, c.dst_ports, c.src_ports)):
            prev = out[-1] if out else None
            if prev is not None:
                a, b = getattr(prev, field_), getattr(c, field_)
                same = all(getattr(prev, f) == getattr(c, f) for f in PacketClass.__dataclass_fields__ if f != field_)
                if same and b[0] == a[1] + 1:
                    out[-1] = PacketClass(**{**prev.__dict__, field_: (a[0], b[1])})
                    continue
            out.append(c)
        return out
    return join(join(classes, "src_ports"), "dst_ports")
