"""Packet-key lifting (reasoner/engine/lift.py): which predicates get a pid, and how rules join on it."""

import pytest

from reasoner.engine.check import check
from reasoner.engine.lift import dependents, lift
from reasoner.engine.parse import parse_files, parse_text
from reasoner.engine.program import bundled_rules
from reasoner.engine.syntax import Atom, Var, Wildcard, show_literal

SMALL = """
.decl packet(src: symbol, port: number)
.decl addressed_privately(dst: symbol)
.decl open(port: number)
.decl sg(eni: symbol)
.decl allowed(src: symbol)
.decl blocked(hop: symbol)
.decl target(kind: symbol)
.decl static(eni: symbol)
open(22). sg("a").
static(E) :- sg(E).
allowed(S) :- packet(S, P), open(P), sg(S).
blocked("sg") :- packet(S, _), !allowed(S).
blocked("private") :- addressed_privately(_).
target("local").
target("tgw") :- packet(_, P), P > 1000.
"""


def _rules(lifted, pred):
    return [show_literal(r.head) + " :- " + ", ".join(show_literal(b) for b in r.body)
            for r in lifted.checked.module.rules if r.head.pred == pred]


def test_dependents_follow_positive_and_negative_edges():
    lifted = lift(check(parse_text(SMALL)))
    assert lifted.lifted == {"packet", "addressed_privately", "allowed", "blocked", "target"}
    assert lifted.checked.decls["blocked"].columns[0] == ("pid", "number")
    assert lifted.checked.decls["open"].columns == (("port", "number"),)  # packet-free: computed once


def test_constants_in_heads_and_negations_get_the_pid(monkeypatch):
    monkeypatch.setenv("REASON_DETERMINED", "off")  # (its copies: tests/engine/test_determined.py)
    lifted = lift(check(parse_text(SMALL)))
    assert _rules(lifted, "blocked") == ['blocked(Pid, "sg") :- packet(Pid, S, _), !allowed(Pid, S)',
                                         'blocked(Pid, "private") :- addressed_privately(Pid, _)']
    assert _rules(lifted, "static") == ["static(E) :- sg(E)"]


def test_a_fact_of_a_lifted_predicate_holds_for_every_packet():
    lifted = lift(check(parse_text(SMALL)))
    assert _rules(lifted, "target") == ['target(Pid, "local") :- packet(Pid, _, _)',
                                        'target(Pid, "tgw") :- packet(Pid, _, P), P > 1000']


def test_pid_variable_does_not_capture_a_rule_variable(monkeypatch):
    monkeypatch.setenv("REASON_DETERMINED", "off")
    text = ".decl packet(x: number)\n.decl p(x: number)\np(Pid) :- packet(Pid).\n"
    lifted = lift(check(parse_text(text)))
    (rule,) = [r for r in lifted.checked.module.rules if r.head.pred == "p"]
    assert rule.head.args[0] != rule.head.args[1] and rule.head.args[1] == Var("Pid")


def test_the_shipped_rules_lift_and_check():
    checked = check(parse_files(bundled_rules()))
    lifted = lift(checked)
    for hop in ("fwd_blocked", "ret_blocked", "hop_problem", "reach", "proto_matches", "src_rtb", "nacl_allows"):
        assert hop in lifted.lifted
    for fixed in ("eni", "subnet_route_table", "vpc_peered", "tgw_rtb_known", "code_message", "lb_node"):
        assert fixed not in lifted.lifted
    assert lifted.lifted == dependents(checked, ("packet", "addressed_privately"))
    # every rule of a lifted predicate binds its pid by a positive lifted atom
    for rule in lifted.checked.module.rules:
        if rule.head.pred in lifted.lifted:
            pid = rule.head.args[0]
            assert any(isinstance(b, Atom) and not b.negated and b.pred in lifted.lifted and b.args[0] == pid
                       for b in rule.body), show_literal(rule.head)
            assert all(b.args[0] == pid for b in rule.body if isinstance(b, Atom) and b.pred in lifted.lifted)
    assert not any(isinstance(a, Wildcard) for r in lifted.checked.module.rules for a in r.head.args)


def test_the_domain_must_be_declared():
    with pytest.raises(ValueError):
        lift(check(parse_text(".decl q(x: number)\nq(1).\n")))
