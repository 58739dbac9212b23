"""The question layer reads the packet space by port group (reasoner/explain/space.py ``port_groups``,
reasoner/engine/separable.py ``products``): with the split on, a group's |dp| x |sp| packets come from |dp| + |sp| - 1
evaluations, and when no source-port piece changes an answer (``uniform``) one packet per destination-port piece
is read.  Every answer must equal the one read packet by packet (``REASON_SEPARATE=off``): the scan's verdict,
packet, path and count, every ``--all`` class, every exposure row, every proof class."""

from __future__ import annotations

import sys
from pathlib import Path

from reasoner.engine.separable import SeparableBackend, products, ranked_products
from reasoner.explain import audit, search
from reasoner.explain.paths import INTERNET, Endpoint, group_facts
from reasoner.explain.scan import ANSWER_RELATIONS, blocked_for_certain, lower_rank, rank
from reasoner.explain.proof import query_classes

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT / "tests" / "explain", ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
from test_factoring import estate  # noqa: E402, F401  (the generated 80-ENI estate fixture, shared)


def _both(monkeypatch, fn):
    monkeypatch.setenv("REASON_SEPARATE", "on")
    on = fn()
    monkeypatch.setenv("REASON_SEPARATE", "off")
    off = fn()
    return on, off


def test_port_groups_answer_as_every_packet_on_a_generated_estate(estate, monkeypatch):
    session, picks = estate
    an = session.analyzer
    backend = session.set_backend()
    assert isinstance(backend, SeparableBackend)
    enis = an.eni_endpoints()
    x = [e for e in enis if e.eni == picks["x"]]
    internet = [Endpoint(INTERNET)]
    verdicts = set()
    for srcs, dsts, proto, lo, hi in ((enis, x, "6", 22, 22), (enis, x, "-1", 0, 65535), (internet, enis, "6", 0, 65535),
                                      (internet, x, "-1", 0, 65535)):
        on, off = _both(monkeypatch, lambda: an.analyze("q", srcs, dsts, proto, lo, hi, depth=1, backend=backend).to_json())
        assert on == off
        verdicts.add(on["verdict"])
        on, off = _both(monkeypatch, lambda: search.every_reachable(an, backend, srcs, dsts, proto, lo, hi))
        assert on == off
    assert "unreachable" in verdicts and "reachable" in verdicts
    on, off = _both(monkeypatch, lambda: [(e.eni, e.address, e.ports) for e in audit.exposure(an, backend)[0]])
    assert on == off and on
    for by, proto, lo, hi in (("subnet", "6", 22, 22), ("sg", "-1", 0, 65535)):
        on, off = _both(monkeypatch, lambda: audit.segmentation(an, backend, by, proto, lo, hi).to_json())
        assert on == off and on["cells"]
    for text in (f"* -> {picks['x']} any", f"internet -> {picks['x']} any", "internet -> * tcp 22"):
        on, off = _both(monkeypatch, lambda: query_classes(session, text))
        assert on == off and on


def test_both_kinds_of_port_group_occur(estate):
    """The estate has groups whose return NACLs cut the ephemeral range (a source port changes the answer) and
    groups where none does, so both branches of the readers above are exercised; ``uniform`` is never wrong."""
    session, picks = estate
    an = session.analyzer
    groups = [pg for s in [Endpoint(INTERNET)] + an.eni_endpoints()[:20] for d in an.eni_endpoints()
              if s.eni != d.eni for pg in an.space.port_groups(s, d, "6", 0, 65535)]
    prods = list(products(session.set_backend(), groups, group_facts, ANSWER_RELATIONS))
    assert [g for g, _ in prods] == groups
    kinds = {p.uniform for _, p in prods}
    assert kinds == {True, False}
    for g, p in prods:
        if p.uniform:
            assert all(p.answer(i, j) == p.answer(i, 0) for i in range(len(g.dps)) for j in range(len(g.sps)))


