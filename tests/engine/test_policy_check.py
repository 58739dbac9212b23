"""Policies and the per-query predicates (issue 12, items 1-3): a policy file sees the whole snapshot, never one
query's packet, so reading ``packet``, ``reach`` or a hop predicate is refused statically; ``violation`` is
declared once by the shipped rules (rules/policy_relations.dl) and every policy file adds rules to it."""

import pytest

from reasoner.engine.check import per_query_predicates
from reasoner.engine.program import load_rules
from reasoner.errors import RuleError
from reasoner.explain.policy_facts import used_relations


def refused(tmp_path, text: str) -> list:
    f = tmp_path / "policy.dl"
    f.write_text(text)
    with pytest.raises(RuleError) as info:
        load_rules([f])
    return info.value.diagnostics


def test_reach_in_a_policy_is_refused_with_the_relation_to_use(tmp_path):
    diags = refused(tmp_path, 'violation(E, "open") :- reach("internet", E, _, _, _, _, _).\n')
    assert [(d.code, d.line, d.column) for d in diags] == [("per_query_in_policy", 1, 25)]
    assert "'reach'" in diags[0].message and "exposed(eni, proto, port_lo, port_hi)" in diags[0].hint
    assert "can_reach(src, dst" in diags[0].hint and "^" in diags[0].render()


@pytest.mark.parametrize("body", ["packet(S, D, _, _, _, _, _)", "fwd_blocked(S)", "!addressed_privately(S), eni(S, _, _, _)"])
def test_every_predicate_that_depends_on_the_packet_is_refused_in_a_helper_too(tmp_path, body):
    diags = refused(tmp_path, f'.decl mine(x: symbol)\nmine(S) :- {body}.\nviolation(S, "m") :- mine(S).\n')
    assert {d.code for d in diags} == {"per_query_in_policy"} and all(d.line == 2 for d in diags)


def test_snapshot_predicates_are_not_per_query():
    edges = load_rules([]).edges
    tainted = per_query_predicates(edges)
    assert {"packet", "reach", "fwd_blocked", "ret_blocked"} <= tainted
    assert not {"sg_ingress_cidr", "lb_sg", "tag", "eni", "exposed", "can_reach", "listener_accepts"} & tainted


def test_two_policy_files_add_to_the_shipped_violation(tmp_path):
    a, b = tmp_path / "a.dl", tmp_path / "b.dl"
    a.write_text('violation(S, "a") :- lb_sg(_, S).\n')
    b.write_text('.decl violation(resource: symbol, message: symbol)\nviolation(E, "b") :- exposed(E, _, _, _).\n')
    checked = load_rules([a, b])
    assert sorted(r.loc.file for r in checked.module.rules if r.head.pred == "violation") == [str(a), str(b)]


def test_a_different_declaration_of_violation_is_refused(tmp_path):
    diags = refused(tmp_path, '.decl violation(resource: symbol)\nviolation(S) :- lb_sg(_, S).\n')
    assert "redefines_shipped" in {d.code for d in diags}


def test_only_the_relations_a_policy_reads_are_computed(tmp_path):
    f = tmp_path / "p.dl"
    f.write_text('.decl wide(e: symbol)\nwide(E) :- exposed(E, "-1", _, _).\n'
                 'violation(E, "wide") :- wide(E).\nviolation(S, "lb") :- lb_sg(_, S).\n')
    assert used_relations(load_rules([f])) == ["exposed"]
    g = tmp_path / "q.dl"
    g.write_text('violation(S, "lb") :- lb_sg(_, S).\n')
    assert used_relations(load_rules([g])) == []


@pytest.mark.parametrize("name,number", [("tcp", "6"), ("UDP", "17"), ("icmp", "1"), ("ICMPv6", "58")])
def test_a_protocol_by_name_reads_as_its_number(tmp_path, name, number):
    """Issue 12: "tcp", "udp", "icmp", "all" and numbers are all accepted where a protocol column is compared: in an
    atom of a shipped relation, negated or not, and in = / != with a variable such an atom binds.  (Before, a name
    was refused as never_matches with the number as hint.)"""
    from reasoner.engine.syntax import Comparison, Const

    f = tmp_path / "p.dl"
    f.write_text(f'violation(S, "x") :- sg_ingress_cidr(S, "{name}", _, _, _, _, _).\n'
                 f'violation(S, "y") :- sg(S, _, _), !sg_egress_cidr(S, "{name}", _, _, _, _, _).\n'
                 f'violation(E, "z") :- exposed(E, P, _, _), P != "{name}".\n'
                 f'violation(E, "w") :- exposed(E, P, _, _), "{name}" = P.\n')
    rules = [r for r in load_rules([f]).module.rules if r.head.loc.file == str(f)]
    consts = [a.value for r in rules for lit in r.body for a in (lit.args if hasattr(lit, "args") else (lit.left, lit.right))
              if isinstance(a, Const) and a.value not in ("x", "y", "z", "w")]
    assert consts == [number] * 4, consts
    assert any(isinstance(lit, Comparison) for r in rules for lit in r.body)


