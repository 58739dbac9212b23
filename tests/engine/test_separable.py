"""Factoring by hop over the ports (reasoner/engine/reads.py, reasoner/engine/separable.py): which packet fields
each hop reads is derived from the rules, and the answers built from |dp| + |sp| evaluations equal those of
evaluating every (dp, sp) packet."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from reasoner.engine.backend import SetBackend
from reasoner.engine.check import check
from reasoner.engine.parse import parse_text
from reasoner.engine.reads import ANY_HOP, hop_reads
from reasoner.engine.separable import SeparableBackend, products, split

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "engine") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "engine"))
from test_differential import _checked, snapshots  # noqa: E402

HOP_KEYED = ("fwd_blocked", "ret_blocked", "hop_unknown", "hop_problem")
SP, DP = 5, 6


def test_the_shipped_hops_read_one_port_each():
    """Forward hops (SGs, NACL entries, routes) read the destination port; the return path's NACLs and routes read
    the reply's destination port, which is the source port (network-acls.html: an entry's port range is the
    destination port of the traffic it sees)."""
    reads = hop_reads(_checked(), HOP_KEYED)
    for hop in ("fwd_sg_egress", "fwd_nacl_out", "fwd_nacl_in", "fwd_sg_ingress"):
        assert DP in reads[hop] and SP not in reads[hop], hop
    for hop in ("ret_nacl_out", "ret_nacl_in"):
        assert SP in reads[hop] and DP not in reads[hop], hop
    assert not {SP, DP} & reads[ANY_HOP]
    assert split(_checked(), HOP_KEYED) is not None


def test_a_hop_reading_both_ports_turns_the_split_off():
    text = """
    .decl packet(src_eni: symbol, dst_eni: symbol, src_ip: number, dst_ip: number, proto: symbol, src_port: number, dst_port: number)
    .decl fwd_blocked(hop: symbol)
    .decl wide(lo: number)
    fwd_blocked("a") :- packet(_, _, _, _, _, _, DP), wide(Lo), DP < Lo.
    fwd_blocked("b") :- packet(_, _, _, _, _, SP, DP), SP = DP.
    """
    checked = check(parse_text(text, "t.dl"))
    reads = hop_reads(checked, ["fwd_blocked"])
    assert reads["a"] == {DP} and reads["b"] == {SP, DP}
    assert split(checked, ["fwd_blocked"]) is None


def test_a_carried_port_is_not_a_read():
    """A column that only passes the packet's own field along (every rule puts the packet's port there) joins
    with the packet as an identity: no read."""
    text = """
    .decl packet(src_eni: symbol, dst_eni: symbol, src_ip: number, dst_ip: number, proto: symbol, src_port: number, dst_port: number)
    .decl ok(src_port: number, dst_port: number)
    .decl fwd_blocked(hop: symbol)
    ok(SP, DP) :- packet(_, _, _, _, "6", SP, DP).
    fwd_blocked("a") :- packet(_, _, _, _, _, SP, DP), !ok(SP, DP).
    """
    reads = hop_reads(check(parse_text(text, "t.dl")), ["fwd_blocked"])
    assert not {SP, DP} & reads["a"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(snapshots())
def test_separable_answers_equal_every_packet_answers(snap):
    relations, packets = snap
    sides = split(_checked(), HOP_KEYED)
    assert sides is not None
    product = []
    for f in packets:  # each packet's pair, addresses and protocol under a product of ports
        row = f["packet"][0]
        for dp in (0, 22, 443, 8000, 65535):
            for sp in (1024, 33000, 65535):
                product.append({**f, "packet": [row[:SP] + (sp, dp)]})
    inner = SetBackend(_checked(), relations)
    try:
        expected = list(inner.evaluate(product, HOP_KEYED))
        sep = SeparableBackend(inner, sides, HOP_KEYED, block=37)  # blocks that cut groups in two
        got = list(sep.evaluate(product, HOP_KEYED))
    finally:
        inner.close()
    assert got == expected
    assert sep.evaluated < len(product) or not product


class _Group:
    """A port group as reasoner/explain/space.py makes them: one packet's pair, addresses and protocol."""

    def __init__(self, facts, dps, sps):
        self.facts, self.dps, self.sps = facts, dps, sps


def _facts(g, dp, sp):
    row = g.facts["packet"][0]
    return {**g.facts, "packet": [row[:SP] + (sp, dp)]}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(snapshots())
def test_products_equal_every_packet_answers(snap):
    """``products`` answers each port group's packets from |dp| + |sp| - 1 evaluations; every (dp, sp) answer equals
    the packet's own, and ``uniform`` holds only when no source port changes an answer."""
    relations, packets = snap
    sides = split(_checked(), HOP_KEYED)
    groups = [_Group(f, [0, 22, 443, 8000, 65535][: 1 + n % 5], [1024, 33000, 65535][: 1 + n % 3])
              for n, f in enumerate(packets)]
    inner = SetBackend(_checked(), relations)
    try:
        sep = SeparableBackend(inner, sides, HOP_KEYED, block=7, first=3)  # blocks of a few groups
        got = list(products(sep, iter(groups), _facts, HOP_KEYED))  # one pass over an iterator
        full = list(products(inner, iter(groups), _facts, HOP_KEYED))
        assert [g for g, _ in got] == groups and [g for g, _ in full] == groups
        for g, (_, prod), (_, ref) in zip(groups, got, full):
            expected = [[inner_answer for inner_answer in inner.evaluate([_facts(g, dp, sp)], HOP_KEYED)][0]
                        for dp in g.dps for sp in g.sps]
            answers = [prod.answer(i, j) for i in range(len(g.dps)) for j in range(len(g.sps))]
            assert answers == expected
            assert [ref.answer(i, j) for i in range(len(g.dps)) for j in range(len(g.sps))] == expected
            if prod.uniform:
                assert all(prod.answer(i, j) == prod.answer(i, 0) for i in range(len(g.dps)) for j in range(len(g.sps)))
    finally:
        inner.close()
    assert len(got) == len(groups)
    assert sep.evaluated == sum(len(g.dps) + len(g.sps) - 1 for g in groups)
