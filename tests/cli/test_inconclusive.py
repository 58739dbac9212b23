"""Never a wrong "reachable", never a false proof: missing data gives INCONCLUSIVE (exit 3), AWS defaults
are applied where AWS applies them, and explanations say only what the rules proved.

Each scenario is the shipped example (or its fixed variant) in Batfish layout with one file, key or
resource removed or changed, as partial collections of real accounts produce them.
"""

import json

import pytest

from test_query import FACTS, REGION, answer, drop, edit, query_json, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def open_to_world(snap, eni, sg, port, direction):
    """Gives eni a public IP and lets sg admit tcp/port from or to anywhere (direction "in" or "out")."""
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Association={"PublicIp": "54.1.2.3"})
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == eni])
    key = "IpPermissions" if direction == "in" else "IpPermissionsEgress"
    edit(snap, "SecurityGroups", lambda d: [g[key].append(
        {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == sg])


def test_lb_looking_eni_without_lb_data_keeps_its_security_groups(tmp_path):
    """An ENI described `ELB app/web/...` (requester amazon-elb) whose group has no egress rule, in a snapshot
    collected without elasticloadbalancing:Describe*: the ENI's own Groups decide (it was REACHABLE)."""
    snap = scenario(tmp_path)
    for name in ("LoadBalancers", "LoadBalancerAttributes", "LoadBalancerListeners", "LoadBalancerListenerRules",
                 "LoadBalancerTargetHealth", "TargetGroups", "TargetGroupAttributes"):
        drop(snap, name)
    code, out = query_json(snap, "eni-0alb0a -> eni-0task01 tcp 8000")
    assert code == 1 and out["verdict"] == "unreachable"
    assert [(e["code"], e["component"]) for e in out["explanations"]] == [("ENI_SG_RULES_MISMATCH", "sg-0alb")]


def test_nlb_node_without_groups_is_not_filtered(tmp_path):
    """network/load-balancer-security-groups.html: an NLB without security groups filters nothing at its
    nodes; its interfaces carry no groups. The ENI (no Groups) passes its SG hops, load balancer data or not."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Groups=[], Description="ELB net/web/50dc6c495c0c9188")
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0alb0a"])
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "10.0.1.10/32"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    code, out = query_json(snap, "eni-0alb0a -> eni-0task01 tcp 8000")
    assert code == 0 and out["verdict"] == "reachable"


def test_a_subnet_no_network_acl_lists_is_undecided_never_the_default_acls(tmp_path):
    """"Each subnet is associated with one network ACL. When you first create a subnet, it is associated with the
    default network ACL" (network-acl-associations.html), and DescribeNetworkAcls lists that association too, on the
    default ACL (every subnet of each of Batfish's AWS snapshots is listed once). A subnet no ACL lists was cut from
    the answer (`--network-acl-ids`, a filter): its ACL may be a custom one that denies. Its default ACL was assumed
    (allow all here: REACHABLE); now its NACL hops are undecided."""
    snap = scenario(tmp_path, FIXED)

    def unlist(d):
        for acl in d["NetworkAcls"]:
            acl["Associations"] = [a for a in acl["Associations"] if a["SubnetId"] != "subnet-priv-a"]
    edit(snap, "NetworkAcls", unlist)
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 3 and {(m["missing"], m["component"]) for m in out["missing"]} == {("network_acl", "subnet-priv-a")}
    assert query_json(snap, "alb-eni -> eni-0alb0b tcp 8000")[0] != 3  # (subnets still listed decide as before)


def test_a_subnet_two_network_acls_list_is_refused(tmp_path):
    """A deny-all ACL that lists the task's subnet beside the default ACL that still lists it: both applied, the
    default's rule 100 allow passed the packet (REACHABLE). A subnet has one network ACL: the input is refused."""
    snap = scenario(tmp_path, FIXED)
    _lockdown_too(snap)
    r = reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "error[facts.conflict]" in r.stderr and "subnet-priv-a has two network ACLs" in r.stderr
    assert "Traceback" not in r.stderr


def _lockdown_too(snap):
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"].append(
        {"NetworkAclId": "acl-0lockdown", "VpcId": d["NetworkAcls"][0]["VpcId"], "IsDefault": False,
         "Associations": [{"NetworkAclId": "acl-0lockdown", "SubnetId": "subnet-priv-a"}],
         "Entries": [{"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": e,
                      "CidrBlock": "0.0.0.0/0"} for e in (True, False)]}))


def _lockdown(snap):
    """The task's subnet moved from the default network ACL to a custom one that denies everything (the association
    is listed on the custom ACL, as DescribeNetworkAcls lists it)."""
    def move(d):
        default = d["NetworkAcls"][0]
        default["Associations"] = [a for a in default["Associations"] if a["SubnetId"] != "subnet-priv-a"]
        d["NetworkAcls"].append({"NetworkAclId": "acl-0lockdown", "VpcId": default["VpcId"], "IsDefault": False,
                                 "Associations": [{"NetworkAclId": "acl-0lockdown", "SubnetId": "subnet-priv-a"}],
                                 "Entries": [{"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": e,
                                              "CidrBlock": "0.0.0.0/0"} for e in (True, False)]})
    edit(snap, "NetworkAcls", move)


def test_one_page_of_network_acls_is_refused_never_read_as_the_whole_answer(tmp_path):
    """`aws ec2 describe-network-acls --max-items 1` prints the default ACL and a NextToken (cli-usage-pagination.html).
    Read as the whole answer, the task's subnet had no ACL listed and took its VPC's default one: REACHABLE, where
    the full answer is UNREACHABLE (acl-0lockdown).  The page is refused (exit 2, at its NextToken)."""
    snap = scenario(tmp_path, FIXED)
    _lockdown(snap)
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and ("SUBNET_ACL_RESTRICTION", "acl-0lockdown") in [(e["code"], e["component"]) for e in out["explanations"]]

    def first_page(d):
        d["NetworkAcls"] = d["NetworkAcls"][:1]
        d["NextToken"] = "eyJOZXh0VG9rZW4iOiBudWxsLCAiYm90b190cnVuY2F0ZV9hbW91bnQiOiAxfQ=="
    edit(snap, "NetworkAcls", first_page)
    r = reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "REACHABLE" not in r.stdout
    assert f"{REGION}/NetworkAcls.json:$.NextToken: error[facts.truncated]" in r.stderr
    assert "--max-items" in r.stderr and "Traceback" not in r.stderr


def test_an_older_copy_of_an_answer_left_beside_it_is_refused_never_joined(tmp_path):
    """The shipped example with last month's SecurityGroups.json kept beside today's, when the ALB's group still had its
    egress rule: joined, sg-0alb held both answers' rules and the health check read REACHABLE (it is UNREACHABLE).
    The folder describes sg-0alb twice, differently: refused (exit 2), both files named."""
    snap = scenario(tmp_path)
    today = snap / REGION / "SecurityGroups.json"
    old = json.loads(today.read_text())
    for g in old["SecurityGroups"]:
        if g["GroupId"] == "sg-0alb":
            g["IpPermissionsEgress"] = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    (snap / REGION / "SecurityGroups.2026-11-01.json").write_text(json.dumps(old))
    r = reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "REACHABLE" not in r.stdout and "Traceback" not in r.stderr
    assert "error[facts.conflict]: sg-0alb is described twice, differently" in r.stderr
    assert "SecurityGroups.json" in r.stderr and "SecurityGroups.2026-11-01.json" in r.stderr


def test_missing_security_groups_is_inconclusive_not_a_proof(tmp_path):
    """SecurityGroups.json not collected: the groups of both ENIs are unknown, so neither a path nor isolation
    can be claimed (it was UNREACHABLE on the broken example, so `assert unreachable` passed)."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, "SecurityGroups")
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 3 and out["verdict"] == "inconclusive" and out["reachable"] is None
    assert {(m["missing"], m["component"]) for m in out["missing"]} == {("security_group", "sg-0alb"),
                                                                        ("security_group", "sg-0task")}
    r = reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 3 and "INCONCLUSIVE" in r.stdout and "security group sg-0alb" in r.stdout


def test_missing_nacls_is_inconclusive_not_reachable(tmp_path):
    """NetworkAcls.json not collected: every subnet has a NACL in AWS, so the path is not known to pass
    (it was REACHABLE with a warning)."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, "NetworkAcls")
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 3 and {m["missing"] for m in out["missing"]} == {"network_acl"}


def test_known_blocker_stays_unreachable_with_unknown_elsewhere(tmp_path):
    """A known component that blocks every packet decides regardless of the unknown one: the ALB's group has
    no egress rule (shipped bug) while the NACLs are missing: still UNREACHABLE, the unknown named as a warning."""
    snap = scenario(tmp_path)
    drop(snap, "NetworkAcls")
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and out["explanations"][0]["component"] == "sg-0alb"
    assert any("network ACL" in w for w in out["warnings"])


def test_missing_route_tables_is_inconclusive(tmp_path):
    snap = scenario(tmp_path, FIXED)
    drop(snap, "RouteTables")
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 3 and "route_table" in {m["missing"] for m in out["missing"]}


def test_route_to_an_undescribed_gateway_is_inconclusive(tmp_path):
    """InternetGateways.json not collected: the route 0.0.0.0/0 -> igw-0main leads to a gateway the snapshot
    does not describe (it was UNREACHABLE, BAD_STATE)."""
    snap = scenario(tmp_path, FIXED)
    open_to_world(snap, "eni-0alb0a", "sg-0alb", 443, "out")
    code, out = query_json(snap, "alb-eni -> internet tcp 443")
    assert code == 0  # the complete snapshot: out through the internet gateway
    drop(snap, "InternetGateways")
    code, out = query_json(snap, "alb-eni -> internet tcp 443")
    assert code == 3 and ("route_target", "igw-0main") in {(m["missing"], m["component"]) for m in out["missing"]}


def test_internet_ingress_without_gateway_data_is_inconclusive(tmp_path):
    snap = scenario(tmp_path, FIXED)
    open_to_world(snap, "eni-0task01", "sg-0task", 8000, "in")
    edit(snap, "RouteTables", lambda d: [t["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0main",
                                                             "State": "active"})
                                         for t in d["RouteTables"] if t["RouteTableId"] == "rtb-main"])
    assert query_json(snap, "internet -> task-eni tcp 8000")[0] == 0  # complete: in by its public IP
    drop(snap, "InternetGateways")
    code, out = query_json(snap, "internet -> task-eni tcp 8000")
    assert code == 3 and ("describe_key", "InternetGateways") in {(m["missing"], m["component"]) for m in out["missing"]}