@pytest.mark.parametrize("body", ['sg_ingress_cidr(S, "tpc", _, _, _, _, _)', 'exposed(S, P, _, _), P = "tpc"',
                                  'exposed(S, P, _, _), P != "udpp"', 'exposed(S, "any", _, _)',
                                  'sg_ingress_cidr(S, "all", _, _, _, _, _)'])
def test_a_name_that_is_no_protocol_is_still_a_dead_policy(tmp_path, body):
    """Not a protocol name, in an atom or compared with a variable at a protocol column: never_matches.  "all" and
    "any" too: "-1" is a rule for all traffic in the SG and NACL relations but a protocol no rule names in
    exposed/can_reach (a review found "any" read as "-1" silently matching nothing on exposed)."""
    diags = refused(tmp_path, f'violation(S, "x") :- {body}.\n')
    assert [(d.code, d.line) for d in diags] == [("never_matches", 1)]
    assert "for any protocol, write a variable or _" in diags[0].hint


@pytest.mark.parametrize("body", ['exposed(S, "06", _, _)', 'exposed(S, "047", _, _)', 'exposed(S, "256", _, _)',
                                  'exposed(S, P, _, _), P = "00"', 'sg_ingress_cidr(S, "0017", _, _, _, _, _)'])
def test_a_number_no_row_can_hold_is_a_dead_policy(tmp_path, body):
    """Rows hold a protocol as str(int) writes it, 0-255: "06", "047" and "256" passed the check (made of digits) and
    matched nothing, so the policy passed whatever the estate did (found by an adversarial test session)."""
    diags = refused(tmp_path, f'violation(S, "x") :- {body}.\n')
    assert [(d.code, d.line) for d in diags] == [("never_matches", 1)]


@pytest.mark.parametrize("number", ["0", "6", "47", "255", "-1"])
def test_a_number_a_row_can_hold_is_accepted(tmp_path, number):
    f = tmp_path / "p.dl"
    f.write_text(f'violation(S, "x") :- exposed(S, "{number}", _, _).\n')
    load_rules([f])


def test_a_name_reaches_the_columns_of_a_policys_own_helpers(tmp_path):
    """A helper filled from a protocol column, a fact joined with one, and a variable equal to one (a review found
    these still compared "tcp" with "6", silently)."""
    from reasoner.engine.syntax import Const

    f = tmp_path / "p.dl"
    f.write_text('.decl web(eni: symbol, p: symbol)\nweb(E, P) :- exposed(E, P, _, _).\n'
                 'violation(E, "a") :- web(E, "tcp").\n'
                 '.decl carries(p: symbol)\ncarries("udp").\nviolation(E, "b") :- exposed(E, P, _, _), carries(P).\n'
                 'violation(E, "c") :- exposed(E, P, _, _), Q = P, Q = "icmp".\n')
    rules = [r for r in load_rules([f]).module.rules if r.head.loc.file == str(f)]
    consts = sorted(a.value for r in rules for lit in (r.head, *r.body)
                    for a in (lit.args if hasattr(lit, "args") else (lit.left, lit.right))
                    if isinstance(a, Const) and a.value not in ("a", "b", "c"))
    assert consts == ["1", "17", "6"], consts


def test_a_name_compared_with_a_users_own_column_is_left_as_written(tmp_path):
    """Only shipped protocol columns hold numbers: a policy's own predicate keeps the string it was given."""
    from reasoner.engine.syntax import Const

    f = tmp_path / "p.dl"
    f.write_text('.decl mine(e: symbol, proto: symbol)\nmine(E, "tcp") :- eni(E, _, _, _).\n'
                 'violation(E, "m") :- mine(E, "tcp").\n')
    rules = [r for r in load_rules([f]).module.rules if r.head.loc.file == str(f)]
    assert [a.value for r in rules for a in r.head.args + tuple(x for l in r.body for x in l.args)
            if isinstance(a, Const) and a.value in ("tcp", "6")] == ["tcp", "tcp"]


