"""The packet-space cut is what makes "unreachable" a proof: every value of a dimension must behave
exactly like the representative of its piece, for every rule range. Checked against brute force."""

from hypothesis import given, settings
from hypothesis import strategies as st

from reasoner.explain.paths import _cuts

ranges = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 300)).map(lambda t: (min(t), max(t))), max_size=8)


@settings(max_examples=300, deadline=None)
@given(lo=st.integers(0, 150), width=st.integers(0, 150), rules=ranges)
def test_every_value_behaves_like_its_representative(lo, width, rules):
    hi = lo + width
    reps = _cuts(lo, hi, rules)
    assert reps[0] == lo and all(lo <= r <= hi for r in reps) and reps == sorted(set(reps))
    for v in range(lo, hi + 1):
        rep = max(r for r in reps if r <= v)  # the piece v falls in
        assert [a <= v <= b for a, b in rules] == [a <= rep <= b for a, b in rules], (v, rep)


OPS = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
       "=": lambda a, b: a == b, "!=": lambda a, b: a != b}


@settings(max_examples=100, deadline=None)
@given(op=st.sampled_from(sorted(OPS)), c=st.integers(1, 40), flipped=st.booleans())
def test_the_rules_own_port_comparisons_cut_the_port_line(op, c, flipped):
    """``dst_port_cuts``: a rule comparing the packet's destination port with a number (``DP >= 2048``, ``DP = 8``,
    either side) cuts the line so that every port answers the comparison as its piece's representative does.
    The rule language writes equality ``=`` (reasoner/engine/rules.lark); the cuts once knew only ``==``."""
    from reasoner.engine.parse import parse_text
    from reasoner.explain.space import cuts, dst_port_cuts

    mirror = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "!=": "!="}
    cmp = f"{c} {mirror[op]} DP" if flipped else f"DP {op} {c}"  # the same comparison, written either way round
    module = parse_text(".decl packet(s: symbol, d: symbol, si: number, di: number, p: symbol, sp: number, dp: number)\n"
                        ".decl hit(p: symbol)\n"
                        f"hit(P) :- packet(_, _, _, _, P, _, DP), {cmp}.\n")
    reps = cuts(0, 50, [(x, x) for x in dst_port_cuts(module.rules)])
    for v in range(0, 51):
        rep = max(r for r in reps if r <= v)
        assert OPS[op](v, c) == OPS[op](rep, c), (cmp, v, rep, reps)
