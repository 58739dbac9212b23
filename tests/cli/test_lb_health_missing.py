"""Missing load-balancer data in `reason health` and a load balancer without a scheme, end to end through the CLI.

Missing data never reads as a decided answer (rules/missing_data.dl, rules/load_balancers.dl ``tg_health_unknown``,
``tg_targets_unknown``, ``lb_scheme_unknown``): `reason health` says NOT DECIDED and names what is missing (exit 3
when nothing else decidedly fails), where it used to say "unused" (LoadBalancers not collected: no zone read as
"not enabled"), "healthy but blocked" (LoadBalancerListeners not collected: no node read as "blocked") or "no target
group with targets" (LoadBalancerTargetHealth, or one target group's entry in it, not collected: exit 1).

AWS semantics relied on: health checks come from the nodes of the load balancers using the target group
(target-group-health-checks.html); DescribeTargetHealth is asked per target group (TargetGroupArn required,
APIReference/API_DescribeTargetHealth.html), so an entry with no target means "no target" and a missing entry means
"not known"; "The nodes of an Internet-facing load balancer have public IP addresses ... The nodes of an internal
load balancer have only private IP addresses" (APIReference/API_LoadBalancer.html, Scheme).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_query import FACTS, answer, drop, edit, query_json, reason, scenario

from reasoner.facts.importer import import_aws_configs

FIXED = FACTS / "examples" / "seed-fixed"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/task-tg/73e2d6bc24d8a067"
LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
OTHER_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other-tg/0123456789abcdef"
LB_FILES = ("LoadBalancers", "LoadBalancerAttributes", "LoadBalancerListeners", "LoadBalancerListenerRules", "TargetGroups",
            "TargetGroupAttributes", "LoadBalancerTargetHealth")


def health(snap: Path, *names: str) -> tuple[int, dict]:
    r = reason("health", "--facts", str(snap), "--format", "json", *names)
    assert r.returncode in (0, 1, 3), r.stdout + r.stderr
    return r.returncode, answer(r.stdout)


def only_target(out: dict) -> dict:
    assert len(out["targets"]) == 1, out["targets"]
    return out["targets"][0]


def assert_not_decided(t: dict, *needles: str) -> None:
    assert not t["decided"] and not t["open"] and t["verdict"].startswith("not decided"), t
    assert not t["zone_disabled"] and not t["blocked_from"], t
    text = " ".join(t["missing"])
    assert all(n in text for n in needles), (needles, t["missing"])


# -- `reason health` with a load-balancer describe-* answer missing ----------------------------------------


def test_health_without_load_balancers_is_not_decided_not_unused(tmp_path):
    """Without LoadBalancers no zone of the load balancer is known: that is not "registered in a zone the load
    balancer is not enabled in" (it said "unused ... ELB_INSTALLED_AZ_RESTRICTION", decided, exit 1)."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, "LoadBalancers")
    code, out = health(snap)
    t = only_target(out)
    assert code == 3 and not out["ok"]
    assert_not_decided(t, LB, "not in the snapshot")
    assert "unused" not in t["verdict"] and "ELB_INSTALLED_AZ_RESTRICTION" not in t["verdict"]
    r = reason("health", "--facts", str(snap))
    assert r.returncode == 3 and "NOT DECIDED" in r.stdout and "unused" not in r.stdout


def test_health_without_listeners_is_not_decided_not_blocked(tmp_path):
    """Without LoadBalancerListeners the nodes sending health checks are not known: it said "healthy but blocked
    here" with no blocker named (exit 1)."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, "LoadBalancerListeners")
    code, out = health(snap)
    t = only_target(out)
    assert code == 3
    assert_not_decided(t, "LoadBalancerListeners")
    assert t["collected_state"] == "healthy" and "blocked" not in t["verdict"]


def test_health_without_target_health_is_not_decided_not_no_target(tmp_path):
    """Without LoadBalancerTargetHealth the registered targets are not known: it said "no target group with IP or
    instance targets" (exit 1)."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, "LoadBalancerTargetHealth")
    code, out = health(snap)
    t = only_target(out)
    assert code == 3 and t["target_group"] == TG and t["target"] == "(its targets)"
    assert_not_decided(t, "LoadBalancerTargetHealth")
    r = reason("health", "--facts", str(snap), "tg:task-tg")
    assert r.returncode == 3 and "no target group" not in r.stdout and "NOT DECIDED  tg:task-tg -> (its targets)\n" in r.stdout


def test_target_group_without_its_target_health_entry_is_not_decided(tmp_path):
    """LoadBalancerTargetHealth collected, but with no entry for the target group: its targets are not known, in
    `reason health` and in `reason query` alike (the query said ELBV2_LISTENER_HAS_NO_TG, exit 1)."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancerTargetHealth", lambda d: d.update(LoadBalancerTargetHealth=[]))
    code, out = health(snap)
    t = only_target(out)
    assert code == 3 and t["target"] == "(its targets)"
    assert_not_decided(t, "registered targets of target group", TG)
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and out["verdict"] == "inconclusive"
    assert ("tg_targets", TG) in {(m["missing"], m["component"]) for m in out["missing"]}
    assert "ELBV2_LISTENER_HAS_NO_TG" not in json.dumps(out["explanations"])


def test_target_group_whose_entry_lists_no_target_has_none(tmp_path):
    """The entry is there and lists no target: the target group has none, decided (the per-group answer is known)."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancerTargetHealth", lambda d: [g.update(TargetHealthDescriptions=[]) for g in d["LoadBalancerTargetHealth"]])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 1 and out["explanations"][0]["code"] == "ELBV2_LISTENER_HAS_NO_TG"
    r = reason("health", "--facts", str(snap))
    assert r.returncode == 1 and "no target group with IP or instance targets" in r.stdout


