"""One small interface for the engines: "give me relations R for each of these packets".

A packet is the set of per-query facts the question layer asserts for it (``PacketFacts``: e.g.
``{"packet": [row], "addressed_privately": [(eni,)]}``).  ``evaluate(packets, want)`` yields, for each
packet in order, the rows of each relation of ``want`` that hold for it (without any packet key).

- ``PointBackend``: pyDatalog (``reasoner/engine/program.py``), one packet at a time: asserts its
  facts, asks each relation top-down, retracts them.  The engine for point questions and for the
  path and derivation of the packet a question reports.
- ``SetBackend``: the same checked program, with the views its caller asks for (``views.py``), its filtered readers
  given demanded copies (``demand.py``), lifted by
  a packet id (``lift.py``), compiled to SQL
  (``sql.py``) and run in DuckDB (``duck.py``), a chunk of packets at a time; the packet-free part
  of the program is computed once per backend.  Chunks bound the memory; iteration is lazy, so a
  caller that stops at the first interesting packet leaves later chunks unevaluated.

A third backend (Spark SQL, a warehouse) would implement ``evaluate`` the way ``SetBackend`` does:
run ``lift`` and ``compile_program``, then execute the same statements against its own tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Protocol

from reasoner.engine import demand
from reasoner.engine.check import Checked
from reasoner.engine.lift import DOMAIN, PER_QUERY, lift
from reasoner.engine.views import View, add_views
from reasoner.progress import PROGRESS

PacketFacts = Mapping[str, Sequence[tuple]]
Answer = dict[str, frozenset[tuple]]


class Backend(Protocol):
    def evaluate(self, packets: Iterable[PacketFacts], want: Sequence[str]) -> Iterator[Answer]:
        """For each packet, in order: the rows of each wanted relation that hold for it."""
        ...


class PointBackend:
    """pyDatalog, one packet at a time."""

    def __init__(self, program) -> None:  # reasoner.engine.program.Program (imported lazily: pyDatalog state)
        self.program = program

    def evaluate(self, packets: Iterable[PacketFacts], want: Sequence[str]) -> Iterator[Answer]:
        p = self.program
        for facts in packets:
            asserted = [(rel, row) for rel, rows in facts.items() for row in rows]
            for rel, row in asserted:
                p.add_fact(rel, row)
            try:
                yield {r: frozenset(p.query(r, (None,) * p.decls[r].arity)) for r in want}
            finally:
                for rel, row in asserted:
                    p.retract_fact(rel, row)


class SetBackend:
    """DuckDB, set-at-a-time over a lifted program.  ``relations`` are the snapshot's rows; those of
    relations the rules define, or do not declare, are ignored (as the pyDatalog program does)."""

    def __init__(self, checked: Checked, relations: Mapping[str, Sequence[tuple]], chunk: int = 50_000,
                 base: tuple[str, ...] = PER_QUERY, threads: int | None = None,
                 views: Mapping[str, View] | None = None) -> None:
        from reasoner.engine.duck import DuckEngine  # duckdb is imported only when a set question is asked

        defined = {r.head.pred for r in checked.module.rules if not r.is_fact}
        edb = {k: v for k, v in relations.items() if k in checked.decls and k not in defined}
        #: each view's predicate (``views.py``), by the caller's name for it: ``evaluate`` answers it like a relation
        checked, self.views = add_views(checked, views or {})
        if demand.enabled():  # readers that keep a few values of a relation read a copy of it without the other rules
            checked = demand.specialise(checked, edb)[0]
        self.lifted = lift(checked, base)
        self.engine = DuckEngine(self.lifted.checked, edb, threads=threads)
        self.chunk = chunk
        self.base = base
        self.evaluated = 0  # packets evaluated so far (all chunks)

    def close(self) -> None:
        self.engine.close()

    def rows(self, pred: str) -> list[tuple]:
        """The rows of a relation that does not depend on the packet (computed once, kept between chunks)."""
        if pred in self.lifted.per_chunk:
            raise ValueError(f"{pred} depends on the packet: ask it through evaluate")
        self.engine.run([pred])
        return self.engine.rows(pred)

    def evaluate(self, packets: Iterable[PacketFacts], want: Sequence[str]) -> Iterator[Answer]:
        progress = PROGRESS.get()  # reasoner/progress.py: a display on a terminal, else None
        try:
            yield from self._evaluate(packets, want, progress)
        finally:
            if progress is not None:
                progress(None)

    def _evaluate(self, packets: Iterable[PacketFacts], want: Sequence[str], progress) -> Iterator[Answer]:
        it = iter(packets)
        lifted = self.lifted.lifted
        while True:
            chunk = list(islice(it, self.chunk))
            if not chunk:
                return
            self.engine.reset(self.lifted.per_chunk)
            for rel in self.base:
                self.engine.load(rel, ((pid,) + tuple(row) for pid, f in enumerate(chunk) for row in f.get(rel, ())))
            missing = [f for f in chunk if len(f.get(DOMAIN, ())) != 1]
            if missing:
                raise ValueError(f"each packet needs exactly one {DOMAIN} row")
            self.engine.run(list(want))
            # relation -> packet id -> its rows, one frozenset per distinct set of rows (shared by the packets that
            # have it: later steps keyed by the rows hash it once); packets without rows are absent
            per: dict[str, dict[int, frozenset[tuple]]] = {}
            shared: dict[str, frozenset[tuple]] = {}  # relations that do not depend on the packet: the same rows for all
            for r in want:
                if r in lifted:
                    by_id: dict[int, frozenset[tuple]] = {}
                    for ids, rows in self.engine.by_key(r):
                        by_id.update(dict.fromkeys(ids, frozenset(rows)))
                    per[r] = by_id
                else:
                    shared[r] = frozenset(self.engine.rows(r))
            self.evaluated += len(chunk)
            if progress is not None:
                progress(self.evaluated)
            empty: frozenset[tuple] = frozenset()
            for pid in range(len(chunk)):
                yield {r: shared[r] if r in shared else per[r].get(pid, empty) for r in want}
