"""Load-balancer semantics that were wrong (issue 9, items 2, 4, 5, 9, 10, 11), end to end through the CLI.

Each scenario is the shipped fixed example in Batfish layout with the load balancer's data changed as AWS
documents it:
- how-elastic-load-balancing-works.html, "Availability Zones and load balancer nodes": targets registered in a
  zone the load balancer is not enabled in receive no traffic (ELB_INSTALLED_AZ_RESTRICTION; AWS reports them
  "unused", Target.NotInUse);
- network/edit-target-group-attributes.html#client-ip-preservation: the target sees the client's address, the
  reply goes back through the load balancer, so the target's route table needs no route to the client;
- the target group's protocol decides what a load balancer sends its targets (PROTOCOL_RESTRICTION);
- missing load-balancer data is INCONCLUSIVE (exit 3), never a crash, never "reachable", never "no listener".
"""

import json

from test_query import FACTS, REGION, drop, edit, query_json, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/task-tg/73e2d6bc24d8a067"


def codes(out):
    return [(e["code"], e["component"]) for e in out["explanations"]]


def target_in_zone(snap, zone):
    """The task's subnet (and so its registration) moves to zone, where the load balancer has no node."""
    edit(snap, "Subnets", lambda d: [s.update(AvailabilityZone=zone) for s in d["Subnets"] if s["SubnetId"] == "subnet-priv-a"])
    edit(snap, "LoadBalancerTargetHealth", lambda d: [t["Target"].update(AvailabilityZone=zone)
                                                      for g in d["LoadBalancerTargetHealth"] for t in g["TargetHealthDescriptions"]])


