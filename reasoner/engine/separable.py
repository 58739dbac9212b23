"""A backend that evaluates a product of port pieces as a sum, when the rules allow it (factoring by hop).

The packets of a question come in groups that differ only in their ports: for one pair, addresses and protocol,
every destination-port piece times every source-port piece.  ``reasoner/engine/reads.py`` computes from the rules
which packet fields each hop reads.  When every hop reads at most one of the two port fields, the rows a
packet ``(dp, sp)`` gets for a hop are the rows ``(dp, sp0)`` gets, for a hop reading the destination port (or
neither), and the rows ``(dp0, sp)`` gets, for a hop reading the source port: the hop's rows are a function of
the fields it reads, and the other fields are equal.  ``SeparableBackend`` evaluates only those packets and builds
every other answer from them, in the order asked: ``|dp| + |sp|`` evaluations per group instead of
``|dp| x |sp|``.  Every wanted relation must hold hop-keyed rows (hop first: ``fwd_blocked``, ``ret_blocked``,
``hop_unknown``, ``hop_problem``); a hop the analysis does not know, or a hop reading both ports, turns the
split off (``split`` is None) and the inner backend answers every packet.

``REASON_SEPARATE=off`` in the environment turns it off (tests compare both).
"""

from __future__ import annotations

import os
from itertools import islice, tee
from typing import Callable, Iterable, Iterator, Sequence

from reasoner.engine.backend import Answer, Backend, PacketFacts
from reasoner.engine.reads import ANY_HOP, hop_reads

SRC_PORT, DST_PORT = 5, 6


def split(checked, answers: Sequence[str]) -> dict[str, str] | None:
    """Each hop's port side ("dst", "src" or "none"), or None when some hop reads both ports."""
    reads = hop_reads(checked, answers)
    out: dict[str, str] = {}
    for hop, cols in reads.items():
        if SRC_PORT in cols and DST_PORT in cols:
            return None
        out[hop] = "src" if SRC_PORT in cols else "dst" if DST_PORT in cols else "none"
    return out


class SeparableBackend:
    """Wraps a backend; see the module doc.  ``sides``: the result of ``split`` for ``relations``; a question that
    wants another relation is answered by the inner backend alone.  Packets are taken until the inner backend has
    ``block`` of them to evaluate (``first`` for the first block), so a caller that stops early (the first packet
    that gets through) leaves the rest unevaluated."""

    def __init__(self, inner: Backend, sides: dict[str, str], relations: Sequence[str], block: int = 50_000,
                 first: int = 20_000, cap: int = 1_000_000) -> None:
        self.inner = inner
        self.sides = sides
        self.relations = frozenset(relations)
        self.block = block
        self.first = first
        self.cap = cap  # at most this many packets asked per block (their answers are built at once)
        self.evaluated = 0  # packets the inner backend evaluated
        self._src_side: dict[str, bool] = {}  # hop -> whether its rows depend on the source port (memo of _side)

    def __getattr__(self, name: str):  # close(), engine, lifted ...: the inner backend's
        return getattr(self.inner, name)

    def _side(self, hop: str) -> str:
        """Which port a hop's rows depend on: a hop no rule names by constant gets rows only from the rules
        whose hop is a variable (``ANY_HOP``)."""
        return self.sides.get(hop, self.sides[ANY_HOP])

    def evaluate(self, packets: Iterable[PacketFacts], want: Sequence[str]) -> Iterator[Answer]:
        if _off() or not set(want) <= self.relations:
            yield from self.inner.evaluate(packets, want)
            return
        it = iter(packets)
        # A block is sized by what the inner backend evaluates, not by the packets asked: each evaluation of the
        # set engine costs a fixed ~1 s at 20k ENIs (every statement re-joins the snapshot's tables), so one
        # block should fill it.  The first block is smaller, so that a question answered by an early packet
        # stops sooner (measured: benchmarks/results/chunks-20261202.md, blocks-20261203.md).
        budget = min(self.first, self.block)
        while True:
            block = _Block()
            for f in it:
                block.add(f)
                if len(block.order) + 2 > budget or len(block.packets) >= self.cap:
                    break
            if not block.packets:
                return
            yield from self._answer(block, want)
            budget = min(budget * 4, self.block)

    def products(self, groups: Iterable, facts: Callable[[object, int, int], PacketFacts],
                 want: Sequence[str], early: bool = True) -> Iterator[tuple[object, "Product"]]:
        """``products`` (below) for this backend: per group, the packets ``(dp, sps[0])`` for every ``dp`` and
        ``(dps[0], sp)`` for every other ``sp``, taken in blocks as ``evaluate`` takes them (``early=False``:
        the caller reads every group, so the first block is a full one)."""
        it = iter(groups)
        budget = min(self.first, self.block) if early else self.block
        pending = None
        while True:
            chunk: list = []
            n = 0
            while True:
                g = pending if pending is not None else next(it, None)
                pending = None
                if g is None:
                    break
                size = len(g.dps) + len(g.sps) - 1
                if chunk and n + size > budget:
                    pending = g
                    break
                chunk.append(g)
                n += size
            if not chunk:
                return
            order = ((facts(g, dp, g.sps[0]) for g in chunk for dp in g.dps),
                     (facts(g, g.dps[0], sp) for g in chunk for sp in g.sps[1:]))
            answers = self.inner.evaluate((f for part in order for f in part), want)
            dsts, srcs = [], []
            for g in chunk:  # (dp, sp0) answers first, group by group, then (dp0, sp) for sp after the first
                dsts.append([self._parts(next(answers)) for _ in g.dps])
            for g, d in zip(chunk, dsts):
                srcs.append([d[0][1]] + [self._parts(next(answers))[1] for _ in g.sps[1:]])
            self.evaluated += n
            for g, d, s in zip(chunk, dsts, srcs):
                yield g, Product(dst=[x[0] for x in d], src=s)
            budget = min(budget * 4, self.block)

    def _parts(self, ans: Answer) -> tuple[dict, dict]:
        """An answer's rows of hops that do not read the source port, and of those that do (per relation)."""
        src_side = self._src_side
        other, src = {}, {}
        empty: frozenset = frozenset()
        for rel, rows in ans.items():
            if not rows:
                other[rel] = src[rel] = empty
                continue
            for r in rows:
                if r[0] not in src_side:
                    src_side[r[0]] = self._side(r[0]) == "src"
            s = frozenset(r for r in rows if src_side[r[0]])
            other[rel], src[rel] = (rows - s, s) if s else (rows, empty)
        return other, src

    def _answer(self, block: "_Block", want: Sequence[str]) -> Iterator[Answer]:
        packets, order = block.packets, block.order
        if len(order) * 10 >= len(packets) * 9:  # no product worth splitting (one port, or one piece each way)
            self.evaluated += len(packets)
            yield from self.inner.evaluate(packets, want)
            return
        parts = [self._parts(ans) for ans in self.inner.evaluate(order, want)]
        self.evaluated += len(order)
        for by_dst_i, by_src_i in block.uses:
            other, src = parts[by_dst_i][0], parts[by_src_i][1]
            yield {rel: (other[rel] | s) if (s := src[rel]) else other[rel] for rel in want}


