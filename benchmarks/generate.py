"""Generates a realistic synthetic AWS snapshot (Batfish layout) of N ENIs.

Shape: VPCs of /16 with /24 subnets (public and private), ~50 ENIs per subnet; SGs reused by
fleets (one SG per "service", ENIs of a service share it), SG references between tiers, CIDR rules,
a custom NACL per VPC with deny rules before allow rules, a main and a public route table per VPC.

    python benchmarks/generate.py --enis 20000 --out benchmarks/out/n20000
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def generate(n_enis: int, seed: int = 7) -> dict[str, dict]:
    rnd = random.Random(seed)
    vpcs, subnets, enis, sgs, acls, rtbs = [], [], [], [], [], []
    per_subnet, subnets_per_vpc = 50, 40
    n_subnets = max(1, n_enis // per_subnet)
    n_vpcs = max(1, (n_subnets + subnets_per_vpc - 1) // subnets_per_vpc)
    for v in range(n_vpcs):
        vid = f"vpc-{v:08x}"
        vpcs.append({"VpcId": vid, "CidrBlock": f"10.{v}.0.0/16", "CidrBlockAssociationSet": [{"CidrBlock": f"10.{v}.0.0/16"}]})
        services = [f"sg-{v:04x}{s:04x}" for s in range(40)]
        for s, gid in enumerate(services):
            ingress = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
            if s > 0:
                ingress.append({"IpProtocol": "tcp", "FromPort": 8000 + s, "ToPort": 8000 + s,
                                "UserIdGroupPairs": [{"GroupId": services[s - 1]}]})
            egress = [] if s % 10 == 3 else [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            sgs.append({"GroupId": gid, "GroupName": f"svc-{s}", "VpcId": vid, "IpPermissions": ingress, "IpPermissionsEgress": egress})
        acl = f"acl-{v:08x}"
        entries = []
        for eg in (False, True):
            entries += [
                {"RuleNumber": 50, "Protocol": "6", "RuleAction": "deny", "Egress": eg, "CidrBlock": f"10.{v}.39.0/24", "PortRange": {"From": 22, "To": 22}},
                {"RuleNumber": 60, "Protocol": "17", "RuleAction": "deny", "Egress": eg, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 53, "To": 53}},
                {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": eg, "CidrBlock": "0.0.0.0/0"},
                {"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": eg, "CidrBlock": "0.0.0.0/0"}]
        assoc = []
        main_routes = [{"DestinationCidrBlock": f"10.{v}.0.0/16", "GatewayId": "local", "State": "active"}]
        pub_assoc = []
        for sn in range(subnets_per_vpc):
            if len(subnets) >= n_subnets:
                break
            sid = f"subnet-{v:04x}{sn:04x}"
            subnets.append({"SubnetId": sid, "VpcId": vid, "CidrBlock": f"10.{v}.{sn}.0/24", "AvailabilityZone": "us-east-1" + "abc"[sn % 3]})
            assoc.append({"SubnetId": sid, "NetworkAclId": acl})
            if sn % 4 == 0:
                pub_assoc.append({"SubnetId": sid, "RouteTableId": f"rtb-pub{v:05x}", "Main": False})
            for e in range(per_subnet):
                if len(enis) >= n_enis:
                    break
                svc = rnd.randrange(len(services))
                enis.append({"NetworkInterfaceId": f"eni-{len(enis):08x}", "SubnetId": sid, "VpcId": vid,
                             "PrivateIpAddress": f"10.{v}.{sn}.{e + 4}",
                             "PrivateIpAddresses": [{"PrivateIpAddress": f"10.{v}.{sn}.{e + 4}", "Primary": True}],
                             "Groups": [{"GroupId": services[svc], "GroupName": f"svc-{svc}"}], "SourceDestCheck": True})
        acls.append({"NetworkAclId": acl, "VpcId": vid, "IsDefault": False, "Entries": entries, "Associations": assoc})
        rtbs.append({"RouteTableId": f"rtb-main{v:04x}", "VpcId": vid, "Associations": [{"Main": True, "RouteTableId": f"rtb-main{v:04x}"}], "Routes": main_routes})
        rtbs.append({"RouteTableId": f"rtb-pub{v:05x}", "VpcId": vid, "Associations": pub_assoc,
                     "Routes": main_routes + [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": f"igw-{v:08x}", "State": "active"}]})
    return {"Vpcs": {"Vpcs": vpcs}, "Subnets": {"Subnets": subnets}, "NetworkInterfaces": {"NetworkInterfaces": enis},
            "SecurityGroups": {"SecurityGroups": sgs}, "NetworkAcls": {"NetworkAcls": acls}, "RouteTables": {"RouteTables": rtbs}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enis", type=int, default=1000)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    region = args.out / "aws_configs" / "us-east-1"
    region.mkdir(parents=True, exist_ok=True)
    for name, body in generate(args.enis).items():
        (region / f"{name}.json").write_text(json.dumps(body))
    print(f"wrote {args.enis} ENIs to {args.out}")


if __name__ == "__main__":
    main()
