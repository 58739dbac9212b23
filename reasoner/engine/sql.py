"""Compiles a checked rule program to SQL: one table per predicate, one statement per rule set.

Generic over any program that passed ``check()`` (the shipped rules, lifted by
``reasoner/engine/lift.py``, or any other): nothing here knows a predicate name.  The output is
plain SQL text for a DuckDB-like dialect (``reasoner/engine/duck.py`` runs it); a third backend
(Spark SQL, say) would reuse this compiler, changing at most the few dialect spots marked below.

- Tables: predicate ``p`` is table ``t<i>_p`` (an index keeps names unique and case-safe), columns
  ``c0..cn``; ``number`` columns are BIGINT, HUGEINT or UHUGEINT, the narrowest that holds the data and the
  rules' constants (``number_type``: IPv6 addresses need 128 bits), ``symbol`` VARCHAR.  Columns typed ``any`` (relaxed
  programs: declarations inferred from use) get a type inferred from the constants and variables
  that meet there; a column holding both numbers and strings cannot be compiled (``SqlUnsupported``).
- A rule is one ``SELECT DISTINCT``: each positive atom is a table in FROM, a variable's first
  occurrence binds it, later ones and constants become equalities in WHERE, ``_`` is nothing;
  ``X = expr`` binds X when X is not otherwise bound, other comparisons are WHERE conditions;
  a negated atom is ``NOT EXISTS``; integer arithmetic follows Python (``/`` floors, ``%`` takes the
  divisor's sign), as ``reasoner/engine/program.py`` evaluates it.
- Strata: the predicate graph's strongly connected components, dependencies first.  A
  non-recursive component is one ``INSERT ... SELECT`` of the union of its rules; a recursive one
  is evaluated semi-naively (``duck.py`` runs the loop with the statements made here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from reasoner.engine.check import Checked, bound_order, strongly_connected
from reasoner.errors import ReasonError
from reasoner.engine.syntax import Atom, BinOp, Comparison, Const, Rule, Term, Var, Wildcard

SQL_TYPE = {"number": "BIGINT", "symbol": "VARCHAR"}


def number_type(values: Iterable[int]) -> str:
    """The narrowest SQL integer type that holds every value: BIGINT, HUGEINT (signed 128 bits) or UHUGEINT
    (unsigned 128 bits: IPv6 addresses up to ffff:...:ffff, reasoner/addresses.py).  One type for every number
    column, because DuckDB compares and adds HUGEINT with UHUGEINT as DOUBLE (inexact).  With UHUGEINT an
    arithmetic result below 0 is an error of the engine, never a wrong row."""
    vals = list(values)  # (min and max in C: at 20k ENIs 46,000 values, 0.001 s against 0.008 s for a loop)
    lo, hi = min(0, min(vals, default=0)), max(0, max(vals, default=0))
    if -(1 << 63) <= lo and hi < 1 << 63:
        return "BIGINT"
    if -(1 << 127) <= lo and hi < 1 << 127:
        return "HUGEINT"
    if lo >= 0 and hi < 1 << 128:
        return "UHUGEINT"
    raise SqlUnsupported(f"numbers from {lo} to {hi} fit no SQL integer type")


class SqlUnsupported(ReasonError):
    """The program uses something this compiler cannot express (e.g. a column of mixed types, or a number below 0
    beside IPv6 addresses): an input error of the rules (exit 2) naming it, never an internal error."""

    def __init__(self, message: str) -> None:
        super().__init__("engine.sql_unsupported", f"the set engine (DuckDB) cannot evaluate these rules: {message}",
                         hint="point questions (two endpoints) are answered by pyDatalog; a set question or audit needs "
                              "rules whose columns are of one type and whose numbers are not below 0 where addresses "
                              "(up to 2^128 - 1) are")


@dataclass
class Stratum:
    """One strongly connected component of the predicate graph and the rules that define it."""

    preds: list[str]
    rules: list[Rule]
    recursive: bool


@dataclass
class SqlProgram:
    """The SQL form of a checked program: tables, column types, strata in evaluation order."""

    checked: Checked
    tables: dict[str, str] = field(default_factory=dict)
    types: dict[str, list[str]] = field(default_factory=dict)
    strata: list[Stratum] = field(default_factory=list)
    facts: dict[str, list[tuple]] = field(default_factory=dict)
    #: the SQL type of every number column (``number_type``)
    number_sql: str = "BIGINT"

    def literal(self, value: int | str) -> str:
        """A SQL literal for a constant, numbers of the program's number type (strings quoted, quotes doubled:
        data never becomes SQL)."""
        if isinstance(value, int) and not isinstance(value, bool) and not -(1 << 63) <= value < 1 << 63:
            return f"CAST('{value}' AS {self.number_sql})"
        return literal(value)

    # -- tables ---------------------------------------------------------------------------
    def create(self, pred: str, name: str | None = None) -> str:
        cols = ", ".join(f"c{i} {t}" for i, t in enumerate(self.types[pred]))
        return f"CREATE TABLE {name or self.tables[pred]} ({cols})"

    def columns(self, pred: str) -> str:
        return ", ".join(f"c{i}" for i in range(len(self.types[pred])))

    # -- rules ----------------------------------------------------------------------------
    def select(self, rule: Rule, source: dict[int, str] | None = None, distinct: bool = True,
               empty: frozenset[str] = frozenset()) -> str:
        """``SELECT DISTINCT`` of the head's columns for ``rule``.  ``source`` maps the index of a
        positive body atom (in ``rule.body``) to another table to read it from (a delta table).
        ``distinct=False``: a plain ``SELECT``, for a branch of a ``UNION`` (which removes duplicates itself).
        ``empty``: predicates whose tables are known to be empty: a negated atom over one holds, so it is left out."""
        env: dict[str, str] = {}
        froms: list[str] = []
        where: list[str] = []
        ordered, _ = bound_order(rule)
        for lit in ordered:
            if isinstance(lit, Atom) and not lit.negated:
                alias = f"a{len(froms)}"
                index = next(i for i, b in enumerate(rule.body) if b is lit)
                table = (source or {}).get(index, self.tables[lit.pred])
                froms.append(f"{table} AS {alias}")
                for j, arg in enumerate(lit.args):
                    col = f"{alias}.c{j}"
                    if isinstance(arg, Var) and arg.name not in env:
                        env[arg.name] = col
                    elif not isinstance(arg, Wildcard):
                        where.append(f"{col} = {self._term(arg, env)}")
            elif isinstance(lit, Atom):
                if lit.pred not in empty:
                    where.append(self._not_exists(lit, env, len(where)))
            else:
                where.append(self._compare(lit, env))
        head = ", ".join(f"{self._term(a, env)} AS c{i}" for i, a in enumerate(rule.head.args))
        sql = f"SELECT {'DISTINCT ' if distinct else ''}{head}"
        if froms:
            sql += " FROM " + ", ".join(froms)
        conds = [w for w in where if w]
        if conds:
            sql += " WHERE " + " AND ".join(conds)
        return sql

    def _not_exists(self, atom: Atom, env: dict[str, str], n: int) -> str:
        alias = f"n{n}"
        conds = [f"{alias}.c{j} = {self._term(a, env)}" for j, a in enumerate(atom.args) if not isinstance(a, Wildcard)]
        inner = f"SELECT 1 FROM {self.tables[atom.pred]} AS {alias}"
        if conds:
            inner += " WHERE " + " AND ".join(conds)
        return f"NOT EXISTS ({inner})"

    def _compare(self, cmp: Comparison, env: dict[str, str]) -> str:
        left, right = cmp.left, cmp.right
        if cmp.op == "=":
            for var, other in ((left, right), (right, left)):
                if isinstance(var, Var) and var.name not in env:
                    env[var.name] = f"({self._term(other, env)})"
                    return ""
        op = "<>" if cmp.op == "!=" else cmp.op
        return f"{self._term(left, env)} {op} {self._term(right, env)}"

    def _term(self, t: Term, env: dict[str, str]) -> str:
        if isinstance(t, Var):
            return env[t.name]
        if isinstance(t, Const):
            return self.literal(t.value)
        if isinstance(t, BinOp):
            a, b = self._term(t.left, env), self._term(t.right, env)
            if t.op in "+-*":
                return f"({a} {t.op} {b})"
            mod = f"((({a} % {b}) + {b}) % {b})"  # Python's %: the sign of the divisor (SQL's: of the dividend)
            return mod if t.op == "%" else f"(({a} - {mod}) // {b})"  # exact, so SQL's truncating // is floor
        raise SqlUnsupported("'_' has no value here")

    # -- strata ---------------------------------------------------------------------------
    def stratum_sql(self, stratum: Stratum, empty: frozenset[str] = frozenset()) -> list[str]:
        """The statements of a non-recursive stratum: one INSERT per predicate (see ``pred_sql``)."""
        return [stmt for pred in stratum.preds if (stmt := self.pred_sql(stratum, pred, empty)) is not None]

    def pred_sql(self, stratum: Stratum, pred: str, empty: frozenset[str] = frozenset()) -> str | None:
        """The INSERT deriving ``pred`` in a non-recursive stratum, or None when no rule can derive a row.

        ``empty``: predicates whose tables are known to be empty when the statement runs (every predicate a
        rule of a non-recursive stratum reads is complete by then).  A rule with a positive body atom over one
        derives nothing and is left out; a negated atom over one holds and is left out of its rule.  Only the
        SQL shrinks (fewer statements to plan when a snapshot has no load balancers, no transit gateways ...):
        the rows derived are the same."""
        union = self.pred_select(stratum, pred, empty)
        if union is None:
            return None
        if self.facts.get(pred):  # rows loaded as facts: add only the new ones
            union = f"({union}) EXCEPT SELECT {self.columns(pred)} FROM {self.tables[pred]}"
        return f"INSERT INTO {self.tables[pred]} {union}"

    def pred_select(self, stratum: Stratum, pred: str, empty: frozenset[str] = frozenset()) -> str | None:
        """The query of ``pred_sql``'s INSERT (the rows its rules derive, the facts' rows not subtracted), or None."""
        rules = [r for r in stratum.rules if r.head.pred == pred
                 and not any(isinstance(b, Atom) and not b.negated and b.pred in empty for b in r.body)]
        if not rules:
            return None
        # one rule: SELECT DISTINCT; several: their UNION removes the duplicates, so the branches need not
        # (measured: ~5% less CPU per evaluated packet at 5k ENIs, answers identical)
        return " UNION ".join(self.select(r, distinct=len(rules) == 1, empty=empty) for r in rules)

    def create_as(self, pred: str, query: str) -> str:
        """``pred``'s table created and filled by ``query`` in one statement, each column cast to its declared type
        (what an INSERT into the table created by ``create`` would cast it to)."""
        cols = ", ".join(f"CAST(c{i} AS {t}) AS c{i}" for i, t in enumerate(self.types[pred]))
        return f"CREATE TABLE {self.tables[pred]} AS SELECT {cols} FROM ({query})"

    def delta_selects(self, stratum: Stratum, pred: str, delta: dict[str, str]) -> list[str]:
        """For a recursive stratum: the selects deriving ``pred`` with one recursive body atom read
        from its delta table (semi-naive evaluation), each recursive atom in turn."""
        sels = []
        for rule in stratum.rules:
            if rule.head.pred != pred:
                continue
            for i, lit in enumerate(rule.body):
                if isinstance(lit, Atom) and not lit.negated and lit.pred in delta:
                    sels.append(self.select(rule, {i: delta[lit.pred]}))
        return sels

    def needed(self, want: list[str]) -> set[str]:
        """The predicates ``want`` depends on, themselves included."""
        out, stack = set(), list(want)
        while stack:
            p = stack.pop()
            if p not in out:
                out.add(p)
                stack.extend(self.checked.edges.get(p, ()))
        return out


def literal(value: int | str) -> str:
    """A SQL literal for a constant (strings quoted, quotes doubled: data never becomes SQL)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise SqlUnsupported(f"constant {value!r} is neither a number nor a string")
    if isinstance(value, int):
        return str(value) if -(2**63) <= value < 2**63 else f"CAST('{value}' AS HUGEINT)"
    return "'" + value.replace("'", "''") + "'"


