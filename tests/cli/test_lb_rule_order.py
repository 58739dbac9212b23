"""Which clients a listener's rules forward: in priority order, the default action last, each client asked only of the
rules that can forward its requests (rules/load_balancers.dl action_priority, rule_captures; reasoner/explain/
loadbalancers.py ``_clients_by_rule``).

"Rules are evaluated in priority order, from the lowest value to the highest value. The default rule is evaluated
last" (application/listener-rules.html); a rule may hold one source-ip condition, and its conditions are ANDed
(application/listener-update-rules.html). Each case below was answered REACHABLE before.
"""

import json

from test_lb_semantics import FIXED
from test_query import REGION, drop, edit, query_json, scenario

DENY = [{"Type": "fixed-response", "Order": 1, "FixedResponseConfig": {"StatusCode": "403"}}]


def _rules(snap, extra, default_forwards=True):
    """The listener's rules: ``extra`` (priority, conditions, actions) before the default rule, which forwards to
    the target group (as the listener's default action does) or answers 403."""
    tg = json.loads((snap / REGION / "TargetGroups.json").read_text())["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "Order": 1, "TargetGroupArn": tg}]
    default = forward if default_forwards else DENY
    edit(snap, "LoadBalancerListeners", lambda d: [li.update(DefaultActions=default)
                                                   for g in d["LoadBalancerListeners"] for li in g["Listeners"]])

    def rules(d):
        for g in d["LoadBalancerListenerRules"]:
            arn = g["ListenerArn"].replace(":listener/", ":listener-rule/")
            g["Rules"] = [{"RuleArn": f"{arn}/default", "Priority": "default", "IsDefault": True, "Conditions": [],
                           "Actions": default}] + [
                {"RuleArn": f"{arn}/r{prio}", "Priority": str(prio), "IsDefault": False, "Conditions": conditions,
                 "Actions": forward if actions == "forward" else DENY} for prio, conditions, actions in extra]
    edit(snap, "LoadBalancerListenerRules", rules)


def _source(*cidrs):
    return {"Field": "source-ip", "SourceIpConfig": {"Values": list(cidrs)}}


def test_a_rule_before_the_default_that_answers_every_client_leaves_nothing_forwarded(tmp_path):
    snap = scenario(tmp_path, FIXED)
    _rules(snap, [(1, [_source("0.0.0.0/0")], "deny")])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 1 and out["explanations"][0]["code"] == "ELBV2_LISTENER_REQUIRES_TG_ACCEPT"
    _rules(snap, [(1, [_source("203.0.113.0/24")], "deny")])  # only those clients are answered by the rule
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 0 and not out["packet"]["client"]["src_ip"].startswith("203.0.113.")
    assert query_json(snap, "203.0.113.5 -> alb:web tcp 80")[0] == 1
    assert query_json(snap, "198.51.100.5 -> alb:web tcp 80")[0] == 0


def test_a_rule_with_another_condition_answers_only_some_requests(tmp_path):
    """source-ip AND path-pattern: the other requests of those clients go on to the default action."""
    snap = scenario(tmp_path, FIXED)
    _rules(snap, [(1, [_source("0.0.0.0/0"), {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/admin"]}}],
                   "deny")])
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0


def test_a_forwarding_rule_after_a_capturing_one_forwards_only_the_rest(tmp_path):
    """Rule 1 answers 203.0.113.0/24 itself, rule 2 forwards 203.0.112.0/23, the default answers 403: only
    203.0.112.0/24 is forwarded."""
    snap = scenario(tmp_path, FIXED)
    _rules(snap, [(1, [_source("203.0.113.0/24")], "deny"), (2, [_source("203.0.112.0/23")], "forward")],
           default_forwards=False)
    code, out = query_json(snap, "203.0.112.0/23 -> alb:web tcp 80")
    assert code == 0 and out["packet"]["client"]["src_ip"].startswith("203.0.112.")
    assert query_json(snap, "203.0.113.0/24 -> alb:web tcp 80")[0] == 1


def _two_clients(snap):
    """eni-0c1 (10.0.1.50) and eni-0c2 (10.0.1.60) in sg-0cli, in the ALB's public subnet; the ALB's group admits
    tcp/80 from 10.0.1.60 only."""
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].extend(
        {"NetworkInterfaceId": eni, "SubnetId": "subnet-pub-a", "VpcId": "vpc-0a1b2c3d", "PrivateIpAddress": ip,
         "Groups": [{"GroupId": "sg-0cli"}], "Status": "in-use"} for eni, ip in (("eni-0c1", "10.0.1.50"), ("eni-0c2", "10.0.1.60"))))
    edit(snap, "SecurityGroups", lambda d: d["SecurityGroups"].append(
        {"GroupId": "sg-0cli", "GroupName": "cli", "VpcId": "vpc-0a1b2c3d", "IpPermissions": [],
         "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}))
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.0.1.60/32"}]}])
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])


def test_each_client_of_a_set_is_asked_of_the_rules_that_forward_it(tmp_path):
    """The rule forwards 10.0.1.50 only, and the ALB's group admits 10.0.1.60 only: no member gets through (the set
    passed the rule through one member and the network through the other)."""
    snap = scenario(tmp_path, FIXED)
    _two_clients(snap)
    _rules(snap, [(10, [_source("10.0.1.50/32")], "forward")], default_forwards=False)
    for q in ("sg-0cli -> alb:web tcp 80", "10.0.1.0/24 -> alb:web tcp 80", "eni-0c1 -> alb:web tcp 80",
              "eni-0c2 -> alb:web tcp 80"):
        assert query_json(snap, q)[0] == 1, q
    _rules(snap, [(10, [_source("10.0.1.50/32", "10.0.1.60/32")], "forward")], default_forwards=False)
    code, out = query_json(snap, "sg-0cli -> alb:web tcp 80")
    assert code == 0 and out["packet"]["client"]["src_ip"] == "10.0.1.60"


def test_listener_rules_not_in_the_snapshot_leave_the_default_action_undecided(tmp_path):
    """A rule the snapshot lacks may come before the default action and answer every request itself."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, "LoadBalancerListenerRules")
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and {m["missing"] for m in out["missing"]} == {"listener_rules"}
    edit(snap, "LoadBalancerListeners", lambda d: [li.update(DefaultActions=DENY)
                                                   for g in d["LoadBalancerListeners"] for li in g["Listeners"]])
    code, out = query_json(snap, "internet -> alb:web tcp 80")  # (nothing known forwards: still not decided)
    assert code == 3


def test_a_rule_with_a_regex_condition_answers_only_some_requests(tmp_path):
    """source-ip AND a condition given as ``RegexValues`` (host-header, path-pattern, http-header): "When using
    host-header, http-header and path-pattern conditions you can use value matching or regex matching"
    (APIReference/API_HostHeaderConditionConfig.html, ``RegexValues``), and a rule's conditions are ANDed. Before, the
    importer read only ``Values``: the rule read as source-ip only, caught every client, and
    ``internet -> alb:web tcp 80`` was a false UNREACHABLE (a passing proof of isolation)."""
    snap = scenario(tmp_path, FIXED)
    for condition in ({"Field": "host-header", "HostHeaderConfig": {"RegexValues": ["^admin\\\\..*$"]}},
                      {"Field": "path-pattern", "PathPatternConfig": {"RegexValues": ["^/admin/.*$"]}},
                      {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Admin", "RegexValues": [".*"]}},
                      {"Field": "host-header", "HostHeaderConfig": {}}):  # values in a shape the importer does not read
        _rules(snap, [(1, [_source("0.0.0.0/0"), condition], "deny")])
        assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0, condition


def test_a_load_balancer_as_the_source_forwards_only_what_its_rules_forward(tmp_path):
    """``alb:web -> eni-0task01`` asks what the nodes send as requests: none when a rule before the only forward
    answers every client's requests itself (source-ip covering every IPv4 address of an ipv4 ALB, a fixed response:
    "Rules are evaluated in priority order ... The default rule is evaluated last", application/listener-rules.html),
    and not decided when the listener's rules are not in the snapshot, as ``internet -> alb:web`` answers on the same
    snapshot. Before, both were REACHABLE."""
    snap = scenario(tmp_path, FIXED)
    _rules(snap, [(1, [_source("0.0.0.0/0")], "deny")])
    code, out = query_json(snap, "alb:web -> eni-0task01 tcp 8000")
    assert code == 1 and out["explanations"][0]["code"] == "ELBV2_LISTENER_REQUIRES_TG_ACCEPT", out
    _rules(snap, [(1, [_source("203.0.113.0/24")], "deny")])  # the other clients' requests are forwarded
    assert query_json(snap, "alb:web -> eni-0task01 tcp 8000")[0] == 0
    drop(snap, "LoadBalancerListenerRules")
    code, out = query_json(snap, "alb:web -> eni-0task01 tcp 8000")
    assert code == 3 and {m["missing"] for m in out["missing"]} == {"listener_rules"}, out


def test_a_path_pattern_of_star_answers_every_request(tmp_path):
    """A path-pattern condition "*" matches every request ("* (matches 0 or more characters)",
    PathPatternConditionConfig): a fixed-response rule whose only condition it is answers every client, so nothing
    reaches the default forward (it was assumed to match some requests only: REACHABLE). With a source-ip condition
    too, it answers that range's clients; "/admin/*" still matches some requests only."""
    snap = scenario(tmp_path, FIXED)
    star = {"Field": "path-pattern", "PathPatternConfig": {"Values": ["*"]}}
    _rules(snap, [(1, [star], "deny")])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 1 and out["explanations"][0]["code"] == "ELBV2_LISTENER_REQUIRES_TG_ACCEPT", out
    _rules(snap, [(1, [_source("0.0.0.0/0"), star], "deny")])
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 1
    _rules(snap, [(1, [_source("203.0.113.0/24"), star], "deny")])  # the other clients' requests are forwarded
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0
    _rules(snap, [(1, [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/admin/*"]}}], "deny")])
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0