def test_importer_records_each_target_groups_target_health_entry(tmp_path):
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancerTargetHealth", lambda d: d["LoadBalancerTargetHealth"].append(
        {"TargetGroupArn": OTHER_TG, "TargetHealthDescriptions": []}))
    rels = import_aws_configs(snap).relations
    assert rels["tg_targets_listed"] == [(OTHER_TG,), (TG,)]
    assert not any(r[0] == OTHER_TG for r in rels["tg_target"])


# -- precedence: a decided failure still fails (exit 1); undecided ones alone give 3 ------------------------


def with_other_target_group(snap: Path) -> None:
    """A second ip target group, named by the load balancer (LoadBalancerArns) but forwarded to by no listener or
    rule in the snapshot (one is missing: listener_of), with a target on the task's address."""
    def add_tg(d):
        other = json.loads(json.dumps(d["TargetGroups"][0]))
        other.update(TargetGroupArn=OTHER_TG, TargetGroupName="other-tg", Port=9000)
        d["TargetGroups"].append(other)
    edit(snap, "TargetGroups", add_tg)
    edit(snap, "LoadBalancerTargetHealth", lambda d: d["LoadBalancerTargetHealth"].append(
        {"TargetGroupArn": OTHER_TG, "TargetHealthDescriptions": [
            {"Target": {"Id": "10.0.11.20", "Port": 9000, "AvailabilityZone": "us-east-1a"},
             "TargetHealth": {"State": "healthy"}}]}))


@pytest.mark.parametrize("base, code", [(FIXED, 3), (FACTS, 1)], ids=["only-undecided-3", "decided-failure-1"])
def test_health_exit_code_precedence_with_an_undecided_target_group(tmp_path, base, code):
    snap = scenario(tmp_path, base)
    with_other_target_group(snap)
    got, out = health(snap)
    by_tg = {t["target_group"]: t for t in out["targets"]}
    assert_not_decided(by_tg[OTHER_TG], "no listener or rule in the snapshot forwards to it")
    assert by_tg[TG]["decided"]  # the gap of the other group does not reach this one
    assert by_tg[TG]["open"] == (base == FIXED)
    assert got == code


# -- no load-balancer deletion makes `reason health` decide differently ------------------------------------


@pytest.mark.parametrize("name", LB_FILES)
def test_deleting_a_load_balancer_file_never_changes_a_decided_health_verdict(tmp_path, name):
    """From the fixed example (open and healthy) and the shipped one (blocked, explained by the network): with one
    load-balancer file deleted each target keeps its verdict or is not decided; never the opposite exit code."""
    for base, before in ((FIXED, 0), (FACTS, 1)):
        snap = scenario(tmp_path / base.name, base)
        full_code, full = health(snap)
        assert full_code == before
        verdicts = {(t["target_group"], t["target"]): t["verdict"] for t in full["targets"]}
        drop(snap, name)
        code, out = health(snap)
        assert code in (before, 3), (name, base.name, out["targets"])
        for t in out["targets"]:
            assert not t["decided"] or verdicts.get((t["target_group"], t["target"])) == t["verdict"], (name, t)


# -- a load balancer without a scheme ---------------------------------------------------------------------


def without_scheme(snap: Path) -> None:
    edit(snap, "LoadBalancers", lambda d: [lb.pop("Scheme") for lb in d["LoadBalancers"]])


@pytest.mark.parametrize("engine", ["point", "set"])
def test_load_balancer_without_scheme_is_inconclusive_from_the_internet(tmp_path, monkeypatch, engine):
    """No Scheme is neither internet-facing nor internal: from the internet the answer is INCONCLUSIVE naming it (it
    was UNREACHABLE, IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS, as if internal)."""
    monkeypatch.setenv("REASON_ENGINE", engine)
    snap = scenario(tmp_path, FIXED)
    without_scheme(snap)
    for q in ("internet -> alb:web tcp 80", "internet -> eni-0alb0a tcp 80", "1.1.1.1 -> vpc-0a1b2c3d tcp 80"):
        code, out = query_json(snap, q)
        assert code == 3 and out["verdict"] == "inconclusive", (q, out["explanations"])
        assert ("lb_scheme", LB) in {(m["missing"], m["component"]) for m in out["missing"]}, q
        assert "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS" not in json.dumps(out["explanations"]), q
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")  # inside the VPC the scheme does not matter
    assert code == 0
    assert health(snap)[0] == 0


def test_scheme_decides_when_given(tmp_path):
    snap = scenario(tmp_path, FIXED)
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0
    edit(snap, "LoadBalancers", lambda d: [lb.update(Scheme="internal") for lb in d["LoadBalancers"]])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 1 and ("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", "eni-0alb0a") in {
        (e["code"], e["component"]) for e in out["explanations"]}


def test_exposure_audit_does_not_decide_a_node_without_scheme(tmp_path):
    snap = scenario(tmp_path, FIXED)
    without_scheme(snap)
    r = reason("audit", "exposure", "--facts", str(snap))
    assert "0 exposed to the internet" in r.stdout and "not decided" in r.stdout and "eni-0alb0a" in r.stdout
