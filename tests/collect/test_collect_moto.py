"""`reason collect` end to end against moto's HTTP server: the real CLI in a subprocess.

Every test runs ``reason collect`` with ``AWS_ENDPOINT_URL`` pointing at a moto server on
127.0.0.1 (or at the fault proxy in front of it), then reads what it wrote.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import boto3
from moto import settings as moto_settings

import collect_scenario
from collect_support import ACCOUNT, REGION, SECRET, Aws, FaultProxy

from reasoner.schemas import validate


def _answer(stdout: str) -> dict:
    """A JSON answer of the CLI, validated against the schema it names (reasoner/schemas)."""
    doc = json.loads(stdout)
    validate(doc)
    return doc

QUERY = "alb-eni -> task-eni tcp 8000"


def _collect(aws: Aws, out: Path, *args: str, **kw: str):
    r = aws.reason("collect", "--out", str(out), *args, **kw)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def _raw(out: Path, key: str, account: str = ACCOUNT, region: str = REGION):
    path = out / "aws_configs" / account / region / f"{key}.json"
    data = json.loads(path.read_text())
    assert list(data) == [key], f"{path}: one top-level key"
    return data[key]


def test_alb_health_check_blocked_by_alb_sg_egress_then_fixed(aws: Aws, tmp_path: Path) -> None:
    sc = collect_scenario.build(aws.session())
    out = tmp_path / "snap"
    r = _collect(aws, out, "--quiet")
    assert "collected 1 account(s) x 1 region(s)" in r.stdout and "Traceback" not in r.stderr

    q = aws.reason("query", "--facts", str(out / "facts"), QUERY)
    assert q.returncode == 1, q.stdout + q.stderr
    assert "UNREACHABLE" in q.stdout and "ENI_SG_RULES_MISMATCH" in q.stdout
    assert sc.alb_sg in q.stdout and f"outbound tcp/8000 to {sc.task_ip}" in q.stdout

    # `reason health` on the collected ALB: moto gives the load balancer no ENIs, so its nodes are derived
    # from its subnets and security group (with a warning); the health check to the task is blocked there.
    h = aws.reason("health", "--facts", str(out / "facts"), "--format", "json")
    assert h.returncode == 1, h.stdout + h.stderr
    report = _answer(h.stdout)
    target = next(t for t in report["targets"] if t["ip"] == sc.task_ip)
    assert not target["open"] and target["port"] == 8000
    assert {e["component"] for b in target["blocked_from"] for e in b["explanations"]} == {sc.alb_sg}
    assert any("lb-node:" in w for w in report["warnings"])

    collect_scenario.fix(aws.session(), sc)
    _collect(aws, out, "--quiet")  # the same folder: replaced atomically
    h = aws.reason("health", "--facts", str(out / "facts"), "--format", "json")
    target = next(t for t in _answer(h.stdout)["targets"] if t["ip"] == sc.task_ip)
    assert target["open"], h.stdout
    q = aws.reason("query", "--facts", str(out / "facts"), "--format", "json", QUERY)
    assert q.returncode == 0, q.stdout + q.stderr
    res = _answer(q.stdout)
    assert res["reachable"] and not res["explanations"]
    assert not [w for w in res["warnings"] if "incomplete" in w], res["warnings"]
    assert [h["component"] for h in res["forward_path"]][:2] == [sc.alb_eni, sc.alb_sg]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".snap.")], "no staging folder left behind"


def test_raw_files_are_batfish_shaped_and_import_the_same_way(aws: Aws, tmp_path: Path) -> None:
    sc = collect_scenario.build(aws.session())
    out = tmp_path / "snap"
    r = _collect(aws, out)
    assert r.stderr == "", "stderr is not a terminal: no progress drawn"

    assert {v["VpcId"] for v in _raw(out, "Vpcs")} >= {sc.vpc}
    enis = {e["NetworkInterfaceId"] for e in _raw(out, "NetworkInterfaces")}
    assert {sc.alb_eni, sc.task_eni} <= enis
    [lb] = _raw(out, "LoadBalancers")
    assert lb["LoadBalancerArn"] == sc.lb_arn and lb["SecurityGroups"] == [sc.alb_sg]
    assert isinstance(lb["CreatedTime"], str) and re.match(r"\d{4}-\d\d-\d\dT", lb["CreatedTime"]), "ISO datetimes"

    [attrs] = _raw(out, "LoadBalancerAttributes")
    assert attrs["LoadBalancerArn"] == sc.lb_arn and {"Key", "Value"} <= set(attrs["Attributes"][0])
    [listeners] = _raw(out, "LoadBalancerListeners")
    assert listeners["LoadBalancerArn"] == sc.lb_arn
    assert [(x["ListenerArn"], x["Port"]) for x in listeners["Listeners"]] == [(sc.listener_arn, 80)]
    [rules] = _raw(out, "LoadBalancerListenerRules")
    assert rules["ListenerArn"] == sc.listener_arn and rules["Rules"][0]["IsDefault"] is True
    assert [t["TargetGroupArn"] for t in _raw(out, "TargetGroups")] == [sc.tg_arn]
    [tg_attrs] = _raw(out, "TargetGroupAttributes")
    assert tg_attrs["TargetGroupArn"] == sc.tg_arn and tg_attrs["Attributes"]
    [health] = _raw(out, "LoadBalancerTargetHealth")
    assert health["TargetGroupArn"] == sc.tg_arn
    assert [(t["Target"]["Id"], t["Target"]["Port"]) for t in health["TargetHealthDescriptions"]] == [(sc.task_ip, 8000)]

    [cluster] = _raw(out, "EcsClusters")
    assert cluster["clusterArn"] == sc.cluster_arn
    [tasks] = _raw(out, "EcsTasks")
    assert tasks["ClusterArn"] == sc.cluster_arn and len(tasks["Tasks"]) == 1
    [eni_att] = [a for a in tasks["Tasks"][0]["attachments"] if a["type"] == "ElasticNetworkInterface"]
    assert {"networkInterfaceId", "privateIPv4Address", "subnetId"} <= {d["name"] for d in eni_att["details"]}
    assert _raw(out, "EcsServices") == [{"ClusterArn": sc.cluster_arn, "Services": []}]
    # ECS answers hold tags only when asked with include=["TAGS"] (DescribeTasks, DescribeClusters): they were, and
    # the import keeps them as tag facts
    assert tasks["Tasks"][0]["tags"] == [{"key": "tier", "value": "app"}]
    assert cluster["tags"] == [{"key": "team", "value": "platform"}]
    tags = {tuple(json.loads(line)) for line in (out / "facts" / "tag.jsonl").read_text().splitlines() if line.strip()}
    assert {(tasks["Tasks"][0]["taskArn"], "tier", "app"), (sc.cluster_arn, "team", "platform")} <= tags

    rtbs = {t["TransitGatewayRouteTableId"] for t in _raw(out, "TransitGatewayRouteTables")}
    for key, inner in (("TransitGatewayPropagations", "TransitGatewayRouteTablePropagations"),
                       ("TransitGatewayStaticRoutes", "Routes"), ("TransitGatewayPropagatedRoutes", "Routes"),
                       ("TransitGatewayRouteTableAssociations", "Associations")):
        items = _raw(out, key)
        assert {w["TransitGatewayRouteTableId"] for w in items} == rtbs and all(set(w) == {"TransitGatewayRouteTableId", inner}
                                                                                for w in items), key
    assert any(r["DestinationCidrBlock"] == "192.168.0.0/16" and r["Type"] == "static"
               for w in _raw(out, "TransitGatewayStaticRoutes") for r in w["Routes"])
    assert _raw(out, "TransitGatewayVpcAttachments") and _raw(out, "TransitGatewayAttachments")
    office = [p for p in _raw(out, "PrefixLists") if p["PrefixListName"] == "office"]
    assert office and office[0]["Entries"] == [{"Cidr": "203.0.113.0/24", "Description": "office"}]
    assert _raw(out, "NatGateways") and _raw(out, "Addresses") and _raw(out, "VpcEndpoints")
    # an interface endpoint's ENI is its endpoint's (NetworkInterfaceIds): vpce_eni, and the endpoint's tags as facts
    [ssm] = [e for e in _raw(out, "VpcEndpoints") if e["VpcEndpointType"] == "Interface"]
    vpce_eni = {tuple(json.loads(line)) for line in (out / "facts" / "vpce_eni.jsonl").read_text().splitlines()}
    assert vpce_eni == {(ssm["VpcEndpointId"], eni) for eni in ssm["NetworkInterfaceIds"]} and vpce_eni
    assert (ssm["VpcEndpointId"], "team", "net") in tags
    assert _raw(out, "VpcPeeringConnections") and _raw(out, "Reservations")
    # the gateway route table's edge association (gateway-route-tables.html): rtb_gateway
    [edge] = [t for t in _raw(out, "RouteTables") if {"Key": "Name", "Value": "edge-rt"} in t.get("Tags", [])]
    rtb_gateway = {tuple(json.loads(line)) for line in (out / "facts" / "rtb_gateway.jsonl").read_text().splitlines()}
    assert rtb_gateway == {(edge["RouteTableId"], a["GatewayId"]) for a in edge["Associations"]} and rtb_gateway
    assert _raw(out, "EgressOnlyInternetGateways") == []
    assert not (out / "aws_configs" / ACCOUNT / REGION / "VpnConnections.json").exists()

    meta = json.loads((out / "reason-collect.json").read_text())
    assert meta["accounts"] == [ACCOUNT] and meta["regions"] == [REGION] and meta["incomplete"] == []
    assert re.match(r"\d{4}-\d\d-\d\dT", meta["collected_at"])

    # the facts directory is what `reason import` writes from the same folder (same code path)
    manifest = json.loads((out / "facts" / "manifest.json").read_text())
    assert manifest["incomplete"] == [] and manifest["source"] == str(out.resolve())
    r = aws.reason("import", str(out), "--out", str(tmp_path / "imported"))
    assert r.returncode == 0, r.stderr
    again = json.loads((tmp_path / "imported" / "manifest.json").read_text())
    assert again["content_hash"] == manifest["content_hash"] and again["counts"] == manifest["counts"]
    # the raw folder is a valid --facts too (imported on the fly)
    q = aws.reason("query", "--facts", str(out), QUERY)
    assert q.returncode == 1 and sc.alb_sg in q.stdout, q.stdout + q.stderr

    for path in [*out.rglob("*"), *tmp_path.glob("imported/*")]:
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), f"secret key written to {path}"


def test_load_balancer_and_target_group_tags_are_collected_and_kept(aws: Aws, tmp_path: Path) -> None:
    """Issue 12: tags of load balancers and target groups reach ``tag`` (ELBv2's describe answers carry none: they
    come from DescribeTags, asked per ARN), so a policy can read tag(TG, "tier", "web")."""
    session = aws.session()
    sc = collect_scenario.build(session)
    elbv2 = session.client("elbv2")
    elbv2.add_tags(ResourceArns=[sc.lb_arn], Tags=[{"Key": "tier", "Value": "edge"}, {"Key": "owner", "Value": "web team"}])
    elbv2.add_tags(ResourceArns=[sc.tg_arn], Tags=[{"Key": "tier", "Value": "web"}])
    out = tmp_path / "snap"
    _collect(aws, out)
    [lb_tags] = _raw(out, "LoadBalancerTags")
    assert lb_tags["ResourceArn"] == sc.lb_arn and {(t["Key"], t["Value"]) for d in lb_tags["TagDescriptions"]
                                                    for t in d["Tags"]} >= {("tier", "edge"), ("owner", "web team")}
    [tg_tags] = _raw(out, "TargetGroupTags")
    assert tg_tags["ResourceArn"] == sc.tg_arn
    assert json.loads((out / "reason-collect.json").read_text())["incomplete"] == []
    rows = {tuple(json.loads(line)) for line in (out / "facts" / "tag.jsonl").read_text().splitlines() if line}
    assert {(sc.lb_arn, "tier", "edge"), (sc.lb_arn, "owner", "web team"), (sc.tg_arn, "tier", "web")} <= rows
    policy = tmp_path / "p.dl"
    policy.write_text('violation(T, "web tier") :- target_group(T, _, _, _, _, _), tag(T, "tier", "web").\n')
    r = aws.reason("verify", "--facts", str(out / "facts"), "--format", "json", str(policy))
    assert r.returncode == 1 and [v["row"][0] for v in _answer(r.stdout)["violations"]] == [sc.tg_arn], r.stdout + r.stderr


def test_second_account_via_role_arn_gets_its_own_folder(aws: Aws, tmp_path: Path) -> None:
    sts = aws.session().client("sts")
    creds = sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/x", RoleSessionName="setup")["Credentials"]
    other = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                    aws_session_token=creds["SessionToken"], region_name=REGION)
    vpc = other.client("ec2").create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    out = tmp_path / "snap"
    r = _collect(aws, out, "--role-arn", "arn:aws:iam::222222222222:role/x", "--quiet")
    assert "collected 2 account(s) x 1 region(s)" in r.stdout
    assert sorted(p.name for p in (out / "aws_configs").iterdir()) == [ACCOUNT, "222222222222"]
    assert vpc in {v["VpcId"] for v in _raw(out, "Vpcs", "222222222222")}
    assert vpc not in {v["VpcId"] for v in _raw(out, "Vpcs", ACCOUNT)}
    meta = json.loads((out / "reason-collect.json").read_text())
    assert meta["accounts"] == [ACCOUNT, "222222222222"]
    assert json.loads((out / "facts" / "manifest.json").read_text())["accounts"] == [ACCOUNT, "222222222222"]


def test_access_denied_is_recorded_collection_goes_on_and_queries_warn(aws: Aws, tmp_path: Path) -> None:
    """A real AccessDenied from moto's IAM enforcement for a user whose policy denies two calls."""
    session = aws.session()
    collect_scenario.build(session)
    iam = session.client("iam")
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": ["ec2:DescribeNatGateways", "elasticloadbalancing:DescribeTargetGroups"],
                       "Resource": "*"}]}))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    out = tmp_path / "snap"
    saved = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # moto checks IAM policies from now on (same process)
    try:
        r = aws.reason("collect", "--out", str(out), "--quiet", AWS_ACCESS_KEY_ID=key["AccessKeyId"],
                       AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = saved
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"incomplete: ec2 DescribeNatGateways in {ACCOUNT}/{REGION}: AccessDenied" in r.stdout

    meta = json.loads((out / "reason-collect.json").read_text())
    got = {(i["service"], i["operation"], i["error_code"]) for i in meta["incomplete"]}
    assert got == {("ec2", "DescribeNatGateways", "AccessDenied"), ("elbv2", "DescribeTargetGroups", "AccessDenied")}
    assert all(i["account"] == ACCOUNT and i["region"] == REGION and "not authorized" in i["message"]
               for i in meta["incomplete"])
    region = out / "aws_configs" / ACCOUNT / REGION
    assert not (region / "NatGateways.json").exists() and not (region / "TargetGroups.json").exists()
    # children of a failed call are not asked; everything else was collected
    assert not (region / "TargetGroupAttributes.json").exists() and not (region / "LoadBalancerTargetHealth.json").exists()
    assert (region / "SecurityGroups.json").exists() and (region / "LoadBalancerListeners.json").exists()

    for facts in (out / "facts", out):  # the facts directory and the raw folder both carry the warning
        q = aws.reason("query", "--facts", str(facts), "--format", "json", QUERY)
        assert q.returncode == 1, q.stderr
        warnings = _answer(q.stdout)["warnings"]
        assert f"the snapshot is incomplete: ec2 DescribeNatGateways in {ACCOUNT}/{REGION}: AccessDenied" in warnings
        assert f"the snapshot is incomplete: elbv2 DescribeTargetGroups in {ACCOUNT}/{REGION}: AccessDenied" in warnings
    q = aws.reason("query", "--facts", str(out / "facts"), QUERY)
    assert "the snapshot is incomplete: ec2 DescribeNatGateways" in q.stdout + q.stderr


def test_throttling_is_retried_by_botocore_over_http(aws: Aws, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    """Two RequestLimitExceeded answers, then the real one: botocore's retry handler (standard mode) retries."""
    collect_scenario.build(aws.session())
    fault_proxy.fail("DescribeSecurityGroups", "RequestLimitExceeded", status=503, times=2)
    fault_proxy.fail("DescribeListeners", "Throttling", status=400, times=1)
    out = tmp_path / "snap"
    _collect(aws, out, "--quiet", endpoint=fault_proxy.url)
    assert fault_proxy.failed["DescribeSecurityGroups"] == 2 and fault_proxy.seen["DescribeSecurityGroups"] == 3
    assert fault_proxy.failed["DescribeListeners"] == 1 and fault_proxy.seen["DescribeListeners"] == 2
    assert json.loads((out / "reason-collect.json").read_text())["incomplete"] == []
    assert {g["GroupName"] for g in _raw(out, "SecurityGroups")} >= {"alb-sg", "task-sg"}
    assert _raw(out, "LoadBalancerListeners")[0]["Listeners"]


def test_throttling_past_the_retries_is_recorded(aws: Aws, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    collect_scenario.build(aws.session())
    fault_proxy.fail("DescribeRouteTables", "RequestLimitExceeded", status=503)  # always
    out = tmp_path / "snap"
    _collect(aws, out, "--quiet", endpoint=fault_proxy.url, AWS_MAX_ATTEMPTS="2")
    assert fault_proxy.seen["DescribeRouteTables"] == 2  # AWS_MAX_ATTEMPTS is honoured
    [item] = json.loads((out / "reason-collect.json").read_text())["incomplete"]
    assert (item["operation"], item["error_code"]) == ("DescribeRouteTables", "RequestLimitExceeded")
    assert (out / "aws_configs" / ACCOUNT / REGION / "Vpcs.json").exists()


def test_expired_token_is_one_line_exit_2_and_keeps_the_old_snapshot(aws: Aws, fault_proxy: FaultProxy,
                                                                      tmp_path: Path) -> None:
    collect_scenario.build(aws.session())
    out = tmp_path / "snap"
    _collect(aws, out, "--quiet")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    stamp = (out / "reason-collect.json").read_text()

    fault_proxy.fail("DescribeSubnets", "RequestExpired", status=400)  # mid-collection
    r = aws.reason("collect", "--out", str(out), "--quiet", endpoint=fault_proxy.url)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "error[collect.expired_token]" in r.stderr and r.stdout == ""
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert (out / "reason-collect.json").read_text() == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".snap.")], "the staging folder is removed"

    fault_proxy.fail("GetCallerIdentity", "ExpiredToken", status=403)
    r = aws.reason("collect", "--out", str(out), endpoint=fault_proxy.url)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "error[collect.expired_token]: the AWS session token has expired (ExpiredToken)" in r.stderr
    assert "hint:" in r.stderr and SECRET not in r.stderr + r.stdout


def test_credential_and_usage_errors_are_one_line_exit_2(aws: Aws, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    cases = [
        (["--profile", "nope"], {}, "collect.unknown_profile"),
        ([], {"AWS_PROFILE": "nope"}, "collect.unknown_profile"),
        ([], {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, "collect.no_credentials"),
        (["--region", "eu-west-1", "--all-regions"], {}, "collect.usage"),
        (["--region", "Europe"], {}, "collect.bad_region"),
        (["--role-arn", "arn:aws:iam::1:user/x"], {}, "collect.bad_role_arn"),
    ]
    for args, env, code in cases:
        r = aws.reason("collect", "--out", str(out), *args, **env)
        assert r.returncode == 2, (args, env, r.stdout, r.stderr)
        assert f"error[{code}]" in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
        assert not out.exists()

    saved = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0  # moto now rejects keys it does not know
    try:
        r = aws.reason("collect", "--out", str(out), AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000")
    finally:
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = saved
    assert r.returncode == 2 and "error[collect.bad_credentials]" in r.stderr and "Traceback" not in r.stderr

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    r = aws.reason("collect", "--out", str(folder))
    assert r.returncode == 2 and "error[collect.out_not_snapshot]" in r.stderr
    assert (folder / "notes.txt").read_text() == "keep me" and [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_a_second_collect_refuses_a_snapshot_holding_files_the_first_did_not_write(aws: Aws, tmp_path: Path) -> None:
    """Only top-level names were checked: a second `reason collect --out snap` deleted aws_configs/NOTES.txt, a
    hand-added aws_configs/<account>/<region>/Vpcs.json and files added to facts/."""
    collect_scenario.build(aws.session())
    out = tmp_path / "snap"
    _collect(aws, out, "--quiet")
    _collect(aws, out, "--quiet")  # its own files: replaced
    for added, named in (("aws_configs/NOTES.txt", "aws_configs/NOTES.txt"),
                         ("aws_configs/999999999999/eu-west-1/Vpcs.json", "aws_configs/999999999999/"),
                         (f"aws_configs/{ACCOUNT}/{REGION}/Mine.json", f"aws_configs/{ACCOUNT}/{REGION}/Mine.json"),
                         ("facts/notes.txt", "facts/notes.txt")):
        (out / added).parent.mkdir(parents=True, exist_ok=True)
        (out / added).write_text('{"Vpcs": []}')
        r = aws.reason("collect", "--out", str(out), "--quiet")
        assert r.returncode == 2 and "error[collect.out_not_snapshot]" in r.stderr and named in r.stderr, r.stderr
        assert (out / added).read_text() == '{"Vpcs": []}'
        (out / added).unlink()


def test_region_from_aws_region_and_explicit_regions(aws: Aws, tmp_path: Path) -> None:
    aws.session().client("ec2", region_name="eu-west-1").create_vpc(CidrBlock="10.50.0.0/16")
    out = tmp_path / "snap"
    _collect(aws, out, "--quiet", AWS_REGION="eu-west-1")  # AWS_REGION wins over AWS_DEFAULT_REGION
    assert [p.name for p in (out / "aws_configs" / ACCOUNT).iterdir()] == ["eu-west-1"]
    assert "10.50.0.0/16" in {v["CidrBlock"] for v in _raw(out, "Vpcs", region="eu-west-1")}
    _collect(aws, out, "--quiet", "--region", "eu-west-1", "--region", "us-east-1")
    assert sorted(p.name for p in (out / "aws_configs" / ACCOUNT).iterdir()) == ["eu-west-1", "us-east-1"]
    assert json.loads((out / "facts" / "manifest.json").read_text())["regions"] == ["eu-west-1", "us-east-1"]


def test_all_regions_are_the_enabled_ones(aws: Aws, tmp_path: Path) -> None:
    ec2 = aws.session().client("ec2")
    enabled = {r["RegionName"] for r in ec2.describe_regions()["Regions"]
               if r["OptInStatus"] in ("opt-in-not-required", "opted-in")}
    assert len(enabled) > 10 and "ap-east-1" not in enabled  # moto: ap-east-1 is not opted in
    out = tmp_path / "snap"
    _collect(aws, out, "--quiet", "--all-regions", "--workers", "16")
    assert {p.name for p in (out / "aws_configs" / ACCOUNT).iterdir()} == enabled
    assert set(json.loads((out / "reason-collect.json").read_text())["regions"]) == enabled


def test_a_role_that_cannot_be_assumed_is_one_line_exit_2(aws: Aws, fault_proxy: FaultProxy, tmp_path: Path) -> None:
    fault_proxy.fail("AssumeRole", "AccessDenied", status=403,
                     message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole")
    out = tmp_path / "snap"
    r = aws.reason("collect", "--out", str(out), "--role-arn", "arn:aws:iam::222222222222:role/x", endpoint=fault_proxy.url)
    assert r.returncode == 2 and "Traceback" not in r.stderr and not out.exists()
    assert r.stderr.startswith("arn:aws:iam::222222222222:role/x: error[collect.assume_role]: cannot assume the role")
