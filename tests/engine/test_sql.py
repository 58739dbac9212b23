"""The SQL compiler and DuckDB runner (reasoner/engine/sql.py, duck.py) against pyDatalog on small programs,
and the datalog-conformance suite's program cases through DuckDB."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from datalog_conformance.runner import YamlTestRunner
from datalog_conformance.schema import Model

from reasoner.engine.check import check
from reasoner.engine.conformance import _scalar
from reasoner.engine.duck import SMALL, DuckEngine, csv_text
from reasoner.engine.parse import parse_text
from reasoner.engine.program import Program
from reasoner.engine.sql import SqlUnsupported, compile_program
from reasoner.engine.syntax import Atom, Const, Loc, Module, Rule

GRAPH = """
.decl edge(a: number, b: number)
.decl path(a: number, b: number)
.decl node(a: number)
.decl sink(a: number)
.decl weight(a: number, w: number)
.decl arith(a: number, b: number, q: number, r: number)
.decl name(n: symbol)
.decl longer(a: symbol, b: symbol)
edge(1, 2). edge(2, 3). edge(3, 1). edge(3, 4). node(1). node(4). node(9).
edge(-7, 2). edge(7, -2). edge(-7, -2).
path(X, Y) :- edge(X, Y).
path(X, Y) :- edge(X, Z), path(Z, Y).
sink(X) :- node(X), !edge(X, _).
weight(X, X * 10 + Y) :- edge(X, Y), X * 10 + Y > 15.
arith(A, B, Q, R) :- edge(A, B), B != 0, Q = A / B, R = A % B.
name("it's"). name("a,\\"b\\""). name("").
longer(A, B) :- name(A), name(B), A < B.
"""


def _both(text: str) -> tuple[Program, DuckEngine]:
    checked = check(parse_text(text))
    engine = DuckEngine(checked)
    engine.run(list(checked.decls))
    return Program(checked), engine


@pytest.mark.parametrize("pred", ["edge", "path", "node", "sink", "weight", "arith", "name", "longer"])
def test_duckdb_and_pydatalog_agree(pred):
    program, engine = _both(GRAPH)
    assert sorted(engine.rows(pred)) == program.query(pred, (None,) * program.decls[pred].arity)


def test_integer_division_floors_as_python_does():
    _, engine = _both(GRAPH)
    assert set(engine.rows("arith")) >= {(-7, 2, -4, 1), (7, -2, -4, -1), (-7, -2, 3, -1)}


def test_recursion_over_a_cycle_is_complete():
    _, engine = _both(GRAPH)
    assert len([r for r in engine.rows("path") if min(r) > 0]) == 12  # the cycle 1->2->3->1 and its exit to 4
    assert {y for x, y in engine.rows("path") if x == 1} == {1, 2, 3, 4}


def test_strings_with_quotes_and_commas_round_trip():
    _, engine = _both(GRAPH)
    assert set(engine.rows("name")) == {("it's",), ('a,"b"',), ("",)}


def test_bulk_loaded_rows_are_data_never_sql():
    checked = check(parse_text(".decl r(a: symbol, b: number)\n.decl s(a: symbol)\ns(A) :- r(A, _).\n"))
    engine = DuckEngine(checked, {"r": [("x'); DROP TABLE t0_r; --", 1), ("line\nbreak", 2)]})
    engine.run(["s"])
    assert set(engine.rows("s")) == {("x'); DROP TABLE t0_r; --",), ("line\nbreak",)}


def _csv_module(rows: list[tuple]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n").writerows(rows)
    return out.getvalue()


_VALUE = st.one_of(st.text(max_size=6), st.sampled_from(['"', '""', "a,b", "x\ny", "\r", "%s", "%d", "é"]),
                   st.integers(min_value=-(1 << 130), max_value=1 << 130), st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.one_of(
    st.lists(st.tuples(st.text(max_size=5), st.integers()), min_size=1, max_size=8),  # the fast path's shape
    st.lists(st.lists(_VALUE, min_size=1, max_size=4).map(tuple), min_size=1, max_size=8)))  # anything at all
def test_bulk_rows_are_written_as_the_csv_module_writes_them(rows):
    """The template fast path (one column of strings or of integers each, no quote in a string) and the csv module
    write the same bytes, for any rows: quotes, newlines, percent signs, booleans, 130-bit integers, ragged rows."""
    assert csv_text(rows) == _csv_module(rows)


@pytest.mark.parametrize("n, wide", [(1, False), (SMALL, False), (SMALL, True), (SMALL + 1, False), (100, True)])
def test_rows_are_loaded_exactly_as_parameters_or_through_a_csv_file(n, wide):
    """A few rows go in as the parameters of one INSERT, more through a CSV file (duck.SMALL): either way each value
    arrives as given: quotes, SQL, newlines, 64-bit bounds, and a number wider than 64 bits (HUGEINT columns)."""
    checked = check(parse_text(".decl r(a: symbol, b: number)\n.decl s(a: symbol, b: number)\ns(A, B) :- r(A, B).\n"))
    odd = ['say "hi"', "x'); DROP TABLE t0_r; --", "line\nbreak", "", "?", "$1", "a,b"]
    numbers = [-(1 << 63), (1 << 63) - 1, 0, -3] + [1 << 100] * wide
    rows = [(odd[i % len(odd)] + str(i // len(odd)), numbers[i % len(numbers)]) for i in range(n)]
    engine = DuckEngine(checked, {"r": rows})
    engine.run(["s"])
    assert sorted(engine.rows("s")) == sorted(rows)


def test_a_column_of_numbers_and_strings_is_refused():
    module = parse_text("p(1). p(\"a\").")
    with pytest.raises(SqlUnsupported):
        compile_program(check(module, strict=False))


def test_strata_come_after_what_they_read():
    checked = check(parse_text(GRAPH))
    order = [p for s in compile_program(checked).strata for p in s.preds]
    assert order.index("weight") >= 0 and [s.recursive for s in compile_program(checked).strata if "path" in s.preds] == [True]


# -- the conformance suite through DuckDB ---------------------------------------------------------

class DuckEvaluator:
    """Like reasoner.engine.conformance.Evaluator, evaluated by DuckDB.  Declarations are inferred from the
    rules and one fact per relation (relaxed mode, as the suite needs); the facts go in bulk."""

    _models: dict[str, dict] = {}

    def evaluate(self, program) -> Model:
        key = repr((program.rules, sorted(program.facts)))
        if key not in self._models:
            module = Module()
            for i, text in enumerate(program.rules):
                text = text.strip()
                module.extend(parse_text(text if text.endswith(".") else text + ".", f"rule[{i}]"))
            rows = {p: [tuple(_scalar(v) for v in r) for r in rs] for p, rs in program.facts.items()}
            for pred, rs in rows.items():
                if rs:
                    loc = Loc(f"facts.{pred}", 1, 1)
                    module.rules.append(Rule(Atom(pred, tuple(Const(v) for v in rs[0]), loc), (), loc))
            checked = check(module, strict=False)
            engine = DuckEngine(checked, rows)
            engine.run(list(checked.decls))
            self._models[key] = {p: set(engine.rows(p)) for p in checked.decls}
            engine.close()
        return Model(facts={k: set(v) for k, v in self._models[key].items()})


REJECTED_BY_CHECK = "rejected as unsafe by check() before any engine runs (see tests/engine/test_conformance.py)"
MIXED = "a column holds numbers and strings: SQL tables are typed (SqlUnsupported); pyDatalog answers it"
NOT_FOR_SQL = {**{f"nemo_negation_{n}": REJECTED_BY_CHECK for n in (
    "projectedZ", "filteredX", "projectedX", "projectedY", "projectedXZ", "multiple", "singlePositionY", "filteredY",
    "reordered", "filteredZ", "projectedXY", "projectedYZ", "singlePositionX", "singlePositionZ")},
    "souffle_minmax_minimum": MIXED, "souffle_minmax_maximum": MIXED, "souffle_equal_isEqual": MIXED}
# the suite's cases as tests/engine/test_conformance.py discovered them (discovery takes ~50 s of CPU: once)
from test_conformance import CASES as SUITE  # noqa: E402

CASES = [c for _, c in SUITE
         if c.program is not None and set(c.tags) & {"basic", "negation", "recursion"} and c.expect_error is None
         and not c.skip and "hmmer" not in c.name]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance_through_duckdb(case):
    if case.name in NOT_FOR_SQL:
        with pytest.raises(Exception):
            YamlTestRunner(DuckEvaluator()).run_test_case(case)
        return
    YamlTestRunner(DuckEvaluator()).run_test_case(case)


def test_most_conformance_cases_apply():
    assert len([c for c in CASES if c.name not in NOT_FOR_SQL]) >= 80


def test_number_type_is_the_narrowest_that_holds_every_value():
    """IPv6 addresses reach 2^128 - 1 (reasoner/addresses.py): one type for all number columns, since DuckDB
    mixes HUGEINT and UHUGEINT as DOUBLE."""
    from reasoner.engine.sql import SqlUnsupported, number_type
    assert number_type([0, 65535, -7]) == "BIGINT"
    assert number_type([1 << 64, -1]) == "HUGEINT"
    assert number_type([(1 << 128) - 1, 0]) == "UHUGEINT"
    with pytest.raises(SqlUnsupported) as err:
        number_type([(1 << 128) - 1, -1])
    assert err.value.code == "engine.sql_unsupported" and "-1" in err.value.message  # (an input error, exit 2)


EMPTY = """
.decl thing(a: number)
.decl tag(a: number)
.decl gone(a: number)
.decl kept(a: number)
.decl shown(a: number)
.decl chained(a: number)
thing(1). thing(2). tag(2).
kept(X) :- thing(X), !gone(X).
kept(X) :- gone(X).
shown(X) :- thing(X), gone(X).
shown(X) :- tag(X).
chained(X) :- shown(X), !kept(X).
"""


def test_rules_reading_an_empty_table_are_left_out_and_derive_the_same_rows():
    # gone has no row: kept's second rule and shown's first are left out of the SQL, and kept's !gone(X) is
    # dropped (it holds for every X); the rows are those pyDatalog derives with every rule in place.
    program, engine = _both(EMPTY)
    for pred in ("kept", "shown", "chained"):
        assert sorted(engine.rows(pred)) == program.query(pred, (None,) * program.decls[pred].arity)
    assert sorted(engine.rows("kept")) == [(1,), (2,)] and engine.rows("chained") == []
    stratum = next(s for s in engine.sql.strata if s.preds == ["kept"])
    assert "gone" not in engine.sql.pred_sql(stratum, "kept", frozenset({"gone"}))
    assert "gone" in engine.sql.pred_sql(stratum, "kept", frozenset())
    only_gone = next(s for s in engine.sql.strata if s.preds == ["shown"])
    assert engine.sql.pred_sql(only_gone, "shown", frozenset({"gone", "tag"})) is None
    assert "chained" in engine.empty and "kept" not in engine.empty


def test_a_table_emptied_between_runs_is_read_again_once_it_holds_rows():
    # the set backend resets the per-packet tables between chunks: what was empty in one chunk may not be in the next
    checked = check(parse_text(".decl p(a: number)\n.decl q(a: number)\nq(X) :- p(X).\n"))
    engine = DuckEngine(checked)
    engine.run(["q"])
    assert engine.rows("q") == [] and "q" in engine.empty
    engine.reset(["p", "q"])
    engine.load("p", [(5,)])
    engine.run(["q"])
    assert engine.rows("q") == [(5,)]
    engine.reset(["p", "q"])
    engine.run(["q"])
    assert engine.rows("q") == [] and {"p", "q"} <= engine.empty


def test_rows_grouped_by_key_give_each_distinct_row_set_once_with_its_keys():
    checked = check(parse_text(".decl r(k: number, a: symbol, b: number)\n.decl k(k: number)\n"))
    engine = DuckEngine(checked, {"r": [(0, "x", 1), (0, "y", 2), (1, "y", 2), (1, "x", 1), (2, "x", 1), (2, "x", 1),
                                        (3, "it's", -5)],
                                  "k": [(4,), (7,), (4,)]})
    got = sorted((sorted(keys), sorted(rows)) for keys, rows in engine.by_key("r"))
    assert got == [([0, 1], [("x", 1), ("y", 2)]), ([2], [("x", 1)]), ([3], [("it's", -5)])]
    assert [(sorted(keys), rows) for keys, rows in engine.by_key("k")] == [([4, 7], [()])]


LAZY = """
.decl a(x: number)
.decl b(x: number)
.decl c(x: number)
.decl far(x: number)
.decl unrelated(x: number)
b(X) :- a(X).
c(X) :- b(X), !far(X).
far(5).
"""


def _tables(engine: DuckEngine) -> set[str]:
    return {r[0] for r in engine.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_tables_are_created_and_loaded_when_a_question_first_needs_them():
    """A question's run creates the tables of what its predicates depend on, with their facts and relations (rows
    given before, and rows loaded since), and no other; emptied rows stay emptied."""
    checked = check(parse_text(LAZY))
    engine = DuckEngine(checked, {"a": [(1,), (5,)], "unrelated": [(9,)]})
    engine.load("a", [(7,)])  # before a's table is read: it holds both
    assert engine.sql.tables["unrelated"] not in _tables(engine)
    engine.run(["c"])
    assert sorted(engine.rows("c")) == [(1,), (7,)]
    assert engine.sql.tables["unrelated"] not in _tables(engine)
    assert {engine.sql.tables[p] for p in ("a", "b", "c", "far")} <= _tables(engine)
    # a rule reading an empty relation is left out of its statement, and a table no statement touches is not made
    empty = DuckEngine(checked)
    empty.run(["c"])
    assert empty.rows("c") == [] and not {empty.sql.tables[p] for p in ("a", "b")} & _tables(empty)
    engine.reset(["unrelated"])  # rows not yet in a table are emptied too
    assert engine.rows("unrelated") == []
    assert sorted(engine.rows("a")) == [(1,), (5,), (7,)]
