"""A snapshot relation answered to pyDatalog from Python rows, instead of being asserted into it fact by fact.

pyDatalog asks a *Python resolver* (``pyEngine.Python_resolvers``, the documented ``@pyDatalog.predicate()``
mechanism) for the rows of a predicate that has one, before it looks at its own fact store: the resolver is given
the literal's terms (a bound term ``is_const()`` and holds its value in ``.id``) and yields rows, and pyDatalog
keeps only those that match the literal (``Subgoal.fact_candidate``).  A :class:`Rows` is such a resolver over a
set of rows: it yields every row whose bound columns hold the bound values, found through an index on one bound
column (built on first use, kept up to date as rows are added and removed), and the rows themselves when
nothing is bound.

Why: asserting is pyDatalog's cost per row (about 3.6 us: ``pyEngine.assert_`` builds a clause, interns each
value, de-duplicates and indexes every column), paid for every row of every relation a question reads, before it
asks anything.  At 20k ENIs a set question's witness reads ``eni``, ``eni_sg`` and ``eni_ip`` (about 80,000 rows,
0.29 s) and looks at a few dozen of them.  A resolver costs nothing up front and a few microseconds per lookup.

The answer is the same: a resolver yields a superset of the rows matching the literal's bound terms (all of them:
every row whose bound columns hold the bound values, compared by ``==`` and hash as pyDatalog's own index does), and
pyDatalog filters them with the same ``match`` as its facts.  Negation asks the positive literal, so it reads the
same rows.  Each ``ask`` starts fresh subgoal tables, so nothing a resolver gave is kept between asks, and a row
added or removed takes effect on the next ask, as an asserted fact does.  Tests: tests/engine/test_resolved.py,
and every test that evaluates the shipped rules with pyDatalog (the snapshot's relations all go this way).

Not handled here: which predicates may be resolved.  ``Program`` decides (a relation no rule defines and whose rows
it never asserted), so that a predicate's rows are all in one place.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from pyDatalog import pyEngine as E


class Rows:
    """The rows of one relation of ``arity`` columns, as a pyDatalog resolver (see the module doc)."""

    __slots__ = ("arity", "_rows", "_index", "_consts")

    def __init__(self, arity: int) -> None:
        self.arity = arity
        self._rows: dict[tuple, None] = {}  # an ordered set
        self._index: dict[int, dict[Any, list[tuple]]] = {}
        self._consts: dict[tuple[type, Any], Any] = {}  # (type, value) -> its one pyEngine.Const

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, rows: Iterable[tuple]) -> None:
        """Adds rows (a row already there is not added twice); the indexes built so far are kept up to date, so a
        row added per question (a packet's facts) costs no rebuild."""
        fresh = list(dict.fromkeys(r for r in map(tuple, rows) if r not in self._rows))
        self._rows.update(dict.fromkeys(fresh))
        for col, index in self._index.items():
            for row in fresh:
                index.setdefault(row[col], []).append(row)

    def remove(self, row: tuple) -> None:
        row = tuple(row)
        if row not in self._rows:
            return
        del self._rows[row]
        for col, index in self._index.items():
            index[row[col]].remove(row)

    def _on(self, col: int) -> dict[Any, list[tuple]]:
        index = self._index.get(col)
        if index is None:
            index = {}
            for row in self._rows:
                index.setdefault(row[col], []).append(row)
            self._index[col] = index
        return index

    def __call__(self, *terms: Any) -> Iterator[tuple]:
        """The rows matching ``terms``' bound values, as terms (see ``_terms``)."""
        return map(self._terms, self._matching(terms))

    def _matching(self, terms: tuple) -> list[tuple]:
        if len(terms) != self.arity:
            return []
        bound = [(i, t.id) for i, t in enumerate(terms) if t.is_const()]
        if not bound:
            return list(self._rows)
        col, value = bound[0]
        try:
            rows = self._on(col).get(value, [])
        except TypeError:  # an unhashable value can equal no row's
            return []
        if len(bound) == 1:
            return rows
        rest = bound[1:]
        return [r for r in rows if all(r[i] == v for i, v in rest)]

    def _terms(self, row: tuple) -> tuple:
        """``row`` as pyEngine constants, one object per value: pyDatalog matches a variable that occurs twice in a
        literal (``edge(X, X, _)``) by comparing the two constants as objects (``Var.match``), so a resolver that
        yields plain values (each made a new ``Const``) never matches such a literal.  Measured: ``loop(X) :-
        edge(X, X, _)`` found nothing from a resolver yielding ``(0, 0, "t")``; tests/engine/test_resolved.py."""
        consts = self._consts
        out = []
        for v in row:
            c = consts.get((type(v), v))
            if c is None:
                c = consts[(type(v), v)] = E.Const(v)
            out.append(c)
        return tuple(out)
