"""Which listeners a snapshot knows, and which target groups a load balancer uses, end to end through the CLI.

1. LoadBalancerListeners in the plain form (listener items, each naming its LoadBalancerArn, as `aws elbv2
   describe-listeners` prints them) was read as no listener at all; and a load balancer the answer says nothing about
   had "no listener" (ELBV2_LISTENERS_MISMATCH, exit 1). DescribeListeners answers for "the specified load balancer"
   or "the specified listeners" (APIReference/API_DescribeListeners.html): a load balancer without a wrapped entry, or
   without a listener in the plain form, was not asked: its listeners are not known (rules/load_balancers.dl
   ``listeners_unknown`` "lb_listeners", base relation ``lb_listeners_listed``), INCONCLUSIVE / NOT DECIDED, exit 3.
2. A target group no load balancer uses: "Target.NotInUse - The target group is not used by any load balancer or the
   target is in an Availability Zone that is not enabled for its load balancer" (APIReference/API_TargetHealth.html).
   `reason health` said "blocked" / "<state>, explained by the network" (with no blocker); it says "unused" (exit 1,
   as for any target that is not open and healthy), and NOT DECIDED (exit 3) when a listener or rule that could name
   the group is missing (``tg_use_unknown``).
3. `reason health alb:NAME`: "Health checks are performed on all targets registered to a target group that is
   specified in a listener rule for your load balancer" (application/load-balancer-target-groups.html), a weight-0
   group of a ForwardConfig included (``lb_tg``); a load balancer using no group checks none (it checked every group
   of the snapshot); one whose rules or listeners are missing says its groups are not decided.
4. LoadBalancerListenerRules without an entry for an ALB listener: its rules are not known (``listener_rules_listed``),
   as when the whole answer is missing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_lb_health_missing import drop, health
from test_query import FACTS, edit, query_json, reason, scenario

from reasoner.facts.importer import import_aws_configs

FIXED = FACTS / "examples" / "seed-fixed"
ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
LB = f"{ARN}:loadbalancer/app/web/50dc6c495c0c9188"
API = f"{ARN}:loadbalancer/app/api/1111222233334444"
API_LISTENER = f"{ARN}:listener/app/api/1111222233334444/aaaabbbbccccdddd"
TG = f"{ARN}:targetgroup/task-tg/73e2d6bc24d8a067"
OTHER_TG = f"{ARN}:targetgroup/other-tg/0123456789abcdef"


def by_tg(out: dict) -> dict[str, dict]:
    return {t["target_group"]: t for t in out["targets"]}


def missing_of(out: dict) -> set[tuple[str, str]]:
    return {(m["missing"], m["component"]) for m in out["missing"]}


def plain_listeners(snap: Path) -> None:
    """The listeners as `aws elbv2 describe-listeners` prints them: no per-load-balancer wrapper."""
    edit(snap, "LoadBalancerListeners", lambda d: d.update(
        LoadBalancerListeners=[li for g in d["LoadBalancerListeners"] for li in g["Listeners"]]))


def add_api_load_balancer(snap: Path) -> None:
    """A second ALB, api, in the same subnets (its nodes derived: no ENI of it in the snapshot)."""
    def add(d):
        api = json.loads(json.dumps(d["LoadBalancers"][0]))
        api.update(LoadBalancerArn=API, LoadBalancerName="api", DNSName="api-1.us-east-1.elb.amazonaws.com")
        d["LoadBalancers"].append(api)
    edit(snap, "LoadBalancers", add)


def add_target_group(snap: Path, tg: str, name: str, load_balancers: list[str], state: str | None = "unused",
                     port: int = 9000) -> None:
    """Another ip target group with the task's address registered; LoadBalancerArns as given."""
    def add_tg(d):
        other = json.loads(json.dumps(d["TargetGroups"][0]))
        other.update(TargetGroupArn=tg, TargetGroupName=name, Port=port, LoadBalancerArns=load_balancers)
        d["TargetGroups"].append(other)
    edit(snap, "TargetGroups", add_tg)
    health_ = {"State": state, "Reason": "Target.NotInUse"} if state == "unused" else {"State": state} if state else {}
    edit(snap, "LoadBalancerTargetHealth", lambda d: d["LoadBalancerTargetHealth"].append(
        {"TargetGroupArn": tg, "TargetHealthDescriptions": [
            {"Target": {"Id": "10.0.11.20", "Port": port, "AvailabilityZone": "us-east-1a"}, "TargetHealth": health_}]}))
    edit(snap, "TargetGroupAttributes", lambda d: d["TargetGroupAttributes"].append({"TargetGroupArn": tg, "Attributes": []}))


