"""`reason collect` keeps the IPv6 fields moto returns (issue 13): VPC and subnet IPv6 blocks, ENI IPv6
addresses, SG ``Ipv6Ranges``, IPv6 routes and egress-only internet gateways; the collected snapshot then
answers IPv6 questions.  Built with boto3 against the moto server on 127.0.0.1 (conftest.py)."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from collect_support import Aws


def _build(aws: Aws) -> dict[str, str]:
    ec2 = aws.session().client("ec2", region_name="us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    v6 = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    sub6 = str(next(ipaddress.IPv6Network(v6).subnets(new_prefix=64)))
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", Ipv6CidrBlock=sub6)["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="app6", Description="app", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    # moto's default network ACL has no IPv6 entries (AWS adds rule 101 allow ::/0 each way,
    # default-network-acl.html): added here, in the scenario.
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"][0]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=101, Protocol="-1", RuleAction="allow", Egress=egress,
                                     Ipv6CidrBlock="::/0")
    rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    addr = str(ipaddress.IPv6Network(sub6)[0x10])
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[sg], Ipv6Addresses=[{"Ipv6Address": addr}])
    eni_id = eni["NetworkInterface"]["NetworkInterfaceId"]
    # attached to an instance (Status in-use): an interface attached to nothing sends nothing to the internet
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                 SubnetId=subnet)["Instances"][0]["InstanceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance, DeviceIndex=1)
    return {"vpc": vpc, "v6": v6, "sg": sg, "eigw": eigw, "eni": eni_id, "addr": addr}


def _rows(facts: Path, rel: str) -> list[list]:
    return [json.loads(line) for line in (facts / f"{rel}.jsonl").read_text().splitlines() if line.strip()]


def test_collect_keeps_ipv6_and_the_snapshot_answers_over_ipv6(aws: Aws, tmp_path: Path) -> None:
    sc = _build(aws)
    out = tmp_path / "snap"
    r = aws.reason("collect", "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stdout + r.stderr
    facts = out / "facts"
    addr = int(ipaddress.IPv6Address(sc["addr"]))
    net = ipaddress.IPv6Network(sc["v6"])
    assert [sc["eni"], addr] in _rows(facts, "eni_ip")
    assert [sc["vpc"], int(net.network_address), int(net.broadcast_address)] in _rows(facts, "vpc")
    assert any(row[0] == sc["sg"] and row[4:6] == [1 << 32, (1 << 128) - 1] for row in _rows(facts, "sg_ingress_cidr"))
    assert any(row[4:6] == ["egress_igw", sc["eigw"]] for row in _rows(facts, "route"))
    assert _rows(facts, "egress_only_igw_attachment") == [[sc["eigw"], sc["vpc"]]]
    manifest = json.loads((facts / "manifest.json").read_text())
    assert manifest["skipped_ipv6"] == 0

    q = aws.reason("query", "--facts", str(facts), "--format", "json", f"{sc['eni']} -> internet tcp 443")
    assert q.returncode == 0, q.stdout + q.stderr
    assert json.loads(q.stdout)["packet"]["family"] == "ipv6"
    q = aws.reason("query", "--facts", str(facts), "--format", "json", f"internet -> {sc['addr']} tcp 443")
    assert q.returncode == 1, q.stdout + q.stderr
    assert {e["code"] for e in json.loads(q.stdout)["explanations"]} >= {"EGRESS_ONLY_IGW_INBOUND"}