def test_unmodelled_route_target_is_inconclusive(tmp_path):
    """A route to a virtual private gateway is not modelled: the packets it carries get no verdict, so with no
    other packet getting through the answer is INCONCLUSIVE, naming the gateway (it was UNREACHABLE)."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissionsEgress"].append(
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}) for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])
    edit(snap, "RouteTables", lambda d: [t["Routes"].append({"DestinationCidrBlock": "52.0.0.0/8", "GatewayId": "vgw-1",
                                                             "State": "active"})
                                         for t in d["RouteTables"] if t["RouteTableId"] == "rtb-public"])
    code, out = query_json(snap, "alb-eni -> internet tcp 443")
    assert code == 3 and ("unmodelled", "vgw-1") in {(m["missing"], m["component"]) for m in out["missing"]}
    code, out = query_json(snap, "alb-eni -> 8.8.8.8 tcp 443")  # not through the gateway: known, no public IP
    assert code == 1 and out["explanations"][0]["code"] == "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"


def test_no_route_message_does_not_claim_a_missing_gateway(tmp_path):
    """The private subnet has no route to the internet, while the VPC does have an internet gateway: the
    message must not say none is attached."""
    code, out = query_json(FACTS, "task-eni -> internet tcp 443")
    route = [e for e in out["explanations"] if e["code"] == "NO_ROUTE_TO_DESTINATION"]
    assert code == 1 and route and all("internet gateway" not in e["message"] for e in route)


def test_private_address_from_the_internet_is_an_ingress_explanation():
    code, out = query_json(FACTS, "internet -> task-eni tcp 8000")
    igw = [e for e in out["explanations"] if e["code"] == "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"]
    assert code == 1 and igw and all(e["direction"] == "ingress" for e in igw)


def test_nat_gateway_address_refuses_the_internet(tmp_path):
    """vpc-nat-gateway.html: connections must be initiated from within the VPC containing the NAT gateway.
    The NAT gateway's interface has no security group: the explanation is the gateway, not an SG mismatch."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].append({
        "NetworkInterfaceId": "eni-0nat", "SubnetId": "subnet-pub-a", "VpcId": d["NetworkInterfaces"][0]["VpcId"], "Status": "in-use",
        "PrivateIpAddress": "10.0.1.50", "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.50", "Primary": True}],
        "Association": {"PublicIp": "54.9.9.9"}, "Groups": [], "InterfaceType": "nat_gateway",
        "Description": "Interface for NAT Gateway nat-0a"}))
    vpc = json.loads((snap / REGION / "NetworkInterfaces.json").read_text())["NetworkInterfaces"][0]["VpcId"]
    (snap / REGION / "NatGateways.json").write_text(json.dumps({"NatGateways": [{
        "NatGatewayId": "nat-0a", "SubnetId": "subnet-pub-a", "VpcId": vpc, "State": "available", "ConnectivityType": "public",
        "NatGatewayAddresses": [{"PrivateIp": "10.0.1.50", "PublicIp": "54.9.9.9", "NetworkInterfaceId": "eni-0nat"}]}]}))
    code, out = query_json(snap, "internet -> 54.9.9.9 tcp 443")
    assert code == 1
    codes = {(e["code"], e["component"], e["direction"]) for e in out["explanations"]}
    assert ("NGW_REQUIRES_SOURCE_IN_VPC", "nat-0a", "ingress") in codes
    assert not any(e["code"] == "ENI_SG_RULES_MISMATCH" for e in out["explanations"])


