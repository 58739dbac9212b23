"""Factored and unfactored answers agree (reasoner/engine/symmetry.py, reasoner/explain/factor.py).

Factoring evaluates one pair per class of pairs that no rule can tell apart.  Here every answer is computed
both ways and compared whole: the verdict, the packet shown, the path and explanations of ``query``; every
packet class of ``query --all``; every row of ``audit exposure`` and every cell of ``audit pairs``.  On random
snapshots with cloned ENIs (so classes have several members), and on a generated estate.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reasoner.engine.backend import SetBackend
from reasoner.engine.program import Program
from reasoner.explain import audit, search
from reasoner.explain.paths import INTERNET, Analyzer, Endpoint

ROOT = Path(__file__).resolve().parents[2]
for extra in (ROOT / "tests" / "engine", ROOT / "benchmarks"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))
from test_differential import _checked, snapshots  # noqa: E402  (the random snapshot strategy, reused)


@st.composite
def cloned(draw):
    """A random snapshot whose ENIs get clones: same subnet and groups, the next free address."""
    rel, _ = draw(snapshots())
    sgs = {}
    for e, g in rel["eni_sg"]:
        sgs.setdefault(e, []).append(g)
    public = {r[0]: r for r in rel["eni_public_ip"]}
    used = {ip for _, ip in rel["eni_ip"]}
    originals = list(rel["eni"])
    for n in range(draw(st.integers(1, 5))):
        e, sub, vpc, check = draw(st.sampled_from(originals))
        ip = max(ip for x, ip in rel["eni_ip"] if x == e) + 1
        while ip in used:
            ip += 1
        used.add(ip)
        clone = f"eni-c{n}"
        rel["eni"].append((clone, sub, vpc, check))
        rel["eni_ip"].append((clone, ip))
        rel["eni_sg"] += [(clone, g) for g in sgs.get(e, [])]
        if e in public:
            rel["eni_public_ip"].append((clone, ip, int(ipaddress.IPv4Address("54.1.0.0")) + n))
    return rel


def _analyzer(rel: dict) -> Analyzer:
    program = Program(_checked())
    for name, rows in rel.items():
        program.add_facts(name, rows)
    return Analyzer(program, rel, {})


def _both(monkeypatch, fn):
    monkeypatch.setenv("REASON_FACTOR", "on")
    on = fn()
    monkeypatch.setenv("REASON_FACTOR", "off")
    off = fn()
    return on, off


def _plain(res) -> dict:
    out = res.to_json()
    for k in ("packets_checked", "factored", "endpoint_pairs"):
        out.pop(k)
    return out


def _endpoints(an: Analyzer) -> list[Endpoint]:
    ips: dict[str, list[int]] = {}
    for e, ip in an.rel["eni_ip"]:
        ips.setdefault(e, []).append(ip)
    return [Endpoint(e, tuple(sorted(v))) for e, v in sorted(ips.items())]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                              HealthCheck.function_scoped_fixture])  # only setenv, reset each call
@given(cloned())
def test_factored_answers_equal_unfactored_on_random_snapshots(monkeypatch, rel):
    an = _analyzer(rel)
    assert an.factoring.classes is not None, an.factoring.refused
    enis, inet = _endpoints(an), [Endpoint(INTERNET)]
    backend = SetBackend(an.p.checked, an.rel)
    for srcs, dsts, proto, lo, hi, by in ((enis, enis, "6", 22, 22, None), (enis, inet, "17", 53, 53, None),
                                          (inet, enis, "6", 0, 65535, backend), (enis, enis[:1], "-1", 0, 65535, backend)):
        on, off = _both(monkeypatch, lambda: an.analyze("q", srcs, dsts, proto, lo, hi, depth=1, backend=by))
        assert _plain(on) == _plain(off)
        assert on.endpoint_pairs == off.endpoint_pairs and on.factored and not off.factored
    for srcs, dsts, proto, lo, hi in ((enis, enis, "6", 0, 65535), (inet + enis, enis + inet, "-1", 0, 65535)):
        on, off = _both(monkeypatch, lambda: search.every_reachable(an, backend, srcs, dsts, proto, lo, hi)[0])
        assert on == off
    on, off = _both(monkeypatch, lambda: [(e.eni, e.address, e.ports) for e in audit.exposure(an, backend)[0]])
    assert on == off
    on, off = _both(monkeypatch, lambda: audit.segmentation(an, backend, "subnet", "6", 22, 22).to_json()["cells"])
    assert on == off


def test_classes_group_the_clones_and_keep_the_odd_ones_apart():
    rel = {"vpc": [("vpc-0", *_range("10.0.0.0/16"))], "subnet": [("subnet-0", "vpc-0", *_range("10.0.1.0/24"), "az-a")],
           "sg": [("sg-a", "vpc-0", "a"), ("sg-b", "vpc-0", "b")],
           "eni": [(f"eni-{i}", "subnet-0", "vpc-0", 1) for i in range(5)],
           "eni_ip": [(f"eni-{i}", _ip(f"10.0.1.{10 + i}")) for i in range(5)],
           "eni_sg": [("eni-0", "sg-a"), ("eni-1", "sg-a"), ("eni-2", "sg-a"), ("eni-3", "sg-b"), ("eni-4", "sg-a")],
           # a rule naming eni-4's own address: its address is a cut point, so it stands alone
           "sg_ingress_cidr": [("sg-a", "6", 22, 22, _ip("10.0.1.14"), _ip("10.0.1.14"), "r0")],
           "rtb": [("rtb-0", "vpc-0")], "rtb_main": [("rtb-0", "vpc-0")],
           "route": [("rtb-0", *_range("10.0.0.0/16"), 16, "local", "local", "active")]}
    an = _analyzer(rel)
    c = an.factoring.classes
    assert c is not None
    assert c.of["eni-0"] == c.of["eni-1"] == c.of["eni-2"]
    assert len({c.of["eni-0"], c.of["eni-3"], c.of["eni-4"]}) == 3


@pytest.mark.parametrize("rule,why", [
    ('violation(E, "lowest address") :- eni_ip(E, A), eni_ip(_, B), A < B.', "orders"),
    ('violation(E, "neighbour") :- eni_ip(E, A), eni_ip(_, B), B = A + 1.', "arithmetic")])
def test_a_rule_that_could_tell_clones_apart_turns_factoring_off(tmp_path, rule, why):
    """The gate: ordering two ENIs' addresses, or arithmetic on one, could tell clones apart: nothing is factored,
    and the refusal names the rule."""
    from reasoner.engine.program import load_rules

    rules = tmp_path / "user.dl"
    rules.write_text(rule + "\n")
    program = Program(load_rules([rules]))
    an = Analyzer(program, {"eni": [("eni-0", "subnet-0", "vpc-0", 1)], "eni_ip": [("eni-0", 167772170)]}, {})
    assert an.factoring.classes is None
    assert any(str(rules) in str(r) and why in r.message for r in an.factoring.refused)


def test_the_shipped_rules_pass_the_gate():
    from reasoner.engine.symmetry import gate
    from reasoner.explain.factor import QUERY_COMPUTED, QUERY_OWNED

    owned = QUERY_OWNED | {("eni", 0), ("eni_ip", 0), ("eni_ip", 1), ("eni_sg", 0), ("eni_public_ip", 1), ("eni_public_ip", 2),
                           ("eni_attachment", 1), ("subnet", 0), ("sg", 0)}
    assert gate(_checked(), owned, QUERY_COMPUTED) == []


def _ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def _range(text: str) -> tuple[int, int]:
    n = ipaddress.IPv4Network(text)
    return int(n.network_address), int(n.broadcast_address)


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    import generate

    from reasoner.session import Session

    out = tmp_path_factory.mktemp("estate") / "n80"
    meta = generate.write(out, 80, seed=5, variant="internet")
    return Session.open(out), meta["picks"]


def test_factored_answers_equal_unfactored_on_a_generated_estate(estate, monkeypatch):
    session, picks = estate
    an = session.analyzer
    c = an.factoring.classes
    assert c is not None and len(c) < len(an.eni) and max(len(m) for m in c.members.values()) >= 3  # fleets share classes
    backend = SetBackend(an.p.checked, an.rel)
    enis = _endpoints(an)
    x = [e for e in enis if e.eni == picks["x"]]
    verdicts = set()
    for srcs, dsts, proto, lo, hi in ((enis, x, "6", 22, 22), (enis, enis, "6", 8000, 8000),
                                      ([Endpoint(INTERNET)], enis, "6", 0, 65535)):
        on, off = _both(monkeypatch, lambda: an.analyze("q", srcs, dsts, proto, lo, hi, depth=1, backend=backend))
        assert _plain(on) == _plain(off) and on.packets_checked <= off.packets_checked
        verdicts.add(on.verdict)
        on, off = _both(monkeypatch, lambda: search.every_reachable(an, backend, srcs, dsts, proto, lo, hi)[0])
        assert on == off
    assert verdicts == {"reachable", "unreachable"}
    on, off = _both(monkeypatch, lambda: [(e.eni, e.address, e.ports) for e in audit.exposure(an, backend)[0]])
    assert on == off and on
    on, off = _both(monkeypatch, lambda: audit.segmentation(an, backend, "subnet", "6", 22, 22).to_json()["cells"])
    assert on == off



_side = st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=8, unique=True)


@given(_side, _side, st.dictionaries(st.sampled_from("abcdefgh"), st.sampled_from([0, 1, 2, None])))
@settings(max_examples=300, deadline=None)
def test_lazy_pair_groups_are_every_pair_once_in_representative_order(src_names, dst_names, klass):
    """``group_pairs`` yields lazily (one source class at a time); its groups are checked against the
    definition: every pair of distinct ENIs in exactly one group, each group's representative its first pair
    (source-major), groups in the order of their representatives -- including the odd case where a class's
    first ENI is the other side's only one (the representative is then a later source)."""
    from collections import Counter

    from reasoner.explain.factor import group_pairs

    srcs = [Endpoint(f"eni-{n}") for n in src_names]
    dsts = [Endpoint(f"eni-{n}") for n in dst_names]
    groups = list(group_pairs(srcs, dsts, lambda ep: klass.get(ep.eni[4:])))
    pairs = [(i, j) for i, s in enumerate(srcs) for j, d in enumerate(dsts) if s.eni != d.eni]
    members = Counter((s.eni, d.eni) for g in groups for s, d in g.members())
    assert members == Counter((srcs[i].eni, dsts[j].eni) for i, j in pairs)  # each pair once
    assert [g.order for g in groups] == sorted(g.order for g in groups)
    for g in groups:
        mine = [(i, j) for i, j in pairs if srcs[i] in g.srcs and dsts[j] in g.dsts]
        assert g.order == min(mine) and (srcs[g.order[0]], dsts[g.order[1]]) == (g.src, g.dst)
