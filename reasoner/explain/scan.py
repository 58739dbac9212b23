"""How a scan of a query's packet space reads each packet's answer, keeps the one to report, and ranks packets.

A packet's answer is the rows of ``ANSWER_RELATIONS``: its blocked hops each way and the hops missing data leaves
undecided.  ``classify`` turns them into the blocking hops forward and back and the missing data that matters;
``Scan`` keeps the first packet that missing data leaves open and the nearest miss (``miss_key``); ``rank`` and
``lower_rank`` order packets the way ``Scan`` prefers them, for the set engine to skip packets that cannot be the
answer (reasoner/engine/separable.py ``ranked_products``).  ``blocked_for_certain`` is the ``settles`` of readers
that list only what gets through or is undecided (the audits, ``query --all``).  Used by
reasoner/explain/paths.py (``Analyzer._scan``), search.py and audit.py.
"""

from __future__ import annotations

import functools

from reasoner.explain.answer import HOPS


#: What the analyzer reads of each packet: its blocked hops each way and the hops missing data leaves undecided.
ANSWER_RELATIONS = ["fwd_blocked", "ret_blocked", "hop_unknown"]

#: The hops the audits and ``query --all`` look at first (reasoner/engine/screen.py): the security groups', which at
#: 20k ENIs block almost every pair and cost a third of what the whole program does per packet (measured: 0.6 s
#: against 1.8 s for 50,000 packets of ``audit pairs``).  A choice of speed only: any hop reading no source port gives
#: the same answers.
SCREEN_HOPS = ("fwd_sg_egress", "fwd_sg_ingress")


def blocked_for_certain(rows) -> bool:
    """Whether rows of ``ANSWER_RELATIONS`` (those of some of a packet's hops) block it whatever the other hops
    say: a hop blocks it, forward or back, and no missing data leaves that hop open (rules/missing_data.dl).  Such
    a packet neither gets through nor is undecided: the ``settles`` of readers that list only what gets through or
    what is undecided (separable.py ``products``)."""
    return bool(certain_blockers(rows, "fwd_blocked") or certain_blockers(rows, "ret_blocked"))


def certain_blockers(rows, rel: str) -> set[str]:
    """The hops of ``rel`` (``fwd_blocked`` or ``ret_blocked``) in ``rows`` that block with no missing data leaving
    them open: each blocks the packet whatever the other hops say.  (A hop's hop_unknown rows are among its own
    rows.)"""
    unknown = {r[0] for r in rows["hop_unknown"]}
    return {r[0] for r in rows[rel]} - unknown


def classify(fwd_of, ret_of, unknown_of) -> tuple[set[str], set[str], list[tuple]]:
    """A packet's blocking hops forward and back, and the hop_unknown rows that matter: the return hops are read
    only when nothing blocks forward, missing data only when some hop fails (an unknown hop neither passes nor
    blocks).  The arguments are thunks, so the point engine asks only what is needed."""
    fwd = fwd_of()
    unk = unknown_of(fwd) if fwd else []
    fwd -= {r[0] for r in unk}
    ret = set() if fwd else ret_of()
    if ret:
        ret_unk = unknown_of(ret)
        unk = sorted(set(unk) | set(ret_unk))
        ret -= {r[0] for r in ret_unk}
    return fwd, ret, unk


def classify_answer(ans) -> tuple[frozenset[str], frozenset[str], tuple[tuple, ...]]:
    """``classify`` of a set-engine answer (rows of ``ANSWER_RELATIONS``), frozen: the packets of a question share
    few distinct answers (the set engine gives each distinct set of rows as one frozenset), so each is classified
    once (``_classified``; at 20k ENIs, ``sg-A -> sg-B any`` classifies 78,000 answers, of few hundred kinds)."""
    return _classified(ans["fwd_blocked"], ans["ret_blocked"], ans["hop_unknown"])


@functools.lru_cache(maxsize=4096)
def _classified(fwd_rows, ret_rows, unknown_rows) -> tuple[frozenset[str], frozenset[str], tuple[tuple, ...]]:
    fwd, ret, unk = classify(lambda: {r[0] for r in fwd_rows}, lambda: {r[0] for r in ret_rows},
                             lambda hops: sorted(r for r in unknown_rows if r[0] in hops))
    return frozenset(fwd), frozenset(ret), tuple(unk)


def miss_key(fwd: set[str], ret: set[str]) -> tuple[int, int]:
    """How near a packet that does not get through comes (lower is nearer): (0, blockers) through the forward
    path, else (1, forward blockers).  ``Scan`` keeps the first packet of least key; ``rank`` prunes by it."""
    return (1, len(fwd)) if fwd else (0, len(ret))


def rank(ans) -> tuple[int, int]:
    """A packet's place in the order ``Scan`` prefers (lower first): (-1, 0) for one that gets through or is
    undecided, else its ``miss_key``."""
    fwd, ret, _ = classify_answer(ans)
    return (-1, 0) if not fwd and not ret else miss_key(fwd, ret)


def lower_rank(rows) -> tuple[int, int] | None:
    """A lower bound of ``rank`` for every packet that has these rows of some of its hops (those reading no source
    port, or some of them: the screen's, ``ranked_products``), or None: the forward hops that block for certain
    (``certain_blockers``) block it whatever the other hops say, so its ``miss_key`` is (1, n) with n at least their
    number.  Fewer hops' rows give a bound no higher: their certain blockers are among all the hops' ones."""
    certain = certain_blockers(rows, "fwd_blocked")
    return (1, len(certain)) if certain else None


class Scan:
    """What a scan of the packet space keeps: how many packets it looked at, the first packet whose fate missing
    data leaves open, and the nearest miss (through the forward path if any, then the fewest blockers; the first
    such packet).  A piece is a ``Piece`` or, from the set engine, ``(port group, dp, sp)``, built when read."""

    def __init__(self) -> None:
        self.checked = 0
        self.best: tuple | None = None
        self.best_key: tuple[int, int] | None = None
        self.best_fail: list[str] | None = None
        self.best_piece: object = None
        self.unknown: tuple | None = None
        self.unknown_rows: list[tuple] = []
        self.unknown_piece: object = None

    def note(self, row: tuple, piece: object, fwd: set[str], ret: set[str], unk: list[tuple]) -> None:
        if not fwd and not ret:
            if self.unknown is None:
                self.unknown, self.unknown_rows, self.unknown_piece = row, unk, piece
            return
        key = miss_key(fwd, ret)
        if self.best_key is None or key < self.best_key:
            self.best, self.best_key, self.best_fail, self.best_piece = row, key, [h for h in HOPS if h in (fwd or ret)], piece

    @staticmethod
    def piece(p: object):
        return p[0].piece(p[1], p[2]) if isinstance(p, tuple) else p
