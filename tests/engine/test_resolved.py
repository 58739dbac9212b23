"""Snapshot relations answered to pyDatalog by a resolver (reasoner/engine/resolved.py) give the answers asserted
facts give: joins on any column, constants, a variable repeated in one literal, negation, rows added and removed."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyDatalog import pyEngine

from reasoner.engine.program import Program
from reasoner.engine.resolved import Rows

PROGRAM = """
.decl edge(a: number, b: number, c: symbol)
.decl mark(a: number)
.decl out(a: number, b: number)
.decl loop(a: number)
.decl unmarked(a: number)
.decl tagged(a: number)
.decl two(a: number, b: number)
out(X, Y) :- edge(X, Y, _).
loop(X) :- edge(X, X, _).
unmarked(X) :- edge(X, _, _), !mark(X).
tagged(X) :- edge(X, _, "t").
two(X, Z) :- edge(X, Y, _), edge(Y, Z, C), mark(Y), C != "u".
"""
HEADS = ("out", "loop", "unmarked", "tagged", "two", "edge", "mark")

small = st.integers(0, 4)
edges = st.lists(st.tuples(small, small, st.sampled_from(["t", "u", "v"])), max_size=25)
marks = st.lists(st.tuples(small), max_size=5)


def _answers(p: Program) -> dict[str, list[tuple]]:
    return {h: p.query(h, (None,) * p.decls[h].arity) for h in HEADS}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edges, marks, st.data())
def test_resolved_relations_answer_as_asserted_facts(edge_rows, mark_rows, data):
    resolved, asserted = Program.from_text(PROGRAM), Program.from_text(PROGRAM)
    resolved.add_facts("edge", edge_rows)
    resolved.add_facts("mark", mark_rows)
    for row in edge_rows:
        asserted.add_fact("edge", row)
    for row in mark_rows:
        asserted.add_fact("mark", row)
    assert _answers(resolved) == _answers(asserted)
    assert set(resolved._resolved) == {"edge", "mark"} and not {"edge", "mark"} & asserted._resolved.keys()
    # a point question with bound columns, and the same after a row is added and one removed
    x = data.draw(small)
    assert resolved.query("two", (x, None)) == asserted.query("two", (x, None))
    extra = data.draw(st.tuples(small, small, st.sampled_from(["t", "u"])))
    for p in (resolved, asserted):
        p.add_fact("edge", extra)
        p.add_fact("mark", (extra[1],))
    if edge_rows:
        gone = data.draw(st.sampled_from(edge_rows))
        for p in (resolved, asserted):
            p.retract_fact("edge", gone)
    assert _answers(resolved) == _answers(asserted)
    assert set(resolved._resolved) == {"edge", "mark"}


rows3 = st.lists(st.tuples(small, small, small), max_size=30)
pattern3 = st.tuples(st.none() | small, st.none() | small, st.none() | small)


@given(rows3, rows3, st.lists(st.tuples(small, small, small), max_size=5), st.lists(pattern3, min_size=1, max_size=4))
def test_a_lookup_yields_every_row_matching_the_bound_columns(first, later, removed, patterns):
    """Rows added in two batches and some removed, with lookups in between (so the indexes they build are kept up
    to date, not rebuilt): each lookup yields every row matching its bound columns, once."""
    store, held = Rows(3), set()

    def check():
        for pattern in patterns:
            terms = [pyEngine.Var("X") if v is None else pyEngine.Const(v) for v in pattern]
            want = {r for r in held if all(v is None or r[i] == v for i, v in enumerate(pattern))}
            got = [tuple(c.id for c in r) for r in store(*terms)]
            assert set(got) == want and len(got) == len(want)  # each row once

    store.add(first)
    held |= set(first)
    check()
    store.add(later + first[:3])  # rows already there are not added twice
    held |= set(later)
    check()
    for row in removed + later[:2]:
        store.remove(row)
        held.discard(row)
    check()
    assert len(store) == len(held)


def test_a_relation_with_facts_in_the_rules_stays_asserted():
    """A relation some rule file gives facts for keeps all its rows in pyDatalog's store, in one place."""
    p = Program.from_text(PROGRAM + "mark(3).\n")
    p.add_facts("mark", [(1,)])
    p.add_facts("edge", [(1, 2, "t"), (3, 4, "t")])
    assert p.query("unmarked", (None,)) == []
    assert "mark" not in p._resolved and "edge" in p._resolved


def test_a_program_gone_takes_its_resolvers_with_it():
    import gc

    p = Program.from_text(PROGRAM)
    p.add_facts("edge", [(1, 2, "t")])
    assert p.query("out", (None, None)) == [(1, 2)]
    keys = [k for k in pyEngine.Python_resolvers if k.startswith(p.ns)]
    assert keys
    del p
    gc.collect()
    assert not set(keys) & set(pyEngine.Python_resolvers)


def test_rows_of_an_undeclared_relation_are_asserted_as_before():
    """No rule can read them (check refuses an undeclared predicate), but giving them is no error."""
    p = Program.from_text(PROGRAM)
    p.add_facts("nowhere", [(1,)])
    p.add_facts("edge", [(1, 2, "t")])
    assert p.query("out", (None, None)) == [(1, 2)]
    p._flush()
    assert "nowhere" in p._asserted and "nowhere" not in p._resolved
