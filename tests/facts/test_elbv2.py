"""Tests for reasoner.facts.elbv2: load balancers, listeners, target groups, target health and ECS.

The shipped ALB health-check example (facts/ and its fixed variant), Batfish's test-load-balancer
snapshot (a real NLB), synthetic documents for every encoding choice, and malformed input.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import shutil
from pathlib import Path

import pytest

from reasoner.engine.check import check
from reasoner.engine.parse import parse_files, parse_text
from reasoner.engine.program import Program, bundled_rules
from reasoner.errors import FactsError
from reasoner.facts import ecs, elbv2
from reasoner.facts.importer import RELATIONS, import_aws_configs, read_facts, write_facts

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "facts"
FIXED = REPO / "facts" / "examples" / "seed-fixed"
SHARED = REPO.parent / "shared" / "datasets" / "batfish-aws"
DECLS = REPO / "rules" / "01_load_balancer_snapshot.dl"

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
LB = f"{ARN}:loadbalancer/app/web/50dc6c495c0c9188"
LISTENER = f"{ARN}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
RULE = f"{ARN}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
TG = f"{ARN}:targetgroup/task-tg/73e2d6bc24d8a067"
CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
SERVICE = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/3c5e2f0a9b8d4e7f8a1b2c3d4e5f6a7b"

NLB = "arn:aws:elasticloadbalancing:us-east-2:554773406868:loadbalancer/net/test-lb/725b996cb6be8fba"
NLB_TG = "arn:aws:elasticloadbalancing:us-east-2:554773406868:targetgroup/test-lb-tg/8e891d8fcdf8ece8"

#: The files this module's handlers read in the shipped example.
ELB_FILES = ("LoadBalancers", "LoadBalancerAttributes", "LoadBalancerListeners", "LoadBalancerListenerRules",
             "TargetGroups", "TargetGroupAttributes", "LoadBalancerTargetHealth", "EcsClusters", "EcsServices", "EcsTasks")


def ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


@pytest.fixture(scope="module")
def snap():
    return import_aws_configs(EXAMPLE)


def write(tmp_path: Path, docs: dict[str, object]) -> Path:
    region = tmp_path / "aws_configs" / "us-east-1"
    region.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        (region / f"{name}.json").write_text(json.dumps(doc))
    return tmp_path


# -- the shipped example ----------------------------------------------------------------------


def test_every_relation_is_produced_and_every_key_modelled(snap) -> None:
    assert set(elbv2.RELATIONS) | set(ecs.RELATIONS) <= set(RELATIONS)
    assert snap.manifest["unmodelled"] == []
    for name in ELB_FILES:
        assert (EXAMPLE / "aws_configs" / "us-east-1" / f"{name}.json").is_file(), name


def test_example_load_balancer_and_nodes(snap) -> None:
    r = snap.relations
    assert r["load_balancer"] == [(LB, "web", "application", "internet-facing", "vpc-0a1b2c3d")]
    assert r["lb_subnet"] == [(LB, "subnet-pub-a", "us-east-1a"), (LB, "subnet-pub-b", "us-east-1b")]
    assert r["lb_sg"] == [(LB, "sg-0alb")]
    assert r["lb_state"] == [(LB, "active")]
    assert r["lb_dns"] == [(LB, "web-1234567890.us-east-1.elb.amazonaws.com")]
    # the ALB's ENIs are found by their description "ELB app/web/50dc6c495c0c9188"
    assert r["lb_eni"] == [(LB, "eni-0alb0a"), (LB, "eni-0alb0b")]
    assert r["lb_node_ip"] == [(LB, "subnet-pub-a", ip("10.0.1.10")), (LB, "subnet-pub-b", ip("10.0.2.10"))]
    assert (LB, "load_balancing.cross_zone.enabled", "true") in r["lb_attribute"]


def test_example_listener_rule_and_actions(snap) -> None:
    r = snap.relations
    assert r["listener"] == [(LISTENER, LB, 80, "HTTP")]
    assert r["listener_rule"] == [(LISTENER, RULE, elbv2.DEFAULT_RULE_PRIORITY, 1)]
    assert r["listener_action"] == sorted([(LISTENER, 1, "forward"), (RULE, 1, "forward")])
    assert sorted(r["action_forward"]) == sorted([(LISTENER, TG, 1), (RULE, TG, 1)])
    assert r["elb_transport"] == [("HTTP", "6")]
    assert r["rule_condition"] == [] and r["action_redirect"] == [] and r["action_fixed_response"] == []


def test_example_target_group_and_health(snap) -> None:
    r = snap.relations
    assert r["target_group"] == [(TG, "task-tg", "HTTP", 8000, "vpc-0a1b2c3d", "ip")]
    assert r["tg_lb"] == [(TG, LB)]
    # health check on traffic-port: port 0, traffic_port 1, enabled, path /health
    assert r["tg_health_check"] == [(TG, "HTTP", 0, 1, 1, "/health")]
    assert (TG, "load_balancing.cross_zone.enabled", "use_load_balancer_configuration") in r["tg_attribute"]
    assert r["tg_attributes_listed"] == [(TG,)]  # its DescribeTargetGroupAttributes answer is in the snapshot
    assert r["tg_target"] == [(TG, "10.0.11.20", ip("10.0.11.20"), 8000, "us-east-1a")]
    assert r["target_health"] == [(TG, "10.0.11.20", 8000, "unhealthy", "Target.Timeout", "Request timed out", 8000)]


def test_example_ecs(snap) -> None:
    r = snap.relations
    assert r["ecs_cluster"] == [(CLUSTER, "prod", "ACTIVE")]
    assert r["ecs_service"] == [(SERVICE, CLUSTER, "web", "FARGATE", "ACTIVE")]
    assert r["ecs_service_tg"] == [(SERVICE, TG, "web", 8000)]
    assert r["ecs_task"] == [(TASK, CLUSTER, "web", "FARGATE", "RUNNING")]
    assert r["ecs_task_eni"] == [(TASK, "eni-0task01", ip("10.0.11.20"), "subnet-priv-a")]


def test_example_names(snap) -> None:
    n = snap.names
    assert n[LB] == "web" and n[TG] == "task-tg"
    assert n[LISTENER] == "web HTTP:80" and n[RULE] == "web HTTP:80 default rule"
    assert n[CLUSTER] == "ecs:prod" and n[SERVICE] == "ecs:prod/web" and n[TASK] == "3c5e2f0a9b8d4e7f8a1b2c3d4e5f6a7b"
    # ECS names never clash with Name tags (the VPC is called "prod", the load balancer "web")
    assert list(n.values()).count("prod") == 1 and list(n.values()).count("web") == 1


def test_fixed_variant_differs_only_in_sg_and_health(snap) -> None:
    fixed = import_aws_configs(FIXED)
    assert fixed.relations["target_health"] == [(TG, "10.0.11.20", 8000, "healthy", "", "", 8000)]
    for rel in elbv2.RELATIONS + ecs.RELATIONS:
        if rel != "target_health":
            assert fixed.relations[rel] == snap.relations[rel], rel
    assert fixed.manifest["unmodelled"] == []


def test_round_trip_keeps_the_new_relations(snap, tmp_path: Path) -> None:
    back = read_facts(write_facts(snap, tmp_path / "facts"))
    for rel in elbv2.RELATIONS + ecs.RELATIONS:
        assert back.relations[rel] == snap.relations[rel], rel


# -- declarations and the engine --------------------------------------------------------------


def _decls() -> dict[str, tuple[tuple[str, str], ...]]:
    return {d.name: d.columns for d in parse_files([DECLS]).decls}


def test_every_relation_declared_once_with_matching_types(snap) -> None:
    decls = _decls()
    assert set(decls) == set(elbv2.RELATIONS) | set(ecs.RELATIONS)  # rules/01_load_balancer_snapshot.dl
    assert not parse_files([DECLS]).rules  # declarations only
    others = [d.name for p in bundled_rules() if p.name != DECLS.name for d in parse_files([p]).decls]
    assert not set(others) & set(decls), "declared twice"
    snaps = [snap]
    if SHARED.is_dir():
        snaps.append(import_aws_configs(SHARED / "test-load-balancer"))
    for s in snaps:
        for rel, cols in decls.items():
            for row in s.relations[rel]:
                assert len(row) == len(cols), rel
                for value, (col, typ) in zip(row, cols):
                    assert isinstance(value, int if typ == "number" else str) and not isinstance(value, bool), (rel, col)


def test_bundled_rules_load_the_relations_and_join_them(snap) -> None:
    policy = parse_text(
        ".decl unhealthy_task(task: symbol, reason: symbol, lb: symbol)\n"
        "unhealthy_task(T, R, L) :- target_health(G, Id, Port, \"unhealthy\", R, _, _), tg_target(G, Id, Ip, Port, _),\n"
        "    ecs_task_eni(T, _, Ip, _), tg_lb(G, L), listener(_, L, 80, P), elb_transport(P, \"6\").\n",
        "policy.dl")
    module = parse_files(bundled_rules())
    module.extend(policy)
    program = Program(check(module))
    for rel, rows in snap.relations.items():
        if rel in program.decls and rel not in program.rules_by_head:
            program.add_facts(rel, rows)
    assert program.query("unhealthy_task", (None, None, None)) == [(TASK, "Target.Timeout", LB)]


# -- Batfish test-load-balancer (a real NLB) --------------------------------------------------


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared Batfish AWS datasets (../shared) not available")
def test_batfish_network_load_balancer() -> None:
    s = import_aws_configs(SHARED / "test-load-balancer")
    r = s.relations
    assert r["load_balancer"] == [(NLB, "test-lb", "network", "internal", "vpc-015b20578b48c1349")]
    assert r["lb_sg"] == []  # this NLB has no security group
    subnets = {(sub, az) for lb, sub, az in r["lb_subnet"] if lb == NLB}
    assert subnets == {("subnet-0873d71031a560a88", "us-east-2a"), ("subnet-090fe152cd18ced20", "us-east-2b")}
    az_of = dict(subnets)
    # no LoadBalancerAddresses: the node IPs come from the ENIs described "ELB net/test-lb/725b996cb6be8fba"
    nodes = {(az_of[sub], node) for lb, sub, node in r["lb_node_ip"] if lb == NLB}
    assert nodes == {("us-east-2b", ip("10.1.1.237")), ("us-east-2a", ip("10.1.20.123"))}
    assert {eni for lb, eni in r["lb_eni"] if lb == NLB} == {"eni-01f261dccaba46564", "eni-0c82d6f7254ae6695"}
    (listener,) = r["listener"]
    assert listener[1:] == (NLB, 80, "TCP")
    assert r["action_forward"] == [(listener[0], NLB_TG, 1)]
    assert (NLB, "load_balancing.cross_zone.enabled", "true") in r["lb_attribute"]
    assert (NLB_TG, "test-lb-tg", "TCP", 80, "vpc-015b20578b48c1349", "instance") in r["target_group"]
    assert r["tg_lb"] == [(NLB_TG, NLB)]
    assert {row[0] for row in r["target_group"]} >= {NLB_TG} and len(r["target_group"]) == 4
    # instance targets registered on port 22 (not the target group's 80), with the instances' primary IPs
    assert r["tg_target"] == [
        (NLB_TG, "i-055b0db7be365202c", ip("10.1.1.189"), 22, "us-east-2b"),
        (NLB_TG, "i-0f4af951d61a19245", ip("10.1.20.95"), 22, "us-east-2a"),
    ]
    assert {(t, port, state) for _, t, port, state, *_ in r["target_health"]} == {
        ("i-055b0db7be365202c", 22, "healthy"), ("i-0f4af951d61a19245", 22, "healthy")}
    assert (NLB_TG, "TCP", 0, 1, 1, "") in r["tg_health_check"]
    assert s.names[NLB] == "test-lb" and s.names[NLB_TG] == "test-lb-tg"
    keys = {u["key"] for u in s.manifest["unmodelled"]}
    assert not keys & set(elbv2.HANDLERS)


# -- synthetic documents: encoding choices ----------------------------------------------------

S_LB = "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/net/api/abc123"
S_L = "arn:aws:elasticloadbalancing:eu-west-1:1:listener/net/api/abc123/l1"
S_TG = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/a/1"
S_TG2 = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/b/2"
S_LAMBDA_TG = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/fn/3"


def test_nlb_addresses_targets_and_transport(tmp_path: Path) -> None:
    docs = {
        "Subnets": {"Subnets": [{"SubnetId": "subnet-a", "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "eu-west-1a"}]},
        "LoadBalancers": {"LoadBalancers": [{
            "LoadBalancerArn": S_LB, "LoadBalancerName": "api", "Type": "network", "Scheme": "internet-facing", "VpcId": "vpc-1",
            "AvailabilityZones": [{"SubnetId": "subnet-a", "ZoneName": "eu-west-1a", "LoadBalancerAddresses": [
                {"IpAddress": "203.0.113.7", "AllocationId": "eipalloc-1", "PrivateIPv4Address": "10.0.0.5"},
                {"IPv6Address": "2001:db8::1"}]}]}]},
        # listener rows carry their own LoadBalancerArn; the wrapper may omit it
        "LoadBalancerListeners": {"LoadBalancerListeners": [{"Listeners": [
            {"ListenerArn": S_L, "LoadBalancerArn": S_LB, "Port": 53, "Protocol": "tcp_udp",
             "DefaultActions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                 {"TargetGroupArn": S_TG, "Weight": 3}, {"TargetGroupArn": S_TG2, "Weight": 0}]}}]}]}]},
        "TargetGroups": {"TargetGroups": [
            {"TargetGroupArn": S_TG, "TargetGroupName": "a", "Protocol": "TCP_UDP", "Port": 53, "VpcId": "vpc-1",
             "TargetType": "instance", "HealthCheckProtocol": "TCP", "HealthCheckPort": "8080", "HealthCheckEnabled": True},
            {"TargetGroupArn": S_LAMBDA_TG, "TargetGroupName": "fn", "TargetType": "lambda", "HealthCheckEnabled": False}]},
        "TargetGroupAttributes": {"TargetGroupAttributes": [{"TargetGroupArn": S_TG, "Attributes": [
            {"Key": "preserve_client_ip.enabled", "Value": "true"}, {"Key": "proxy_protocol_v2.enabled", "Value": False}]}]},
        "LoadBalancerTargetHealth": {"LoadBalancerTargetHealth": [
            {"TargetGroupArn": S_TG, "TargetHealthDescriptions": [
                {"Target": {"Id": "i-eni0", "Port": 53}, "TargetHealth": {"State": "initial", "Reason": "Elb.InitialHealthChecking"}},
                {"Target": {"Id": "i-gone", "Port": 53}, "TargetHealth": {"State": "unused", "Reason": "Target.InvalidState"}},
                {"Target": {"Id": "10.9.9.9", "Port": 53, "AvailabilityZone": "all"}, "TargetHealth": {"State": "healthy"}},
                {"Target": {"Id": "2001:db8::5", "Port": 53}, "TargetHealth": {"State": "healthy"}}]},
            {"TargetGroupArn": S_LAMBDA_TG, "TargetHealthDescriptions": [
                {"Target": {"Id": "arn:aws:lambda:eu-west-1:1:function:f"}, "TargetHealth": {"State": "unavailable"}}]}]},
        # the instance is known only through its ENI at DeviceIndex 0 (no Reservations file)
        "NetworkInterfaces": {"NetworkInterfaces": [
            {"NetworkInterfaceId": "eni-i0", "SubnetId": "subnet-a", "VpcId": "vpc-1", "Groups": [], "PrivateIpAddress": "10.0.0.20",
             "Attachment": {"InstanceId": "i-eni0", "DeviceIndex": 0}},
            {"NetworkInterfaceId": "eni-i1", "SubnetId": "subnet-a", "VpcId": "vpc-1", "Groups": [], "PrivateIpAddress": "10.0.0.21",
             "Attachment": {"InstanceId": "i-eni0", "DeviceIndex": 1}},
            # an LB ENI whose load balancer was not collected keeps the description's id
            {"NetworkInterfaceId": "eni-orphan", "SubnetId": "subnet-a", "VpcId": "vpc-1", "Groups": [], "PrivateIpAddress": "10.0.0.30",
             "Description": "ELB net/other/ffff0000", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.30"}], "Status": "in-use"},
            # classic ELBs are not modelled
            {"NetworkInterfaceId": "eni-classic", "SubnetId": "subnet-a", "VpcId": "vpc-1", "Description": "ELB my-classic", "Groups": [],
             "Status": "in-use"}]},
    }
    s = import_aws_configs(write(tmp_path, docs))
    r = s.relations
    assert r["lb_node_ip"] == [(S_LB, "subnet-a", ip("10.0.0.5")), ("net/other/ffff0000", "subnet-a", ip("10.0.0.30"))]
    assert r["lb_eni"] == [("net/other/ffff0000", "eni-orphan")]
    assert r["lb_public_ip"] == [(S_LB, "subnet-a", ip("203.0.113.7"))]
    assert r["lb_sg"] == [] and s.manifest["skipped_ipv6"] == 2  # the node's IPv6 address and the IPv6 target
    assert r["tg_target_ipv6"] == [(S_TG, "2001:db8::5")]  # named, so answers through the group say it is not modelled
    assert r["listener"] == [(S_L, S_LB, 53, "TCP_UDP")]
    assert r["elb_transport"] == [("TCP", "6"), ("TCP_UDP", "17"), ("TCP_UDP", "6")]
    assert r["action_forward"] == [(S_L, S_TG, 3), (S_L, S_TG2, 0)]
    assert r["listener_action"] == [(S_L, 1, "forward")]  # Order absent: position, from 1
    assert r["target_group"] == [(S_TG, "a", "TCP_UDP", 53, "vpc-1", "instance"), (S_LAMBDA_TG, "fn", "", 0, "", "lambda")]
    assert r["tg_health_check"] == [(S_TG, "TCP", 8080, 0, 1, ""), (S_LAMBDA_TG, "", 0, 1, 0, "")]
    assert (S_TG, "proxy_protocol_v2.enabled", "false") in r["tg_attribute"]
    assert r["tg_target"] == [
        (S_TG, "10.9.9.9", ip("10.9.9.9"), 53, "all"),
        (S_TG, "i-eni0", ip("10.0.0.20"), 53, "eu-west-1a"),  # primary ENI's address, AZ of its subnet
        (S_TG, "i-gone", 0, 53, ""),  # unknown instance: ip 0, az ""
        (S_LAMBDA_TG, "arn:aws:lambda:eu-west-1:1:function:f", 0, 0, ""),
    ]
    assert len(r["target_health"]) == 5  # the IPv6 target keeps its health row
    assert (S_TG, "i-gone", 53, "unused", "Target.InvalidState", "", 0) in r["target_health"]
    assert s.names[S_L] == "api TCP_UDP:53"


def test_listener_rules_conditions_and_actions(tmp_path: Path) -> None:
    rules = [
        {"RuleArn": "r-10", "Priority": "10", "IsDefault": False,
         "Conditions": [
             {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}},
             {"Field": "host-header", "Values": ["api.example.com"]},
             {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "X-Env", "Values": ["prod"]}},
             {"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "v", "Value": "2"}, {"Value": "debug"}]}},
             {"Field": "source-ip", "SourceIpConfig": {"Values": ["192.0.2.0/24", "2001:db8::/32"]}}],
         "Actions": [
             {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {"Issuer": "https://idp"}},
             {"Type": "forward", "Order": 2, "TargetGroupArn": S_TG}]},
        {"RuleArn": "r-20", "Priority": 20, "Conditions": [],
         "Actions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]},
        {"RuleArn": "r-30", "Priority": "30", "Conditions": [],
         "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "503", "ContentType": "text/plain"}}]},
        {"RuleArn": "r-def", "Priority": "default", "IsDefault": True, "Conditions": [],
         "Actions": [{"Type": "forward", "TargetGroupArn": S_TG}]},
    ]
    s = import_aws_configs(write(tmp_path, {"LoadBalancerListenerRules": {"LoadBalancerListenerRules": [
        {"ListenerArn": S_L, "Rules": rules}]}}))
    r = s.relations
    assert r["listener_rule"] == [(S_L, "r-10", 10, 0), (S_L, "r-20", 20, 0), (S_L, "r-30", 30, 0), (S_L, "r-def", 50001, 1)]
    assert r["rule_condition"] == [
        ("r-10", "host-header", "api.example.com"), ("r-10", "http-header", "X-Env:prod"),
        ("r-10", "path-pattern", "/api/*"), ("r-10", "query-string", "debug"), ("r-10", "query-string", "v=2"),
        ("r-10", "source-ip", "192.0.2.0/24"), ("r-10", "source-ip", "2001:db8::/32")]
    v6 = ipaddress.IPv6Network("2001:db8::/32")  # IPv6 on the same line of addresses (reasoner/addresses.py)
    assert r["rule_source_ip"] == [("r-10", ip("192.0.2.0"), ip("192.0.2.255")),
                                   ("r-10", int(v6.network_address), int(v6.broadcast_address))]
    assert r["listener_action"] == [("r-10", 1, "authenticate-oidc"), ("r-10", 2, "forward"), ("r-20", 1, "redirect"),
                                    ("r-30", 1, "fixed-response"), ("r-def", 1, "forward")]
    assert r["action_forward"] == [("r-10", S_TG, 1), ("r-def", S_TG, 1)]
    assert r["action_redirect"] == [("r-20", "HTTPS", "443", "#{host}", "HTTP_301")]
    assert r["action_fixed_response"] == [("r-30", 503)]
    assert s.manifest["skipped_ipv6"] == 0
    # the listener itself was not collected: names fall back to the generic form
    assert s.names["r-10"] == "listener rule 10" and s.names["r-def"] == "listener default rule"


def test_ecs_variants(tmp_path: Path) -> None:
    cluster = "arn:aws:ecs:eu-west-1:1:cluster/batch"
    docs = {"EcsServices": {"EcsServices": [{"ClusterArn": cluster, "Services": [
                {"serviceArn": "arn:aws:ecs:eu-west-1:1:service/batch/old", "serviceName": "old",
                 "tags": [{"key": "owner", "value": "data"}],
                 "loadBalancers": [{"loadBalancerName": "classic", "containerName": "c", "containerPort": 80}]}]}]},
            "EcsTasks": {"EcsTasks": [{"ClusterArn": cluster, "Tasks": [
                {"taskArn": "arn:aws:ecs:eu-west-1:1:task/batch/t1", "group": "family:job", "launchType": "EC2",
                 "lastStatus": "PROVISIONING",
                 "attachments": [{"type": "ElasticNetworkInterface", "status": "PRECREATED",
                                  "details": [{"name": "subnetId", "value": "subnet-a"}]}]},
                {"taskArn": "arn:aws:ecs:eu-west-1:1:task/batch/t2", "clusterArn": cluster, "group": "service:old",
                 "lastStatus": "RUNNING", "tags": [{"key": "tier", "value": "batch"}, {"key": "empty"}],
                 "attachments": [{"type": "ElasticNetworkInterface", "details": [
                     {"name": "networkInterfaceId", "value": "eni-t2"}, {"name": "subnetId", "value": "subnet-a"}]},
                                 {"type": "ServiceConnect", "details": []}]}]}]}}
    s = import_aws_configs(write(tmp_path, docs))
    r = s.relations
    assert r["ecs_service"] == [("arn:aws:ecs:eu-west-1:1:service/batch/old", cluster, "old", "", "")]
    assert r["ecs_service_tg"] == []  # classic ELB: not modelled
    assert r["ecs_task"] == [("arn:aws:ecs:eu-west-1:1:task/batch/t1", cluster, "", "EC2", "PROVISIONING"),
                             ("arn:aws:ecs:eu-west-1:1:task/batch/t2", cluster, "old", "", "RUNNING")]
    assert r["ecs_task_eni"] == [("arn:aws:ecs:eu-west-1:1:task/batch/t2", "eni-t2", 0, "subnet-a")]
    assert s.names["arn:aws:ecs:eu-west-1:1:service/batch/old"] == "ecs:batch/old"
    # ECS tags (DescribeTasks/DescribeServices with include=["TAGS"]: key and value in lower case; a tag without a value
    # reads as "", as the console shows it); a task without tags gives none
    assert r["tag"] == [("arn:aws:ecs:eu-west-1:1:service/batch/old", "owner", "data"),
                        ("arn:aws:ecs:eu-west-1:1:task/batch/t2", "empty", ""),
                        ("arn:aws:ecs:eu-west-1:1:task/batch/t2", "tier", "batch")]


# -- malformed input: FactsError with file and JSON path, never a stray Python error ----------

_LW = "$.LoadBalancerListeners[0]"
_BAD = [
    ({"LoadBalancerListeners": [{"LoadBalancerArn": S_LB, "Listeners": [{"ListenerArn": S_L, "Protocol": "TCP"}]}]},
     "facts.missing_field", f"{_LW}.Listeners[0].Port"),
    ({"LoadBalancerListeners": [{"LoadBalancerArn": S_LB, "Listeners": [{"ListenerArn": S_L, "Port": "eighty", "Protocol": "TCP"}]}]},
     "facts.bad_value", f"{_LW}.Listeners[0].Port"),
    ({"LoadBalancerListeners": [{"Listeners": [{"ListenerArn": S_L, "Port": 80, "Protocol": "TCP"}]}]},
     "facts.missing_field", f"{_LW}.LoadBalancerArn"),
    ({"LoadBalancerListeners": [{"LoadBalancerArn": S_LB, "Listeners": [
        {"ListenerArn": S_L, "Port": 80, "Protocol": "TCP", "DefaultActions": [{"Type": "forward"}]}]}]},
     "facts.missing_field", f"{_LW}.Listeners[0].DefaultActions[0].TargetGroupArn"),
    ({"LoadBalancerListeners": [{"LoadBalancerArn": S_LB, "Listeners": [
        {"ListenerArn": S_L, "Port": 80, "Protocol": "HTTP", "DefaultActions": [
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "OK"}}]}]}]},
     "facts.bad_value", f"{_LW}.Listeners[0].DefaultActions[0].FixedResponseConfig.StatusCode"),
    ({"LoadBalancerListenerRules": [{"ListenerArn": S_L, "Rules": [{"RuleArn": "r", "Actions": []}]}]},
     "facts.missing_field", "$.LoadBalancerListenerRules[0].Rules[0].Priority"),
    ({"LoadBalancerListenerRules": [{"ListenerArn": S_L, "Rules": [{"RuleArn": "r", "Priority": "1", "Conditions": [
        {"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/33"]}}]}]}]},
     "facts.bad_value", "$.LoadBalancerListenerRules[0].Rules[0].Conditions[0].SourceIpConfig.Values[0]"),
    # lists the API always returns (empty or not): absent, "no condition" would match every request, "no action" or
    # "no subnet" would send nothing (reasoner/facts/context.py Ctx.req_items)
    ({"LoadBalancerListenerRules": [{"ListenerArn": S_L, "Rules": [{"RuleArn": "r", "Priority": "1", "Actions": []}]}]},
     "facts.missing_field", "$.LoadBalancerListenerRules[0].Rules[0].Conditions"),
    ({"LoadBalancerListenerRules": [{"ListenerArn": S_L, "Rules": [{"RuleArn": "r", "Priority": "1", "Conditions": []}]}]},
     "facts.missing_field", "$.LoadBalancerListenerRules[0].Rules[0].Actions"),
    ({"LoadBalancerListeners": [{"LoadBalancerArn": S_LB, "Listeners": [{"ListenerArn": S_L, "Port": 80, "Protocol": "TCP"}]}]},
     "facts.missing_field", f"{_LW}.Listeners[0].DefaultActions"),
    ({"TransitGatewayVpcAttachments": [{"TransitGatewayAttachmentId": "tgw-attach-1", "TransitGatewayId": "tgw-1", "VpcId": "vpc-1"}]},
     "facts.missing_field", "$.TransitGatewayVpcAttachments[0].SubnetIds"),
    ({"TargetGroups": [{"TargetGroupArn": S_TG, "HealthCheckPort": "http"}]},
     "facts.bad_value", "$.TargetGroups[0].HealthCheckPort"),
    ({"TargetGroups": [{"TargetGroupArn": S_TG, "HealthCheckEnabled": "yes"}]},
     "facts.bad_value", "$.TargetGroups[0].HealthCheckEnabled"),
    ({"TargetGroups": [{"TargetGroupName": "x"}]}, "facts.missing_field", "$.TargetGroups[0].TargetGroupArn"),
    ({"TargetGroupAttributes": [{"TargetGroupArn": S_TG, "Attributes": [{"Key": "k", "Value": {"x": 1}}]}]},
     "facts.bad_value", "$.TargetGroupAttributes[0].Attributes[0].Value"),
    ({"LoadBalancerAttributes": [{"LoadBalancerArn": S_LB, "Attributes": "none"}]},
     "facts.bad_value", "$.LoadBalancerAttributes[0].Attributes"),
    ({"LoadBalancerTargetHealth": [{"TargetGroupArn": S_TG, "TargetHealthDescriptions": [{"TargetHealth": {}}]}]},
     "facts.missing_field", "$.LoadBalancerTargetHealth[0].TargetHealthDescriptions[0].Target"),
    ({"LoadBalancerTargetHealth": [{"TargetGroupArn": S_TG, "TargetHealthDescriptions": [{"Target": {"Id": "bogus"}}]}]},
     "facts.bad_value", "$.LoadBalancerTargetHealth[0].TargetHealthDescriptions[0].Target.Id"),
    ({"LoadBalancers": [{"LoadBalancerArn": S_LB, "VpcId": "vpc-1", "AvailabilityZones": [
        {"SubnetId": "subnet-a", "LoadBalancerAddresses": [{"PrivateIPv4Address": "10.0.0.300"}]}]}]},
     "facts.bad_value", "$.LoadBalancers[0].AvailabilityZones[0].LoadBalancerAddresses[0].PrivateIPv4Address"),
    ({"EcsClusters": ["prod"]}, "facts.bad_value", "$.EcsClusters[0]"),
    ({"EcsTasks": [{"ClusterArn": "c", "Tasks": [{"group": "service:web"}]}]},
     "facts.missing_field", "$.EcsTasks[0].Tasks[0].taskArn"),
    ({"EcsTasks": [{"ClusterArn": "c", "Tasks": [{"taskArn": "t", "attachments": [{"type": "ElasticNetworkInterface", "details": [
        {"name": "networkInterfaceId", "value": "eni-1"}, {"name": "privateIPv4Address", "value": "ten"}]}]}]}]},
     "facts.bad_value", "$.EcsTasks[0].Tasks[0].attachments[0].details[1].value"),
    ({"EcsServices": [{"Services": [{"serviceArn": "s"}]}]}, "facts.missing_field", "$.EcsServices[0].ClusterArn"),
    # ECS tags: a key is required (1-128 characters), a value is a string when given
    ({"EcsTasks": [{"ClusterArn": "c", "Tasks": [{"taskArn": "t", "tags": [{"value": "app"}]}]}]},
     "facts.missing_field", "$.EcsTasks[0].Tasks[0].tags[0].key"),
    ({"EcsTasks": [{"ClusterArn": "c", "Tasks": [{"taskArn": "t", "tags": [{"key": "tier", "value": 7}]}]}]},
     "facts.bad_value", "$.EcsTasks[0].Tasks[0].tags[0].value"),
    ({"EcsClusters": [{"clusterArn": "c", "tags": {"key": "team"}}]}, "facts.bad_value", "$.EcsClusters[0].tags"),
    ({"EcsServices": [{"ClusterArn": "c", "Services": [{"serviceArn": "s", "tags": [{"key": ""}]}]}]},
     "facts.bad_value", "$.EcsServices[0].Services[0].tags[0].key"),
]


@pytest.mark.parametrize("doc,code,path", _BAD, ids=[f"{next(iter(d))}-{i}" for i, (d, _, _) in enumerate(_BAD)])
def test_malformed_input_is_located(tmp_path: Path, doc: dict, code: str, path: str) -> None:
    (tmp_path / "X.json").write_text(json.dumps(doc))
    with pytest.raises(FactsError) as info:
        import_aws_configs(tmp_path)
    assert info.value.code == code
    assert info.value.location == f"{tmp_path / 'X.json'}:{path}"


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def test_any_damaged_field_gives_facts_error_or_imports(tmp_path: Path) -> None:
    """Replace every value of every ELB/ECS file of the example by a wrong type, one at a time."""
    src = EXAMPLE / "aws_configs" / "us-east-1"
    base = tmp_path / "snap" / "aws_configs" / "us-east-1"
    base.mkdir(parents=True)
    for f in ("NetworkInterfaces", "Subnets", *ELB_FILES):
        shutil.copy(src / f"{f}.json", base / f"{f}.json")
    tried = 0
    for name in ELB_FILES:
        original = json.loads((src / f"{name}.json").read_text())
        for path in list(_paths(original))[1:]:
            for bad in (None, 7, "x", [], {}, True):
                doc = copy.deepcopy(original)
                holder = doc
                for key in path[:-1]:
                    holder = holder[key]
                holder[path[-1]] = bad
                (base / f"{name}.json").write_text(json.dumps(doc))
                tried += 1
                try:
                    import_aws_configs(tmp_path / "snap")
                except FactsError as err:
                    assert err.location and err.location.startswith(str(base / f"{name}.json")), (name, path, bad)
                    # a checked error, not a stray Python exception caught by the importer's safety net
                    assert not err.message.startswith("unexpected shape"), (name, path, bad, err.message)
        (base / f"{name}.json").write_text(json.dumps(original))
    assert tried > 500


def test_tags_of_load_balancers_and_target_groups_from_either_shape(tmp_path: Path) -> None:
    """``aws elbv2 describe-tags`` (``TagDescriptions``) and `reason collect`'s per-resource files
    (``LoadBalancerTags``/``TargetGroupTags``: wrapped) give the same ``tag`` rows; a malformed entry is a FactsError
    with its JSON path, never a traceback."""
    from reasoner.errors import FactsError

    cli = write(tmp_path / "cli", {"TagDescriptions": {"TagDescriptions": [
        {"ResourceArn": LB, "Tags": [{"Key": "tier", "Value": "edge"}]},
        {"ResourceArn": TG, "Tags": [{"Key": "tier", "Value": "web"}, {"Key": "empty", "Value": ""}]}]}})
    collected = write(tmp_path / "collected", {
        "LoadBalancerTags": {"LoadBalancerTags": [{"ResourceArn": LB, "TagDescriptions": [
            {"ResourceArn": LB, "Tags": [{"Key": "tier", "Value": "edge"}]}]}]},
        "TargetGroupTags": {"TargetGroupTags": [{"ResourceArn": TG, "TagDescriptions": [
            {"ResourceArn": TG, "Tags": [{"Key": "tier", "Value": "web"}, {"Key": "empty", "Value": ""}]}]}]}})
    want = [(LB, "tier", "edge"), (TG, "empty", ""), (TG, "tier", "web")]
    assert sorted(import_aws_configs(cli).relations["tag"]) == want
    assert sorted(import_aws_configs(collected).relations["tag"]) == want
    assert import_aws_configs(cli).manifest["unmodelled"] == []
    bad = write(tmp_path / "bad", {"TagDescriptions": {"TagDescriptions": [{"ResourceArn": LB, "Tags": [{"Value": "x"}]}]}})
    with pytest.raises(FactsError) as info:
        import_aws_configs(bad)
    assert "TagDescriptions[0].Tags[0]" in str(info.value.render())


@pytest.mark.parametrize("value", [5, True, ["edge"], {"v": "edge"}])
def test_a_tag_value_that_is_not_a_string_is_an_error_as_for_ec2_tags(tmp_path: Path, value) -> None:
    """The Elastic Load Balancing API's ``Tag.Value`` is a string (0-256 characters, not required), as EC2's is:
    a number or boolean there comes from an edited file, not from AWS, and is named with its JSON path instead of
    being read as the text a policy might not expect ("5", "True").  EC2's reader is the same (``Ctx.tag``)."""
    from reasoner.errors import FactsError

    bad = write(tmp_path / "bad", {"TagDescriptions": {"TagDescriptions": [
        {"ResourceArn": LB, "Tags": [{"Key": "tier", "Value": "edge"}, {"Key": "n", "Value": value}]}]}})
    with pytest.raises(FactsError) as info:
        import_aws_configs(bad)
    assert "TagDescriptions[0].Tags[1].Value" in str(info.value.render())
    assert "must be a string" in str(info.value.render())
    missing = write(tmp_path / "missing", {"TagDescriptions": {"TagDescriptions": [
        {"ResourceArn": LB, "Tags": [{"Key": "no-value"}, {"Key": "null", "Value": None}]}]}})
    assert sorted(import_aws_configs(missing).relations["tag"]) == [(LB, "no-value", ""), (LB, "null", "")]
