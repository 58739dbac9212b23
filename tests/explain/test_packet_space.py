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