def test_a_protocol_number_is_accepted(tmp_path):
    f = tmp_path / "p.dl"
    f.write_text('violation(S, "x") :- sg_ingress_cidr(S, "6", _, _, _, _, _).\nviolation(E, "y") :- exposed(E, "-1", _, _).\n')
    assert load_rules([f])


def test_a_misspelt_head_is_a_dead_rule(tmp_path):
    diags = refused(tmp_path, '.decl violations(resource: symbol, message: symbol)\n'
                              'violations(S, "x") :- lb_sg(_, S).\n')
    assert [(d.code, d.line, d.column) for d in diags] == [("dead_rule", 2, 1)] and "violation?" in diags[0].hint


def test_a_helper_is_private_to_its_file(tmp_path):
    a, b = tmp_path / "a.dl", tmp_path / "b.dl"
    a.write_text('.decl lb_group(sg: symbol)\nlb_group(S) :- lb_sg(_, S).\nviolation(S, "a") :- lb_group(S).\n')
    b.write_text('violation(S, "lb") :- lb_group(S).\n')
    with pytest.raises(RuleError) as info:
        load_rules([a, b])
    assert [(d.file, d.code, d.line) for d in info.value.diagnostics] == [(str(b), "undeclared", 1)]
    diags = refused(tmp_path, '.decl lb_group(sg: symbol)\nlb_group(S) :- lb_sg(_, S).\n')
    assert [d.code for d in diags] == ["dead_rule"] and "derive violation" in diags[0].hint


def test_two_files_with_the_same_helper_do_not_clash(tmp_path):
    a, b = tmp_path / "a.dl", tmp_path / "b.dl"
    a.write_text('.decl open_port(sg: symbol)\nopen_port(S) :- sg_ingress_cidr(S, "6", 22, 22, _, _, _).\n'
                 'violation(S, "ssh") :- open_port(S).\n')
    b.write_text('.decl violation(resource: symbol, message: symbol)\n.decl open_port(sg: symbol)\n'
                 'open_port(S) :- lb_sg(_, S).\nviolation(S, "lb") :- open_port(S).\n')
    checked = load_rules([a, b])
    heads = sorted(p for p in checked.decls if p.startswith("open_port"))
    assert heads == ["open_port#a", "open_port#b"] and "violation" in checked.decls


def test_rule_metadata_is_parsed_even_right_after_a_declaration():
    from reasoner.engine.parse import parse_text

    m = parse_text('.decl h(x: symbol) @code("A")\n@id("NET-1") @severity("high")\nh(X) :- g(X).\n@title("t") h(X) :- g(X).\n')
    assert m.decls[0].annotations == {"code": "A"}
    assert [r.annotations for r in m.rules] == [{"id": "NET-1", "severity": "high"}, {"title": "t"}]
    assert [(r.loc.line, r.loc.column) for r in m.rules] == [(3, 1), (4, 13)]


@pytest.mark.parametrize("text,what,where", [
    ('@id("A-1")\n  @severity("urgent") violation(S, "x") :- lb_sg(_, S).\n', "unknown severity", (2, 3)),
    ('@id("A-1") @owner("me") violation(S, "x") :- lb_sg(_, S).\n', "unknown rule annotation @owner", (1, 12)),
    ('.decl g(s: symbol)\n@id("A-1") g(S) :- lb_sg(_, S).\nviolation(S, "x") :- g(S).\n', "metadata on a rule for 'g'", (2, 12)),
    ('@id("") violation(S, "x") :- lb_sg(_, S).\n', "@id is empty", (1, 1)),  # (dropped: SARIF named the rule by its location)
    ('@id("A-1")\n@title("  ")\nviolation(S, "x") :- lb_sg(_, S).\n', "@title is empty", (2, 1)),
])
def test_bad_rule_metadata_is_refused(tmp_path, text, what, where):
    """Refused where the bad annotation is written (a rule's metadata that is wrong in itself) or, for metadata on a
    rule that is not a violation rule, at the rule's head; these pointed at the head every time."""
    diags = refused(tmp_path, text)
    assert [d.code for d in diags] == ["bad_annotation"] and what in diags[0].message
    assert (diags[0].line, diags[0].column) == where and "^" in diags[0].render()



