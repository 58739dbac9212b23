"""A set question's endpoint pairs, grouped by symmetry class: one representative pair per group.

``reasoner/engine/symmetry.py`` proves (from the rules) and computes (from the snapshot) which ENIs no rule can
tell apart.  Here the question's sides are grouped by class: every pair (s, d) with s in group A and d in group
B (s != d) has the same answer as the group's representative, up to renaming the two ENIs and the values they
own.  The representative is the group's first pair in the analyzer's order (source-major), so the first pair
that gets through, or the nearest miss, is the same whether or not the question is factored.

An endpoint is grouped only when it is a snapshot ENI named with all its addresses (``Endpoint.ips`` = its
``eni_ip`` rows); the internet, addresses named one by one and anything the rules refused keep a group of
their own.  ``REASON_FACTOR=off`` in the environment turns factoring off (every pair evaluated).
"""

from __future__ import annotations

import heapq
import itertools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Hashable, Iterable, Iterator

from reasoner.engine.lift import PER_QUERY
from reasoner.engine import symmetry_cache
from reasoner.engine.symmetry import Classes, Refusal, gate, program_constants

if TYPE_CHECKING:
    from reasoner.explain.paths import Analyzer, Endpoint
    from reasoner.explain.space import PortGroup

#: Per-query columns (reasoner/explain/paths.py ``packet_facts``): those naming endpoints or their addresses may
#: hold owned values; addresses of the internet, protocols and ports come from outside the snapshot.
QUERY_OWNED = frozenset({("packet", 0), ("packet", 1), ("packet", 2), ("packet", 3), ("addressed_privately", 0)})
QUERY_COMPUTED = frozenset({("packet", i) for i in range(2, 7)})


def enabled() -> bool:
    return os.environ.get("REASON_FACTOR", "on").lower() not in ("off", "0", "no", "false")


@dataclass
class PairGroup:
    """Pairs ``srcs`` x ``dsts`` (distinct ENIs) that share one answer; ``src``/``dst`` the representative."""

    src: "Endpoint"
    dst: "Endpoint"
    srcs: list["Endpoint"]
    dsts: list["Endpoint"]
    order: tuple[int, int]

    def size(self) -> int:
        common = len({s.eni for s in self.srcs} & {d.eni for d in self.dsts})
        return len(self.srcs) * len(self.dsts) - common

    def members(self) -> Iterator[tuple["Endpoint", "Endpoint"]]:
        for s in self.srcs:
            for d in self.dsts:
                if s.eni != d.eni:
                    yield s, d


def group_pairs(srcs: list["Endpoint"], dsts: list["Endpoint"], key: Callable[["Endpoint"], Hashable | None]) -> Iterator[PairGroup]:
    """The question's pairs grouped by the classes of both ends, each group with its first pair in order
    (source-major, as ``PacketSpace.packets`` enumerates them); groups in the order of their representatives,
    lazily: at 20k ENIs ``* -> *`` has millions of groups, held one source class at a time.
    ``key(endpoint)`` is the endpoint's class, or None for an endpoint that stands alone."""
    def sides(eps: list["Endpoint"]) -> list[tuple[list["Endpoint"], list[int]]]:
        by: dict[Hashable, tuple[list["Endpoint"], list[int]]] = {}
        for i, ep in enumerate(eps):
            k = key(ep)
            k = ("alone", i) if k is None else ("class", k)
            if k not in by:
                by[k] = ([], [])
            by[k][0].append(ep)
            by[k][1].append(i)
        return list(by.values())  # (in order of each side's first position)

    dst_sides = sides(dsts)
    late: list[tuple[tuple[int, int], int, PairGroup]] = []  # groups whose first pair is not their sources' first
    n = 0
    for a, ai in sides(srcs):
        mine: list[PairGroup] = []
        for b, bi in dst_sides:
            rep = _first_pair(a, ai, b, bi)
            if rep is None:
                continue
            (s, si), (d, di) = rep
            g = PairGroup(s, d, a, b, (si, di))
            if si == ai[0]:
                mine.append(g)
            else:  # (a's first ENI is b's only one): its place is at a later source
                n += 1
                heapq.heappush(late, (g.order, n, g))
        while late and late[0][0] < (ai[0], -1):
            yield heapq.heappop(late)[2]
        mine.sort(key=lambda g: g.order)
        yield from mine
    while late:
        yield heapq.heappop(late)[2]


def _first_pair(a, ai, b, bi):
    """The first (source-major) pair of distinct ENIs of a x b, with positions; None when there is none."""
    if a[0].eni != b[0].eni:  # (nearly always: two classes share an ENI only when a class is paired with itself)
        return (a[0], ai[0]), (b[0], bi[0])
    for s, si in zip(a, ai):
        for d, di in zip(b, bi):
            if s.eni != d.eni:
                return (s, si), (d, di)
    return None


