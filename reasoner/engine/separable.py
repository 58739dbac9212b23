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
from itertools import tee
from typing import Any, Callable, Iterable, Iterator, Sequence

from reasoner.engine.backend import Answer, Backend, PacketFacts
from reasoner.engine.blocks import DST_PORT, SRC_PORT, Block
from reasoner.engine.reads import ANY_HOP, hop_reads
from reasoner.engine.screen import Screen, enabled as screen_enabled



def split(checked, answers: Sequence[str]) -> dict[str, str] | None:
    """Each hop's port side ("dst", "src" or "none"), or None when some hop reads both ports."""
    reads = hop_reads(checked, answers)
    out: dict[str, str] = {}
    for hop, cols in reads.items():
        if SRC_PORT in cols and DST_PORT in cols:
            return None
        out[hop] = "src" if SRC_PORT in cols else "dst" if DST_PORT in cols else "none"
    return out


def side_of(sides: dict[str, str], hop: str) -> str:
    """A hop's port side in ``split``'s result: a hop no rule names by constant gets rows only from the rules whose
    hop is a variable (``ANY_HOP``)."""
    return sides.get(hop, sides[ANY_HOP])


class SeparableBackend:
    """Wraps a backend; see the module doc.  ``sides``: the result of ``split`` for ``relations``; a question that
    wants another relation is answered by the inner backend alone.  Packets are taken until the inner backend has
    ``block`` of them to evaluate (``first`` for the first block), so a caller that stops early (the first packet
    that gets through) leaves the rest unevaluated."""

    def __init__(self, inner: Backend, sides: dict[str, str], relations: Sequence[str], block: int = 50_000,
                 first: int = 20_000, cap: int = 1_000_000, screen: Sequence[str] = (), screen_from: int = 10_000,
                 screen_round: int = 64) -> None:
        self.inner = inner
        self.sides = sides
        self.relations = frozenset(relations)
        self.block = block
        self.first = first
        self.cap = cap  # at most this many packets asked per block (their answers are built at once)
        self.evaluated = 0  # packets the inner backend evaluated
        self._sides: dict[str, str] = {}  # hop -> its port side (memo of _side)
        self._splits: dict[frozenset, tuple[frozenset, frozenset, frozenset]] = {}  # rows -> their split (_parts)
        self._answers: dict[tuple, tuple] = {}  # (three, an answer's items) -> its parts (_parts)
        #: ``products`` with ``settles`` looks at these hops first (screen.py; ``inner`` has their ``screen_views``)
        self.screen = Screen(inner, screen, self.relations, self._side) if screen else None
        #: ``ranked`` screens a chunk of at least this many packets (``_firsts``): a smaller one costs less evaluated
        #: whole, since every evaluation has a fixed cost.  Measured (interleaved, median of 3, CPU): ``sg-A -> sg-B
        #: any`` at 20k ENIs, two chunks of about 20,000 packets, 2.01 s whole against 1.62 s screened (64 packets
        #: evaluated whole); ``* -> X tcp 22`` at 100k, 5,429 packets, 3.52 s whole against 3.68 s screened (the
        #: answer came after 576 packets, in three evaluations).
        self.screen_from = screen_from
        #: how many screened packets the first round of ``_firsts`` evaluates whole (then eight times more per round)
        self.screen_round = screen_round

    def __getattr__(self, name: str):  # close(), engine, lifted ...: the inner backend's
        return getattr(self.inner, name)

    def _side(self, hop: str) -> str:
        """Which port a hop's rows depend on (``side_of``, memoised)."""
        side = self._sides.get(hop)
        if side is None:
            side = self._sides[hop] = side_of(self.sides, hop)
        return side

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
            block = Block()
            for f in it:
                block.add(f)
                if len(block.order) + 2 > budget or len(block.packets) >= self.cap:
                    break
            if not block.packets:
                return
            yield from self._answer(block, want)
            budget = min(budget * 4, self.block)

    def products(self, groups: Iterable, facts: Callable[[object, int, int], PacketFacts],
                 want: Sequence[str], early: bool = True,
                 settles: Callable[[Answer], bool] | None = None) -> Iterator[tuple[object, "Product"]]:
        """``products`` (below) for this backend: per group, the packets ``(dp, sps[0])`` for every ``dp`` and
        ``(dps[0], sp)`` for every other ``sp``, taken in blocks as ``evaluate`` takes them (``early=False``:
        the caller reads every group, so the first block is a full one).  With ``settles``, in three steps:
        ``(dps[0], sps[0])`` first; the other destination ports only for groups the rows of hops reading no
        port do not settle; the other source ports only for groups the rows of hops reading no port or the
        destination port do not settle, for some ``dp``."""
        size = (lambda g: 1) if settles is not None else (lambda g: len(g.dps) + len(g.sps) - 1)
        for chunk in self._chunks(groups, size, min(self.first, self.block) if early else self.block):
            if settles is None:
                yield from self._products(chunk, facts, want)
            else:
                yield from self._settled_products(chunk, facts, want, settles)

    def _chunks(self, groups: Iterable, size: Callable[[object], int], budget: int) -> Iterator[list]:
        """The groups in order, in chunks of at most ``budget`` packets by ``size`` (a group larger than that alone),
        the budget growing fourfold per chunk up to ``block``.  Lazy: a chunk's groups are taken from ``groups``
        only when the caller asks for the chunk, so a caller that stops early reads no further."""
        it = iter(groups)
        pending = None
        while True:
            chunk: list = []
            n = 0
            while True:
                g = pending if pending is not None else next(it, None)
                pending = None
                if g is None:
                    break
                if chunk and n + size(g) > budget:
                    pending = g
                    break
                chunk.append(g)
                n += size(g)
            if not chunk:
                return
            yield chunk
            budget = min(budget * 4, self.block)

    def ranked(self, groups: Iterable, facts: Callable[[object, int, int], PacketFacts], want: Sequence[str],
               rank: Callable[[Answer], tuple], lower: Callable[[Answer], tuple | None]) -> Iterator[tuple[object, "Product"]]:
        """``ranked_products`` (below) for this backend: per chunk of groups, the packets ``(dp, sps[0])`` (``_firsts``),
        then ``(dps[0], sp)`` for the other source ports of the groups where some ``dp`` may still matter, in one
        more evaluation."""
        best: tuple | None = None  # the least (rank, position) of the packets evaluated so far
        index = 0
        screen = self.screen if self.screen is not None and screen_enabled() else None
        for chunk in self._chunks(groups, lambda g: len(g.dps), min(self.first, self.block)):
            dsts, best = self._firsts(chunk, index, best, facts, want, rank, lower, screen)
            # a dp's other packets (dp, sp) come after (dp, sps[0]) in order, at (group, i, 1) or later; the rows of
            # the hops not reading the source port bound their rank from below (``lower``); a dp not evaluated
            # (screened out) has all its packets after ``best`` already
            pruned = []
            for k, (g, d) in enumerate(zip(chunk, dsts)):
                low = [lower(x[0]) if x is not None and len(g.sps) > 1 else None for x in d]
                pruned.append([x is None or (lo is not None and (lo, (index + k, i, 1)) > best)
                               for i, (x, lo) in enumerate(zip(d, low))])
            opened = [not all(p) for p in pruned]
            answers = self.inner.evaluate((facts(g, g.dps[0], sp) for g, o in zip(chunk, opened) if o for sp in g.sps[1:]), want)
            for g, d, p, o in zip(chunk, dsts, pruned, opened):
                # the source-port hops' rows of (dp, sps[0]): those of any dp evaluated
                first = next((x[1] for x in d if x is not None), None)
                if o:
                    self.evaluated += len(g.sps) - 1
                    src = [first] + [self._parts(next(answers))[1] for _ in g.sps[1:]]
                else:
                    src = [first] + [None] * (len(g.sps) - 1)
                yield g, Product(dst=[None if x is None else x[0] for x in d], src=src, pruned=p,
                                 skipped=[x is None for x in d])
            index += len(chunk)

    def _firsts(self, chunk: list, index: int, best: tuple | None, facts, want: Sequence[str],
                rank: Callable[[Answer], tuple], lower: Callable[[Answer], tuple | None], screen: Screen | None
                ) -> tuple[list[list[tuple | None]], tuple | None]:
        """The parts (``_parts``) of the packets ``(dp, sps[0])`` of ``chunk``'s groups, and the new least (rank,
        position).  Without a screen, or for fewer than ``screen_from`` packets, every such packet is evaluated.

        With a screen, the screened hops' rows of every packet come first (``Screen.rows``, one evaluation of a few
        hops): they bound its rank from below (``lower``; the screened hops are some of those reading no source
        port).  Then the packets with no bound are evaluated, then the others in (bound, position) order, in rounds
        of ``screen_round`` packets, then eight times more, and so on: each packet only while its (bound, position)
        comes before the least (rank, position) of the packets evaluated; the first that does not ends the search,
        since the order is by (bound, position) and the least only falls.  The packets left are None (skipped):
        each ranks after a packet already evaluated, and so do its packets with other source ports, which come
        later in order with the same bound.  Sound for the reason ``ranked_products`` gives: the screened rows are
        rows of the packet's own hops (screen.py)."""
        pos = [(k, i) for k, g in enumerate(chunk) for i in range(len(g.dps))]
        parts: list[list[tuple | None]] = [[None] * len(g.dps) for g in chunk]

        def run(todo: list[tuple[int, int]]) -> None:
            nonlocal best
            for (k, i), ans in zip(todo, self.inner.evaluate([facts(chunk[k], chunk[k].dps[i], chunk[k].sps[0])
                                                              for k, i in todo], want)):
                here = (rank(ans), (index + k, i, 0))
                if best is None or here < best:
                    best = here
                parts[k][i] = self._parts(ans)
            self.evaluated += len(todo)

        if screen is None or len(pos) < self.screen_from:
            run(pos)
            return parts, best
        screened, bound = screen.rows(chunk, facts, want), self._memo(lower)
        low = {(k, i): bound(screened[k][i]) for k, i in pos}
        order = sorted((p for p in pos if low[p] is not None), key=lambda p: (low[p], p))
        unbounded = [p for p in pos if low[p] is None]
        if unbounded:
            run(unbounded)
        n, take = 0, self.screen_round
        while True:
            todo = []
            while n < len(order) and len(todo) < take:
                k, i = order[n]
                if best is not None and (low[(k, i)], (index + k, i, 0)) >= best:
                    break
                todo.append((k, i))
                n += 1
            if not todo:
                return parts, best
            run(sorted(todo))
            take *= 8

    def _products(self, chunk: list, facts, want: Sequence[str]) -> Iterator[tuple[object, "Product"]]:
        order = ((facts(g, dp, g.sps[0]) for g in chunk for dp in g.dps),
                 (facts(g, g.dps[0], sp) for g in chunk for sp in g.sps[1:]))
        answers = self.inner.evaluate((f for part in order for f in part), want)
        dsts, srcs = [], []
        for g in chunk:  # (dp, sp0) answers first, group by group, then (dp0, sp) for sp after the first
            dsts.append([self._parts(next(answers)) for _ in g.dps])
        for g, d in zip(chunk, dsts):
            srcs.append([d[0][1]] + [self._parts(next(answers))[1] for _ in g.sps[1:]])
        self.evaluated += sum(len(g.dps) + len(g.sps) - 1 for g in chunk)
        for g, d, s in zip(chunk, dsts, srcs):
            yield g, Product(dst=[x[0] for x in d], src=s)

    def _settled_products(self, chunk: list, facts, want: Sequence[str],
                          settles: Callable[[Answer], bool]) -> Iterator[tuple[object, "Product"]]:
        """``_steps``, for the groups the screen (screen.py), when there is one, does not settle; in order."""
        if self.screen is None or not screen_enabled():
            yield from self._steps(chunk, facts, want, settles)
            return
        shown = self.screen.settled(chunk, facts, want, self._memo(settles))
        rest = self._steps([g for g, rows in zip(chunk, shown) if rows is None], facts, want, settles)
        empty = {rel: frozenset() for rel in want}
        for g, rows in zip(chunk, shown):
            if rows is None:
                yield next(rest)
            else:
                yield g, Product(dst=rows, src=[empty] * len(g.sps), settled=True)

    def _steps(self, chunk: list, facts, want: Sequence[str],
               settles: Callable[[Answer], bool]) -> Iterator[tuple[object, "Product"]]:
        """The three steps of ``products`` with ``settles``: the first packet of every group of the chunk in one
        evaluation, then the groups it leaves open in runs of at most ``block`` packets (two evaluations each:
        their other destination ports, then their other source ports), in order."""
        if not chunk:
            return
        settled = self._memo(settles)
        first = [self._parts(a, three=True) for a in self.inner.evaluate((facts(g, g.dps[0], g.sps[0]) for g in chunk), want)]
        self.evaluated += len(chunk)
        run: list = []  # (group, first parts, open) since the last flush, in order
        n = 0
        for g, p in zip(chunk, first):
            o = not settled(p[2])  # p[2]: rows of hops that read no port
            run.append((g, p, o))
            n += len(g.dps) + len(g.sps) - 1 if o else 0
            if n >= self.block:
                yield from self._rest(run, facts, want, settles)
                run, n = [], 0
        yield from self._rest(run, facts, want, settles)

    def _rest(self, run: list, facts, want: Sequence[str], settles) -> Iterator[tuple[object, "Product"]]:
        opened = [g for g, _, o in run if o]
        answers = self.inner.evaluate((facts(g, dp, g.sps[0]) for g in opened for dp in g.dps[1:]), want)
        settled = self._memo(settles)
        dsts: list = []
        for g, p, o in run:
            if not o:
                dsts.append(None)
                continue
            d = [p[:2]]
            if len(g.dps) > 1:
                d.extend(self._parts(next(answers)) for _ in g.dps[1:])
                self.evaluated += len(g.dps) - 1
            dsts.append(d)
        open_b = [d is not None and not all(settled(x[0]) for x in d) for d in dsts]
        answers = self.inner.evaluate((facts(g, g.dps[0], sp) for (g, _, _), o in zip(run, open_b) if o for sp in g.sps[1:]), want)
        empty = {rel: frozenset() for rel in want}
        for (g, p, _), d, o in zip(run, dsts, open_b):
            if o:
                self.evaluated += len(g.sps) - 1
                yield g, Product(dst=[x[0] for x in d], src=[d[0][1]] + [self._parts(next(answers))[1] for _ in g.sps[1:]])
            elif d is None:  # settled by the hops that read no port: their rows stand for every packet
                yield g, Product(dst=[p[2]] * len(g.dps), src=[empty] * len(g.sps), settled=True)
            else:  # settled by every destination-port piece's rows
                yield g, Product(dst=[x[0] for x in d], src=[empty] * len(g.sps), settled=True)

    @staticmethod
    def _memo(of: Callable[[dict], Any]) -> Callable[[dict], Any]:
        """``of(rows)``, computed once per distinct set of rows (packets share few: ``_parts``): a caller's
        ``settles`` for one step, or ``ranked``'s ``lower`` of the screened rows (``_firsts``)."""
        seen: dict[tuple, Any] = {}

        def memo(rows: dict) -> Any:
            k = tuple(rows.items())
            try:
                return seen[k]
            except KeyError:
                got = seen[k] = of(rows)
                return got
        return memo

    def _parts(self, ans: Answer, three: bool = False) -> tuple:
        """An answer's rows of hops that do not read the source port, and of those that do (per relation);
        ``three``: and, third, the rows of hops that read neither port.  Packets of a question share few distinct
        answers and row sets, so each answer's parts (``_answers``) and each set's split (``_splits``) are kept,
        bounded, and reused: the same rows, the same parts.  Callers only read the parts."""
        key = (three, tuple(ans.items()))
        got = self._answers.get(key)
        if got is not None:
            return got
        other, src, none = {}, {}, {}
        empty: frozenset = frozenset()
        splits = self._splits
        for rel, rows in ans.items():
            if not rows:
                other[rel] = src[rel] = none[rel] = empty
                continue
            split = splits.get(rows)
            if split is None:
                if len(splits) >= 100_000:
                    splits.clear()
                split = splits[rows] = self._split(rows)
            other[rel], src[rel], none[rel] = split
        if len(self._answers) >= 100_000:
            self._answers.clear()
        got = self._answers[key] = (other, src, none) if three else (other, src)
        return got

    def _split(self, rows: frozenset) -> tuple[frozenset, frozenset, frozenset]:
        """``rows`` as (those of hops not reading the source port, those reading it, those reading no port)."""
        side = self._side
        s = frozenset(r for r in rows if side(r[0]) == "src")
        rest = rows - s if s else rows
        return rest, s, frozenset(r for r in rest if side(r[0]) == "none")

    def _answer(self, block: Block, want: Sequence[str]) -> Iterator[Answer]:
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


