"""Runs a compiled program (``reasoner/engine/sql.py``) in an embedded, in-memory DuckDB database.

``DuckEngine`` holds one database: a table per predicate, facts loaded in bulk (each relation written
to a temporary CSV file and read by DuckDB's ``read_csv`` in one statement: no row-by-row inserts,
no pandas/pyarrow needed), strata evaluated on demand in the order the compiler gives.  A recursive
stratum runs semi-naively: each round derives from the previous round's new rows only, and stops
when a round adds nothing.  Predicates can be cleared and re-evaluated (``reset``): that is how the
set backend (``reasoner/engine/backend.py``) evaluates packets chunk by chunk, keeping the
packet-free part of the program, computed once, between chunks.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import os
import tempfile
from typing import Iterable

import duckdb

from reasoner.engine.check import Checked
from reasoner.engine.lift import PID_COLUMN
from reasoner.engine.sql import SqlProgram, Stratum, compile_program, number_type, program_numbers
from reasoner.engine.syntax import Atom


class DuckEngine:
    """A checked program in DuckDB.  ``relations`` are loaded as given (rows of declared predicates; the
    caller decides which: ``SetBackend`` passes those the pyDatalog program loads, the relations the
    rules declare and do not define)."""

    def __init__(self, checked: Checked, relations: dict[str, list[tuple]] | None = None, threads: int | None = None) -> None:
        data = _bounds(checked, relations or {})
        self.checked = checked
        self.sql: SqlProgram = compile_program(checked, number_type(itertools.chain(program_numbers(checked), data)))
        self.con = duckdb.connect(":memory:")
        # One thread unless told otherwise: the chunks are small (at most 50,000 packets), and on the 2-vCPU benchmark
        # machine DuckDB's own threads cost more than they gave (20k ENIs, interleaved: audit exposure 14.7-18.7 ->
        # 12.6-14.7 s CPU, same wall; sg-A -> sg-B any 5.8-6.0 -> 3.3-4.1 s CPU and 4.9-5.1 -> 3.3-4.1 s wall).
        self.con.execute(f"SET threads = {int(threads or 1)}")
        self.con.execute("SET preserve_insertion_order = false")
        self._tmp = tempfile.TemporaryDirectory(prefix="reason-duck-")
        self._files = 0
        #: predicates whose tables hold no row (the compiler leaves rules reading one out: ``SqlProgram.pred_sql``)
        self.empty: set[str] = set(self.sql.tables)
        # Facts and relations are loaded when first needed (``_ready``), and a table is created when first written or
        # read (``_table``): a question reads the predicates its answer relations depend on, not every table of the
        # program (at 20k ENIs ``* -> X`` depends on 188 of 340 tables, of which about 110 are ever written or read,
        # and on 26 of the 46 relations with rows; the load balancer and tag relations wait).
        self._created: set[str] = set()
        self._waiting: dict[str, list[list[tuple]]] = {}
        for pred, rows in itertools.chain(self.sql.facts.items(), (relations or {}).items()):
            if pred in self.sql.tables:
                self._waiting.setdefault(pred, []).append(list(rows))
        self.done: set[int] = set()  # indexes of evaluated strata

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    # -- data -----------------------------------------------------------------------------
    def _ready(self, preds: Iterable[str]) -> None:
        """Writes the facts and relations given for ``preds`` that are still waiting.  Every reader of a table
        readies it first (``run`` readies everything the strata it evaluates read), so a table is never read
        before its rows are in it."""
        waiting = self._waiting
        for pred in preds:
            if pred in waiting:
                for rows in waiting.pop(pred):
                    self._write(pred, rows)

    def _table(self, pred: str) -> str:
        """``pred``'s table, created (empty) the first time a statement writes or reads it.  A table no statement
        touches is never created: a statement of a non-recursive stratum reads only tables that hold rows
        (``SqlProgram.pred_sql`` leaves the empty ones out), and at 20k ENIs ``* -> X`` would otherwise create 188
        tables to use about 110 (each CREATE costs about 0.2 ms)."""
        if pred not in self._created:
            self._created.add(pred)
            self.con.execute(self.sql.create(pred))
        return self.sql.tables[pred]

    def load(self, pred: str, rows: Iterable[tuple]) -> int:
        """Appends ``rows`` to ``pred``'s table in one bulk statement; returns how many were written."""
        self._ready([pred])
        return self._write(pred, rows)

    def _write(self, pred: str, rows: Iterable[tuple]) -> int:
        rows = rows if isinstance(rows, list) else list(rows)
        n = len(rows)
        if not n:
            return 0
        if n <= SMALL and _plain(rows):  # a few rows: one parameterised INSERT (values are parameters, never SQL)
            width = len(rows[0])
            holes = ", ".join([f"({', '.join(['?'] * width)})"] * n)
            self.con.execute(f"INSERT INTO {self._table(pred)} VALUES {holes}", [v for r in rows for v in r])
            self.empty.discard(pred)
            return n
        path = os.path.join(self._tmp.name, f"r{self._files}.csv")
        self._files += 1
        with open(path, "w", newline="", encoding="utf-8") as f:
            f.write(csv_text(rows))
        try:
            types = self.sql.types[pred]
            cols = "{" + ", ".join(f"'c{i}': '{t}'" for i, t in enumerate(types)) + "}"
            query = (f"SELECT * FROM read_csv('{path}', header = false, columns = {cols}, quote = '\"', escape = '\"', "
                     f"allow_quoted_nulls = false, auto_detect = false)")
            if pred in self._created:
                self.con.execute(f"INSERT INTO {self._table(pred)} {query}")
            else:  # created by the statement that fills it, with the columns' declared types (``columns``)
                self._created.add(pred)
                self.con.execute(f"CREATE TABLE {self.sql.tables[pred]} AS {query}")
            self.empty.discard(pred)
        finally:
            os.unlink(path)
        return n

    def rows(self, pred: str) -> list[tuple]:
        """All rows of ``pred``, distinct."""
        self._ready([pred])
        return self.con.execute(f"SELECT DISTINCT * FROM {self._table(pred)}").fetchall()

    def by_key(self, pred: str) -> list[tuple[list, list[tuple]]]:
        """``pred``'s distinct rows grouped by their first column (the packet id of a lifted predicate), and the
        keys grouped by equal row sets: ``[(keys, rows), ...]``, each distinct set of rows (without the key
        column) once with every key that has exactly it.  The packets of a question share few distinct answers:
        each is converted to Python once, not once per packet."""
        self._ready([pred])
        table, n = self._table(pred), len(self.sql.types[pred])
        # The keys leave as BIGINT: a packet id is a position in a chunk, and DuckDB converts a 128-bit integer (the
        # number type when the rules write an IPv6 bound: sql.number_type) to Python about twice as slowly; at 50,000
        # packets that conversion was half of this statement's time.
        decl = self.checked.decls.get(pred)
        wide = self.sql.types[pred][0] in ("HUGEINT", "UHUGEINT")
        key = "c0::BIGINT" if wide and decl is not None and decl.columns[0][0] == PID_COLUMN else "c0"
        if n == 1:  # the key alone: each key holds the empty row
            keys = [k for (k,) in self.con.execute(f"SELECT DISTINCT {key} FROM {table}").fetchall()]
            return [(keys, [()])] if keys else []
        rest = ", ".join(f"c{i}" for i in range(1, n))
        return [(keys, [tuple(r) for r in rows]) for keys, rows in self.con.execute(
            f"SELECT list({key}), any_value(r) FROM (SELECT c0, list(row({rest}) ORDER BY {rest}) AS r "
            f"FROM (SELECT DISTINCT * FROM {table}) GROUP BY c0) GROUP BY r").fetchall()]

    def reset(self, preds: Iterable[str]) -> None:
        """Empties the tables of ``preds`` and marks the strata defining them as not evaluated."""
        preds = set(preds)
        for p in preds:  # rows waiting for a table not created yet are emptied too
            self._waiting.pop(p, None)
        for p in preds - self.empty:  # (a table known to hold no row needs no DELETE)
            self.con.execute(f"DELETE FROM {self.sql.tables[p]}")
        self.empty |= preds
        self.done = {i for i in self.done if not set(self.sql.strata[i].preds) & preds}

    # -- evaluation -----------------------------------------------------------------------
    def run(self, want: list[str]) -> None:
        """Evaluates every stratum ``want`` depends on that is not evaluated yet."""
        needed = self.sql.needed(want)
        self._ready(needed)
        for i, stratum in enumerate(self.sql.strata):
            if i in self.done or not set(stratum.preds) & needed:
                continue
            if stratum.recursive:  # (its statements read every table its rules name, empty or not)
                for p in stratum.preds:
                    self._table(p)
                for r in stratum.rules:
                    for b in r.body:
                        if isinstance(b, Atom) and b.pred in self.sql.tables:
                            self._table(b.pred)
                self._fixpoint(stratum)
                for p in stratum.preds:
                    if self.con.execute(f"SELECT count(*) FROM {self.sql.tables[p]}").fetchone()[0]:  # type: ignore[index]
                        self.empty.discard(p)
            else:
                for p in stratum.preds:  # in order: a predicate of the stratum may read one before it
                    if p in self._created or self.sql.facts.get(p):
                        stmt = self.sql.pred_sql(stratum, p, frozenset(self.empty))
                        if stmt is not None:
                            self._table(p)
                    else:  # the table's first rows: created by the statement that derives them (one statement, not two)
                        query = self.sql.pred_select(stratum, p, frozenset(self.empty))
                        stmt = None if query is None else self.sql.create_as(p, query)
                        if stmt is not None:
                            self._created.add(p)
                    if stmt is not None and self.con.execute(stmt).fetchone()[0]:  # type: ignore[index]
                        self.empty.discard(p)
            self.done.add(i)

    def _fixpoint(self, stratum: Stratum) -> None:
        """Semi-naive evaluation of a recursive stratum."""
        t = self.sql.tables
        delta = {p: f"d_{t[p]}" for p in stratum.preds}
        new = {p: f"n_{t[p]}" for p in stratum.preds}
        for p in stratum.preds:
            for name in (delta[p], new[p]):
                self.con.execute(f"DROP TABLE IF EXISTS {name}")
                self.con.execute(self.sql.create(p, name))

        def step(selects: dict[str, list[str]]) -> bool:
            grew = False
            for p in stratum.preds:
                self.con.execute(f"DELETE FROM {new[p]}")
                if selects[p]:
                    cols = self.sql.columns(p)
                    self.con.execute(f"INSERT INTO {new[p]} ({' UNION '.join(selects[p])}) EXCEPT SELECT {cols} FROM {t[p]}")
            for p in stratum.preds:  # all new rows are computed from the previous round before any is added
                self.con.execute(f"DELETE FROM {delta[p]}")
                self.con.execute(f"INSERT INTO {delta[p]} SELECT * FROM {new[p]}")
                added = self.con.execute(f"SELECT count(*) FROM {new[p]}").fetchone()[0]  # type: ignore[index]
                if added:
                    self.con.execute(f"INSERT INTO {t[p]} SELECT * FROM {new[p]}")
                    grew = True
            return grew

        grew = step({p: [self.sql.select(r) for r in stratum.rules if r.head.pred == p] for p in stratum.preds})
        while grew:
            grew = step({p: self.sql.delta_selects(stratum, p, delta) for p in stratum.preds})
        for p in stratum.preds:
            self.con.execute(f"DROP TABLE {delta[p]}")
            self.con.execute(f"DROP TABLE {new[p]}")