# -- 1. which load balancers' listeners the snapshot holds -------------------------------------------------


def test_plain_listener_list_is_read_like_the_wrapped_one(tmp_path):
    """The plain form was dropped without a word: no listener row, so `reason health` said NOT DECIDED ("one is
    missing") and, for a target group not naming the load balancer, "healthy but blocked" (exit 1)."""
    snap = scenario(tmp_path, FIXED)
    plain_listeners(snap)
    rels = import_aws_configs(snap).relations
    assert [r[:2] for r in rels["listener"]] == [(f"{ARN}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2", LB)]
    assert rels["lb_listeners_listed"] == [(LB,)]
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0
    edit(snap, "TargetGroups", lambda d: [g.pop("LoadBalancerArns") for g in d["TargetGroups"]])
    code, out = health(snap)
    assert code == 0 and out["targets"][0]["verdict"] == "healthy and open"


@pytest.mark.parametrize("engine", ["point", "set"])
def test_plain_form_load_balancer_without_a_listener_is_inconclusive_not_no_listener(tmp_path, monkeypatch, engine):
    monkeypatch.setenv("REASON_ENGINE", engine)
    snap = scenario(tmp_path, FIXED)
    add_api_load_balancer(snap)
    plain_listeners(snap)
    code, out = query_json(snap, "internet -> alb:api tcp 80")
    assert code == 3 and out["verdict"] == "inconclusive", out["explanations"]
    assert ("lb_listeners", API) in missing_of(out)
    assert "ELBV2_LISTENERS_MISMATCH" not in json.dumps(out["explanations"])
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0  # web's listeners are in the answer


def test_wrapped_answer_without_an_entry_for_a_load_balancer_is_inconclusive(tmp_path):
    snap = scenario(tmp_path, FIXED)
    add_api_load_balancer(snap)
    code, out = query_json(snap, "internet -> alb:api tcp 80")
    assert code == 3 and ("lb_listeners", API) in missing_of(out)


def test_wrapped_entry_with_no_listener_is_decided_none(tmp_path):
    """The answer for api is there and lists no listener: api has none (decided, as before)."""
    snap = scenario(tmp_path, FIXED)
    add_api_load_balancer(snap)
    edit(snap, "LoadBalancerListeners", lambda d: d["LoadBalancerListeners"].append({"LoadBalancerArn": API, "Listeners": []}))
    code, out = query_json(snap, "internet -> alb:api tcp 80")
    assert code == 1 and out["explanations"][0]["code"] == "ELBV2_LISTENERS_MISMATCH"


def test_health_of_a_group_of_an_unlisted_load_balancer_is_not_decided(tmp_path):
    """A target group naming api (TargetGroups LoadBalancerArns) while api's listeners are not in the plain answer:
    which nodes health-check it is not known."""
    snap = scenario(tmp_path, FIXED)
    add_api_load_balancer(snap)
    add_target_group(snap, OTHER_TG, "other-tg", [API], state="healthy")
    plain_listeners(snap)
    code, out = health(snap)
    other = by_tg(out)[OTHER_TG]
    assert code == 3 and not other["decided"] and "the listeners of load balancer" in " ".join(other["missing"])
    assert by_tg(out)[TG]["open"]


def test_importer_records_whose_listeners_the_answer_holds(tmp_path):
    snap = scenario(tmp_path, FIXED)
    add_api_load_balancer(snap)
    third = f"{ARN}:loadbalancer/net/third/5555666677778888"
    edit(snap, "LoadBalancerListeners", lambda d: d["LoadBalancerListeners"].extend([
        {"LoadBalancerArn": API, "Listeners": []},  # asked, none
        {"ListenerArn": f"{ARN}:listener/net/third/5555666677778888/0000111122223333", "LoadBalancerArn": third,
         "Port": 53, "Protocol": "UDP", "DefaultActions": []},  # a plain item next to the wrapped ones
    ]))
    rels = import_aws_configs(snap).relations
    assert rels["lb_listeners_listed"] == sorted([(API,), (LB,), (third,)])
    assert (f"{ARN}:listener/net/third/5555666677778888/0000111122223333", third, 53, "UDP") in rels["listener"]


def test_plain_listener_without_its_load_balancer_is_an_input_error(tmp_path):
    snap = scenario(tmp_path, FIXED)
    plain_listeners(snap)
    edit(snap, "LoadBalancerListeners", lambda d: d["LoadBalancerListeners"][0].pop("LoadBalancerArn"))
    r = reason("health", "--facts", str(snap))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "LoadBalancerArn" in r.stdout + r.stderr and "LoadBalancerListeners" in r.stdout + r.stderr


