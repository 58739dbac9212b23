"""What a load balancer's own state, its targets' states and its client IP preservation do to an answer
(rules/load_balancers.dl lb_routes, target_draining, tg_alb_target, health_check_port; reasoner/explain/
loadbalancers.py). Each case was answered REACHABLE (or OPEN, or "look at the application") before.
"""

import json

import pytest

from test_lb_semantics import FIXED, codes, to_nlb
from test_query import edit, query_json, reason, scenario


@pytest.mark.parametrize("state, code", [("provisioning", 1), ("failed", 1), ("active_impaired", 0), ("active", 0)])
def test_a_load_balancer_that_is_not_active_routes_nothing(tmp_path, state, code):
    """APIReference/API_LoadBalancerState.html: active_impaired "is routing traffic"; provisioning and failed not."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancers", lambda d: [lb.update(State={"Code": state}) for lb in d["LoadBalancers"]])
    got, out = query_json(snap, "internet -> alb:web tcp 80")
    assert got == code
    if code:
        assert codes(out) == [("BAD_STATE", out["explanations"][0]["component"])]
        r = reason("audit", "exposure", "--facts", str(snap), "--format", "json")
        assert json.loads(r.stdout)["exposed"] == [], r.stdout


def test_a_load_balancer_without_its_state_is_undecided(tmp_path):
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancers", lambda d: [lb.pop("State") for lb in d["LoadBalancers"]])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and {m["missing"] for m in out["missing"]} == {"lb_state"}


def _target_state(state, reason_code):
    return lambda d: [t.update(TargetHealth={"State": state, "Reason": reason_code})
                      for g in d["LoadBalancerTargetHealth"] for t in g["TargetHealthDescriptions"]]


def test_a_draining_target_gets_no_request(tmp_path):
    """"Elastic Load Balancing stops sending requests to targets that are deregistering" (deregistration delay)."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancerTargetHealth", _target_state("draining", "Target.DeregistrationInProgress"))
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 1 and out["explanations"][0]["code"] == "ELBV2_LISTENER_HAS_NO_TG"
    assert "draining" in out["explanations"][0]["message"]
    r = reason("health", "--facts", str(snap))
    assert "DRAINING" in r.stdout and "look at the application" not in r.stdout


def test_each_registration_of_a_target_is_health_checked_on_its_own_port(tmp_path):
    """traffic-port: a target registered on 8000 and 9000 is checked on each; sg-0alb lets out 8000 only."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancerTargetHealth", lambda d: [g["TargetHealthDescriptions"].append(
        {"Target": {"Id": "10.0.11.20", "Port": 9000, "AvailabilityZone": "us-east-1a"}, "HealthCheckPort": "9000",
         "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout"}}) for g in d["LoadBalancerTargetHealth"]])
    r = reason("health", "--facts", str(snap), "--format", "json")
    ports = {(t["port"], t["open"]) for t in json.loads(r.stdout)["targets"]}
    assert ports == {(8000, True), (9000, False)}, r.stdout


def test_an_nlb_forwarding_to_an_alb_is_not_followed(tmp_path):
    """network/application-load-balancer-target.html: target type alb; not modelled: undecided, never "no target"."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap)
    alb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0123456789abcdef"
    edit(snap, "TargetGroups", lambda d: [g.update(TargetType="alb") for g in d["TargetGroups"]])
    edit(snap, "LoadBalancerTargetHealth", lambda d: [t["Target"].update(Id=alb, Port=80)
                                                      for g in d["LoadBalancerTargetHealth"] for t in g["TargetHealthDescriptions"]])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 3 and "alb_target" in {m["missing"] for m in out["missing"]}


def test_an_alb_forwarding_to_a_lambda_function_is_not_followed_never_no_target(tmp_path):
    """application/lambda-functions.html: the load balancer "invokes your Lambda function and passes the content of the
    request".  A group of target type lambda read as "forwards to no target group with targets": a certain
    ELBV2_LISTENER_HAS_NO_TG, and `assert unreachable internet -> alb:web` passed as a proof of isolation."""
    snap = scenario(tmp_path, FIXED)
    fn = "arn:aws:lambda:us-east-1:123456789012:function:web"
    edit(snap, "TargetGroups", lambda d: [g.update(TargetType="lambda") for g in d["TargetGroups"]])
    edit(snap, "LoadBalancerTargetHealth", lambda d: [t.update(Target={"Id": fn}) for g in d["LoadBalancerTargetHealth"]
                                                      for t in g["TargetHealthDescriptions"]])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and "lambda_target" in {m["missing"] for m in out["missing"]}, out
    assert "ELBV2_LISTENER_HAS_NO_TG" not in {e["code"] for e in out["explanations"]}