def test_verify_counts_inconclusive_as_failed_and_shows_every_warning(tmp_path):
    """SecurityGroups refused at collection (reason-collect.json) and absent: `assert unreachable` on the
    shipped bug must not pass as a proof of isolation; the warning reaches text and JSON."""
    snap = scenario(tmp_path)
    drop(snap, "SecurityGroups")
    (snap / "reason-collect.json").write_text(json.dumps({"incomplete": [{
        "service": "ec2", "operation": "DescribeSecurityGroups", "account": "123456789012", "region": "us-east-1",
        "error_code": "AccessDenied", "message": "denied"}]}))
    (tmp_path / "q.reason").write_text("assert unreachable alb-eni -> task-eni tcp 8000\n")
    r = reason("verify", "--facts", str(snap), str(tmp_path / "q.reason"))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "INCONCLUSIVE" in r.stdout and "PASS" not in r.stdout and "proof of isolation" not in r.stdout
    assert "DescribeSecurityGroups" in r.stderr
    r = reason("verify", "--facts", str(snap), "--format", "json", str(tmp_path / "q.reason"))
    out = answer(r.stdout)
    assert r.returncode == 3 and out["ok"] is False and out["assertions"][0]["verdict"] == "inconclusive"
    assert any("DescribeSecurityGroups" in w for w in out["warnings"])