class Product:
    """The answers of one port group's packets (``reasoner/explain/space.py``: a destination-port piece ``i`` times a
    source-port piece ``j``).  ``uniform``: no source-port piece changes any answer, so ``answer(i, j)`` equals
    ``answer(i, 0)`` for every ``j`` and a caller may read one packet per destination-port piece.  ``settled``: the
    caller's ``settles`` held (``products``), so the group was not evaluated further: ``answer(i, j)`` then holds
    only the rows that settle it (those of the hops reading no port, or those reading no source port).
    ``pruned[i]`` (``ranked_products``): the packets ``(i, j)`` for ``j > 0`` were not evaluated, because none of
    them can come before a packet already evaluated; ``answer(i, j)`` must not be read for them.  ``skipped[i]``
    (``ranked_products`` with a screen): not even ``(i, 0)`` was evaluated, for the same reason (``pruned[i]``
    holds too); ``answer(i, j)`` must not be read for any ``j``."""

    __slots__ = ("_dst", "_src", "_full", "uniform", "settled", "pruned", "skipped")

    def __init__(self, dst: list | None = None, src: list | None = None, full: list | None = None,
                 settled: bool = False, pruned: list[bool] | None = None, skipped: list[bool] | None = None) -> None:
        self._dst, self._src, self._full = dst, src, full
        self.settled = settled
        n = len(full if full is not None else dst or ())
        self.pruned = pruned if pruned is not None else [False] * n
        self.skipped = skipped if skipped is not None else [False] * n
        # every source-port piece's rows equal the first's (list.count compares by identity first: the settled and
        # memoised parts share their dicts, so this is cheap where it is hot)
        self.uniform = full is None and src[0] is not None and src.count(src[0]) == len(src)  # type: ignore[index,union-attr]

    def same_source_rows(self, j: int, k: int) -> bool:
        """Whether source-port pieces ``j`` and ``k`` have the same rows, so ``answer(i, j) == answer(i, k)`` for every
        ``i`` (False when the group was evaluated whole: not known without comparing every answer)."""
        if self._full is not None or self._src is None:
            return False
        a, b = self._src[j], self._src[k]
        return a is b or (a is not None and a == b)

    def answer(self, i: int, j: int) -> Answer:
        if self._full is not None:
            return self._full[i][j]
        if self.skipped[i] or (j and self.pruned[i]):
            raise ValueError(f"packet ({i}, {j}) was pruned: not evaluated")
        d, s = self._dst[i], self._src[j]  # type: ignore[index]
        return {rel: (rows | s[rel]) if s[rel] else rows for rel, rows in d.items()}


