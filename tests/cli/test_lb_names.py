"""Load balancers and target groups named by their names (``alb:NAME``, ``nlb:NAME``, ``tg:NAME``): a name is unique
per account and Region only (CreateLoadBalancer and CreateTargetGroup, Name), so two of one name in a snapshot of
several Regions or accounts are refused, never the first one taken: `assert unreachable internet -> alb:web tcp 443`
passed as a proof of isolation while the other `web` was reachable (reasoner/query/endpoints.py)."""


from test_query import FACTS, REGION, copy_answers, edit, reason, scenario


def _second_region(tmp_path):
    """The shipped example, and a copy of its Region's answers as us-west-2 (the same names, other ARNs)."""
    snap = scenario(tmp_path)
    copy_answers(snap, snap / "aws_configs" / "us-west-2", "us-east-1", "us-west-2")
    return snap


def test_two_load_balancers_of_one_name_are_refused_not_the_first_taken(tmp_path):
    snap = _second_region(tmp_path)
    for query in ("internet -> alb:web tcp 80", "alb:web -> tg:task-tg tcp 8000"):
        r = reason("query", "--facts", str(snap), query)
        assert r.returncode == 2 and "error[query.ambiguous]" in r.stderr and "us-west-2" in r.stderr, r.stderr
    r = reason("health", "--facts", str(snap), "tg:task-tg")
    assert r.returncode == 2 and "2 target groups are called 'task-tg'" in r.stderr, r.stderr
    (snap / "iso.reason").write_text("assert unreachable internet -> alb:web tcp 443\n")
    r = reason("verify", "--facts", str(snap), str(snap / "iso.reason"))
    assert r.returncode == 2 and "PASS" not in r.stdout, r.stdout
    # by its ARN, each is asked on its own
    arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
    assert reason("query", "--facts", str(snap), f"internet -> {arn} tcp 80").returncode in (0, 1, 3)


def _peer_target(tmp_path, status: str):
    """The fixed example with a peered VPC (tests/cli/test_query.py _add_peer_vpc: eni-0db at 10.1.1.5, pcx-1 in
    ``status``) whose database is task-tg's one target, an IP target outside the group's VPC (zone all); and an
    unrelated VPC of the same range, not joined to anything, with an ENI at the same address."""
    from test_lb_semantics import FIXED
    from test_query import _add_peer_vpc

    snap = scenario(tmp_path, FIXED)
    _add_peer_vpc(snap, status=status, sg_ref=False)
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0db"])
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissionsEgress"].append(
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])
    edit(snap, "LoadBalancerTargetHealth", lambda d: d["LoadBalancerTargetHealth"][0].update(TargetHealthDescriptions=[
        {"Target": {"Id": "10.1.1.5", "Port": 8000, "AvailabilityZone": "all"}, "TargetHealth": {"State": "healthy"}}]))
    edit(snap, "Vpcs", lambda d: d["Vpcs"].append({"VpcId": "vpc-0other", "CidrBlock": "10.1.0.0/16"}))
    edit(snap, "Subnets", lambda d: d["Subnets"].append(
        {"SubnetId": "subnet-other", "VpcId": "vpc-0other", "CidrBlock": "10.1.1.0/24", "AvailabilityZone": "us-east-1a"}))
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].insert(0,  # (listed first: it was taken first)
        {"NetworkInterfaceId": "eni-0other", "SubnetId": "subnet-other", "VpcId": "vpc-0other", "PrivateIpAddress": "10.1.1.5",
         "Status": "in-use", "Groups": [{"GroupId": "sg-0db"}]}))
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].append(
        {"NetworkAclId": "acl-0other", "VpcId": "vpc-0other", "IsDefault": True,
         "Associations": [{"NetworkAclId": "acl-0other", "SubnetId": "subnet-other"}], "Entries": [
            {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": eg, "CidrBlock": "0.0.0.0/0"}
            for eg in (False, True)]}))
    edit(snap, "RouteTables", lambda d: d["RouteTables"].append(
        {"RouteTableId": "rtb-other", "VpcId": "vpc-0other", "Associations": [{"Main": True}],
         "Routes": [{"DestinationCidrBlock": "10.1.0.0/16", "GatewayId": "local", "State": "active"}]}))
    return snap


def test_an_ip_target_outside_the_vpc_is_the_eni_of_a_joined_vpc_never_an_unrelated_one(tmp_path):
    """An IP target outside the target group's VPC (zone all: a peered VPC, on premises) was placed on the first ENI
    holding its address anywhere in the snapshot: an unrelated VPC's, and the path to it blocked for certain (a proof of
    isolation).  It is the ENI of a VPC joined to the group's (an active peering connection, or a transit gateway);
    with none, the target is not placed: undecided."""
    from test_query import query_json

    snap = _peer_target(tmp_path / "peered", "active")
    code, out = query_json(snap, "alb:web -> tg:task-tg tcp 8000")
    assert "eni-0other" not in str(out) and "eni-0db" in str(out), out
    assert code == 0, out.get("explanations")
    snap = _peer_target(tmp_path / "not-peered", "deleted")
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and ("target_eni", "10.1.1.5") in {(m["missing"], m["component"]) for m in out["missing"]}, out
    assert "eni-0other" not in str(out)