def test_unreachable_is_proved_over_both_families_for_an_ipv6_enabled_eni(tmp_path):
    """The task has an IPv6 address. While IPv6 was not analysed this was INCONCLUSIVE (no proof over IPv4
    only); now the IPv6 packets are analysed too: the subnet's network ACL has IPv4 entries only, so its rule
    `*` for IPv6 denies them (default-network-acl.html), and `internet -> task-eni any` is a proof over both."""
    snap = scenario(tmp_path)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Ipv6Addresses=[{"Ipv6Address": "2600:1f18::20"}])
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01"])
    code, out = query_json(snap, "internet -> task-eni any")
    assert code == 1 and out["families"] == ["ipv4", "ipv6"] and not out["missing"]
    code, out = query_json(snap, "internet -> task-eni tcp 8000 ipv6")
    assert code == 1 and "SUBNET_ACL_RESTRICTION" in {e["code"] for e in out["explanations"]}
    code, out = query_json(snap, "internet -> 10.0.11.20 tcp 8000")
    assert code == 1


def test_an_answer_the_snapshot_holds_but_no_rule_reads_is_named_on_every_answer(tmp_path):
    """DescribeSecurityGroupRules' answer beside DescribeSecurityGroups': kept by the import, read by no rule. `reason
    import` said so; a question on the folder said nothing (the warnings were empty)."""
    snap = scenario(tmp_path)
    (snap / REGION / "SecurityGroupRules.json").write_text(json.dumps({"SecurityGroupRules": [
        {"SecurityGroupRuleId": "sgr-1", "GroupId": "sg-0alb", "IsEgress": True, "IpProtocol": "-1", "CidrIpv4": "0.0.0.0/0"}]}))
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and any("does not read (SecurityGroupRules)" in w for w in out["warnings"])
    code, out = query_json(scenario(tmp_path / "plain"), "alb-eni -> task-eni tcp 8000")
    assert not any("does not read" in w for w in out["warnings"])


