"""Bounded time: checking and loading are linear-ish in the number of rules (issue 10, item 5).

Before, ``Checked.recursive_with`` walked the predicate graph once per rule and per predicate it
reached (quadratic): a 1,000-rule chain took about a minute to load.
"""

import time

from reasoner.engine.check import check, strongly_connected
from reasoner.engine.parse import parse_text
from reasoner.engine.program import Program


def chain(n: int) -> str:
    return "\n".join([f".decl p{i}(x: number)" for i in range(n)] + ["p0(1)."] +
                     [f"p{i}(X) :- p{i - 1}(X)." for i in range(1, n)])


def test_a_2000_rule_chain_checks_and_loads_in_seconds(tmp_path):
    f = tmp_path / "chain.dl"
    f.write_text(chain(2000))
    start = time.monotonic()
    program = Program.from_files([f])
    assert time.monotonic() - start < 20  # was ~62 s for 1,000 rules
    assert program.query("p1999", (None,)) == [(1,)]


def test_sccs_are_found_without_recursion_on_a_deep_graph():
    edges = {f"p{i}": {f"p{i - 1}"} for i in range(1, 20000)}
    edges["p0"] = {"p19999"}  # one cycle through all of them
    comps = strongly_connected(edges)
    assert len(comps) == 1 and len(comps[0]) == 20000


def test_recursive_with_is_the_mutually_recursive_component():
    checked = check(parse_text("""
        .decl e(a: number, b: number) .decl a(x: number) .decl b(x: number) .decl c(x: number) .decl d(x: number)
        a(X) :- e(X, _). a(X) :- b(X). b(X) :- a(X). c(X) :- a(X). d(X) :- d(X), e(X, _). d(X) :- e(X, _).
    """, "m.dl"))
    assert checked.recursive_with("a") == {"a", "b"} == checked.recursive_with("b")
    assert checked.recursive_with("c") == frozenset() and checked.recursive_with("e") == frozenset()
    assert checked.recursive_with("d") == {"d"}  # a self-loop is recursive