class _Block:
    """Packets taken for one evaluation: for each, the evaluated packet its destination-port rows come from
    (its own ports but the group's first source port) and the one its source-port rows come from (the group's
    first destination port, its own source port).  A group is a packet's facts without its ports."""

    def __init__(self) -> None:
        self.packets: list[PacketFacts] = []
        self.order: list[PacketFacts] = []  # the packets to evaluate
        self.uses: list[tuple[int, int]] = []  # per packet: (index in order for dst-side rows, for src-side rows)
        self._ids: dict[tuple, tuple[int, int]] = {}  # group -> (dp0, sp0): its first packet's ports
        self._needed: dict[tuple, int] = {}  # (group, dp, sp) -> index in order

    def add(self, f: PacketFacts) -> None:
        row = f["packet"][0]
        key = _key(f)
        dp0, sp0 = self._ids.setdefault(key, (row[DST_PORT], row[SRC_PORT]))
        idx = []
        for dp, sp in ((row[DST_PORT], sp0), (dp0, row[SRC_PORT])):
            k = (key, dp, sp)
            i = self._needed.get(k)
            if i is None:
                i = self._needed[k] = len(self.order)
                self.order.append(_with_ports(f, dp, sp))
            idx.append(i)
        self.packets.append(f)
        self.uses.append((idx[0], idx[1]))


def _key(f: PacketFacts) -> tuple:
    """A packet's facts without its ports: packets with equal keys differ only in ports."""
    row = f["packet"][0]
    rest = tuple(sorted((rel, tuple(rows)) for rel, rows in f.items() if rel != "packet"))
    return row[:SRC_PORT], rest


def _with_ports(f: PacketFacts, dp: int, sp: int) -> dict:
    row = f["packet"][0]
    return {**f, "packet": [row[:SRC_PORT] + (sp, dp) + row[DST_PORT + 1:]]}


class Product:
    """The answers of one port group's packets (``reasoner/explain/space.py``: a destination-port piece ``i`` times a
    source-port piece ``j``).  ``uniform``: no source-port piece changes any answer, so ``answer(i, j)`` equals
    ``answer(i, 0)`` for every ``j`` and a caller may read one packet per destination-port piece."""

    __slots__ = ("_dst", "_src", "_full", "uniform")

    def __init__(self, dst: list | None = None, src: list | None = None, full: list | None = None) -> None:
        self._dst, self._src, self._full = dst, src, full
        self.uniform = full is None and all(s == src[0] for s in src)  # type: ignore[index]

    def answer(self, i: int, j: int) -> Answer:
        if self._full is not None:
            return self._full[i][j]
        d, s = self._dst[i], self._src[j]  # type: ignore[index]
        return {rel: (rows | s[rel]) if s[rel] else rows for rel, rows in d.items()}


def products(backend: Backend, groups: Iterable, facts: Callable[[object, int, int], PacketFacts],
             want: Sequence[str], early: bool = True) -> Iterator[tuple[object, Product]]:
    """Each group (``dps``, ``sps``: its port pieces) with the answers of its packets, in order: ``facts(group, dp,
    sp)`` are a packet's facts.  A ``SeparableBackend`` evaluates ``|dps| + |sps| - 1`` packets per group; any other
    backend (or ``REASON_SEPARATE=off``) evaluates every packet.  One pass over ``groups``, lazily: groups not read
    are not evaluated (beyond the block), and memory holds one block; ``early=False`` says the caller reads them
    all (no small first block)."""
    if isinstance(backend, SeparableBackend) and not _off() and set(want) <= backend.relations:
        yield from backend.products(groups, facts, want, early)
        return
    mine, theirs = tee(groups)  # (the evaluation runs at most a chunk ahead of the reading)
    answers = backend.evaluate((facts(g, dp, sp) for g in theirs for dp in g.dps for sp in g.sps), want)
    for g in mine:
        yield g, Product(full=[[next(answers) for _ in g.sps] for _ in g.dps])


def _off() -> bool:
    return os.environ.get("REASON_SEPARATE", "on").lower() in ("off", "0", "no", "false")