def test_a_route_table_without_its_local_route_is_undecided_never_a_proof(tmp_path):
    """Every route table has a local route per CIDR block of its VPC, and it cannot be deleted (RouteTables.html,
    replace-local-route-target.html): a table without one is an answer cut short.  Read as it stood, the ALB's
    packet to the task (another subnet of the VPC) took the default route to the internet gateway
    (MORE_SPECIFIC_ROUTE) and `assert unreachable` passed.  Traffic to an address outside the block is decided as
    before, and a table whose local route has another target (a middlebox) has its route."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "RouteTables", lambda d: [t.update(Routes=[r for r in t["Routes"] if r.get("GatewayId") != "local"])
                                         for t in d["RouteTables"]])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 3 and out["verdict"] == "inconclusive", out
    assert {("local_route", "rtb-public"), ("local_route", "rtb-main")} <= {
        (m["missing"], m["component"]) for m in out["missing"]}, out["missing"]
    assert not any(e["code"] == "MORE_SPECIFIC_ROUTE" for e in out["explanations"])
    checks = tmp_path / "isolation.reason"
    checks.write_text("assert unreachable alb-eni -> task-eni tcp 8000\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "1 inconclusive" in r.stdout, r.stdout
    # the internet is outside the VPC's block: the public subnet's default route decides, as before
    code, out = query_json(snap, "alb-eni -> internet tcp 443")
    assert code == 1 and not any(m["missing"] == "local_route" for m in out["missing"]), out
    # the local route's target replaced by an interface: the route for the block is there
    edit(snap, "RouteTables", lambda d: [t["Routes"].insert(0, {"DestinationCidrBlock": "10.0.0.0/16",
                                                                "NetworkInterfaceId": "eni-0task01", "State": "active",
                                                                "Origin": "CreateRouteTable"})
                                         for t in d["RouteTables"]])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert not any(m["missing"] == "local_route" for m in out["missing"]), out


def _local_route_undecided(out: dict) -> bool:
    return out["verdict"] == "inconclusive" and "local_route" in {m["missing"] for m in out["missing"]}


def test_a_local_route_is_looked_for_whatever_else_the_snapshot_lacks_or_claims(tmp_path):
    """The VPC's blocks are known from its subnets too (Vpcs.json missing, or describing another VPC); a route for
    the VPC's block to an internet gateway is no local route (its target may only be replaced by a network interface
    or a Gateway Load Balancer endpoint: replace-local-route-target.html); a table of another VPC associated with
    the subnet needs the subnet's VPC's local route too.  Each read as it stood was UNREACHABLE (MORE_SPECIFIC_ROUTE
    or NO_ROUTE_TO_DESTINATION), and `assert unreachable` passed."""
    cut = [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0main", "State": "active"}]
    for case in ("no_vpcs", "igw_for_vpc_block", "other_vpc_table"):
        snap = scenario(tmp_path / case, FIXED)
        if case == "no_vpcs":
            drop(snap, "Vpcs")
            edit(snap, "RouteTables", lambda d: [t.update(Routes=cut) for t in d["RouteTables"] if t["RouteTableId"] == "rtb-public"])
        elif case == "igw_for_vpc_block":
            edit(snap, "RouteTables", lambda d: [t.update(Routes=[{**cut[0], "DestinationCidrBlock": "10.0.0.0/16"}] + cut)
                                                 for t in d["RouteTables"] if t["RouteTableId"] == "rtb-public"])
        else:
            edit(snap, "Vpcs", lambda d: d["Vpcs"].append({**d["Vpcs"][0], "VpcId": "vpc-2", "CidrBlock": "10.9.0.0/16",
                                                           "CidrBlockAssociationSet": [{"CidrBlock": "10.9.0.0/16"}]}))
            edit(snap, "RouteTables", lambda d: d["RouteTables"].append(
                {"RouteTableId": "rtb-x", "VpcId": "vpc-2", "Routes": [{"DestinationCidrBlock": "10.9.0.0/16",
                                                                       "GatewayId": "local", "State": "active"}],
                 "Associations": [{"SubnetId": "subnet-priv-a", "RouteTableId": "rtb-x"}]}))
        code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
        assert code == 3 and _local_route_undecided(out), (case, out["verdict"], out["explanations"], out["missing"])


def test_traffic_within_a_subnet_never_meets_its_route_table(tmp_path):
    """"Traffic that is destined for the MAC address of another network interface in the subnet makes use of data
    link (layer 2) routing ... so the rules do not apply to this traffic" (gateway-route-tables.html, Rules and
    considerations): a blackhole route for the subnet's own block (a middlebox's interface deleted) does not come
    between two ENIs of the subnet (it was UNREACHABLE, BAD_STATE_ROUTE, and `assert unreachable` passed), nor does
    a table missing its local route; the path shows no route table.  Across subnets the blackhole still decides."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].append(
        {**next(n for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01"),
         "NetworkInterfaceId": "eni-0peer", "SubnetId": "subnet-pub-a", "PrivateIpAddress": "10.0.1.99",
         "PrivateIpAddresses": [{"Primary": True, "PrivateIpAddress": "10.0.1.99"}], "Attachment": {}}))
    edit(snap, "RouteTables", lambda d: [t["Routes"].append({"DestinationCidrBlock": "10.0.1.0/24", "NetworkInterfaceId": "eni-gone",
                                                            "State": "blackhole", "Origin": "CreateRoute"})
                                         for t in d["RouteTables"] if t["RouteTableId"] == "rtb-public"])
    code, out = query_json(snap, "alb-eni -> eni-0peer tcp 8000")
    assert code == 0 and out["verdict"] == "reachable", out["explanations"]
    assert not any(h["kind"] == "route-table" for h in out["forward_path"] + out["return_path"])
    code, out = query_json(snap, "eni-0alb0b -> eni-0peer tcp 8000")  # from subnet-pub-b: the blackhole route decides
    assert code == 1 and "BAD_STATE_ROUTE" in {e["code"] for e in out["explanations"]}


