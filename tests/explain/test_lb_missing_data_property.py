"""Property: deleting load-balancer data never makes an answer more favourable than the data allows.

For random variants of the shipped example (ALB or internet-facing NLB, random security-group rules on the load
balancer and the task, cross-zone and client-IP-preservation attributes, the target's zone), deleting any one
load-balancer describe-* file, or any one resource another references (the target group, its attributes entry,
the listener, the target's ENI, a node's ENI, the load balancer, its security group), must never turn an UNREACHABLE or
INCONCLUSIVE verdict into REACHABLE, nor a REACHABLE one into UNREACHABLE. Missing data may only make answers
inconclusive (rules/load_balancers.dl, rules/missing_data.dl); a query error (a name that no longer resolves) is
no verdict.

Bounded for CI (a few snapshots, one deletion each); ``REASON_LONG_PROPERTIES=1`` tries every deletion.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from test_missing_data_property import assert_no_deletion_is_more_favourable  # one oracle for both properties

ROOT = Path(__file__).resolve().parents[2]
FIXED = ROOT / "facts" / "examples" / "seed-fixed" / "aws_configs" / "us-east-1"
EXAMPLES = 30 if os.environ.get("REASON_LONG_PROPERTIES") else 5
LB_FILES = ("LoadBalancers", "LoadBalancerAttributes", "LoadBalancerListeners", "LoadBalancerListenerRules", "TargetGroups",
            "TargetGroupAttributes", "LoadBalancerTargetHealth")


def _rule(rng: random.Random, port: int) -> dict:
    if rng.random() < 0.4:
        return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": rng.choice(["sg-0alb", "sg-0task"])}]}
    return {"IpProtocol": rng.choice(["tcp", "-1"]), "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": rng.choice(["0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24"])}]}


def build(seed: int) -> dict[str, dict]:
    """One random variant of the fixed example: describe-* key -> response."""
    rng = random.Random(seed)
    snap = {f.stem: json.loads(f.read_text()) for f in FIXED.glob("*.json")}
    if rng.random() < 0.5:  # an internet-facing NLB instead of the ALB
        snap = json.loads(json.dumps(snap).replace("app/web/", "net/web/"))
        snap["LoadBalancers"]["LoadBalancers"][0]["Type"] = "network"
        for g in snap["LoadBalancerListeners"]["LoadBalancerListeners"]:
            for li in g["Listeners"]:
                li["Protocol"] = "TCP"
        snap["TargetGroups"]["TargetGroups"][0]["Protocol"] = "TCP"
        snap["LoadBalancerAttributes"]["LoadBalancerAttributes"][0]["Attributes"] = [
            {"Key": "load_balancing.cross_zone.enabled", "Value": rng.choice(["true", "false"])}]
        attrs = [{"Key": "preserve_client_ip.enabled", "Value": v} for v in rng.sample(["true", "false"], 1)]
        snap["TargetGroupAttributes"]["TargetGroupAttributes"][0]["Attributes"] = attrs
    elif rng.random() < 0.3:
        snap["TargetGroupAttributes"]["TargetGroupAttributes"][0]["Attributes"].append(
            {"Key": "load_balancing.cross_zone.enabled", "Value": "false"})
    for g in snap["SecurityGroups"]["SecurityGroups"]:
        port = 80 if g["GroupId"] == "sg-0alb" else 8000
        g["IpPermissions"] = [_rule(rng, port) for _ in range(rng.randint(0, 2))]
        if g["GroupId"] == "sg-0alb":
            g["IpPermissionsEgress"] = [_rule(rng, 8000) for _ in range(rng.randint(0, 2))]
    if rng.random() < 0.25:  # the target registered in a zone the load balancer is not enabled in
        for s in snap["Subnets"]["Subnets"]:
            if s["SubnetId"] == "subnet-priv-a":
                s["AvailabilityZone"] = "us-east-1c"
        for g in snap["LoadBalancerTargetHealth"]["LoadBalancerTargetHealth"]:
            for t in g["TargetHealthDescriptions"]:
                t["Target"]["AvailabilityZone"] = "us-east-1c"
    return snap


def deletions(snap: dict[str, dict]) -> list[tuple[str, dict[str, dict]]]:
    """Every variant with one load-balancer file, or one referenced resource, removed."""
    out = [(f"file {key}", {k: v for k, v in snap.items() if k != key}) for key in LB_FILES]
    for label, key, pick in (
            ("target group", "TargetGroups", lambda d: d["TargetGroups"].clear()),
            ("target group's attributes", "TargetGroupAttributes", lambda d: d["TargetGroupAttributes"].clear()),
            ("listener", "LoadBalancerListeners", lambda d: [g["Listeners"].clear() for g in d["LoadBalancerListeners"]]),
            ("load balancer", "LoadBalancers", lambda d: d["LoadBalancers"].clear()),
            ("target ENI", "NetworkInterfaces", lambda d: d.update(NetworkInterfaces=[
                n for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] != "eni-0task01"])),
            ("node ENI eni-0alb0a", "NetworkInterfaces", lambda d: d.update(NetworkInterfaces=[
                n for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] != "eni-0alb0a"])),
            ("security group sg-0alb", "SecurityGroups", lambda d: d.update(SecurityGroups=[
                g for g in d["SecurityGroups"] if g["GroupId"] != "sg-0alb"]))):
        variant = json.loads(json.dumps(snap))
        pick(variant[key])
        out.append((f"resource {label}", variant))
    return out


QUERIES = ["internet -> {kind}:web tcp 80", "internet -> eni-0alb0b tcp 80", "{kind}:web -> eni-0task01 tcp 8000",
           "1.1.1.1 -> vpc-0a1b2c3d tcp 80", "eni-0alb0a -> eni-0task01 tcp 8000"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), which=st.integers(0, 10**6))
def test_deleting_lb_data_never_makes_a_verdict_more_favourable(tmp_path_factory, seed, which):
    snap = build(seed)
    kind = "nlb" if snap["LoadBalancers"]["LoadBalancers"][0]["Type"] == "network" else "alb"
    queries = [q.format(kind=kind) for q in QUERIES]
    assert_no_deletion_is_more_favourable(tmp_path_factory, snap, deletions(snap), queries, which, seed)