@pytest.mark.parametrize("text,where,first", [
    ('@severity("low")\n@severity("high")\nviolation(S, "x") :- lb_sg(_, S).\n', (2, 1), ":1:1"),
    ('@id("A-1") @title("t") @id("A-2") violation(S, "x") :- lb_sg(_, S).\n', (1, 24), ":1:1"),
    ('.decl g(s: symbol)\n@id("A-1")\n@id("A-2")\nviolation(S, "x") :- g(S), lb_sg(_, S).\n', (3, 1), ":2:1"),
])
def test_a_repeated_annotation_is_refused_at_the_repetition(tmp_path, text, where, first):
    """Two @severity (or @id) on one rule: the last one silently won. Refused at the second, naming the first."""
    diags = refused(tmp_path, text)
    assert [(d.code, d.line, d.column) for d in diags] == [("duplicate_annotation", *where)], diags
    assert "given twice" in diags[0].message and first in diags[0].hint and "keep one" in diags[0].hint
    assert "^" in diags[0].render()


def test_a_repeated_annotation_of_a_declaration_is_refused_too():
    from reasoner.engine.parse import parse_text

    with pytest.raises(RuleError) as info:
        parse_text('.decl h(x: symbol) @code("A")\n  @message("m") @code("B")\n', "r.dl")
    assert [(d.code, d.line, d.column) for d in info.value.diagnostics] == [("duplicate_annotation", 2, 17)]
    assert "the declaration of 'h'" in info.value.diagnostics[0].message


@pytest.mark.parametrize("text,follows", [
    ('violation(S, "x") :- lb_sg(_, S).\n.decl g(s: symbol) @id("A-1")\n.decl h(s: symbol)\n', "the declaration of 'h'"),
    ('violation(S, "x") :- lb_sg(_, S).\n.decl g(s: symbol) @id("A-1")\n', "the end of the file"),
])
def test_rule_metadata_that_belongs_to_no_rule_is_refused(tmp_path, text, follows):
    """Rule metadata written after a declaration is the next rule's; with no rule next it was dropped without a word."""
    diags = refused(tmp_path, text)
    assert [(d.code, d.line, d.column) for d in diags] == [("bad_annotation", 2, 20)], diags
    assert "@id belongs to no rule" in diags[0].message and follows in diags[0].message
    assert "right before the violation rule" in diags[0].hint


def test_a_policy_declaration_with_a_column_named_twice_is_refused(tmp_path):
    diags = refused(tmp_path, '.decl p(a: symbol, a: number)\np("x", 1).\nviolation(S, "x") :- p(S, _).\n')
    assert [(d.code, d.line, d.column) for d in diags] == [("duplicate_column", 1, 20)]


def test_an_annotation_on_a_policys_declaration_is_refused_not_ignored(tmp_path):
    """@code, @message, ... tie a shipped hop predicate to its explanation; on a policy's own predicate they were kept
    and never read. Refused, each named, where it is written (it pointed at the declaration's first column)."""
    diags = refused(tmp_path, '.decl open(s: symbol) @code("NET-1") @message("open {s}")\nopen(S) :- lb_sg(_, S).\n'
                              'violation(S, "x") :- open(S).\n')
    assert [(d.code, d.line, d.column) for d in diags] == [("bad_annotation", 1, 23), ("bad_annotation", 1, 38)]
    assert [d.message.split(" would")[0] for d in diags] == ["@code on the declaration of 'open'",
                                                            "@message on the declaration of 'open'"]
    assert "would be ignored" in diags[0].message and "// comment" in diags[0].hint

def test_facts_no_violation_rule_reads_are_dead_too(tmp_path):
    """A misspelt Violation("a", "b"). passed `reason check` and `verify` (0 violations): facts of a predicate no
    violation rule reads can never fail a check. Said once per predicate, at its first fact."""
    diags = refused(tmp_path, '.decl Violation(resource: symbol, message: symbol)\nViolation("a", "b").\nViolation("c", "d").\n')
    assert [(d.code, d.line) for d in diags] == [("dead_rule", 2)] and "violation?" in diags[0].hint


def test_a_number_of_thousands_of_digits_is_no_internal_error(tmp_path):
    """Python refuses int() of a string of more than 4,300 digits: the protocol check and the packet space's protocol
    constants read such a string as no protocol, never an internal error (a second adversarial session found both)."""
    from reasoner.explain.space import rule_protocols

    digits = "1" * 5000
    diags = refused(tmp_path, f'violation(S, "x") :- exposed(S, "{digits}", _, _).\n')
    assert [(d.code, d.line) for d in diags] == [("never_matches", 1)]
    f = tmp_path / "ok.dl"
    f.write_text(f'.decl t(v: symbol)\nt("{digits}").\nviolation(S, "x") :- exposed(S, _, _, _), t(_).\n')
    assert rule_protocols(load_rules([f])) == frozenset()