def program_numbers(checked: Checked) -> Iterator[int]:
    """Every integer constant the rules write (facts, atoms, comparisons, arithmetic)."""
    def walk(t) -> Iterator[int]:
        if isinstance(t, Const) and isinstance(t.value, int) and not isinstance(t.value, bool):
            yield t.value
        elif isinstance(t, BinOp):
            yield from walk(t.left)
            yield from walk(t.right)
    for rule in checked.module.rules:
        for lit in [rule.head, *rule.body]:
            for t in (lit.args if isinstance(lit, Atom) else (lit.left, lit.right) if isinstance(lit, Comparison) else ()):
                yield from walk(t)


def compile_program(checked: Checked, number_sql: str = "BIGINT") -> SqlProgram:
    """Compiles ``checked``: tables, inferred column types (numbers as ``number_sql``), facts of the rule
    files, strata."""
    prog = SqlProgram(checked, number_sql=number_sql)
    for i, name in enumerate(sorted(checked.decls)):
        prog.tables[name] = f"t{i}_{re.sub(r'[^A-Za-z0-9_]', '_', name)[:40]}"
    prog.types = {name: [number_sql if t == SQL_TYPE["number"] else t for t in types]
                  for name, types in _types(checked).items()}
    for rule in checked.module.rules:
        if rule.is_fact:
            prog.facts.setdefault(rule.head.pred, []).append(tuple(a.value for a in rule.head.args))  # type: ignore[union-attr]
    prog.strata = _strata(checked)
    return prog