def test_settled_groups_are_blocked_for_certain_and_the_others_answer_in_full(estate):
    """With ``settles`` (audit pairs, exposure, ``--all``), a group whose hops reading no port, or no source port,
    block it for certain is not evaluated further (separable.py ``products``).  Every packet of a settled group
    must be blocked for certain by its full answer, every other group must answer exactly as without
    ``settles``, and settling must save evaluations; groups settled at each step occur."""
    session, _ = estate
    an = session.analyzer
    backend = session.set_backend()
    enis = an.eni_endpoints()
    groups = [pg for s in [Endpoint(INTERNET)] + enis[:10] for d in enis
              if s.eni != d.eni for pg in an.space.port_groups(s, d, "-1", 0, 65535)]
    before = backend.evaluated
    full = list(products(backend, groups, group_facts, ANSWER_RELATIONS))
    cost_full = backend.evaluated - before
    before = backend.evaluated
    pruned = list(products(backend, groups, group_facts, ANSWER_RELATIONS, settles=blocked_for_certain))
    cost_pruned = backend.evaluated - before
    assert [g for g, _ in pruned] == groups
    steps = set()
    for (g, f), (_, p) in zip(full, pruned):
        cells = [(i, j) for i in range(len(g.dps)) for j in range(len(g.sps))]
        if p.settled:
            assert all(blocked_for_certain(f.answer(i, j)) for i, j in cells)
            steps.add("no port" if all(blocked_for_certain(f.answer(i, 0)) and f.answer(i, 0) == f.answer(0, 0)
                                       for i in range(len(g.dps))) else "destination port")
        else:
            assert all(p.answer(i, j) == f.answer(i, j) for i, j in cells)
            steps.add("open")
    assert "open" in steps and len(steps) >= 2
    assert cost_pruned < cost_full
    # small blocks: the open groups are evaluated in many runs, and the groups still come out in order
    some = groups[:400]
    small = SeparableBackend(backend.inner, backend.sides, backend.relations, block=60, first=20, screen=backend.screen.hops)
    again = list(products(small, some, group_facts, ANSWER_RELATIONS, early=False, settles=blocked_for_certain))
    assert [g for g, _ in again] == some
    assert sum(1 for _, p in again if not p.settled) > 1 and sum(len(g.dps) for g in some) > 60  # several runs
    for (g, p), (_, q) in zip(pruned, again):
        cells = [(i, j) for i in range(len(g.dps)) for j in range(len(g.sps))]
        assert p.settled == q.settled and all(p.answer(i, j) == q.answer(i, j) for i, j in cells)



def test_the_screen_settles_the_same_groups_and_changes_no_open_answer(estate, monkeypatch):
    """reasoner/engine/screen.py: the security groups' hops looked at first.  With and without the screen the same
    groups come out, in order, settled alike; an open group's every answer is the same; a group the screen settles is
    blocked for certain in every packet (by the full answers), the screen settles some, and the full program then
    evaluates fewer packets."""
    session, _ = estate
    an = session.analyzer
    backend = session.set_backend()
    assert backend.screen is not None and set(backend.screen.hops) == {"fwd_sg_egress", "fwd_sg_ingress"}
    enis = an.eni_endpoints()
    groups = [pg for s in [Endpoint(INTERNET)] + enis[:12] for d in enis
              if s.eni != d.eni for pg in an.space.port_groups(s, d, "6", 22, 22)]
    full = list(products(backend, groups, group_facts, ANSWER_RELATIONS))

    def run(flag: str):
        monkeypatch.setenv("REASON_SCREEN", flag)
        inner, screened = backend.inner.evaluated, backend.screen.evaluated
        got = list(products(backend, groups, group_facts, ANSWER_RELATIONS, early=False, settles=blocked_for_certain))
        return got, backend.inner.evaluated - inner - (backend.screen.evaluated - screened), backend.screen.evaluated - screened

    on, cost_on, screened_on = run("on")
    off, cost_off, screened_off = run("off")
    assert [g for g, _ in on] == [g for g, _ in off] == groups
    assert screened_off == 0 and screened_on > 0 and cost_on < cost_off
    assert [p.settled for _, p in on] == [p.settled for _, p in off]
    assert any(p.settled for _, p in on) and not all(p.settled for _, p in on)
    for (g, f), (_, p), (_, q) in zip(full, on, off):
        cells = [(i, j) for i in range(len(g.dps)) for j in range(len(g.sps))]
        if p.settled:
            assert all(blocked_for_certain(f.answer(i, j)) for i, j in cells)
        else:
            assert all(p.answer(i, j) == q.answer(i, j) == f.answer(i, j) for i, j in cells)


def test_a_screen_refuses_a_hop_reading_the_source_port(estate):
    from reasoner.engine.screen import Screen

    session, _ = estate
    backend = session.set_backend()
    src_hops = [h for h, side in backend.sides.items() if side == "src"]
    assert src_hops  # the return ACL hops read the source port
    try:
        Screen(backend.inner, src_hops[:1], backend.relations, backend._side)
    except ValueError as err:
        assert src_hops[0] in str(err)
    else:
        raise AssertionError("a hop reading the source port was screened")


def test_a_ranked_scan_skips_only_source_ports_that_cannot_come_first(estate):
    """``Analyzer._scan`` reads the groups through ``ranked_products``: a destination port blocked for certain going
    out has its other source ports skipped once an earlier packet ranks at least as well.  On the estate's
    ``* -> X tcp 22`` (nobody reaches X) and ``* -> X any`` spaces some are skipped, the packets read are answered
    as ``products`` answers them, and the first packet of least rank (the witness, or the nearest miss) is the
    same."""
    session, picks = estate
    an = session.analyzer
    backend = session.set_backend()
    x = [e for e in an.eni_endpoints() if e.eni == picks["x"]]
    verdicts = set()
    for proto, lo, hi in (("6", 22, 22), ("-1", 0, 65535)):
        groups = [pg for s in an.eni_endpoints() for d in x if s.eni != d.eni
                  for pg in an.space.port_groups(s, d, proto, lo, hi)]
        before = backend.evaluated
        full = list(products(backend, groups, group_facts, ANSWER_RELATIONS))
        cost_full = backend.evaluated - before
        before = backend.evaluated
        ranked = list(ranked_products(backend, groups, group_facts, ANSWER_RELATIONS, rank, lower_rank))
        cost_ranked = backend.evaluated - before
        assert [g for g, _ in ranked] == groups
        truth, read = _ranked_reads(full, ranked)
        assert min(read) == min(truth)
        verdicts.add(min(truth)[0] == (-1, 0))
        assert any(any(r.pruned) for _, r in ranked) and cost_ranked < cost_full
        assert not any(any(r.skipped) for _, r in ranked)  # (the chunks are below screen_from: none screened)
    assert verdicts == {True, False}  # one space has a packet that gets through, the other only misses


