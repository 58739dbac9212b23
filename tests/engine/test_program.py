"""Evaluation through pyDatalog's compiled engine."""

from pathlib import Path

import pyDatalog.pyEngine

from reasoner.engine.program import Program

GRAPH = """
.decl edge(a: number, b: number)
.decl path(a: number, b: number)
.decl node(a: number)
.decl sink(a: number)
.decl weight(a: number, w: number)
edge(1, 2). edge(2, 3). edge(3, 1). edge(3, 4). node(1). node(4). node(9).
path(X, Y) :- edge(X, Y).
path(X, Y) :- edge(X, Z), path(Z, Y).
sink(X) :- node(X), !edge(X, _).
weight(X, X * 10 + Y) :- edge(X, Y), X * 10 + Y > 15.
"""


def test_the_compiled_engine_is_the_one_in_use():
    assert Path(pyDatalog.pyEngine.__file__).suffix == ".so"


def test_right_recursion_over_a_cycle_terminates_and_is_complete():
    p = Program.from_text(GRAPH)
    assert p.query("path", (4, None)) == []
    assert {y for _, y in p.query("path", (1, None))} == {1, 2, 3, 4}
    assert len(p.query("path", (None, None))) == 12


def test_negation_with_wildcard_means_no_fact_at_all():
    assert Program.from_text(GRAPH).query("sink", (None,)) == [(4,), (9,)]


def test_arithmetic_in_heads_and_comparisons():
    assert Program.from_text(GRAPH).query("weight", (None, None)) == [(2, 23), (3, 31), (3, 34)]


def test_two_programs_do_not_see_each_others_facts_or_rules():
    a = Program.from_text(GRAPH)
    b = Program.from_text(".decl edge(a: number, b: number)\n.decl path(a: number, b: number)\nedge(7, 8).\npath(X, Y) :- edge(X, Y).")
    a.add_fact("edge", (100, 101))
    assert b.query("path", (None, None)) == [(7, 8)]
    assert (100, 101) in a.query("edge", (None, None)) and (7, 8) not in a.query("edge", (None, None))


def test_names_in_facts_are_data_never_code(tmp_path):
    marker = tmp_path / "pwned"
    p = Program.from_text(".decl label(x: symbol)\n.decl seen(x: symbol)\nseen(X) :- label(X).")
    evil = f"__import__('pathlib').Path('{marker}').touch()"
    p.add_facts("label", [(evil,), ('x") & import os #',)])
    assert (evil,) in p.query("seen", (None,)) and not marker.exists()


def test_bulk_facts_and_retraction():
    p = Program.from_text(GRAPH)
    assert p.add_facts("node", [(i,) for i in range(100, 1100)]) == 1000
    assert len(p.query("sink", (None,))) == 1002
    p.retract_fact("node", (100,))
    assert len(p.query("sink", (None,))) == 1001


FLUSH = """
.decl a(x: number)
.decl b(x: number)
.decl unrelated(x: number)
.decl c(x: number)
.decl d(x: number)
c(X) :- a(X).
d(X) :- c(X), !b(X).
"""


def test_a_question_loads_only_the_rows_it_reads():
    """Rows given with add_facts reach pyDatalog when a question reads their predicate (directly, through a
    rule, or under a negation), never before and never for a question that does not read them."""
    p = Program.from_text(FLUSH)
    p.add_facts("a", [(1,), (2,), (3,)])
    p.add_facts("b", [(2,)])
    p.add_facts("unrelated", [(9,)])
    assert p.query("c", (None,)) == [(1,), (2,), (3,)]
    assert set(p._pending) == {"b", "unrelated"}  # c reads a only
    assert p.query("d", (None,)) == [(1,), (3,)]  # b, still pending, is seen under the negation
    assert set(p._pending) == {"unrelated"}
    assert p.query("unrelated", (None,)) == [(9,)]
    assert not p._pending


def test_retracting_a_row_still_pending_removes_it():
    p = Program.from_text(FLUSH)
    p.add_facts("b", [(2,), (5,)])
    p.add_facts("a", [(5,)])
    p.retract_fact("b", (5,))
    assert p.query("b", (None,)) == [(2,)]
    assert p.query("d", (None,)) == [(5,)]


def test_solve_loads_the_rows_of_the_predicates_it_reads():
    from reasoner.engine.syntax import Atom, Var

    p = Program.from_text(FLUSH)
    p.add_facts("a", [(4,)])
    p.add_facts("b", [(4,)])
    assert p.solve([Atom("d", (Var("X"),), None)], {}) == []  # d reads b under a negation
    assert p.solve([Atom("c", (Var("X"),), None)], {}) == [{"X": 4}]


def test_rows_waiting_for_a_question_are_a_copy_of_the_callers_list():
    """add_facts keeps rows until a question reads their predicate: a caller changing its list meanwhile (the
    snapshot's relations are shared with the analyzer) must not change what pyDatalog is given."""
    p = Program.from_text(FLUSH)
    rows = [(1,), (2,)]
    p.add_facts("a", rows)
    rows.append((3,))
    rows[0] = (9,)
    assert p.query("c", (None,)) == [(1,), (2,)]