def products(backend: Backend, groups: Iterable, facts: Callable[[object, int, int], PacketFacts],
             want: Sequence[str], early: bool = True,
             settles: Callable[[Answer], bool] | None = None) -> Iterator[tuple[object, Product]]:
    """Each group (``dps``, ``sps``: its port pieces) with the answers of its packets, in order: ``facts(group, dp,
    sp)`` are a packet's facts.  A ``SeparableBackend`` evaluates ``|dps| + |sps| - 1`` packets per group; any other
    backend (or ``REASON_SEPARATE=off``) evaluates every packet.  One pass over ``groups``, lazily: groups not read
    are not evaluated (beyond the block), and memory holds one block; ``early=False`` says the caller reads them
    all (no small first block).

    ``settles(rows)``: whether the rows of some of a packet's hops decide everything the caller reads of every
    packet that shares them, whatever the other hops say (e.g. a hop blocks and no missing data leaves it open).
    A ``SeparableBackend`` then stops evaluating a group as soon as the rows of the hops reading no port, or of
    those reading no source port (for every destination-port piece), settle it, and marks its product
    ``settled``; a caller passing ``settles`` skips settled products.  It is sound because a hop's rows all come
    from the packets the split evaluates for that hop's side (the module doc).  A backend with a screen
    (reasoner/engine/screen.py) asks the rows of its few hops first, and settles there the groups they settle."""
    if isinstance(backend, SeparableBackend) and not _off() and set(want) <= backend.relations:
        yield from backend.products(groups, facts, want, early, settles)
        return
    mine, theirs = tee(groups)  # (the evaluation runs at most a chunk ahead of the reading)
    answers = backend.evaluate((facts(g, dp, sp) for g in theirs for dp in g.dps for sp in g.sps), want)
    for g in mine:
        yield g, Product(full=[[next(answers) for _ in g.sps] for _ in g.dps])


