"""Factoring by hop over the ports (reasoner/engine/reads.py, reasoner/engine/separable.py): which packet fields
each hop reads is derived from the rules, and the answers built from |dp| + |sp| evaluations equal those of
evaluating every (dp, sp) packet."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def test_a_port_carried_through_another_carrying_predicate_is_not_a_read():
    """``ok`` takes its ports from ``inner`` (which takes them from the packet), declared after it: the fixpoint waits
    for ``inner``'s columns instead of reading "not known yet" as "carries nothing" (which read both ports and turned
    the split off when rules/reachability.dl's fwd_route took a rule ``fwd_route(...) :- fwd_internet_route(...)``).
    Columns bound only through each other in a cycle still carry nothing: a read, never assumed away."""
    text = """
    .decl packet(src_eni: symbol, dst_eni: symbol, src_ip: number, dst_ip: number, proto: symbol, src_port: number, dst_port: number)
    .decl ok(src_port: number, dst_port: number)
    .decl inner(src_port: number, dst_port: number)
    .decl loop(src_port: number, dst_port: number)
    .decl fwd_blocked(hop: symbol)
    ok(SP, DP) :- inner(SP, DP).
    inner(SP, DP) :- packet(_, _, _, _, "6", SP, DP).
    loop(SP, DP) :- loop(DP, SP).
    loop(SP, DP) :- packet(_, _, _, _, "17", SP, DP).
    fwd_blocked("a") :- packet(_, _, _, _, _, SP, DP), !ok(SP, DP).
    fwd_blocked("b") :- packet(_, _, _, _, _, SP, DP), !loop(SP, DP).
    """
    reads = hop_reads(check(parse_text(text, "t.dl")), ["fwd_blocked"])
    assert not {SP, DP} & reads["a"]
    assert {SP, DP} <= reads["b"]


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


def _groups(packets) -> list[_Group]:
    """One port group per packet, of 1-5 destination ports and 1-3 source ports."""
    return [_Group(f, [0, 22, 443, 8000, 65535][: 1 + n % 5], [1024, 33000, 65535][: 1 + n % 3])
            for n, f in enumerate(packets)]


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
    groups = _groups(packets)
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


def _screened(relations) -> tuple[SetBackend, SeparableBackend]:
    """A set backend with the screen's views and a separable one that screens every chunk of ``ranked`` (as
    ``Session.set_backend`` builds them, with ``screen_from=0``), in blocks of a few groups and rounds of 1, 8, ...
    packets."""
    from reasoner.engine.screen import screen_views
    from reasoner.explain.scan import SCREEN_HOPS

    inner = SetBackend(_checked(), relations, views=screen_views(SCREEN_HOPS, HOP_KEYED))
    return inner, SeparableBackend(inner, split(_checked(), HOP_KEYED), HOP_KEYED, block=7, first=3,
                                   screen=SCREEN_HOPS, screen_from=0, screen_round=1)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(snapshots(), st.booleans())
def test_ranked_products_skip_only_packets_that_cannot_be_the_answer(snap, screened):
    """``ranked_products`` (what ``Analyzer._scan`` reads) evaluates a packet ``(dp, sp)`` with ``sp`` not the first
    only if it may still come first in ``rank`` order: every packet it does answer is answered as the packet's
    own evaluation, the first packet of least rank is among them, and every packet it skips ranks after it.  With a
    screen (``screened``), a destination-port piece whose screened hops' rows bound it after a packet already
    evaluated is skipped whole (``Product.skipped``), and the same holds."""
    from reasoner.engine.separable import ranked_products
    from reasoner.explain.scan import ANSWER_RELATIONS, lower_rank, rank

    relations, packets = snap
    groups = _groups(packets)
    if screened:
        inner, sep = _screened(relations)
    else:
        inner = SetBackend(_checked(), relations)
        sep = SeparableBackend(inner, split(_checked(), HOP_KEYED), HOP_KEYED, block=7, first=3)
    try:
        got = list(ranked_products(sep, iter(groups), _facts, ANSWER_RELATIONS, rank, lower_rank))
        assert [g for g, _ in got] == groups
        truth = {(k, i, j): next(iter(inner.evaluate([_facts(g, dp, sp)], ANSWER_RELATIONS)))
                 for k, g in enumerate(groups) for i, dp in enumerate(g.dps) for j, sp in enumerate(g.sps)}
        seen, skipped = {}, []
        for k, (g, prod) in enumerate(got):
            assert screened or not any(prod.skipped)
            for i in range(len(g.dps)):
                for j in range(len(g.sps)):
                    if prod.skipped[i] or (j and prod.pruned[i]):
                        skipped.append((k, i, j))
                    else:
                        seen[(k, i, j)] = prod.answer(i, j)
        assert all(seen[p] == truth[p] for p in seen)
        if truth:
            best = min((rank(a), p) for p, a in truth.items())
            assert best[1] in seen
            assert all((rank(truth[p]), p) > best for p in skipped)
        # the dps not skipped, and |sp| - 1 more only for a group with some dp not pruned
        assert sep.evaluated == sum(prod.skipped.count(False) + (0 if all(prod.pruned) else len(g.sps) - 1)
                                    for g, prod in got)
    finally:
        inner.close()


def _two_enis_one_nacl() -> dict[str, list[tuple]]:
    """eni-0 -> eni-1 in two subnets of one VPC: their SG lets TCP 8000 in and everything out; their NACL lets TCP 8000 in, the
    return traffic in only to ports 32768-65535 (network-acls.html: a NACL is stateless, the reply needs its own
    inbound entry on the client's ephemeral port), and everything out."""
    from test_differential import _cidr

    rel: dict[str, list[tuple]] = {"vpc": [("vpc-0", *_cidr("10.0.0.0/16"))],
                                   "subnet": [("subnet-0", "vpc-0", *_cidr("10.0.1.0/24"), "az-a"),
                                              ("subnet-1", "vpc-0", *_cidr("10.0.2.0/24"), "az-a")],
                                   "eni": [("eni-0", "subnet-0", "vpc-0", 1), ("eni-1", "subnet-1", "vpc-0", 1)],
                                   "eni_ip": [("eni-0", int(ipaddress.IPv4Address("10.0.1.10"))),
                                              ("eni-1", int(ipaddress.IPv4Address("10.0.2.11")))],
                                   "eni_sg": [("eni-0", "sg-a"), ("eni-1", "sg-a")], "eni_public_ip": [],
                                   "sg": [("sg-a", "vpc-0", "sg-a")],
                                   "sg_ingress_cidr": [("sg-a", "6", 8000, 8000, *_cidr("10.0.0.0/16"), "r0")],
                                   "sg_egress_cidr": [("sg-a", "-1", 0, 65535, *_cidr("0.0.0.0/0"), "r1")],
                                   "sg_ingress_sg": [], "sg_egress_sg": [],
                                   "nacl": [("acl-0", "vpc-0", 0)], "subnet_nacl": [("subnet-0", "acl-0"), ("subnet-1", "acl-0")],
                                   "nacl_entry": [("acl-0", 0, 100, "6", 8000, 8000, *_cidr("0.0.0.0/0"), "allow"),
                                                  ("acl-0", 0, 200, "6", 32768, 65535, *_cidr("0.0.0.0/0"), "allow"),
                                                  ("acl-0", 1, 100, "-1", 0, 65535, *_cidr("0.0.0.0/0"), "allow")],
                                   "rtb": [("rtb-0", "vpc-0")], "rtb_main": [("rtb-0", "vpc-0")], "rtb_subnet": [],
                                   "route": [("rtb-0", *_cidr("10.0.0.0/16"), 16, "local", "local", "active")],
                                   "igw_attachment": [], "peering": []}
    return rel


def test_ranked_products_read_the_source_ports_of_a_packet_blocked_only_on_the_way_back():
    """Port 22 is blocked going out (the SG), whatever the source port: its other source ports are not evaluated.
    Port 8000 from source port 1024 is blocked only on the way back (the NACL's return entry), so its other source
    ports are evaluated, and 33000 gets through."""
    from reasoner.engine.separable import ranked_products
    from reasoner.explain.scan import ANSWER_RELATIONS, lower_rank, rank

    rel = _two_enis_one_nacl()
    ips = dict(rel["eni_ip"])
    f = {"packet": [("eni-0", "eni-1", ips["eni-0"], ips["eni-1"], "6", 0, 0)]}
    group = _Group(f, [22, 8000], [1024, 33000, 40000])
    inner = SetBackend(_checked(), rel)
    try:
        sep = SeparableBackend(inner, split(_checked(), HOP_KEYED), HOP_KEYED)
        [(_, prod)] = list(ranked_products(sep, [group], _facts, ANSWER_RELATIONS, rank, lower_rank))
        assert prod.pruned == [True, False]
        assert rank(prod.answer(0, 0)) == (1, 2)  # 22: the NACL and the SG going in
        assert rank(prod.answer(1, 0)) == (0, 1)  # 8000 from 1024: through, blocked on the way back
        assert rank(prod.answer(1, 1)) == (-1, 0)  # 8000 from 33000: gets through
        assert sep.evaluated == 2 + 2
    finally:
        inner.close()


def test_a_screened_ranked_scan_skips_a_port_its_security_group_blocks_once_a_nearer_packet_is_known():
    """The same two ENIs, screened (``SeparableBackend.ranked`` with ``screen_from=0``): port 22's screened rows
    (the security groups' hops) hold a certain forward blocker, so it ranks (1, 1) at best; port 8000 has none,
    is evaluated whole, and gets through the forward path (rank (0, 1) from source port 1024).  So port 22 is not
    evaluated at all (``skipped``), port 8000's other source ports are, and 33000 gets through."""
    from reasoner.engine.separable import ranked_products
    from reasoner.explain.scan import ANSWER_RELATIONS, lower_rank, rank

    rel = _two_enis_one_nacl()
    ips = dict(rel["eni_ip"])
    f = {"packet": [("eni-0", "eni-1", ips["eni-0"], ips["eni-1"], "6", 0, 0)]}
    group = _Group(f, [22, 8000], [1024, 33000, 40000])
    inner, sep = _screened(rel)
    try:
        [(_, prod)] = list(ranked_products(sep, [group], _facts, ANSWER_RELATIONS, rank, lower_rank))
        assert prod.skipped == [True, False] and prod.pruned == [True, False]
        assert sep.screen.evaluated == 2  # both destination ports screened, in one evaluation
        assert rank(prod.answer(1, 0)) == (0, 1)
        assert rank(prod.answer(1, 1)) == (-1, 0)
        assert sep.evaluated == 1 + 2
        try:
            prod.answer(0, 0)
        except ValueError:
            pass
        else:
            raise AssertionError("a skipped packet was answered")
    finally:
        inner.close()


def test_a_screened_ranked_scan_evaluates_an_earlier_packet_that_may_tie_with_the_nearest_miss_so_far():
    """Two groups of one packet each, in order: port 33000 (the SG blocks it, the NACL lets it in) then port 9000
    (an SG rule lets it in, the NACL has no entry for it).  9000 has no screened blocker, so it is evaluated first,
    and misses by one hop (the NACL).  33000's screened rows bound it at one forward blocker too, and it comes
    earlier, so it may still be the nearest miss (the first of least rank): it is evaluated, and it is."""
    from test_differential import _cidr

    from reasoner.engine.separable import ranked_products
    from reasoner.explain.scan import ANSWER_RELATIONS, lower_rank, rank

    rel = _two_enis_one_nacl()
    rel["sg_ingress_cidr"] = rel["sg_ingress_cidr"] + [("sg-a", "6", 9000, 9000, *_cidr("10.0.0.0/16"), "r2")]
    ips = dict(rel["eni_ip"])
    f = {"packet": [("eni-0", "eni-1", ips["eni-0"], ips["eni-1"], "6", 0, 0)]}
    groups = [_Group(f, [33000], [1024]), _Group(f, [9000], [1024])]
    inner, sep = _screened(rel)
    try:
        got = list(ranked_products(sep, groups, _facts, ANSWER_RELATIONS, rank, lower_rank))
        assert [p.skipped for _, p in got] == [[False], [False]]
        first, second = (p.answer(0, 0) for _, p in got)
        assert rank(first) == rank(second) == (1, 1)
        assert {r[0] for r in first["fwd_blocked"]} == {"fwd_sg_ingress"}
        assert {r[0] for r in second["fwd_blocked"]} == {"fwd_nacl_in"}
    finally:
        inner.close()
