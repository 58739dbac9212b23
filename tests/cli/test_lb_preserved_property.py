"""Property: through an NLB that keeps the client's address and port, `internet -> nlb:web` is reachable exactly when
one client source port passes both legs (reasoner/explain/lb_preserved.py).

For random network ACLs on the node's subnets and the target's (outbound tcp to random port ranges: the replies to
the client's source port, and the node's packet to the target on 8000), the answer is compared with a brute force
over every piece of the source ports (cut at every bound of both ACLs and at 1024: each piece's ports are treated
alike by every rule), each leg asked alone for exactly that port. The two legs searched apart, or a class tried on
one leg only, disagree with it (the wrong REACHABLE this replaced).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings, strategies as st

from reasoner.explain.paths import INTERNET, Endpoint
from reasoner.session import Session
from test_lb_semantics import FIXED, split_acls, to_nlb
from test_query import scenario

EXAMPLES = 40 if os.environ.get("REASON_LONG_PROPERTIES") else 8
CLIENT = 16777216  # 1.0.0.0: every rule of the scenario admits any public address
ranges = st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535)).map(sorted).map(tuple), min_size=1, max_size=3)


def _brute_force(session: Session, node: str, target: str) -> bool:
    node_ips = tuple(session.endpoints.resolver.eni_ips[node])
    target_ip = session.endpoints.resolver.eni_ips[target][0]
    rows = session.analyzer.rel["nacl_entry"]
    points = {0, 1024} | {b for r in rows for b in (r[4], r[5] + 1) if b <= 65535}
    an = session.analyzer
    for p in sorted(points):
        leg1 = an.analyze("", [Endpoint(INTERNET, (CLIENT,), ports=(p, p))], [Endpoint(node, node_ips)], "6", 80, 80, 0,
                          detail=False)
        if not leg1.reachable:
            continue
        leg2 = an.analyze("", [Endpoint(node, (CLIENT,), ports=(p, p))], [Endpoint(target, (target_ip,))], "6", 8000, 8000,
                          0, detail=False)
        if leg2.reachable:
            return True
    return False


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(pub=ranges, priv=ranges, to_target=st.booleans())
def test_reachable_exactly_when_one_client_port_passes_both_legs(tmp_path_factory, pub, priv, to_target):
    snap = scenario(tmp_path_factory.mktemp("nlb"), FIXED)
    to_nlb(snap, preserve="true", target_type="ip")
    split_acls(snap, list(pub) + ([(8000, 8000)] if to_target else []), list(priv))
    session = Session.open(snap)
    res = session.query("internet -> nlb:web tcp 80", depth=0)
    assert not res.inconclusive, res.missing
    expected = _brute_force(session, "eni-0alb0a", "eni-0task01")
    assert res.reachable == expected, (pub, priv, to_target, res.packet)
    if res.reachable:  # the witness is one packet: the same source port on both legs
        assert res.packet["client"]["src_port"] == res.packet["to_target"]["src_port"]