def rename(row: tuple, group: PairGroup, s: "Endpoint", d: "Endpoint", numbers: dict[str, tuple[int, ...]]) -> tuple:
    """The representative's packet row moved to the member pair (s, d): ENI ids and the addresses they own."""
    def move(ip: int, rep: "Endpoint", to: "Endpoint") -> int:
        if rep.eni == to.eni or rep.ips is None:
            return ip
        mine = numbers.get(rep.eni, ())
        return numbers[to.eni][mine.index(ip)] if ip in mine else ip

    return (s.eni, d.eni, move(row[2], group.src, s), move(row[3], group.dst, d)) + tuple(row[4:])


class Factoring:
    """The symmetry classes of one analyzer's snapshot, computed on first use, and the gate's verdict on its rules."""

    def __init__(self, analyzer: "Analyzer", extra_constants: set) -> None:
        self.an = analyzer
        self.extra_constants = extra_constants
        self._classes: Classes | None = None
        self.refused: list[Refusal] = []
        #: whether the classes may be read from (and are kept in) the cache folder (reasoner/engine/symmetry_cache.py);
        #: ``reason recheck`` turns it off.  ``from_cache`` says whether they were read from it.
        self.cache = True
        self.from_cache = False

    @property
    def classes(self) -> Classes | None:
        """The classes, or None when the rules refuse factoring (``refused`` says why)."""
        if self._classes is None and not self.refused:
            checked = self.an.p.checked
            defined = {r.head.pred for r in checked.module.rules}
            rel = {k: v for k, v in self.an.rel.items() if k in checked.decls and k not in defined and k not in PER_QUERY}
            cls, self.from_cache = symmetry_cache.classes(rel, program_constants(checked) | self.extra_constants,
                                                          self.an.space.starts(), use_cache=self.cache)
            self.refused = gate(checked, cls.owned_columns | QUERY_OWNED, QUERY_COMPUTED)
            if not self.refused:
                self._classes = cls
        return self._classes

    def key(self, ep: "Endpoint") -> Hashable | None:
        cls = self.classes
        if cls is None or ep.ips is None:
            return None
        c = cls.of.get(ep.eni)
        if c is None:
            return None
        ips = self.an.eni_ips.get(ep.eni)
        if ips != ep.ips and ips != tuple(sorted(ep.ips)):  # (an endpoint's addresses come sorted: compared first as they are)
            return None
        return c, ep.addressed, ep.ports

    def groups(self, srcs: list["Endpoint"], dsts: list["Endpoint"]) -> list[PairGroup] | None:
        """The question's pairs by class (None when factoring is off or refused)."""
        if not self._factored(srcs, dsts):
            return None
        return list(group_pairs(srcs, dsts, self.key))

    def _factored(self, srcs: list["Endpoint"], dsts: list["Endpoint"]) -> bool:
        """Whether the question's pairs are grouped: factoring on, not refused, and more than one pair (one pair
        has nothing to share, and the classes are not worth computing for it)."""
        if not (enabled() and (len(srcs) > 1 or len(dsts) > 1) and self.classes is not None):
            return False
        # A public CIDR's first address is a representative only that question puts in a packet (reasoner/explain/
        # space.py cuts the internet at the CIDR's bounds): when an ENI owns it (its Elastic IP), swapping that ENI with
        # another would move it, so the pairs are not grouped (every pair evaluated: correct, slower).
        firsts = {ep.within[0] for ep in itertools.chain(srcs, dsts) if ep.within is not None}
        return not firsts or firsts.isdisjoint(n for ns in self.classes.numbers.values() for n in ns)

    def every_group(self, srcs: list["Endpoint"], dsts: list["Endpoint"]) -> Iterator[PairGroup]:
        """The question's groups, or, when factoring is off or refused, one group per pair (its own member);
        lazily, in order."""
        if not self._factored(srcs, dsts):
            return (PairGroup(s, d, [s], [d], (i, j)) for i, s in enumerate(srcs) for j, d in enumerate(dsts)
                    if s.eni != d.eni)
        return group_pairs(srcs, dsts, self.key)

    def port_groups(self, groups: Iterable[PairGroup], proto: str, port_lo: int, port_hi: int) -> Iterator["PortGroup"]:
        """Every representative packet of the groups' representative pairs, as port groups (reasoner/explain/space.py),
        each carrying its pair group (``pair``), in order; lazily."""
        for g in groups:
            yield from self.an.space.port_groups(g.src, g.dst, proto, port_lo, port_hi, pair=g)

    def numbers(self) -> dict[str, tuple[int, ...]]:
        return self.classes.numbers if self.classes is not None else {}