def _bounds(checked: Checked, relations: dict[str, list[tuple]]) -> list[int]:
    """The least and the greatest integer of each number column of the rows of declared predicates (all
    ``number_type`` needs: a symbol column is text in SQL, whatever it holds), a column at a time in C loops."""
    out: list[int] = []
    for pred, rows in relations.items():
        decl = checked.decls.get(pred)
        if decl is None or not rows:
            continue
        if set(map(len, rows)) != {decl.arity}:  # (rows of another arity: every integer of every row)
            out.extend(v for r in rows for v in r if type(v) is int)
            continue
        for i, (_, ctype) in enumerate(decl.columns):
            if ctype != "number":
                continue
            col = list(map(operator.itemgetter(i), rows))
            types = set(map(type, col))
            ints = col if types == {int} else [v for v in col if type(v) is int] if int in types else ()
            if ints:
                out.extend((min(ints), max(ints)))
    return out


#: Up to this many rows are written by a parameterised INSERT, more through a CSV file.  Measured (three columns, one
#: thread): 1 row 0.35 ms against 1.0 ms, 20 rows 0.78 against 0.89 ms, 100 rows 2.4 against 0.93 ms.  At 20k ENIs
#: ``* -> X`` loads 19 relations of at most 20 rows (rule files' facts, gateways, the query's own rows).
SMALL = 20