def _ranked_reads(full, ranked) -> tuple[list, list]:
    """Each packet's (rank, position) from ``products``' answers, and those of the packets ``ranked`` answers (its
    answers checked equal on the way)."""
    truth, read = [], []
    for k, ((g, f), (_, r)) in enumerate(zip(full, ranked)):
        for i in range(len(g.dps)):
            for j in range(len(g.sps)):
                truth.append((rank(f.answer(i, j)), (k, i, j)))
                if not (r.skipped[i] or (j and r.pruned[i])):
                    assert r.answer(i, j) == f.answer(i, j)
                    read.append(truth[-1])
    return truth, read


def test_a_screened_ranked_scan_skips_only_packets_that_cannot_come_first(estate):
    """``ranked_products`` with the screen on every chunk (``screen_from=0``): the security groups' hops are asked
    of every destination-port piece first, and a piece they bound after a packet already evaluated is not evaluated
    at all (``skipped``).  On ``* -> X`` and ``sg-A -> sg-B``-like spaces of the estate (every ENI to X; the ENIs of
    one group to those of another), whole or over every protocol: the packets read are answered as ``products``
    answers them, the first packet of least rank is the same, every skipped packet ranks after it, some are
    skipped, and the whole program evaluates fewer packets than without the screen."""
    session, picks = estate
    an = session.analyzer
    backend = session.set_backend()
    # rounds of 1, 8, 64 ... packets: the order of the search shows
    screened = SeparableBackend(backend.inner, backend.sides, backend.relations, screen=backend.screen.hops,
                                screen_from=0, screen_round=1)
    enis = an.eni_endpoints()
    x = [e for e in enis if e.eni == picks["x"]]
    by_sg: dict[str, list] = {}
    for e in enis:
        for g in an.sgs.get(e.eni, []):
            by_sg.setdefault(g, []).append(e)
    a, b = sorted(by_sg, key=lambda g: (-len(by_sg[g]), g))[:2]
    skipped = 0
    for srcs, dsts in ((enis, x), (by_sg[a], by_sg[b])):
        for proto, lo, hi in (("6", 22, 22), ("-1", 0, 65535)):
            groups = [pg for s in srcs for d in dsts if s.eni != d.eni
                      for pg in an.space.port_groups(s, d, proto, lo, hi)]
            full = list(products(backend, groups, group_facts, ANSWER_RELATIONS))
            before = backend.evaluated
            plain = list(ranked_products(backend, groups, group_facts, ANSWER_RELATIONS, rank, lower_rank))
            cost_plain = backend.evaluated - before
            got = list(ranked_products(screened, groups, group_facts, ANSWER_RELATIONS, rank, lower_rank))
            assert [g for g, _ in got] == groups
            truth, read = _ranked_reads(full, got)
            best = min(truth)
            assert min(read) == best and min(_ranked_reads(full, plain)[1]) == best
            seen = {p for _, p in read}
            assert all(t > best for t in truth if t[1] not in seen)
            skipped += sum(r.skipped.count(True) for _, r in got)
            assert screened.evaluated <= cost_plain
            screened.evaluated = 0
    assert skipped > 0


def test_an_enis_rules_are_what_its_hops_read(estate):
    """``PacketSpace.rules`` builds an ENI's ``Rules`` from two parts kept apart (its security groups', its subnet's
    and VPC's); for every ENI of the estate, and one the snapshot does not have, they equal the ``Rules`` of
    everything ``Analyzer._rules_on`` reads of it: the protocols of its SG rules and NACL entries, their ports
    (ICMP's apart) and every CIDR range."""
    from reasoner.explain.space import ICMP, NONE, Rules

    session, _ = estate
    an = session.analyzer
    for eni in sorted(an.eni) + ["eni-not-in-the-snapshot"]:
        sg_rules, nacl, ranges = an._rules_on([Endpoint(eni)])
        expected = Rules(frozenset({r[1] for r in sg_rules} | {r[3] for r in nacl}),
                         frozenset((r[4], r[5]) for r in nacl if r[3] not in ICMP),
                         frozenset((r[2], r[3]) for r in sg_rules if r[1] not in ICMP),
                         frozenset(ranges),
                         frozenset([(r[4], r[5]) for r in nacl if r[3] in ICMP]
                                   + [(r[2], r[3]) for r in sg_rules if r[1] in ICMP]))
        assert an.space.rules(Endpoint(eni)) == expected, eni
    assert an.space.rules(Endpoint("eni-not-in-the-snapshot")) == NONE
    assert len(an.space._sg_parts) > 1 and len(an.space._network_parts) > 1
