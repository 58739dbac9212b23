"""recheck's comparison of a proof's classes with the packet space now (reasoner/explain/proof.py ``_compare``): a
group that gained or lost classes names those, matched by what each class is, instead of comparing the n-th class of
the proof with the n-th now (one class inserted made every later one read as changed)."""

from __future__ import annotations

from reasoner.explain.proof import _compare


def _class(proto: str, lo: int, hi: int, fate: str = "blocked", sports=(1024, 65535)) -> dict:
    return {"src": "eni-a", "dst": "eni-b", "protocol": proto, "dst_ports": [lo, hi], "src_ports": list(sports),
            "src_ips": ["10.0.0.1", "10.0.0.1"], "dst_ips": ["10.0.0.2", "10.0.0.2"], "fate": fate, "blocked_by": []}


def _group(classes: list[dict]) -> dict:
    return {"srcs": ["eni-a"], "dsts": ["eni-b"], "pairs": 1, "classes": classes}


def test_a_class_gained_is_named_and_the_others_still_compare_alike():
    tcp, udp, other = _class("6", 0, 65535), _class("17", 0, 65535), _class("0", 0, 0, sports=(0, 0))
    icmpv6 = _class("58", 0, 32767, sports=(65537, 65537))
    out = _compare([_group([tcp, udp, other])], [_group([tcp, udp, icmpv6, other])])
    assert out == ["group 1 (eni-a -> ...): 4 packet classes now, 3 in the proof",
                   "class eni-a -> eni-b icmpv6 types 0-127 from ['10.0.0.1', '10.0.0.1']: not in the proof, blocked now"]


def test_a_class_lost_and_a_fate_changed_are_both_named():
    tcp, udp, other = _class("6", 0, 65535), _class("17", 0, 65535), _class("0", 0, 0, sports=(0, 0))
    out = _compare([_group([tcp, udp, other])], [_group([tcp, dict(other, fate="passes")])])
    assert out == ["group 1 (eni-a -> ...): 2 packet classes now, 3 in the proof",
                   "class eni-a -> eni-b protocol 0 from ['10.0.0.1', '10.0.0.1']: blocked in the proof, passes now",
                   "class eni-a -> eni-b udp all ports from ['10.0.0.1', '10.0.0.1']: blocked in the proof, not in the packet "
                   "space now"]


def test_as_many_classes_compare_in_order_as_before():
    tcp, udp = _class("6", 0, 65535), _class("17", 0, 65535)
    out = _compare([_group([tcp, udp])], [_group([udp, tcp])])
    assert len(out) == 2 and all("(its " not in o or "differ" in o for o in out)