# -- 2. a target group no load balancer uses ---------------------------------------------------------------


@pytest.mark.parametrize("state", ["unused", None])
def test_target_group_no_load_balancer_uses_is_unused_not_blocked(tmp_path, state):
    snap = scenario(tmp_path, FIXED)
    add_target_group(snap, OTHER_TG, "other-tg", [], state=state)
    code, out = health(snap)
    other = by_tg(out)[OTHER_TG]
    assert code == 1 and other["decided"] and not other["open"] and not other["blocked_from"]
    assert other["unused"] and not by_tg(out)[TG]["unused"]  # the JSON says what the text's UNUSED says
    assert other["verdict"].startswith("unused, as AWS says: " if state else "unused: ") and "Target.NotInUse" in other["verdict"]
    assert "blocked" not in other["verdict"] and "explained by the network" not in other["verdict"]
    assert by_tg(out)[TG]["verdict"] == "healthy and open"
    r = reason("health", "--facts", str(snap), "tg:other-tg")
    assert r.returncode == 1 and r.stdout.startswith("UNUSED  tg:other-tg -> 10.0.11.20") and "BLOCKED" not in r.stdout


def test_unused_group_that_aws_says_is_healthy_is_flagged(tmp_path):
    """AWS health-checks only groups a load balancer uses: "healthy" contradicts the snapshot (a listener missing)."""
    snap = scenario(tmp_path, FIXED)
    add_target_group(snap, OTHER_TG, "other-tg", [], state="healthy")
    code, out = health(snap, "tg:other-tg")
    assert code == 1 and out["targets"][0]["verdict"].startswith("unused here, but AWS says healthy: the model or the snapshot is wrong")


@pytest.mark.parametrize("name, needle", [
    ("LoadBalancerListenerRules", "LoadBalancerListenerRules"),  # a non-default rule may forward to it
    ("LoadBalancerListeners", "LoadBalancerListeners"),
    ("LoadBalancers", "LoadBalancers"),
])
def test_unused_is_not_decided_when_what_could_use_the_group_is_missing(tmp_path, name, needle):
    snap = scenario(tmp_path, FIXED)
    add_target_group(snap, OTHER_TG, "other-tg", [], state="unused")
    drop(snap, name)
    code, out = health(snap)
    other = by_tg(out)[OTHER_TG]
    assert code == 3 and not other["decided"] and other["verdict"].startswith("not decided")
    assert needle in " ".join(other["missing"]), other["missing"]


def test_unused_is_not_decided_while_a_load_balancers_listeners_are_not_in_the_plain_answer(tmp_path):
    """A group naming no load balancer, while api's listeners are not in the plain answer: one of them may forward to
    it (it said "healthy but blocked here", exit 1)."""
    snap = scenario(tmp_path, FIXED)
    add_api_load_balancer(snap)
    add_target_group(snap, OTHER_TG, "other-tg", [], state="healthy")
    plain_listeners(snap)
    code, out = health(snap)
    other = by_tg(out)[OTHER_TG]
    assert code == 3 and not other["decided"] and "the listeners of load balancer" in " ".join(other["missing"])
    assert "unused" not in other["verdict"] and "blocked" not in other["verdict"]


def test_group_named_by_a_rule_only_is_used(tmp_path):
    snap = scenario(tmp_path, FIXED)
    add_target_group(snap, OTHER_TG, "other-tg", [], state="healthy", port=8000)
    with_rules(snap, [{"TargetGroupArn": OTHER_TG}])
    code, out = health(snap, "tg:other-tg")
    assert code == 0 and out["targets"][0]["verdict"] == "healthy and open"


# -- 3. the target groups of `reason health alb:NAME` -----------------------------------------------------

WEIGHTED_TG = f"{ARN}:targetgroup/weighted-tg/2222222222222222"
ZERO_TG = f"{ARN}:targetgroup/zero-tg/3333333333333333"


def with_rules(snap: Path, groups: list[dict]) -> None:
    """A non-default rule of web's listener (path /api/*) forwarding to groups (ForwardConfig.TargetGroups)."""
    def add(d):
        entry = d["LoadBalancerListenerRules"][0]
        entry["Rules"].insert(0, {
            "RuleArn": entry["ListenerArn"].replace(":listener/", ":listener-rule/") + "/0000aaaa0000aaaa", "Priority": "10",
            "IsDefault": False, "Conditions": [{"Field": "path-pattern", "Values": ["/api/*"]}],
            "Actions": [{"Type": "forward", "Order": 1, "ForwardConfig": {"TargetGroups": groups}}]})
    edit(snap, "LoadBalancerListenerRules", add)


