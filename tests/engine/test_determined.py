"""Columns the packet id determines (reasoner/engine/determined.py): which lifted predicates drop them, how their
readers are rewritten, and that the set engine gives every packet the same rows with the pass on, off, and from
pyDatalog."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.engine.check import check
from reasoner.engine.lift import lift
from reasoner.engine.parse import parse_files, parse_text
from reasoner.engine.program import bundled_rules
from reasoner.engine.syntax import show_literal

PROGRAM = """
.decl packet(src: symbol, dst: symbol, port: number)
.decl addressed_privately(dst: symbol)
.decl sg(eni: symbol, g: symbol)
.decl open(g: symbol, port: number)
.decl peer(a: symbol, b: symbol)
.decl out_ok(src: symbol, dst: symbol, port: number)
.decl in_ok(src: symbol, dst: symbol, port: number)
.decl ok(src: symbol, dst: symbol, port: number)
.decl either(who: symbol, port: number)
.decl via(src: symbol, g: symbol)
.decl via2(src: symbol, g: symbol)
.decl named(g: symbol)
.decl lone(s: symbol)
.decl blocked(hop: symbol)
out_ok(S, D, P) :- packet(S, D, P), sg(S, G), open(G, P).
in_ok(S, D, P) :- packet(S, D, P), sg(D, G), open(G, P).
ok(S, D, P) :- out_ok(S, D, P), in_ok(S, D, P).
either(S, P) :- packet(S, _, P), sg(S, _).
either(D, P) :- packet(_, D, P), peer(D, _).
via(S, G) :- packet(S, _, _), sg(S, G).
via2(S, G) :- packet(S, _, _), sg(S, G).
named(G) :- via2(S, G), peer(S, _).
lone(X) :- packet(S, _, _), peer(S, X), !via(X, _).
blocked("out") :- packet(S, D, P), !out_ok(S, D, P).
blocked("in") :- packet(S, D, P), !in_ok(S, D, P).
blocked("ok") :- ok(_, _, 22).
blocked("either") :- either(_, 80).
blocked("named") :- named("g1").
blocked("lone") :- lone(_).
"""


def _rules(lifted, pred):
    return [show_literal(r.head) + " :- " + ", ".join(show_literal(b) for b in r.body)
            for r in lifted.checked.module.rules if r.head.pred == pred]


def test_hop_relations_keep_only_the_packet_id():
    lifted = lift(check(parse_text(PROGRAM)))
    decls = lifted.checked.decls
    assert [c for c, _ in decls["out_ok__det"].columns] == ["pid"]
    assert _rules(lifted, "ok__det") == ["ok__det(Pid) :- out_ok__det(Pid), in_ok__det(Pid)"]  # determined through them
    assert _rules(lifted, "blocked")[0] == 'blocked(Pid, "out") :- packet(Pid, S, D, P), !out_ok__det(Pid)'
    # the whole relation stays, as a view over the copy and the packet
    assert _rules(lifted, "ok") == ["ok(Pid, F1, F2, F3) :- ok__det(Pid), packet(Pid, F1, F2, F3)"]
    assert set(lifted.per_chunk) >= {"out_ok__det", "ok__det"} and "ok__det" not in lifted.lifted


def test_a_column_two_rules_fill_from_different_fields_is_kept():
    lifted = lift(check(parse_text(PROGRAM)))
    assert [c for c, _ in lifted.checked.decls["either__det"].columns] == ["pid", "who"]  # the port is determined


def test_readers_get_back_the_arguments_they_still_need():
    lifted = lift(check(parse_text(PROGRAM)))
    blocked = _rules(lifted, "blocked")
    assert 'blocked(Pid, "ok") :- ok__det(Pid), packet(Pid, _, _, 22)' in blocked  # a constant
    assert 'blocked(Pid, "either") :- either__det(Pid, _), packet(Pid, _, _, 80)' in blocked
    # a variable the rule uses elsewhere
    assert _rules(lifted, "named") == ["named(Pid, G) :- via2__det(Pid, G), peer(S, _), packet(Pid, S, _, _)"]


def test_a_negated_reader_that_does_not_hold_the_column_keeps_the_relation_whole():
    lifted = lift(check(parse_text(PROGRAM)))
    assert "via__det" not in lifted.checked.decls
    assert _rules(lifted, "lone") == ["lone(Pid, X) :- packet(Pid, S, _, _), peer(S, X), !via(Pid, X, _)"]


def test_the_shipped_hop_relations_are_joined_on_the_packet_id():
    lifted = lift(check(parse_files(bundled_rules())))
    decls = lifted.checked.decls
    for hop in ("fwd_sg_egress", "fwd_nacl_out", "fwd_route", "fwd_nacl_in", "fwd_sg_ingress", "ret_nacl_out", "ret_route",
                "ret_nacl_in", "reach"):
        assert [c for c, _ in decls[f"{hop}__det"].columns] == ["pid"], hop
    assert 'fwd_blocked(Pid, "fwd_route") :- packet(Pid, S, D, SIp, DIp, P, SP, DP), !fwd_route__det(Pid)' in \
        _rules(lifted, "fwd_blocked")
    assert "nacl_demand__det" not in decls  # its key relation reads it with a wildcard packet id


def test_off_makes_no_copy(monkeypatch):
    monkeypatch.setenv("REASON_DETERMINED", "off")
    lifted = lift(check(parse_text(PROGRAM)))
    assert not any(p.endswith("__det") for p in [*lifted.checked.decls, *lifted.per_chunk])


WANT = ["blocked", "ok", "either", "via", "lone"]


ENIS = ["eni-a", "eni-b", "eni-c"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ports=st.lists(st.sampled_from([22, 80, 443]), min_size=1, max_size=3),
       sgs=st.lists(st.tuples(st.sampled_from(ENIS), st.sampled_from(["g1", "g2"])), max_size=4),
       opens=st.lists(st.tuples(st.sampled_from(["g1", "g2"]), st.sampled_from([22, 80, 443])), max_size=4),
       peers=st.lists(st.tuples(st.sampled_from(ENIS), st.sampled_from(ENIS + ["g1"])), max_size=4),
       chunk=st.integers(1, 10))
def test_determined_answers_equal_pydatalog_and_the_pass_off(ports, sgs, opens, peers, chunk, pass_agrees):
    facts = {"sg": sorted(set(sgs)), "open": sorted(set(opens)), "peer": sorted(set(peers))}
    packets = [{"packet": [(s, d, p)]} for s, d in itertools.permutations(ENIS, 2) for p in ports]
    pass_agrees(check(parse_text(PROGRAM)), facts, packets, WANT, chunk, "REASON_DETERMINED")
