"""The describe-* answers for one ELBv2 load balancer of the generated estate (used by ``generate.py``).

One load balancer with its attributes, listeners (each forwarding to the one target group), the target
group (``ip`` targets) and the targets' health (all healthy). Node ENIs are written by the caller,
which knows the subnets and addresses.
"""

from __future__ import annotations

from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


def load_balancer(kind: str, name: str, lid: str, vpc: str, sg: str, zones: list[tuple[str, str]], scheme: str,
                  port: int, listeners: list[tuple[str, int]], targets: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """``kind`` ``app`` or ``net``; ``zones`` (AZ, subnet id); ``targets`` (IP, AZ) registered on ``port``.
    Returns file stem -> the item to append to that file's list."""
    arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}"
    lb_arn, tg_arn = f"{arn}:loadbalancer/{kind}/{name}/{lid}", f"{arn}:targetgroup/{name}-tg/{lid}"
    http = kind == "app"
    return {
        "LoadBalancers": {
            "LoadBalancerArn": lb_arn, "LoadBalancerName": name, "DNSName": f"{name}.{REGION}.elb.amazonaws.com",
            "Scheme": scheme, "VpcId": vpc, "State": {"Code": "active"}, "Type": "application" if http else "network",
            "AvailabilityZones": [{"ZoneName": az, "SubnetId": s, "LoadBalancerAddresses": []} for az, s in zones],
            "SecurityGroups": [sg], "IpAddressType": "ipv4"},
        "LoadBalancerAttributes": {"LoadBalancerArn": lb_arn, "Attributes": [
            {"Key": "load_balancing.cross_zone.enabled", "Value": "true" if http else "false"}]},
        "LoadBalancerListeners": {"LoadBalancerArn": lb_arn, "Listeners": [
            {"ListenerArn": f"{arn}:listener/{kind}/{name}/{lid}/{p:012x}", "LoadBalancerArn": lb_arn, "Port": p,
             "Protocol": proto, "DefaultActions": [{"Type": "forward", "TargetGroupArn": tg_arn, "Order": 1}]}
            for proto, p in listeners]},
        "TargetGroups": {
            "TargetGroupArn": tg_arn, "TargetGroupName": f"{name}-tg", "Protocol": "HTTP" if http else "TCP",
            "Port": port, "VpcId": vpc, "HealthCheckProtocol": "HTTP" if http else "TCP",
            "HealthCheckPort": "traffic-port", "HealthCheckEnabled": True, "LoadBalancerArns": [lb_arn],
            "TargetType": "ip", "IpAddressType": "ipv4"},
        "LoadBalancerTargetHealth": {"TargetGroupArn": tg_arn, "TargetHealthDescriptions": [
            {"Target": {"Id": ip, "Port": port, "AvailabilityZone": az}, "HealthCheckPort": str(port),
             "TargetHealth": {"State": "healthy"}} for ip, az in targets]},
    }
