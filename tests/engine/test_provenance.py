"""why / why_not: derivation trees and refutations with near misses."""

from reasoner.engine.program import Program
from reasoner.engine.provenance import why, why_not

SRC = """
.decl edge(a: number, b: number)
.decl path(a: number, b: number)
edge(1, 2). edge(2, 3). edge(5, 6).
path(X, Y) :- edge(X, Y).
path(X, Y) :- path(X, Z), edge(Z, Y).
"""


def test_why_gives_rules_bindings_and_base_facts_with_sources():
    t = why(Program.from_text(SRC, "g.dl"), "path", (1, 3)).to_json()
    assert t["holds"] and t["rule"] == "g.dl:6:1" and t["bindings"] == {"X": 1, "Y": 3, "Z": 2}
    leaves = [t["children"][0]["children"][0], t["children"][1]]
    assert [l["label"] for l in leaves] == ["edge(1, 2)", "edge(2, 3)"]
    assert all(l["source"].startswith("g.dl:4:") for l in leaves)


def test_why_not_covers_every_rule_with_its_first_failing_premise_and_near_misses():
    t = why_not(Program.from_text(SRC, "g.dl"), "path", (1, 6)).to_json()
    assert not t["holds"] and [c["rule"] for c in t["children"]] == ["g.dl:5:1", "g.dl:6:1"]
    first = t["children"][0]["children"][-1]
    assert first["label"] == "edge(1, 6)" and first["near_misses"] == [[1, 2]]
    second = t["children"][1]["children"]
    assert second[0]["holds"] and not second[-1]["holds"]


def test_limits_mark_cut_subtrees_partial():
    t = why(Program.from_text(SRC), "path", (1, 3), depth=0).to_json()
    assert any(c.get("partial") for c in t["children"])