def ranked_products(backend: Backend, groups: Iterable, facts: Callable[[object, int, int], PacketFacts],
                    want: Sequence[str], rank: Callable[[Answer], tuple],
                    lower: Callable[[Answer], tuple | None]) -> Iterator[tuple[object, Product]]:
    """``products`` for a caller that reads the packets in order and wants the first packet of least ``rank``
    (``Analyzer._scan``: the first that gets through, else the first undecided, else the nearest miss).

    ``rank(answer)`` is a packet's rank (lower is better); ``lower(rows)``, given only the rows of the hops that do
    not read the source port, is a lower bound of the rank of every packet that has those rows, or None.  The
    packets ``(dp, sps[0])`` of a chunk of groups are evaluated first; each is a whole packet, so the least
    ``(rank, position)`` among them and the packets evaluated before is an upper bound of the answer's.  A packet
    ``(dp, sp)`` after it whose ``(lower, position)`` is already greater is not the answer, whatever its
    source-port hops say, so it is not evaluated (``Product.pruned``); the others are evaluated as ``products``
    does.  Positions are (group, i, j) in the order of the groups; the bound only falls as packets are added, so
    a pruned packet stays beaten.  Sound because a hop's rows are a function of the fields it reads (the module
    doc), which makes the rows of ``(dp, sps[0])``'s hops that read no source port those of every ``(dp, sp)``.

    ``lower`` must stay a lower bound when given the rows of only some of those hops: a backend with a screen
    (screen.py), for a chunk of at least ``screen_from`` packets, asks the screened hops' rows of every ``(dp,
    sps[0])`` first, and evaluates whole only the packets whose (bound, position) may still come first; the others
    are not evaluated at all (``Product.skipped``), nor their other source ports (``_firsts``).
    Any other backend, or ``REASON_SEPARATE=off``, evaluates every packet (nothing pruned)."""
    if isinstance(backend, SeparableBackend) and not _off() and set(want) <= backend.relations:
        yield from backend.ranked(groups, facts, want, rank, lower)
        return
    yield from products(backend, groups, facts, want)


def _off() -> bool:
    return os.environ.get("REASON_SEPARATE", "on").lower() in ("off", "0", "no", "false")
