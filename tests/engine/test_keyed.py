"""Keyed predicates (reasoner/engine/keyed.py): which lifted predicates are computed once per key, and that the set
engine gives every packet the same rows with the pass on, off, and from pyDatalog one packet at a time."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.engine.check import check
from reasoner.engine.keyed import Root
from reasoner.engine.lift import lift
from reasoner.engine.parse import parse_files, parse_text
from reasoner.engine.program import bundled_rules

# An ordered ACL asked by demand, as rules/network_acls.dl asks it, and predicates that break each condition.
ACL = """
.decl packet(src: symbol, dst: symbol, port: number)
.decl addressed_privately(dst: symbol)
.decl acl_of(eni: symbol, acl: symbol)
.decl entry(acl: symbol, n: number, lo: number, hi: number, action: symbol)
.decl demand(acl: symbol, port: number)
.decl demand2(acl: symbol, port: number)
.decl matches(acl: symbol, n: number, port: number)
.decl shadowed(acl: symbol, n: number, port: number)
.decl decides(acl: symbol, n: number, port: number)
.decl allows(acl: symbol, port: number)
.decl any_match(n: number)
.decl two_keys(acl: symbol, port: number)
.decl mixed(acl: symbol, port: number)
.decl near(acl: symbol, port: number)
.decl chain(acl: symbol, port: number)
.decl blocked(hop: symbol)
demand(A, P) :- packet(S, _, P), acl_of(S, A).
demand(A, P) :- packet(_, D, P), acl_of(D, A).
demand2(A, P) :- packet(_, D, P), acl_of(D, A), P > 100.
matches(A, N, P) :- demand(A, P), entry(A, N, Lo, Hi, _), Lo <= P, P <= Hi.
shadowed(A, N, P) :- matches(A, N, P), matches(A, M, P), M < N.
decides(A, N, P) :- matches(A, N, P), !shadowed(A, N, P).
allows(A, P) :- decides(A, N, P), entry(A, N, _, _, "allow").
any_match(N) :- matches(_, N, _).
two_keys(A, P) :- demand(A, P), demand(A, Q), Q > P.
mixed(A, P) :- demand(A, P).
mixed(A, P) :- demand2(A, P).
near(A, P) :- demand2(A, P), !allows(A, P).
chain(A, P) :- demand(A, P).
chain(A, P) :- chain(A, Q), demand(A, P), Q < P.
blocked("out") :- packet(S, _, P), acl_of(S, A), !allows(A, P).
blocked("in") :- packet(_, D, P), acl_of(D, A), !allows(A, P).
blocked("any") :- any_match(7).
blocked("two") :- two_keys(_, _).
blocked("mixed") :- mixed("acl-b", 80).
blocked("near") :- near(_, 22).
blocked("chain") :- chain("acl-a", 443).
blocked("some") :- allows(_, 443).
"""


def test_a_demand_driven_family_is_keyed_by_its_demand():
    checked = check(parse_text(ACL))
    lifted = lift(checked)
    demand = Root("demand", (0, 1))
    assert set(lifted.keys) == {"matches", "shadowed", "decides", "allows"}
    assert lifted.keys["matches"] == {demand: (0, 2)}  # the head columns of A and P
    assert lifted.keys["allows"] == {demand: (0, 1)}
    # each keyed predicate is a view: its free copy joined with the packet's keys
    (view,) = [r for r in lifted.checked.module.rules if r.head.pred == "allows"]
    assert [b.pred for b in view.body] == ["demand", "allows__free"]
    assert {"allows__free", "demand__keys_0_1"} <= lifted.per_chunk
    assert "allows__free" not in lifted.lifted  # (no pid column)


def test_rules_that_break_a_condition_stay_lifted_per_packet():
    keys = lift(check(parse_text(ACL))).keys
    assert "any_match" not in keys  # the head drops the key: rows of two packets would merge
    assert "two_keys" not in keys  # one root read with two keys
    assert "mixed" not in keys  # its rules read different roots: no one filter for both
    assert "near" not in keys  # reads a keyed predicate negatively with no positive atom of its root
    assert "chain" not in keys  # recursive
    assert "demand" not in keys and "blocked" not in keys  # roots and readers of the packet itself


def test_the_shipped_network_acl_and_route_families_are_keyed():
    lifted = lift(check(parse_files(bundled_rules())))
    nacl = Root("nacl_demand", (0, 1, 2, 3, 4))
    for pred in ("nacl_matches", "nacl_shadowed", "nacl_decides", "nacl_allows"):
        assert nacl in lifted.keys[pred]
    for pred in ("route_cand", "route_beaten", "route_selected", "route_matches"):
        assert lifted.keys[pred] == {Root("route_demand", (0, 1)): (0, 1)}
    # a key as wide as the packet shares nothing: reach stays lifted per packet
    assert "reach" not in lifted.keys and "fwd_blocked" not in lifted.keys


def test_keyed_off_lifts_every_predicate_per_packet(monkeypatch):
    monkeypatch.setenv("REASON_KEYED", "off")
    monkeypatch.setenv("REASON_DETERMINED", "off")  # (which adds copies of its own to per_chunk)
    lifted = lift(check(parse_text(ACL)))
    assert lifted.keys == {} and lifted.per_chunk == lifted.lifted


FACTS = {
    "acl_of": [("eni-a", "acl-a"), ("eni-b", "acl-b"), ("eni-c", "acl-a")],
    "entry": [("acl-a", 100, 0, 1023, "deny"), ("acl-a", 200, 0, 65535, "allow"), ("acl-b", 90, 80, 80, "allow"),
              ("acl-b", 100, 0, 65535, "deny"), ("acl-a", 7, 22, 22, "allow")],
}
WANT = ["blocked"]


def _packets(ports) -> list[dict]:
    enis = ["eni-a", "eni-b", "eni-c"]
    return [{"packet": [(s, d, p)]} for s, d in itertools.permutations(enis, 2) for p in ports]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ports=st.lists(st.sampled_from([22, 80, 443, 1000, 1023, 1024, 8080]), min_size=1, max_size=6),
       chunk=st.integers(1, 20))
def test_keyed_answers_equal_per_packet_answers(ports, chunk, pass_agrees):
    """Packets that share keys in one chunk, and chunks that share none: the set engine with the pass on gives each
    packet pyDatalog's rows, and the same rows as with the pass off."""
    pass_agrees(check(parse_text(ACL)), FACTS, _packets(ports), WANT, chunk, "REASON_KEYED")
