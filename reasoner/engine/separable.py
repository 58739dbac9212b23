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
from itertools import islice
from typing import Iterable, Iterator, Sequence

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
        off = os.environ.get("REASON_SEPARATE", "on").lower() in ("off", "0", "no", "false")
        if off or not set(want) <= self.relations:
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

    def _answer(self, block: "_Block", want: Sequence[str]) -> Iterator[Answer]:
        packets, order = block.packets, block.order
        if len(order) * 10 >= len(packets) * 9:  # no product worth splitting (one port, or one piece each way)
            self.evaluated += len(packets)
            yield from self.inner.evaluate(packets, want)
            return
        src_side = self._src_side
        parts = []  # per evaluated packet and relation: its rows of hops not reading the source port, and of those that do
        empty: frozenset = frozenset()
        for ans in self.inner.evaluate(order, want):
            part = {}
            for rel, rows in ans.items():
                if not rows:
                    part[rel] = (empty, empty)
                    continue
                for r in rows:
                    if r[0] not in src_side:
                        src_side[r[0]] = self._side(r[0]) == "src"
                srcs = frozenset(r for r in rows if src_side[r[0]])
                part[rel] = (rows - srcs, srcs) if srcs else (rows, empty)
            parts.append(part)
        self.evaluated += len(order)
        for by_dst_i, by_src_i in block.uses:
            by_dst, by_src = parts[by_dst_i], parts[by_src_i]
            yield {rel: (by_dst[rel][0] | s) if (s := by_src[rel][1]) else by_dst[rel][0] for rel in want}


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