_INT64 = range(-(1 << 63), 1 << 63)


def _plain(rows: list[tuple]) -> bool:
    """Whether ``rows`` are of one length and hold only strings and 64-bit integers: DuckDB binds those parameters as
    VARCHAR and BIGINT, exactly as the CSV reader reads them (a wider integer, a boolean or anything else goes
    through the CSV file, which the table's declared types read)."""
    return len(set(map(len, rows))) == 1 and all(type(v) is str or (type(v) is int and v in _INT64) for r in rows for v in r)


def csv_text(rows: list[tuple]) -> str:
    """``rows`` as CSV, byte for byte what ``csv.writer(quoting=QUOTE_NONNUMERIC, lineterminator="\\n")`` writes.

    Rows of one length whose every column holds only strings or only integers, and no string a double quote, are
    formatted by one ``%`` template per row (C code: about 3 times faster; at 20k ENIs the ``csv`` module took
    0.06 s of a ``* -> X`` question); the ``csv`` module writes any other."""
    width = set(map(len, rows))
    if len(width) == 1:
        slots = []
        for i in range(width.pop()):
            kinds = set(map(type, map(operator.itemgetter(i), rows)))
            slots.append('"%s"' if kinds == {str} else "%d" if kinds == {int} else None)
        if None not in slots and slots:
            text = "\n".join(map(",".join(slots).__mod__, rows)) + "\n"
            if text.count('"') == 2 * slots.count('"%s"') * len(rows):  # (no string held a quote)
                return text
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
    return out.getvalue()