def test_a_target_that_is_its_own_client_through_a_preserving_nlb_times_out(tmp_path):
    """"Internal load balancers do not support hairpinning or loopback" with client IP preservation: the target gets
    a packet from its own address (network/load-balancer-troubleshooting.html#loopback-timeout)."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="true")
    code, out = query_json(snap, "task-eni -> nlb:web tcp 80")
    assert code == 1 and codes(out)[0][0] == "ELBV2_SOURCE_ADDRESS_PRESERVATION"
    to_nlb(snap, preserve="false")  # (the target sees the node's address)
    assert query_json(snap, "task-eni -> nlb:web tcp 80")[0] == 0
    to_nlb(snap, preserve=None)  # not in the snapshot: off by default for an ip target, but on would time out
    code, out = query_json(snap, "task-eni -> nlb:web tcp 80")
    assert code == 3 and "tg_attribute" in {m["missing"] for m in out["missing"]}


def test_a_load_balancers_node_is_not_a_client_of_its_own_listeners(tmp_path):
    snap = scenario(tmp_path, FIXED)
    r = reason("query", "--facts", str(snap), "eni-0alb0b -> alb:web tcp 80")
    assert r.returncode == 2 and "error[query.own_node]" in r.stderr
    code, out = query_json(snap, "vpc-0a1b2c3d -> alb:web tcp 80")  # the nodes are left out of a set, and said so
    assert code == 0 and out["packet"]["client"]["src_ip"] not in ("10.0.1.10", "10.0.2.10")
    assert any("not its clients" in w for w in out["warnings"])


@pytest.mark.parametrize("state, code", [("provisioning", 1), ("failed", 1), (None, 3), ("active_impaired", 0)])
def test_a_load_balancer_that_is_not_active_sends_nothing_as_the_source(tmp_path, state, code):
    """APIReference/API_LoadBalancerState.html: provisioning and failed do not route traffic, so the nodes send no
    request (BAD_STATE); without a State it is not known (INCONCLUSIVE, lb_state), as ``internet -> alb:web`` already
    answered. Before, ``alb:web -> eni-0task01 tcp 8000`` was REACHABLE in each case; and `reason health` called the
    target "healthy and open" from the nodes of a failed load balancer: now not decided."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "LoadBalancers", lambda d: [lb.pop("State") if state is None else lb.update(State={"Code": state})
                                           for lb in d["LoadBalancers"]])
    got, out = query_json(snap, "alb:web -> eni-0task01 tcp 8000")
    assert got == code, out
    if code == 1:
        assert codes(out) == [("BAD_STATE", out["explanations"][0]["component"])]
    if code == 3:
        assert {m["missing"] for m in out["missing"]} == {"lb_state"}
    health = reason("health", "--facts", str(snap), "--format", "json")
    assert health.returncode == (0 if code == 0 else 3), health.stdout


def test_every_node_health_checks_every_target_whatever_cross_zone_says(tmp_path):
    """"Each load balancer node checks the health of each target, using the health check settings for the target
    groups with which the target is registered" (application/target-group-health-checks.html): cross-zone load
    balancing decides where requests go, not which nodes send health checks. With it off for the target group and
    node b's subnet denying the way to the task, the checks from node b time out: "explained by the network" from
    eni-0alb0b. Before, only the target's own-zone node (eni-0alb0a) was asked, and the verdict blamed the application."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "TargetGroupAttributes", lambda d: [a.update(Value="false") for g in d["TargetGroupAttributes"]
                                                   for a in g["Attributes"] if a["Key"] == "load_balancing.cross_zone.enabled"])
    edit(snap, "LoadBalancerTargetHealth", lambda d: [t.update(TargetHealth={"State": "unhealthy", "Reason": "Target.Timeout"})
                                                      for g in d["LoadBalancerTargetHealth"] for t in g["TargetHealthDescriptions"]])

    def own_acl(d):  # subnet-pub-b gets a network ACL denying everything out to the task's subnet
        base = d["NetworkAcls"][0]
        base["Associations"] = [a for a in base["Associations"] if a["SubnetId"] != "subnet-pub-b"]
        d["NetworkAcls"].append({
            "NetworkAclId": "acl-pubb", "VpcId": base["VpcId"], "IsDefault": False, "OwnerId": base.get("OwnerId", ""),
            "Associations": [{"NetworkAclAssociationId": "aclassoc-b", "NetworkAclId": "acl-pubb", "SubnetId": "subnet-pub-b"}],
            "Entries": [{"CidrBlock": "10.0.11.0/24", "Egress": True, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 50}] + [
                {"CidrBlock": "0.0.0.0/0", "Egress": eg, "Protocol": "-1", "RuleAction": act, "RuleNumber": n}
                for eg in (True, False) for act, n in (("allow", 100), ("deny", 32767))]})
    edit(snap, "NetworkAcls", own_acl)
    r = reason("health", "--facts", str(snap), "--format", "json")
    assert r.returncode == 1, r.stdout
    assert "explained by the network" in r.stdout and "eni-0alb0b" in r.stdout, r.stdout


def test_an_nlb_keeping_the_clients_address_sends_no_request_from_its_node(tmp_path):
    """"Network Load Balancers can preserve the source IP addresses of clients when routing requests to backend
    targets. When you disable client IP preservation, the source IP address is the private IP address of the Network
    Load Balancer" (network/edit-target-group-attributes.html): with preservation on, no request leaves a node with the
    node's address, so ``nlb:web -> eni-0task01`` is INCONCLUSIVE, naming why and what to ask instead. Before, it was
    REACHABLE from the node's address. With preservation off, the node's address is the source: REACHABLE as before."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="true")
    code, out = query_json(snap, "nlb:web -> eni-0task01 tcp 8000")
    assert code == 3 and {m["missing"] for m in out["missing"]} == {"lb_preserved_source"}, out
    assert "CLIENT -> nlb:web" in out["missing"][0]["message"]
    to_nlb(snap, preserve="false")
    assert query_json(snap, "nlb:web -> eni-0task01 tcp 8000")[0] == 0
