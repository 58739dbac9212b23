"""The call table, pagination, wrapping and error handling, with botocore's Stubber (no server).

What Stubber can and cannot show: it answers at botocore's ``before-call`` event, *before* the HTTP
layer where botocore's retry handler runs, so a stubbed throttling error reaches our code at once,
exactly like a throttling error that outlasted every retry.  That is what these tests check; the
retry itself is tested over real HTTP in ``test_collect_moto.py`` (fault proxy in front of moto).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from reasoner.collect.calls import CALLS, fetch
from reasoner.collect.errors import CollectError
from reasoner.collect.runner import Unit, run
from reasoner.collect.writer import SnapshotWriter

ACCOUNT, REGION = "123456789012", "us-east-1"
CALL = {c.key: c for c in CALLS}
LB = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/web/1"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"


@pytest.fixture(autouse=True)
def _no_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)


def _client(service: str) -> Any:
    return boto3.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name=REGION).client(service)


def test_the_call_table_matches_the_botocore_models() -> None:
    keys: list[str] = []
    models = {service: _client(service).meta.service_model for service in {c.service for c in CALLS}}
    for call in CALLS:
        model = models[call.service]
        assert call.result_key in model.operation_model(call.operation).output_shape.members, call.key
        inputs = model.operation_model(call.operation).input_shape.members
        assert set(call.params) <= set(inputs), call.key
        if call.parent:
            assert call.parent.key in keys, f"{call.key}: its parent call comes first"
            assert call.parent.param in (model.operation_model(call.list_first.operation).input_shape.members
                                         if call.list_first else inputs), call.key
        if call.list_first:
            assert call.list_first.result_key in model.operation_model(call.list_first.operation).output_shape.members
            assert call.list_first.param in inputs
        keys.append(call.key)
    assert len(set(keys)) == len(keys)
    assert "VpnConnections" not in keys  # they embed IPsec pre-shared keys


def test_pages_are_concatenated() -> None:
    ec2 = _client("ec2")
    with Stubber(ec2) as stub:
        stub.add_response("describe_network_interfaces",
                          {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1"}, {"NetworkInterfaceId": "eni-2"}],
                           "NextToken": "page-2"}, {})
        stub.add_response("describe_network_interfaces", {"NetworkInterfaces": [{"NetworkInterfaceId": "eni-3"}]},
                          {"NextToken": "page-2"})
        outcome = fetch(CALL["NetworkInterfaces"], ec2, ACCOUNT, REGION)
        stub.assert_no_pending_responses()
    assert [e["NetworkInterfaceId"] for e in outcome.items or []] == ["eni-1", "eni-2", "eni-3"]
    assert outcome.requests == 2 and outcome.incomplete == []


def test_per_parent_pages_are_wrapped_with_the_parent_id() -> None:
    elbv2 = _client("elbv2")
    listener = {"ListenerArn": f"{LB}/l1", "LoadBalancerArn": LB, "Port": 80, "Protocol": "HTTP"}
    with Stubber(elbv2) as stub:
        stub.add_response("describe_listeners", {"Listeners": [listener], "NextMarker": "m"}, {"LoadBalancerArn": LB})
        stub.add_response("describe_listeners", {"Listeners": [dict(listener, ListenerArn=f"{LB}/l2", Port=443)]},
                          {"LoadBalancerArn": LB, "Marker": "m"})
        outcome = fetch(CALL["LoadBalancerListeners"], elbv2, ACCOUNT, REGION,
                        {"LoadBalancers": [{"LoadBalancerArn": LB}]})
        stub.assert_no_pending_responses()
    assert outcome.items is not None
    [wrapped] = outcome.items
    assert set(wrapped) == {"LoadBalancerArn", "Listeners"} and wrapped["LoadBalancerArn"] == LB
    assert [x["Port"] for x in wrapped["Listeners"]] == [80, 443]


def test_listener_rules_take_their_parents_from_wrapped_listeners() -> None:
    elbv2 = _client("elbv2")
    parents = {"LoadBalancerListeners": [{"LoadBalancerArn": LB, "Listeners": [{"ListenerArn": "L1"}, {"ListenerArn": "L2"}]}]}
    with Stubber(elbv2) as stub:
        stub.add_response("describe_rules", {"Rules": [{"RuleArn": "R1", "IsDefault": True}]}, {"ListenerArn": "L1"})
        stub.add_response("describe_rules", {"Rules": []}, {"ListenerArn": "L2"})
        outcome = fetch(CALL["LoadBalancerListenerRules"], elbv2, ACCOUNT, REGION, parents)
        stub.assert_no_pending_responses()
    assert outcome.items == [{"ListenerArn": "L1", "Rules": [{"RuleArn": "R1", "IsDefault": True}]},
                             {"ListenerArn": "L2", "Rules": []}]


def test_ecs_tasks_are_listed_then_described_in_batches_without_secrets() -> None:
    ecs = _client("ecs")
    arns = [f"{CLUSTER}/task/{i}" for i in range(150)]
    task = {"taskArn": "t", "overrides": {"containerOverrides": [
        {"name": "web", "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]},
        "attachments": [{"type": "ElasticNetworkInterface", "details": [{"name": "networkInterfaceId", "value": "eni-9"}]}]}
    with Stubber(ecs) as stub:
        stub.add_response("list_tasks", {"taskArns": arns[:120], "nextToken": "n"}, {"cluster": CLUSTER})
        stub.add_response("list_tasks", {"taskArns": arns[120:]}, {"cluster": CLUSTER, "nextToken": "n"})
        # the describe calls ask for the tasks' tags (ECS leaves them out otherwise); the list calls take no include
        stub.add_response("describe_tasks", {"tasks": [task] * 100}, {"cluster": CLUSTER, "tasks": arns[:100], "include": ["TAGS"]})
        stub.add_response("describe_tasks", {"tasks": [task] * 50}, {"cluster": CLUSTER, "tasks": arns[100:], "include": ["TAGS"]})
        outcome = fetch(CALL["EcsTasks"], ecs, ACCOUNT, REGION, {"EcsClusters": [{"clusterArn": CLUSTER}]})
        stub.assert_no_pending_responses()
    assert outcome.items is not None
    [wrapped] = outcome.items
    assert wrapped["ClusterArn"] == CLUSTER and len(wrapped["Tasks"]) == 150
    assert "hunter2" not in json.dumps(outcome.items) and wrapped["Tasks"][0]["attachments"][0]["details"]


def test_prefix_lists_get_their_entries_inlined() -> None:
    ec2 = _client("ec2")
    with Stubber(ec2) as stub:
        stub.add_response("describe_managed_prefix_lists", {"PrefixLists": [{"PrefixListId": "pl-1", "PrefixListName": "office"}]}, {})
        stub.add_response("get_managed_prefix_list_entries", {"Entries": [{"Cidr": "203.0.113.0/24"}], "NextToken": "x"},
                          {"PrefixListId": "pl-1"})
        stub.add_response("get_managed_prefix_list_entries", {"Entries": [{"Cidr": "198.51.100.0/24"}]},
                          {"PrefixListId": "pl-1", "NextToken": "x"})
        outcome = fetch(CALL["PrefixLists"], ec2, ACCOUNT, REGION)
        stub.assert_no_pending_responses()
    assert outcome.items == [{"PrefixListId": "pl-1", "PrefixListName": "office",
                              "Entries": [{"Cidr": "203.0.113.0/24"}, {"Cidr": "198.51.100.0/24"}]}]


def test_access_denied_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    ec2, elbv2 = _client("ec2"), _client("elbv2")
    calls = [CALL[k] for k in ("Vpcs", "NatGateways", "Subnets", "LoadBalancers", "LoadBalancerListeners", "TargetGroups")]
    writer = SnapshotWriter(tmp_path / "snap")
    unit = Unit(ACCOUNT, REGION)
    with Stubber(ec2) as s_ec2, Stubber(elbv2) as s_elb:
        s_ec2.add_response("describe_vpcs", {"Vpcs": [{"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"}]}, {})
        s_ec2.add_client_error("describe_nat_gateways", service_error_code="UnauthorizedOperation",
                               service_message="You are not authorized to perform this operation.", http_status_code=403)
        s_ec2.add_response("describe_subnets", {"Subnets": [{"SubnetId": "subnet-1"}]}, {})
        s_elb.add_client_error("describe_load_balancers", service_error_code="AccessDenied", http_status_code=403,
                               service_message="not authorized to perform: elasticloadbalancing:DescribeLoadBalancers")
        s_elb.add_response("describe_target_groups", {"TargetGroups": []}, {})
        result = run([unit], lambda u, service: {"ec2": ec2, "elbv2": elbv2}[service],
                     lambda u, call, items: writer.write_raw(u.account, u.region, call.key, items),
                     calls=calls, workers=1)
        s_ec2.assert_no_pending_responses()
        s_elb.assert_no_pending_responses()
    assert [(i.service, i.operation, i.error_code) for i in result.incomplete] == [
        ("ec2", "DescribeNatGateways", "UnauthorizedOperation"), ("elbv2", "DescribeLoadBalancers", "AccessDenied")]
    assert str(result.incomplete[0]) == f"ec2 DescribeNatGateways in {ACCOUNT}/{REGION}: UnauthorizedOperation"
    items = result.items[unit]
    assert items["NatGateways"] is None and items["LoadBalancers"] is None
    assert items["LoadBalancerListeners"] is None  # its parent failed: not asked
    assert items["Subnets"] == [{"SubnetId": "subnet-1"}] and items["TargetGroups"] == []
    written = sorted(p.name for p in (writer.aws_configs / ACCOUNT / REGION).iterdir())
    assert written == ["Subnets.json", "TargetGroups.json", "Vpcs.json"]
    writer.abort()


def test_throttling_that_outlasts_the_retries_is_recorded() -> None:
    ec2 = _client("ec2")
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_security_groups", service_error_code="RequestLimitExceeded", http_status_code=503)
        stub.add_response("describe_security_groups", {"SecurityGroups": []}, {})
        outcome = fetch(CALL["SecurityGroups"], ec2, ACCOUNT, REGION)
        # Stubber sits before botocore's retry handler: the second answer was never asked for.
        with pytest.raises(AssertionError):
            stub.assert_no_pending_responses()
    assert outcome.items is None
    assert [(i.operation, i.error_code) for i in outcome.incomplete] == [("DescribeSecurityGroups", "RequestLimitExceeded")]


def test_a_vanished_parent_is_skipped_and_recorded() -> None:
    elbv2 = _client("elbv2")
    tg1, tg2 = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/a/1", "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/b/2"
    with Stubber(elbv2) as stub:
        stub.add_client_error("describe_target_health", service_error_code="TargetGroupNotFound", http_status_code=400,
                              expected_params={"TargetGroupArn": tg1})
        stub.add_response("describe_target_health", {"TargetHealthDescriptions": [{"Target": {"Id": "10.0.11.20", "Port": 8000}}]},
                          {"TargetGroupArn": tg2})
        outcome = fetch(CALL["LoadBalancerTargetHealth"], elbv2, ACCOUNT, REGION,
                        {"TargetGroups": [{"TargetGroupArn": tg1}, {"TargetGroupArn": tg2}]})
    assert outcome.items == [{"TargetGroupArn": tg2, "TargetHealthDescriptions": [{"Target": {"Id": "10.0.11.20", "Port": 8000}}]}]
    [item] = outcome.incomplete
    assert item.error_code == "TargetGroupNotFound" and tg1 in item.message


def test_truncated_transit_gateway_routes_are_recorded() -> None:
    ec2 = _client("ec2")
    with Stubber(ec2) as stub:
        stub.add_response("search_transit_gateway_routes",
                          {"Routes": [{"DestinationCidrBlock": "10.9.0.0/16", "Type": "static"}], "AdditionalRoutesAvailable": True},
                          {"TransitGatewayRouteTableId": "tgw-rtb-1", "Filters": [{"Name": "type", "Values": ["static"]}]})
        outcome = fetch(CALL["TransitGatewayStaticRoutes"], ec2, ACCOUNT, REGION,
                        {"TransitGatewayRouteTables": [{"TransitGatewayRouteTableId": "tgw-rtb-1"}]})
    assert outcome.items == [{"TransitGatewayRouteTableId": "tgw-rtb-1",
                              "Routes": [{"DestinationCidrBlock": "10.9.0.0/16", "Type": "static"}]}]
    assert [i.error_code for i in outcome.incomplete] == ["Truncated"]


def test_an_expired_token_stops_the_run() -> None:
    ec2 = _client("ec2")
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_vpcs", service_error_code="ExpiredToken", http_status_code=400)
        with pytest.raises(CollectError) as info:
            run([Unit(ACCOUNT, REGION)], lambda u, s: ec2, calls=[CALL["Vpcs"], CALL["Subnets"]], workers=1)
    assert info.value.code == "collect.expired_token" and "hint" in info.value.render()


def test_datetimes_are_written_as_iso_strings(tmp_path: Path) -> None:
    ec2 = _client("ec2")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    with Stubber(ec2) as stub:
        stub.add_response("describe_nat_gateways", {"NatGateways": [{"NatGatewayId": "nat-1", "CreateTime": when}]}, {})
        outcome = fetch(CALL["NatGateways"], ec2, ACCOUNT, REGION)
    writer = SnapshotWriter(tmp_path / "snap")
    path = writer.write_raw(ACCOUNT, REGION, "NatGateways", outcome.items or [])
    assert json.loads(path.read_text()) == {"NatGateways": [{"NatGatewayId": "nat-1", "CreateTime": "2026-01-02T03:04:05+00:00"}]}
    writer.abort()
