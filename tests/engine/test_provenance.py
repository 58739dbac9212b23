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


ICMP = """
.decl pkt(proto: symbol, src_port: number, dst_port: number)
.decl hop(proto: symbol, src_port: number, dst_port: number)
.decl allowed(proto: symbol)
allowed("1"). allowed("6").
pkt("1", 65537, 768). pkt("1", 0, 2048). pkt("6", 1024, 768).
hop(P, S, D) :- pkt(P, S, D), allowed(P).
"""


def test_a_derivation_shows_icmp_messages_by_type_and_code_and_the_no_reply_marker_by_name():
    """For people (``display``): an ICMP packet's ports are messages (type * 256 + code) and a source port past 65535
    marks a message that gets no reply (rules/00_snapshot.dl icmp_query); a TCP packet's ports stay ports.  JSON
    (``label``) keeps the numbers the rules hold."""
    p = Program.from_text(ICMP)
    t = why(p, "hop", ("1", 65537, 768))
    assert t.holds and t.label == "hop('1', 65537, 768)"
    assert t.display == "hop(icmp, no reply, type 3 code 0)"
    assert t.children[0].display == "pkt(icmp, no reply, type 3 code 0)"  # a body literal, shown from its bindings
    assert why(p, "hop", ("1", 0, 2048)).display == "hop(icmp, reply type 0 code 0, type 8 code 0)"
    assert why(p, "hop", ("6", 1024, 768)).display == "hop(tcp, 1024, 768)"
