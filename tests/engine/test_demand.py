"""Demand specialisation (reasoner/engine/demand.py): which readers get a copy without the rules they cannot use, and
that the set engine gives every packet the same rows with the pass on, off, and from pyDatalog."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.engine import demand
from reasoner.engine.backend import SetBackend
from reasoner.engine.check import check
from reasoner.engine.parse import parse_files, parse_text
from reasoner.engine.program import bundled_rules
from reasoner.engine.syntax import Atom, Const, Var

# problem/cause read through a finite relation (grave), an equality, a negation, a constant, and a recursion.
PROGRAM = """
.decl packet(src: symbol, dst: symbol, port: number)
.decl addressed_privately(dst: symbol)
.decl kind(eni: symbol, k: symbol)
.decl link(a: symbol, b: symbol)
.decl grave(code: symbol)
.decl cause(who: symbol, code: symbol)
.decl problem(who: symbol, code: symbol, why: symbol)
.decl unknown(who: symbol, why: symbol)
.decl flagged(who: symbol)
.decl calm(who: symbol)
.decl named(who: symbol)
.decl reach(a: symbol, b: symbol)
.decl far(who: symbol)
.decl out(hop: symbol, who: symbol)
grave("G1"). grave("G2").
cause(S, "G1") :- packet(S, _, P), P < 100.
cause(S, "X") :- packet(S, _, _).
cause(D, C) :- packet(_, D, _), kind(D, C).
problem(S, "G1", "low") :- packet(S, _, P), P < 1000.
problem(S, "NOT", "x") :- packet(S, _, _).
problem(S, "G2", "kind") :- packet(S, D, _), kind(D, "k2").
problem(W, C, "cause") :- cause(W, C).
unknown(W, Why) :- problem(W, C, Why), grave(C).
flagged(W) :- problem(W, C, _), C = "NOT".
calm(W) :- packet(W, _, _), !problem(W, "G1", _).
named(W) :- problem(W, "G2", _).
reach(A, B) :- link(A, B), packet(_, _, _).
reach(A, C) :- reach(A, B), link(B, C).
far(W) :- reach(W, X), grave(X).
out("unknown", W) :- unknown(W, _).
out("flagged", W) :- flagged(W).
out("calm", W) :- calm(W).
out("named", W) :- named(W).
out("far", W) :- far(W).
"""


def _copies(checked, loaded=()):
    spec, copies = demand.specialise(checked, loaded)
    rules = {}
    for r in spec.module.rules:
        rules.setdefault(r.head.pred, []).append(r)
    return spec, copies, rules


def _reads(rules, pred):
    return {b.pred for r in rules[pred] for b in r.body if isinstance(b, Atom)}


def test_a_reader_filtered_by_a_finite_relation_reads_a_copy_without_the_other_rules():
    _, copies, rules = _copies(check(parse_text(PROGRAM)))
    (name,) = [n for n, (p, d) in copies.items() if p == "problem" and d[1] == frozenset({"G1", "G2"})]
    assert name in _reads(rules, "unknown") and "problem" not in _reads(rules, "unknown")
    # the copy keeps the rules whose code can be G1 or G2: not the "NOT" one
    heads = [r.head.args[1] for r in rules[name]]
    assert Const("NOT") not in heads and Const("G1") in heads and Const("G2") in heads and len(heads) == 3
    # the demand flows down: the rule reading cause reads cause's copy, which drops cause(S, "X")
    (cname,) = [n for n, (p, d) in copies.items() if p == "cause" and d[1] == frozenset({"G1", "G2"})]
    assert cname in _reads(rules, name)
    assert [Const("X")] == [a for a in (r.head.args[1] for r in rules["cause"]) if a not in
                            [r.head.args[1] for r in rules[cname]]]


def test_an_equality_demands_its_constant():
    _, copies, rules = _copies(check(parse_text(PROGRAM)))
    (read,) = _reads(rules, "flagged")
    assert copies[read] == ("problem", (None, frozenset({"NOT"}), None))
    # the "NOT" rule, and the variable-code rule (reading cause's copy, which keeps only cause(D, C) :- kind(D, C))
    assert [r.head.args[1] for r in rules[read]] == [Const("NOT"), Var("C")]
    assert all(isinstance(b, Atom) and b.pred != "cause" for r in rules[read] for b in r.body)  # cause(W, "NOT"): none


def test_negated_readers_constants_and_recursion_keep_the_original():
    _, copies, rules = _copies(check(parse_text(PROGRAM)))
    assert "problem" in _reads(rules, "calm")   # !problem(W, "G1", _): a copy under negation would admit more
    assert "problem" in _reads(rules, "named")  # a constant partitions, it does not filter
    assert "reach" in _reads(rules, "far") and not any(p == "reach" for p, _ in copies.values())


def test_a_relation_the_snapshot_loads_is_not_finite():
    checked = check(parse_text(PROGRAM))
    spec, copies = demand.specialise(checked, {"grave"})
    assert not any(d[1] == frozenset({"G1", "G2"}) for _, d in copies.values())
    assert spec is not checked  # (the equality still makes its copy)


def test_the_shipped_hop_unknown_reads_only_the_unmodelled_explanations():
    """rules/missing_data.dl: hop_unknown(H, M, C) :- hop_problem(H, Code, C, _), unknown_kind(Code, M)."""
    checked = check(parse_files(bundled_rules()))
    _, copies, rules = _copies(checked)
    reads = [b for r in rules["hop_unknown"] for b in r.body if isinstance(b, Atom) and b.pred in copies]
    assert [copies[b.pred][0] for b in reads] == ["hop_problem"]
    codes = {"UNSUPPORTED_COMPONENT", "TGW_RTB_ROUTES_ARE_UNKNOWN"}
    kept = rules[reads[0].pred]
    assert all(isinstance(r.head.args[1], Const) and r.head.args[1].value in codes for r in kept)
    every = [r for r in checked.module.rules if r.head.pred == "hop_problem"]
    assert len(kept) == sum(1 for r in every if isinstance(r.head.args[1], Const) and r.head.args[1].value in codes)
    assert len(kept) < len(every) // 3


def test_off_makes_no_copy(monkeypatch):
    monkeypatch.setenv("REASON_DEMAND", "off")
    backend = SetBackend(check(parse_text(PROGRAM)), {})
    try:
        assert not any("__only" in p for p in backend.lifted.checked.decls)
    finally:
        backend.close()


WANT = ["out", "problem"]


def _packets(ports) -> list[dict]:
    enis = ["eni-a", "eni-b", "eni-c"]
    return [{"packet": [(s, d, p)]} for s, d in itertools.permutations(enis, 2) for p in ports]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ports=st.lists(st.sampled_from([22, 80, 99, 100, 999, 1000, 8080]), min_size=1, max_size=4),
       kinds=st.lists(st.tuples(st.sampled_from(["eni-a", "eni-b", "eni-c"]), st.sampled_from(["G1", "G2", "X", "NOT", "k2"])),
                      max_size=5),
       links=st.lists(st.tuples(st.sampled_from(["eni-a", "eni-b", "G1", "G2"]), st.sampled_from(["eni-b", "G1", "G2"])),
                      max_size=4),
       chunk=st.integers(1, 10))
def test_demanded_answers_equal_pydatalog_and_the_pass_off(ports, kinds, links, chunk, pass_agrees):
    facts = {"kind": sorted(set(kinds)), "link": sorted(set(links))}
    pass_agrees(check(parse_text(PROGRAM)), facts, _packets(ports), WANT, chunk, "REASON_DEMAND")


def test_a_policy_file_repeating_a_shipped_declaration_still_specialises(tmp_path):
    """A policy file may repeat ``.decl violation(...)`` (check's OPEN_HEADS); the pass keeps one declaration, as
    lift does (the CLI's verify with a policy file failed with a duplicate declaration before)."""
    from reasoner.engine.program import load_rules

    policy = tmp_path / "policy.dl"
    policy.write_text('.decl violation(resource: symbol, message: symbol)\n'
                      'violation(E, "db exposed") :- exposed(E, _, _, _), tag(E, "tier", "db").\n')
    checked = load_rules([policy], cache=False)
    assert sum(1 for d in checked.module.decls if d.name == "violation") == 2
    spec, copies = demand.specialise(checked)
    assert copies and sum(1 for d in spec.module.decls if d.name == "violation") == 1


# a head variable that a filter of the body keeps outside the demand: hopname's hops, an equality, a loaded relation
FILTERED = """
.decl packet(src: symbol, dst: symbol, port: number)
.decl kind(eni: symbol, k: symbol)
.decl hopname(dir: symbol, hop: symbol)
.decl keep(hop: symbol)
.decl blocked(hop: symbol, who: symbol)
.decl seen(hop: symbol, who: symbol)
hopname("fwd", "fwd_route"). hopname("ret", "ret_route").
keep("fwd_sg"). keep("k2").
blocked("fwd_sg", S) :- packet(S, _, P), P < 100.
blocked("other", S) :- packet(S, _, _).
blocked(H, S) :- packet(S, _, _), hopname(_, H).
blocked(H, S) :- packet(S, _, P), H = "eq_hop", P > 5.
blocked(H, S) :- packet(S, _, _), kind(S, H).
seen(H, W) :- blocked(H, W), keep(H).
"""


def test_a_rule_whose_head_variable_a_body_filter_keeps_outside_the_demand_is_left_out():
    """The copy keeps blocked("fwd_sg", S) and the rule reading kind (loaded: any value), and leaves out the rules
    whose hop comes from hopname (fwd_route, ret_route) or an equality (eq_hop): none can hold fwd_sg or k2."""
    _, copies, rules = _copies(check(parse_text(FILTERED)), {"kind"})
    (read,) = _reads(rules, "seen") - {"keep"}
    assert copies[read] == ("blocked", (frozenset({"fwd_sg", "k2"}), None))
    bodies = [{b.pred for b in r.body if isinstance(b, Atom)} for r in rules[read]]
    assert [r.head.args[0] for r in rules[read]] == [Const("fwd_sg"), Var("H")] and {"kind", "packet"} in bodies


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ports=st.lists(st.sampled_from([1, 5, 6, 99, 100, 101]), min_size=1, max_size=4),
       kinds=st.lists(st.tuples(st.sampled_from(["eni-a", "eni-b", "eni-c"]),
                                st.sampled_from(["fwd_sg", "k2", "fwd_route", "eq_hop", "x"])), max_size=5),
       chunk=st.integers(1, 10))
def test_filtered_answers_equal_pydatalog_and_the_pass_off(ports, kinds, chunk, pass_agrees):
    pass_agrees(check(parse_text(FILTERED)), {"kind": sorted(set(kinds))}, _packets(ports), ["seen", "blocked"], chunk,
                "REASON_DEMAND")
