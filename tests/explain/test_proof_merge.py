"""Proof files (reasoner/explain/proof.py): how classes are merged.  The CLI side (write, recheck, tamper) is
tests/cli/test_proof.py."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st


def _classes():
    small = st.sampled_from(["a", "b"])
    ports = st.lists(st.sampled_from([1, 2]), min_size=2, max_size=2)
    ips = st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2"]), min_size=2, max_size=2)
    return st.fixed_dictionaries({
        "src": small, "dst": small, "protocol": st.sampled_from(["6", "17"]), "family": st.just("ipv4"),
        "src_ips": ips, "dst_ips": ips, "src_ports": ports, "dst_ports": ports,
        "packet": st.fixed_dictionaries({"src_port": st.sampled_from([1, 2])}),
        "fate": st.sampled_from(["blocked", "unknown"]),
        "blocked_by": st.lists(st.fixed_dictionaries({"hop": small, "code": small, "component": small}), max_size=2),
        "unknown": st.lists(st.lists(small, min_size=3, max_size=3), max_size=2)})




@given(_classes(), _classes(), st.sampled_from(["src_ports", "dst_ports"]))
@settings(max_examples=400, deadline=None)
def test_proof_merge_keys_are_equal_exactly_when_the_json_is(a, b, field):
    """Proof classes are merged by a key read directly off the class (reasoner/explain/proof.py ``_class_key``);
    it must be equal exactly when the generic key (every field but ``field`` and ``packet``, as JSON) is."""
    from reasoner.explain.proof import _class_key, _frozen

    def generic(c):
        return tuple((k, _frozen(v)) for k, v in sorted(c.items()) if k not in (field, "packet"))
    assert (_class_key(a, field) == _class_key(b, field)) == (generic(a) == generic(b))
    assert _class_key(a, field) != generic(a)  # (the direct key was taken: the classes are well formed)
    c = {**a, field: b[field], "packet": b["packet"]}  # differs from a only where merging may differ
    assert _class_key(a, field) == _class_key(c, field)