def _strata(checked: Checked) -> list[Stratum]:
    """The SCCs of the rule-defined predicates (check.strongly_connected: iterative, callees first), each
    after the components it reads."""
    rules: dict[str, list[Rule]] = {}
    for r in checked.module.rules:
        if not r.is_fact:
            rules.setdefault(r.head.pred, []).append(r)
    graph = {p: set(checked.edges.get(p, ())) for p in sorted(set(checked.decls) | set(checked.edges))}
    out: list[Stratum] = []
    for members in strongly_connected(graph):
        comp = sorted(members)
        recursive = len(comp) > 1 or comp[0] in checked.edges.get(comp[0], ())
        body = [r for p in comp for r in rules.get(p, [])]
        if body:
            out.append(Stratum(comp, body, recursive))
    return out


def _types(checked: Checked) -> dict[str, list[str]]:
    """Column SQL types: declared, or inferred (union-find over columns and variables) for ``any``."""
    parent: dict[tuple, tuple] = {}
    fixed: dict[tuple, str] = {}

    def find(x: tuple) -> tuple:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def fix(x: tuple, typ: str) -> None:
        r = find(x)
        if fixed.setdefault(r, typ) != typ:
            raise SqlUnsupported(f"{x[1]} holds both numbers and strings")

    def union(a: tuple, b: tuple) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
            if ra in fixed:
                fix(rb, fixed[ra])

    def term(t: Term, node: tuple | None, rid: int) -> tuple | None:
        if isinstance(t, Var):
            v = ("var", f"{rid}:{t.name}")
            if node:
                union(node, v)
            return v
        if isinstance(t, Const) and node:
            fix(node, "number" if isinstance(t.value, int) else "symbol")
        if isinstance(t, BinOp):
            for side in (t.left, t.right):
                n = term(side, None, rid)
                if n:
                    fix(n, "number")
            if node:
                fix(node, "number")
        return None

    for name, decl in checked.decls.items():
        for i, (_, typ) in enumerate(decl.columns):
            if typ != "any":
                fix(("col", f"{name}.{i}"), typ)
    for rid, rule in enumerate(checked.module.rules):
        for atom in [rule.head, *[b for b in rule.body if isinstance(b, Atom)]]:
            for i, a in enumerate(atom.args):
                term(a, ("col", f"{atom.pred}.{i}"), rid)
        for cmp in [b for b in rule.body if isinstance(b, Comparison)]:
            lv, rv = term(cmp.left, None, rid), term(cmp.right, None, rid)
            if lv and rv:
                union(lv, rv)
            elif lv or rv:
                other = cmp.right if lv else cmp.left
                if isinstance(other, Const):
                    fix(lv or rv, "number" if isinstance(other.value, int) else "symbol")  # type: ignore[arg-type]
                elif isinstance(other, BinOp):
                    fix(lv or rv, "number")  # type: ignore[arg-type]
    return {name: [SQL_TYPE[fixed.get(find(("col", f"{name}.{i}")), "symbol")] for i in range(decl.arity)]
            for name, decl in checked.decls.items()}
