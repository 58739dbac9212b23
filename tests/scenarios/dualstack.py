"""A dual-stack VPC as AWS describe-* JSON (Batfish layout), built for the IPv6 tests.

    vpc-ds  10.0.0.0/16 + 2600:1f18:aaaa:bb00::/56, internet gateway igw-ds, egress-only gateway eigw-ds
      subnet-pub   10.0.1.0/24 + 2600:1f18:aaaa:bb01::/64   rtb-pub:  local (both), 0.0.0.0/0 + ::/0 -> igw-ds
        eni-web  10.0.1.10, 2600:1f18:aaaa:bb01::10 (no public IPv4)   sg-web: in tcp 443 from ::/0 only
      subnet-priv  10.0.2.0/24 + 2600:1f18:aaaa:bb02::/64   rtb-priv: local (both), ::/0 -> eigw-ds
        eni-app  10.0.2.20, 2600:1f18:aaaa:bb02::20             sg-app: in tcp 443 from ::/0 and 10.0.0.0/16
    acl-ds (both subnets): allow all, IPv4 (100) and IPv6 (101), both ways; rule * deny for each family.

Both groups allow all outbound traffic to 0.0.0.0/0 and ::/0.  ``write`` takes functions that edit the
documents before they are written, so each test states its own difference from this base.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

REGION = "aws_configs/us-east-1"
WEB6, APP6 = "2600:1f18:aaaa:bb01::10", "2600:1f18:aaaa:bb02::20"


def _acl_entries() -> list[dict]:
    out = []
    for egress in (False, True):
        out += [{"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": egress, "CidrBlock": "0.0.0.0/0"},
                {"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow", "Egress": egress, "Ipv6CidrBlock": "::/0"},
                {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": egress, "CidrBlock": "0.0.0.0/0"},
                {"RuleNumber": 32768, "Protocol": "-1", "RuleAction": "deny", "Egress": egress, "Ipv6CidrBlock": "::/0"}]
    return out


def _all_out() -> list[dict]:
    return [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]


def _subnet(sid: str, v4: str, v6: str) -> dict:
    return {"SubnetId": sid, "VpcId": "vpc-ds", "CidrBlock": v4, "AvailabilityZone": "us-east-1a",
            "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": v6, "Ipv6CidrBlockState": {"State": "associated"}}]}


def _eni(eni: str, subnet: str, v4: str, v6: str, sg: str) -> dict:
    return {"NetworkInterfaceId": eni, "SubnetId": subnet, "VpcId": "vpc-ds", "PrivateIpAddress": v4,
            "PrivateIpAddresses": [{"PrivateIpAddress": v4, "Primary": True}], "Ipv6Addresses": [{"Ipv6Address": v6}],
            "Groups": [{"GroupId": sg}], "SourceDestCheck": True, "Status": "in-use"}


def _local(v4: str = "10.0.0.0/16", v6: str = "2600:1f18:aaaa:bb00::/56") -> list[dict]:
    return [{"DestinationCidrBlock": v4, "GatewayId": "local", "State": "active"},
            {"DestinationIpv6CidrBlock": v6, "GatewayId": "local", "State": "active"}]


def documents() -> dict[str, dict]:
    return {
        "Vpcs": {"Vpcs": [{"VpcId": "vpc-ds", "CidrBlock": "10.0.0.0/16",
                           "CidrBlockAssociationSet": [{"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}}],
                           "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:aaaa:bb00::/56",
                                                            "Ipv6CidrBlockState": {"State": "associated"}}]}]},
        "Subnets": {"Subnets": [_subnet("subnet-pub", "10.0.1.0/24", "2600:1f18:aaaa:bb01::/64"),
                                _subnet("subnet-priv", "10.0.2.0/24", "2600:1f18:aaaa:bb02::/64")]},
        "NetworkInterfaces": {"NetworkInterfaces": [_eni("eni-web", "subnet-pub", "10.0.1.10", WEB6, "sg-web"),
                                                    _eni("eni-app", "subnet-priv", "10.0.2.20", APP6, "sg-app")]},
        "SecurityGroups": {"SecurityGroups": [
            {"GroupId": "sg-web", "GroupName": "web", "VpcId": "vpc-ds", "IpPermissionsEgress": _all_out(),
             "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]},
            {"GroupId": "sg-app", "GroupName": "app", "VpcId": "vpc-ds", "IpPermissionsEgress": _all_out(),
             "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/16"}],
                                "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]}]},
        "NetworkAcls": {"NetworkAcls": [{"NetworkAclId": "acl-ds", "VpcId": "vpc-ds", "IsDefault": True, "Entries": _acl_entries(),
                                         "Associations": [{"SubnetId": "subnet-pub"}, {"SubnetId": "subnet-priv"}]}]},
        "RouteTables": {"RouteTables": [
            {"RouteTableId": "rtb-pub", "VpcId": "vpc-ds", "Associations": [{"SubnetId": "subnet-pub"}],
             "Routes": _local() + [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-ds", "State": "active"},
                                   {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-ds", "State": "active"}]},
            {"RouteTableId": "rtb-priv", "VpcId": "vpc-ds", "Associations": [{"SubnetId": "subnet-priv"}, {"Main": True}],
             "Routes": _local() + [{"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-ds",
                                    "State": "active"}]}]},
        "InternetGateways": {"InternetGateways": [{"InternetGatewayId": "igw-ds",
                                                   "Attachments": [{"VpcId": "vpc-ds", "State": "available"}]}]},
        "EgressOnlyInternetGateways": {"EgressOnlyInternetGateways": [
            {"EgressOnlyInternetGatewayId": "eigw-ds", "Attachments": [{"VpcId": "vpc-ds", "State": "attached"}]}]},
    }


def write(root: Path, *edits: Callable[[dict[str, dict]], None]) -> Path:
    """Writes the scenario under ``root`` (after applying ``edits`` in order) and returns ``root``."""
    docs = documents()
    for fn in edits:
        fn(docs)
    folder = root / REGION
    folder.mkdir(parents=True, exist_ok=True)
    for key, doc in docs.items():
        (folder / f"{key}.json").write_text(json.dumps(doc, indent=1))
    return root


def group(docs: dict[str, dict], gid: str) -> dict:
    return next(g for g in docs["SecurityGroups"]["SecurityGroups"] if g["GroupId"] == gid)


def table(docs: dict[str, dict], rid: str) -> dict:
    return next(t for t in docs["RouteTables"]["RouteTables"] if t["RouteTableId"] == rid)