def test_health_of_a_load_balancer_includes_rule_weighted_and_weight_zero_groups(tmp_path):
    """Groups reached only through a non-default rule's weighted forward action are the load balancer's, the weight-0
    one included: its targets are health-checked (it said "healthy but blocked here", exit 1, and alb:web left it out)."""
    snap = scenario(tmp_path, FIXED)
    for tg, name in ((WEIGHTED_TG, "weighted-tg"), (ZERO_TG, "zero-tg")):
        add_target_group(snap, tg, name, [], state="healthy", port=8000)
    with_rules(snap, [{"TargetGroupArn": WEIGHTED_TG, "Weight": 5}, {"TargetGroupArn": ZERO_TG, "Weight": 0}])
    code, out = health(snap, "alb:web")
    assert code == 0 and set(by_tg(out)) == {TG, WEIGHTED_TG, ZERO_TG}
    assert all(t["verdict"] == "healthy and open" for t in out["targets"]), out["targets"]
    code, out = health(snap)
    assert code == 0 and by_tg(out)[ZERO_TG]["reachable_from"] == ["eni-0alb0a", "eni-0alb0b"]
    # requests still go only where the weight sends them: the path to the task is the default action's or the rule's
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0


def test_load_balancer_as_source_sends_no_request_to_a_weight_zero_groups_targets(tmp_path):
    """`alb:NAME -> DST` asks what the nodes send as requests, on the targets' registered ports: a weight-0 group
    gets none ("weight 0 ... no traffic"), and its health checks may go to another port (HealthCheckPort), so
    reading the group as a destination could give a wrong "reachable". Its target is health-checked all the same
    (`reason health`, the test above)."""
    snap = scenario(tmp_path, FIXED)
    add_target_group(snap, ZERO_TG, "zero-tg", [], state="healthy", port=9000)
    with_rules(snap, [{"TargetGroupArn": TG, "Weight": 1}, {"TargetGroupArn": ZERO_TG, "Weight": 0}])
    code, out = query_json(snap, "alb:web -> eni-0task01 tcp 9000")
    got = {e["code"] for e in out["explanations"]}
    assert code == 1 and "TARGET_PORT_RESTRICTION" in got, got
    # the same group with weight 1 does get requests on 9000: the hops decide (the ALB's group has no egress there)
    snap = scenario(tmp_path / "weight1", FIXED)
    add_target_group(snap, ZERO_TG, "zero-tg", [], state="healthy", port=9000)
    with_rules(snap, [{"TargetGroupArn": TG, "Weight": 1}, {"TargetGroupArn": ZERO_TG, "Weight": 1}])
    code, out = query_json(snap, "alb:web -> eni-0task01 tcp 9000")
    got = {(e["code"], e["component"]) for e in out["explanations"]}
    assert code == 1 and ("ENI_SG_RULES_MISMATCH", "sg-0alb") in got and "TARGET_PORT_RESTRICTION" not in {c for c, _ in got}


def test_weight_zero_group_naming_its_load_balancer_is_not_missing_a_listener(tmp_path):
    """With LoadBalancerArns naming web, a weight-0 group read as "no listener or rule forwards to it (one is missing)"."""
    snap = scenario(tmp_path, FIXED)
    add_target_group(snap, ZERO_TG, "zero-tg", [LB], state="healthy", port=8000)
    with_rules(snap, [{"TargetGroupArn": TG, "Weight": 1}, {"TargetGroupArn": ZERO_TG, "Weight": 0}])
    code, out = health(snap, "alb:web")
    assert code == 0 and by_tg(out)[ZERO_TG]["decided"] and by_tg(out)[ZERO_TG]["open"]


