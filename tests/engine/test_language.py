"""The rule language: parse errors and static checks, each reported with file:line:col."""

import pytest

from reasoner.engine.check import check
from reasoner.engine.parse import parse_text
from reasoner.errors import RuleError

DECLS = """
.decl edge(a: number, b: number)
.decl node(a: number)
.decl label(a: number, name: symbol)
"""


def errors(text: str) -> list:
    with pytest.raises(RuleError) as info:
        check(parse_text(DECLS + text, "t.dl"))
    return info.value.diagnostics


def test_syntax_error_has_location_caret_and_expectation():
    with pytest.raises(RuleError) as info:
        parse_text("p(X) :- q(X)\nr(1).", "bad.dl")
    d = info.value.diagnostics[0]
    assert (d.file, d.line, d.column, d.code) == ("bad.dl", 2, 1, "syntax")
    assert "expected" in d.message and "'.'" in d.message
    assert "^" in d.render() and "r(1)." in d.render()


def test_annotations_are_parsed_onto_the_declaration():
    m = parse_text('.decl p(x: number) @code("SG_HAS_NO_RULES") @message("x is {x}")\n', "a.dl")
    assert m.decls[0].annotations == {"code": "SG_HAS_NO_RULES", "message": "x is {x}"}



def test_a_column_named_twice_is_refused_at_the_second():
    """``.decl p(a: symbol, a: number)`` was accepted: the columns name the values in messages and a policy's output,
    so one name for two columns made them ambiguous. Every such column of the file is reported, each at its name."""
    with pytest.raises(RuleError) as info:
        parse_text(".decl p(a: symbol, a: number)\n.decl q(x: number, y: number, x: symbol, y: symbol)\n", "c.dl")
    diags = info.value.diagnostics
    assert [(d.code, d.line, d.column) for d in diags] == [("duplicate_column", 1, 20), ("duplicate_column", 2, 31),
                                                          ("duplicate_column", 2, 42)]
    assert "column 'a' of 'p' is named twice" in diags[0].message and "first named at c.dl:1:9" in diags[0].hint
    assert "^" in diags[0].render()


@pytest.mark.parametrize("separator", ["\f", "\u2028", "\x85", "\x1e"])
def test_a_diagnostic_shows_its_own_line_after_a_form_feed_or_a_line_separator(separator):
    """The parser ends lines at line breaks only; the source line shown under a diagnostic was found with
    str.splitlines, which also splits at a form feed or U+2028 (in a comment): the caret stood under another line."""
    (d,) = errors(f"// one {separator} comment\nnode(1).\nnode(X) :- nod(X).\n")
    assert (d.code, d.line) == ("undeclared", 7) and d.source_line == "node(X) :- nod(X).", d

def test_undeclared_predicate_suggests_close_match():
    (d,) = errors("path(X, Y) :- edge(X, Y), nod(X).\n.decl path(a: number, b: number)")
    assert d.code == "undeclared" and "nod" in d.message and "node" in (d.hint or "")


def test_arity_and_type_mismatch_are_both_reported():
    ds = errors('node(1, 2).\nlabel("x", "y").')
    assert [d.code for d in ds] == ["arity_mismatch", "type_mismatch"]
    assert ds[0].line == 5 and ds[1].line == 6


def test_variable_of_two_types_is_a_type_mismatch():
    (d,) = errors(".decl q(a: number)\nq(X) :- label(_, X).")
    assert d.code == "type_mismatch" and "X" in d.message


@pytest.mark.parametrize("rule,code", [
    (".decl q(a: number)\nq(Y) :- node(X).", "unbound_variable"),
    (".decl q(a: number)\nq(X) :- node(X), !edge(X, Y).", "unsafe_negation"),
    (".decl q(a: number)\nq(X) :- node(X), Y > 3.", "unbound_variable"),
    (".decl q(a: number)\nq(_) :- node(X).", "safety_violations"),
])
def test_safety(rule, code):
    assert code in [d.code for d in errors(rule)]


def test_negation_through_recursion_is_rejected():
    ds = errors(".decl w(a: number)\nw(X) :- edge(X, Y), !w(Y).")
    assert [d.code for d in ds] == ["cyclic_negation"]


def test_all_errors_are_collected_and_sorted():
    ds = errors("nod(1).\nedge(1).\n.decl q(a: number)\nq(Y) :- node(X).")
    assert [d.line for d in ds] == sorted(d.line for d in ds) and len(ds) >= 3


def test_stratified_negation_and_bound_forms_pass():
    """Negation of a lower stratum, arithmetic in comparisons and a variable bound by '=' are all safe:
    the checker accepts the rule whole (no diagnostics) and records q as derived from node and edge."""
    checked = check(parse_text(DECLS + ".decl q(a: number)\nq(X) :- node(X), !edge(X, _), X + 1 > 2, Y = X * 2, Y < 100.",
                               "ok.dl"))
    assert "q" in checked.idb and len(checked.module.rules) == 1
    assert {"node", "edge"} <= checked.edges["q"]
