"""Views (reasoner/engine/views.py): a relation's rows whose one column holds a kept value, as a predicate the set
engine answers; with the demand pass on and off, the view holds exactly those rows of the relation (pyDatalog's)."""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.engine import demand
from reasoner.engine.backend import PointBackend, SetBackend
from reasoner.engine.check import check
from reasoner.engine.parse import parse_text
from reasoner.engine.program import Program
from reasoner.engine.syntax import Const, Var
from reasoner.engine.views import View, add_views

PROGRAM = """
.decl packet(src: symbol, dst: symbol, port: number)
.decl kind(eni: symbol, k: symbol)
.decl blocked(hop: symbol, who: symbol)
.decl unknown(hop: symbol, what: symbol)
.decl only(hop: symbol)
blocked("a", S) :- packet(S, _, P), P < 100.
blocked("b", D) :- packet(_, D, P), P >= 100.
blocked("c", S) :- packet(S, D, _), kind(D, "k2").
blocked(H, S) :- packet(S, _, _), kind(S, H).
unknown("c", W) :- kind(W, _), packet(W, _, _).
only("z") :- packet(_, _, _).
"""
VIEWS = {"ab": View("blocked", 0, frozenset({"a", "b"})), "c": View("unknown", 0, frozenset({"c"})),
         "none": View("only", 0, frozenset({"a"})), "who": View("blocked", 1, frozenset({"eni-a"}))}


def _packets(ports) -> list[dict]:
    return [{"packet": [(s, d, p)]} for s, d in itertools.permutations(["eni-a", "eni-b", "eni-c"], 2) for p in ports]


def test_a_view_reads_a_copy_without_the_rules_of_other_values():
    checked, names = add_views(check(parse_text(PROGRAM)), VIEWS)
    assert set(names) == set(VIEWS) and len(set(names.values())) == 4 and not set(names.values()) & {"blocked", "unknown"}
    spec, copies = demand.specialise(checked)
    rules = spec.module.rules
    (reader,) = [r for r in rules if r.head.pred == names["ab"]]
    (copy,) = [b.pred for b in reader.body if b.pred in copies]
    # the copy keeps blocked("a"), blocked("b") and the variable hop; not blocked("c")
    assert copies[copy][0] == "blocked"
    heads = [r.head.args[0] for r in rules if r.head.pred == copy]
    assert heads == [Const("a"), Const("b"), Var("H")]
    assert not any(r.head.pred == names["none"] for r in rules)  # only("z"): no row can be kept, no rule


def test_a_view_of_an_unknown_relation_or_column_is_refused():
    checked = check(parse_text(PROGRAM))
    for bad in (View("nothing", 0, frozenset()), View("blocked", 2, frozenset({"a"}))):
        with pytest.raises(ValueError):
            add_views(checked, {"x": bad})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ports=st.lists(st.sampled_from([1, 99, 100, 500]), min_size=1, max_size=3),
       kinds=st.lists(st.tuples(st.sampled_from(["eni-a", "eni-b", "eni-c"]), st.sampled_from(["a", "b", "c", "k2", "x"])),
                      max_size=5),
       switch=st.sampled_from(["on", "off"]), chunk=st.integers(1, 8))
def test_a_view_holds_exactly_the_relations_rows_with_a_kept_value(ports, kinds, switch, chunk):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REASON_DEMAND", switch)
        _view_rows_agree(ports, kinds, chunk)


def _view_rows_agree(ports, kinds, chunk) -> None:
    checked = check(parse_text(PROGRAM))
    facts = {"kind": sorted(set(kinds))}
    program = Program(checked)
    program.add_facts("kind", facts["kind"])
    packets = _packets(ports)
    expected = list(PointBackend(program).evaluate(packets, ["blocked", "unknown", "only"]))
    backend = SetBackend(checked, facts, chunk=chunk, views=VIEWS)
    try:
        want = [backend.views[k] for k in VIEWS]
        for exp, got in zip(expected, backend.evaluate(packets, want), strict=True):
            for label, view in VIEWS.items():
                assert got[backend.views[label]] == {r for r in exp[view.relation] if r[view.column] in view.values}
    finally:
        backend.close()


def test_a_view_of_a_relation_written_as_facts_and_loaded_keeps_the_snapshots_rows():
    """A relation whose rules are only ground facts may also be loaded from the snapshot: a view of it must not be
    left without a rule because the written facts hold other values (the snapshot's rows may hold kept ones)."""
    text = PROGRAM + '.decl level(who: symbol, n: number)\nlevel("eni-z", 1).\n'
    checked = check(parse_text(text))
    backend = SetBackend(checked, {"level": [("eni-a", 7), ("eni-b", 8)]}, views={"a": View("level", 0, frozenset({"eni-a"}))})
    try:
        (got,) = backend.evaluate([{"packet": [("eni-a", "eni-b", 1)]}], [backend.views["a"]])
        assert got[backend.views["a"]] == {("eni-a", 7)}
    finally:
        backend.close()