def _no_groups(snap, eni, kind=None):
    def fn(d):
        for n in d["NetworkInterfaces"]:
            if n["NetworkInterfaceId"] == eni:
                n["Groups"] = []
                if kind is None:
                    n.pop("InterfaceType", None)
                else:
                    n["InterfaceType"] = kind
    edit(snap, "NetworkInterfaces", fn)


@pytest.mark.parametrize("engine", ["point", "set"])
@pytest.mark.parametrize("kind", [None, "interface"])
def test_an_ordinary_interface_listed_without_groups_is_undecided_never_a_proof(tmp_path, monkeypatch, engine, kind):
    """An ordinary network interface always has a security group: "You must specify at least one group, even if it's
    just the default security group in the VPC" (Groups, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/
    API_ModifyNetworkInterfaceAttribute.html; CreateNetworkInterface gives it the VPC's default group).  One listed
    with `Groups: []` was cut; it was read as "no group admits it": UNREACHABLE, and `assert unreachable ... any`
    passed as a proof of isolation (adversarial test session, F2).  Now its security-group hops are undecided, as
    destination and as source, for point and set questions alike."""
    monkeypatch.setenv("REASON_ENGINE", engine)
    snap = scenario(tmp_path, FIXED)
    _no_groups(snap, "eni-0task01", kind)
    for q in ("eni-0alb0a -> eni-0task01 tcp 8000", "eni-0alb0a -> eni-0task01 any", "eni-0task01 -> eni-0alb0a any",
              "* -> eni-0task01 any", "eni-0task01 -> * any"):
        code, out = query_json(snap, q)
        assert (code, out["verdict"]) == (3, "inconclusive"), (q, out)
    checks = tmp_path / "iso.reason"
    checks.write_text("assert unreachable eni-0alb0a -> eni-0task01 any\nassert unreachable * -> eni-0task01 any\n")
    r = reason("verify", "--facts", str(snap), str(checks))
    assert r.returncode == 3 and "listed without security groups" in r.stdout + r.stderr, r.stdout + r.stderr


@pytest.mark.parametrize("engine", ["point", "set"])
def test_an_aws_managed_interface_without_groups_keeps_its_answer(tmp_path, monkeypatch, engine):
    """An AWS-managed interface (InterfaceType other than "interface", e.g. nat_gateway) is not an ordinary
    interface: its answer without groups is not changed by the rule above (still a certain UNREACHABLE here)."""
    monkeypatch.setenv("REASON_ENGINE", engine)
    snap = scenario(tmp_path, FIXED)
    _no_groups(snap, "eni-0task01", "nat_gateway")
    code, out = query_json(snap, "eni-0alb0a -> eni-0task01 tcp 8000")
    assert (code, out["verdict"]) == (1, "unreachable"), out