def test_health_of_a_load_balancer_using_no_group_checks_none_not_every_group(tmp_path):
    """api's only listener answers with a fixed response: it uses no target group. `reason health alb:api` checked
    every group of the snapshot instead (web's task-tg: "healthy and open", exit 0)."""
    snap = scenario(tmp_path, FIXED)
    add_api_load_balancer(snap)
    edit(snap, "LoadBalancerListeners", lambda d: d["LoadBalancerListeners"].append({"LoadBalancerArn": API, "Listeners": [
        {"ListenerArn": API_LISTENER, "LoadBalancerArn": API, "Port": 80, "Protocol": "HTTP",
         "DefaultActions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}]}))
    edit(snap, "LoadBalancerListenerRules", lambda d: d["LoadBalancerListenerRules"].append({"ListenerArn": API_LISTENER, "Rules": [
        {"RuleArn": API_LISTENER.replace(":listener/", ":listener-rule/") + "/1", "Priority": "default", "IsDefault": True,
         "Conditions": [], "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]}]}))
    code, out = health(snap, "alb:api")
    assert code == 1 and out["targets"] == []
    code, out = health(snap, "alb:api", "alb:web")
    assert code == 0 and set(by_tg(out)) == {TG}


@pytest.mark.parametrize("name", ["LoadBalancerListenerRules", "LoadBalancerListeners"])
def test_health_of_a_load_balancer_whose_groups_are_not_all_known_says_so(tmp_path, name):
    """Without its rules (or listeners) a load balancer may use groups the snapshot does not connect to it: `reason
    health alb:web` said every target open and healthy (exit 0)."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, name)
    code, out = health(snap, "alb:web")
    head = out["targets"][0]
    assert code == 3 and head["target_group"] == LB and head["target"] == "(its target groups)"
    assert not head["decided"] and name in " ".join(head["missing"])
    r = reason("health", "--facts", str(snap), "alb:web")
    assert r.returncode == 3 and "NOT DECIDED  alb:web -> (its target groups)\n" in r.stdout


# -- 4. which listeners' rules the snapshot holds ------------------------------------------------------------


def test_listener_without_its_rules_answer_has_rules_the_snapshot_does_not_know(tmp_path):
    """DescribeRules answers for "the specified listener or listener rules" (APIReference/API_DescribeRules.html): a
    LoadBalancerListenerRules file without an entry for an ALB listener was read as "no rule but the default", so a
    group only a rule names could be missed. The listener's rules are now unknown (base relation
    ``listener_rules_listed``), exactly as when the file was not collected; an entry with no rule still decides."""
    full = scenario(tmp_path / "full", FIXED)
    no_entry = scenario(tmp_path / "no-entry", FIXED)
    edit(no_entry, "LoadBalancerListenerRules", lambda d: d.update(LoadBalancerListenerRules=[
        {**e, "ListenerArn": e["ListenerArn"] + "0"} for e in d["LoadBalancerListenerRules"]]))
    assert not any(r[0].endswith("f2f7dc8efc522ab2") for r in import_aws_configs(no_entry).relations["listener_rules_listed"])
    no_file = scenario(tmp_path / "no-file", FIXED)
    drop(no_file, "LoadBalancerListenerRules")
    no_rules = scenario(tmp_path / "no-rules", FIXED)
    edit(no_rules, "LoadBalancerListenerRules", lambda d: d.update(LoadBalancerListenerRules=[
        {**e, "Rules": []} for e in d["LoadBalancerListenerRules"]]))

    code, out = health(no_entry, "alb:web")
    assert code == 3 and any("LoadBalancerListenerRules" in m for t in out["targets"] if not t["decided"]
                             for m in t["missing"]), out
    assert health(no_entry, "alb:web") == health(no_file, "alb:web")
    assert health(full, "alb:web")[0] == health(no_rules, "alb:web")[0] == 0
    for q in ("internet -> alb:web tcp 80", "alb:web -> eni-0task01 tcp 8000"):
        assert query_json(no_entry, q)[0] == query_json(no_file, q)[0], q


def test_unused_group_without_its_target_health_entry_is_not_decided_not_left_out(tmp_path):
    """A group no load balancer uses, whose LoadBalancerTargetHealth entry is missing, was left out: `reason health`
    said every target open and healthy (exit 0), and `health tg:other-tg` "no target group with ... targets" (exit 1).
    Its targets are unknown, and AWS would report each unused (Target.NotInUse): NOT DECIDED, exit 3."""
    snap = scenario(tmp_path / "no-entry", FIXED)
    add_target_group(snap, OTHER_TG, "other-tg", [])
    edit(snap, "LoadBalancerTargetHealth", lambda d: d.update(LoadBalancerTargetHealth=[
        e for e in d["LoadBalancerTargetHealth"] if e["TargetGroupArn"] != OTHER_TG]))
    for names in ((), ("tg:other-tg",)):
        code, out = health(snap, *names)
        other = by_tg(out)[OTHER_TG]
        assert code == 3 and not other["decided"] and any("other-tg" in m for m in other["missing"]), out
    # with its entry, the same group is decided: unused (exit 1)
    snap = scenario(tmp_path / "entry", FIXED)
    add_target_group(snap, OTHER_TG, "other-tg", [])
    code, out = health(snap, "tg:other-tg")
    assert code == 1 and by_tg(out)[OTHER_TG]["decided"] and by_tg(out)[OTHER_TG]["verdict"].startswith("unused"), out