def to_nlb(snap, cross_zone=True, preserve="true", target_type="ip"):
    """The ALB becomes an internet-facing NLB (TCP listener and target group) in the public subnets; the task stays
    in its private subnet (main route table: local route only) and its group admits the clients on 8000."""
    for f in (snap / REGION).glob("*.json"):
        f.write_text(f.read_text().replace("app/web/", "net/web/"))
    edit(snap, "LoadBalancers", lambda d: [lb.update(Type="network") for lb in d["LoadBalancers"]])
    edit(snap, "LoadBalancerListeners", lambda d: [li.update(Protocol="TCP") for g in d["LoadBalancerListeners"] for li in g["Listeners"]])
    edit(snap, "TargetGroups", lambda d: [g.update(Protocol="TCP", TargetType=target_type) for g in d["TargetGroups"]])
    edit(snap, "LoadBalancerAttributes", lambda d: [g.update(Attributes=[
        {"Key": "load_balancing.cross_zone.enabled", "Value": "true" if cross_zone else "false"}]) for g in d["LoadBalancerAttributes"]])
    attrs = [] if preserve is None else [{"Key": "preserve_client_ip.enabled", "Value": preserve}]
    edit(snap, "TargetGroupAttributes", lambda d: [g.update(Attributes=attrs) for g in d["TargetGroupAttributes"]])
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    if target_type == "instance":  # the task's ENI is the primary interface of instance i-0task
        edit(snap, "NetworkInterfaces", lambda d: [n.update(Attachment={"InstanceId": "i-0task", "DeviceIndex": 0})
                                                   for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01"])
        edit(snap, "LoadBalancerTargetHealth", lambda d: [t["Target"].update(Id="i-0task")
                                                          for g in d["LoadBalancerTargetHealth"] for t in g["TargetHealthDescriptions"]])


# -- item 2: targets in a zone the load balancer is not enabled in ---------------------------------------


def test_alb_target_in_a_zone_the_alb_is_not_enabled_in_gets_no_traffic(tmp_path):
    snap = scenario(tmp_path, FIXED)
    target_in_zone(snap, "us-east-1c")
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 1 and ("ELB_INSTALLED_AZ_RESTRICTION", "10.0.11.20") in codes(out)
    assert "us-east-1c" in out["explanations"][0]["message"]


def test_nlb_cross_zone_target_in_a_disabled_zone_gets_no_traffic(tmp_path):
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, cross_zone=True)
    assert query_json(snap, "internet -> nlb:web tcp 80")[0] == 0  # the scenario works while the zone is enabled
    target_in_zone(snap, "us-east-1c")
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 1 and ("ELB_INSTALLED_AZ_RESTRICTION", "10.0.11.20") in codes(out)


def test_health_says_unused_for_a_target_in_a_disabled_zone_as_aws_does(tmp_path):
    snap = scenario(tmp_path, FIXED)
    target_in_zone(snap, "us-east-1c")
    edit(snap, "LoadBalancerTargetHealth", lambda d: [t.update(TargetHealth={
        "State": "unused", "Reason": "Target.NotInUse", "Description": "Target is in an Availability Zone that is not enabled "
        "for the load balancer"}) for g in d["LoadBalancerTargetHealth"] for t in g["TargetHealthDescriptions"]])
    r = reason("health", "--facts", str(snap), "--format", "json")
    target = json.loads(r.stdout)["targets"][0]
    assert r.returncode == 1 and target["zone_disabled"] == "us-east-1c" and not target["reachable_from"] and target["unused"]
    assert target["verdict"].startswith("unused, as AWS says") and "ELB_INSTALLED_AZ_RESTRICTION" in target["verdict"]


# -- item 4: NLB with client IP preservation and internet clients ---------------------------------------


def test_nlb_preserving_client_ip_replies_through_the_load_balancer_ip_target(tmp_path):
    """Standard deployment: internet-facing NLB in public subnets, ip target (preservation on) in a private subnet
    without an internet route, the target's group admitting the clients: reachable (it was UNREACHABLE)."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="true", target_type="ip")
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 0, codes(out)
    assert out["packet"]["to_target"]["src_ip"] == out["packet"]["client"]["src_ip"]  # the target sees the client
    # the target's group must admit the client's address: without the 0.0.0.0/0 rule it does not
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissions=g["IpPermissions"][:1])
                                            for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 0  # sg-0task still admits sg-0alb, the NLB's group (network/load-balancer-security-groups.html)
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissions=[]) for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 1 and ("ENI_SG_RULES_MISMATCH", "sg-0task") in codes(out)


def test_nlb_preserving_client_ip_replies_through_the_load_balancer_instance_target(tmp_path):
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="true", target_type="instance")
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 0, codes(out)
    assert out["forward_path"][-1]["component"] == "eni-0task01"


def test_nlb_preservation_unknown_is_assumed_when_it_does_not_matter(tmp_path):
    """TargetGroupAttributes without preserve_client_ip.enabled: the AWS default is assumed and said
    (ASSUMPTION_PRESERVE_CLIENT_IP_IS_*) when either value gives the same answer."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve=None, target_type="instance")
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 0 and any(w.startswith("ASSUMPTION_PRESERVE_CLIENT_IP_IS_ENABLED") for w in out["warnings"])


def split_acls(snap, pub_egress, priv_egress):
    """The public subnets (the NLB's nodes) and the task's subnet each get a network ACL of their own: inbound open,
    outbound tcp only to the port ranges given (replies go to the client's source port)."""
    def acls(d):
        base = d["NetworkAcls"][0]

        def acl(acl_id, subnets, egress):
            a = json.loads(json.dumps(base))
            a.update(NetworkAclId=acl_id, IsDefault=False, Associations=[
                {"NetworkAclId": acl_id, "SubnetId": s, "NetworkAclAssociationId": f"aclassoc-{acl_id}-{s}"} for s in subnets])
            a["Entries"] = [e for e in a["Entries"] if not e["Egress"]] + [
                {"CidrBlock": "0.0.0.0/0", "Egress": True, "Protocol": "6", "RuleAction": "allow", "RuleNumber": 10 + k,
                 "PortRange": {"From": lo, "To": hi}} for k, (lo, hi) in enumerate(egress)] + [
                {"CidrBlock": "0.0.0.0/0", "Egress": True, "Protocol": "-1", "RuleAction": "deny", "RuleNumber": 32767}]
            return a
        base["Associations"] = []
        d["NetworkAcls"] = [a for a in d["NetworkAcls"] if a["NetworkAclId"] not in ("acl-pub", "acl-priv")] + [
            acl("acl-pub", ["subnet-pub-a", "subnet-pub-b"], pub_egress), acl("acl-priv", ["subnet-priv-a"], priv_egress)]
    edit(snap, "NetworkAcls", acls)


def test_nlb_preserving_client_ip_needs_one_client_port_both_legs_admit(tmp_path):
    """The target receives the client's packet with its address and source port (client IP preservation,
    network/edit-target-group-attributes.html), so both legs answer the same source port: the node's subnet answers
    clients only on 1024-65535, the task's only on 0-1023, and no client packet gets an answer. It was REACHABLE: the
    two legs were searched apart, each with a port of its own."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="true", target_type="ip")
    split_acls(snap, [(1024, 65535)], [(0, 1023)])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 1 and ("SUBNET_ACL_RESTRICTION", "acl-priv") in codes(out), codes(out)
    # the node's subnet answers 0-100 too (and sends to the task on 8000): a client sending from port 100 gets through
    split_acls(snap, [(30000, 65535), (0, 100), (8000, 8000)], [(0, 1023)])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 0, codes(out)
    sent = out["packet"]["client"]["src_port"]
    assert 0 <= sent <= 100 and out["packet"]["to_target"]["src_port"] == sent
    # without preservation the node opens its own connection (from its ephemeral ports): the task's subnet answers
    # only 0-1023, so nothing gets back
    edit(snap, "TargetGroupAttributes", lambda d: [g.update(Attributes=[{"Key": "preserve_client_ip.enabled", "Value": "false"}])
                                                   for g in d["TargetGroupAttributes"]])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 1 and ("SUBNET_ACL_RESTRICTION", "acl-priv") in codes(out), codes(out)


def test_nlb_preserving_client_ip_finds_the_clients_the_target_admits(tmp_path):
    """The task's group admits only 203.0.113.0/24 and the node's group every address: the internet's clients are
    cut at the target's rules too, so the clients the target admits are found. It was UNREACHABLE (an `assert
    unreachable` passed): one client address was asked, one the target refuses."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="true", target_type="ip")
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "203.0.113.0/24"}], "Ipv6Ranges": [],
        "PrefixListIds": [], "UserIdGroupPairs": []}]) for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 0, codes(out)
    assert out["packet"]["client"]["src_ip"].startswith("203.0.113.") and \
        out["packet"]["to_target"]["src_ip"] == out["packet"]["client"]["src_ip"]
    # a client outside the range the target admits does not get through
    code, out = query_json(snap, "198.51.100.7 -> nlb:web tcp 80")
    assert code == 1 and ("ENI_SG_RULES_MISMATCH", "sg-0task") in codes(out), codes(out)


def test_nlb_preserving_client_ip_names_what_stops_the_clients_that_get_furthest(tmp_path):
    """Found by a probe: the task's group admits 203.0.113.0/24 only, the node's subnet answers clients on 0-1023
    only, the task's on 1024-65535 only. Nothing gets through (UNREACHABLE), but the answer named the task's group
    refusing 1.0.0.0, a client that does not matter: the clients it admits are stopped by the two network ACLs, and
    the answer now shows one of them, stopped on the reply."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="true", target_type="ip")
    edit(snap, "SecurityGroups", lambda d: [g.update(IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "203.0.113.0/24"}], "Ipv6Ranges": [],
        "PrefixListIds": [], "UserIdGroupPairs": []}]) for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    split_acls(snap, [(0, 1023), (8000, 8000)], [(1024, 65535)])
    edit(snap, "NetworkAcls", lambda d: [e.update(CidrBlock="10.0.0.0/16") for a in d["NetworkAcls"] if a["NetworkAclId"] == "acl-pub"
                                         for e in a["Entries"] if e.get("PortRange") == {"From": 8000, "To": 8000}])
    code, out = query_json(snap, "internet -> nlb:web tcp 80")
    assert code == 1 and codes(out) == [("SUBNET_ACL_RESTRICTION", "acl-priv")], codes(out)
    assert out["packet"]["client"]["src_ip"].startswith("203.0.113.") and out["packet"]["client"]["src_port"] <= 1023


# -- item 9: what a load balancer sends is its target group's protocol -----------------------------------


def test_load_balancer_as_source_sends_only_the_target_groups_protocol():
    for q in ("alb:web -> task-eni icmp", "alb:web -> task-eni proto 47", "alb:web -> task-eni udp 8000"):
        code, out = query_json(FIXED, q)
        assert code == 1 and codes(out)[0][0] == "PROTOCOL_RESTRICTION", (q, out)
    code, out = query_json(FIXED, "alb:web -> task-eni tcp 8000")
    assert code == 0 and out["packet"]["protocol"] == "tcp"


# -- item 10: dangling and missing load-balancer data ----------------------------------------------------


def test_missing_target_groups_is_inconclusive_not_an_internal_error(tmp_path):
    snap = scenario(tmp_path, FIXED)
    drop(snap, "TargetGroups")
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and out["verdict"] == "inconclusive" and ("target_group", TG) in {(m["missing"], m["component"]) for m in out["missing"]}
    r = reason("health", "--facts", str(snap))
    assert r.returncode == 3 and "not decided" in r.stdout and "Traceback" not in r.stderr


def test_target_whose_eni_is_missing_is_inconclusive_and_health_not_decided(tmp_path):
    snap = scenario(tmp_path, FIXED)
    edit(snap, "NetworkInterfaces", lambda d: d.update(NetworkInterfaces=[
        n for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] != "eni-0task01"]))
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and {(m["missing"], m["component"]) for m in out["missing"]} == {("target_eni", "10.0.11.20")}
    r = reason("health", "--facts", str(snap))
    assert r.returncode == 3 and "not decided" in r.stdout and "explained by the network" not in r.stdout


def test_listeners_not_collected_is_not_no_listener(tmp_path):
    snap = scenario(tmp_path, FIXED)
    drop(snap, "LoadBalancerListeners")
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and "ELBV2_LISTENERS_MISMATCH" not in json.dumps(out["explanations"])
    assert ("describe_key", "LoadBalancerListeners") in {(m["missing"], m["component"]) for m in out["missing"]}


def test_targets_not_collected_is_not_no_target(tmp_path):
    snap = scenario(tmp_path, FIXED)
    drop(snap, "LoadBalancerTargetHealth")
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and not any(e["code"] == "ELBV2_LISTENER_HAS_NO_TG" for e in out["explanations"])


def test_nlb_cross_zone_unknown_is_inconclusive_when_it_decides(tmp_path):
    """LoadBalancerAttributes not collected for an NLB whose only target is in the other node's zone: the default
    (off) would leave the us-east-1b node without a target, cross-zone on would not."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap)
    drop(snap, "LoadBalancerAttributes")
    code, out = query_json(snap, "internet -> eni-0alb0b tcp 80")
    assert code == 3 and ("lb_attribute", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/web/50dc6c495c0c9188") in {
        (m["missing"], m["component"]) for m in out["missing"]}
    assert query_json(snap, "internet -> eni-0alb0a tcp 80")[0] == 0  # same zone: the attribute does not matter


def test_nlb_cross_zone_on_but_the_target_groups_answer_missing_is_inconclusive(tmp_path):
    """The NLB turns cross-zone load balancing on, but TargetGroupAttributes holds no entry for its target group,
    which may turn it off ("the target group setting determines the load balancing behavior for the target group",
    network/target-group-cross-zone.html): the other zone's node reaches the task only if it does not."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, cross_zone=True)
    assert query_json(snap, "internet -> eni-0alb0b tcp 80")[0] == 0
    edit(snap, "TargetGroupAttributes", lambda d: d.update(TargetGroupAttributes=[]))
    code, out = query_json(snap, "internet -> eni-0alb0b tcp 80")
    assert code == 3 and [m["missing"] for m in out["missing"]] == ["tg_attributes"]
    assert query_json(snap, "internet -> eni-0alb0a tcp 80")[0] == 0  # same zone: the attribute does not matter


def test_derived_alb_nodes_without_known_groups_are_unknown_not_open(tmp_path):
    """An ALB always has security groups; a LoadBalancers answer without them (and no node ENI collected) must not
    read as a node without groups. The ALB's group denies the task port outbound in the shipped example."""
    snap = scenario(tmp_path)
    edit(snap, "NetworkInterfaces", lambda d: d.update(NetworkInterfaces=[
        n for n in d["NetworkInterfaces"] if not n.get("Description", "").startswith("ELB ")]))
    edit(snap, "LoadBalancers", lambda d: [lb.pop("SecurityGroups") for lb in d["LoadBalancers"]])
    code, out = query_json(snap, "internet -> alb:web tcp 80")
    assert code == 3 and {m["missing"] for m in out["missing"]} == {"lb_security_groups"}


# -- item 11: a load-balancer node as a destination means the same named or in a set ---------------------


def test_lb_node_named_or_in_a_set_answers_the_same():
    """README, "Load balancers": a packet to a node is a request to the load balancer, through to its targets."""
    named = query_json(FACTS, "1.1.1.1 -> eni-0alb0a tcp 80")
    in_set = query_json(FACTS, "1.1.1.1 -> vpc-0a1b2c3d tcp 80")
    assert named[0] == in_set[0] == 1
    assert codes(named[1]) == codes(in_set[1]) == [("ENI_SG_RULES_MISMATCH", "sg-0alb")]
    assert query_json(FIXED, "1.1.1.1 -> vpc-0a1b2c3d tcp 80")[0] == query_json(FIXED, "1.1.1.1 -> eni-0alb0a tcp 80")[0] == 0
