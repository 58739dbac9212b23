"""Property: a load balancer described another way gets the same answers.

The load-balancer counterpart of ``test_metamorphic_property.py``, on random variants of the shipped example
(``test_lb_missing_data_property.build``: ALB or internet-facing NLB, random security-group rules, cross-zone
and client-IP attributes, the target's zone).  Each rewriting writes the same configuration otherwise, as AWS
documents the two to be the same; every answer (verdict, explanation codes, what is missing) must stay.

Bounded for CI (three snapshots, every rewriting of each); ``REASON_LONG_PROPERTIES=1`` tries 30.
"""

from __future__ import annotations

import copy
import os
import random

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.explain.test_lb_missing_data_property import QUERIES, build
from tests.explain.test_metamorphic_property import Snapshot, answers, rename_ids, shuffle_lists

EXAMPLES = 30 if os.environ.get("REASON_LONG_PROPERTIES") else 3


def _attributes(snap: Snapshot, key: str) -> list[list[dict]]:
    return [g["Attributes"] for g in snap.get(key, {}).get(key, [])]


def target_group_cross_zone_default(snap: Snapshot) -> Snapshot:
    """A target group's ``load_balancing.cross_zone.enabled`` of ``use_load_balancer_configuration`` dropped, or
    added where absent: "for target groups, the default is to use the load balancer setting"
    (elasticloadbalancing/latest/network/target-group-cross-zone.html, application/disable-cross-zone.html)."""
    out = copy.deepcopy(snap)
    for attrs in _attributes(out, "TargetGroupAttributes"):
        keep = [a for a in attrs if a["Key"] != "load_balancing.cross_zone.enabled"]
        if len(keep) == len(attrs):
            keep.append({"Key": "load_balancing.cross_zone.enabled", "Value": "use_load_balancer_configuration"})
        elif any(a["Key"] == "load_balancing.cross_zone.enabled" and a["Value"] != "use_load_balancer_configuration"
                 for a in attrs):
            keep = attrs  # an explicit true/false is not the default
        attrs[:] = keep
    return out


def alb_cross_zone_default(snap: Snapshot) -> Snapshot:
    """An Application Load Balancer's ``load_balancing.cross_zone.enabled`` written out as "true" where absent, or
    dropped where it is "true": it is "always turned on at the load balancer level, and cannot be turned off"
    (application/disable-cross-zone.html).  (A Network Load Balancer without the attribute is another matter: its
    default is off, but the rules read a missing attribute as unknown, not as the default, so that an answer never
    rests on data the snapshot lacks: ``cross_zone_unknown`` in rules/load_balancers.dl.)"""
    out = copy.deepcopy(snap)
    if out["LoadBalancers"]["LoadBalancers"][0]["Type"] != "application":
        return out
    for attrs in _attributes(out, "LoadBalancerAttributes"):
        mine = [a for a in attrs if a["Key"] == "load_balancing.cross_zone.enabled"]
        if not mine:
            attrs.append({"Key": "load_balancing.cross_zone.enabled", "Value": "true"})
        elif all(a["Value"] == "true" for a in mine):
            attrs[:] = [a for a in attrs if a["Key"] != "load_balancing.cross_zone.enabled"]
    return out


def target_group_spells_out_the_load_balancer(snap: Snapshot) -> Snapshot:
    """A target group that uses the load balancer's cross-zone setting given that setting itself: "the target group
    setting determines the load balancing behavior for the target group" (network/target-group-cross-zone.html),
    so "use_load_balancer_configuration" under a load balancer that has it on (every ALB; an NLB whose attribute
    is "true") is "true", and under an NLB whose attribute is "false" is "false"."""
    out = copy.deepcopy(snap)
    lb = out["LoadBalancers"]["LoadBalancers"][0]
    lb_attrs = {a["Key"]: a["Value"] for attrs in _attributes(out, "LoadBalancerAttributes") for a in attrs}
    setting = "true" if lb["Type"] == "application" else lb_attrs.get("load_balancing.cross_zone.enabled")
    if setting not in ("true", "false"):
        return out  # (an NLB's unknown setting: nothing to spell out)
    for attrs in _attributes(out, "TargetGroupAttributes"):
        mine = [a for a in attrs if a["Key"] == "load_balancing.cross_zone.enabled"]
        if all(a["Value"] == "use_load_balancer_configuration" for a in mine):
            attrs[:] = [a for a in attrs if a["Key"] != "load_balancing.cross_zone.enabled"]
            attrs.append({"Key": "load_balancing.cross_zone.enabled", "Value": setting})
    return out


def health_check_port_spelled(snap: Snapshot) -> Snapshot:
    """A target group's health check port ``traffic-port`` written as the port its targets are registered on
    (every target of the example is on one port): "traffic-port" is "the port on which each target receives
    traffic from the load balancer" (target-group-health-checks.html, HealthCheckPort)."""
    out = copy.deepcopy(snap)
    ports = {g["TargetGroupArn"]: {t["Target"]["Port"] for t in g["TargetHealthDescriptions"]}
             for g in out.get("LoadBalancerTargetHealth", {}).get("LoadBalancerTargetHealth", [])}
    for tg in out.get("TargetGroups", {}).get("TargetGroups", []):
        on = ports.get(tg["TargetGroupArn"], set())
        if tg.get("HealthCheckPort", "traffic-port") == "traffic-port" and len(on) == 1:
            tg["HealthCheckPort"] = str(next(iter(on)))
    return out


REWRITINGS = {
    "rename ids": lambda s, r: rename_ids(s, frozenset({"sg", "subnet", "acl", "rtb", "igw"})),  # (queries name the VPC)
    "shuffle lists": shuffle_lists,
    "target group cross-zone default": lambda s, r: target_group_cross_zone_default(s),
    "ALB cross-zone default": lambda s, r: alb_cross_zone_default(s),
    "target group spells out the load balancer": lambda s, r: target_group_spells_out_the_load_balancer(s),
    "health check port spelled": lambda s, r: health_check_port_spelled(s),
}


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31))
def test_a_load_balancer_described_another_way_gets_the_same_answers(tmp_path_factory, seed):
    snap = build(seed)
    kind = "nlb" if snap["LoadBalancers"]["LoadBalancers"][0]["Type"] == "network" else "alb"
    queries = [q.format(kind=kind) for q in QUERIES]
    base = answers(tmp_path_factory.mktemp("base"), snap, queries)
    for name in sorted(REWRITINGS):
        after = answers(tmp_path_factory.mktemp("variant"), REWRITINGS[name](snap, random.Random(seed)), queries)
        for q in queries:
            assert after[q] == base[q], (seed, name, q, base[q], after[q])


def test_each_rewriting_changes_some_examples():
    """A rewriting that never changed a snapshot would test nothing (some apply to one kind of load balancer)."""
    snaps = [build(seed) for seed in range(12)]
    for name, rewrite in REWRITINGS.items():
        assert any(rewrite(s, random.Random(n)) != s for n, s in enumerate(snaps)), name
