"""What stops or leaves undecided internet traffic that routes and addresses would let through, and NAT gateway
paths this version does not follow (rules/internet_gateways.dl, nat_gateways.dl, route_explanations.dl,
route_tables.dl).  Each case was answered REACHABLE, or UNREACHABLE where the answer is not known, before.
"""

import json

import pytest

from test_query import FACTS, REGION, _add_nat, _bastion, _public_ip, edit, query_json, reason, scenario

DUAL = FACTS / "examples" / "dual-stack"


def _public_bastion(tmp_path):
    """The shipped example with eni-0bastion (sg-0alb: tcp/80 in from anywhere) at public IP 54.1.2.3."""
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    assert query_json(snap, "internet -> bastion tcp 80")[0] == 0  # (the base gets through)
    return snap


def _bpa(mode, where="Vpcs", rid="vpc-0a1b2c3d"):
    key = {"Vpcs": "VpcId", "Subnets": "SubnetId"}[where]
    return lambda snap: edit(snap, where, lambda d: [x.update(BlockPublicAccessStates={"InternetGatewayBlockMode": mode})
                                                     for x in d[where] if x[key] == rid])


def _missing(out):
    return {(m["missing"], m["component"]) for m in out["missing"]}


def test_vpc_block_public_access_leaves_internet_traffic_undecided(tmp_path):
    """EC2 API reference, BlockPublicAccessStates: block-bidirectional blocks "all traffic to and from internet
    gateways ... (except for excluded VPCs and subnets)"; the exclusions are not read, so: undecided, never passed."""
    snap = _public_bastion(tmp_path)
    _bpa("block-bidirectional")(snap)
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and _missing(out) == {("block_public_access", "vpc-0a1b2c3d")}
    _bpa("bidirectional-access-blocked")(snap)  # (older SDKs' spelling)
    assert query_json(snap, "internet -> bastion tcp 80")[0] == 3
    _bpa("off")(snap)
    assert query_json(snap, "internet -> bastion tcp 80")[0] == 0


def test_block_public_access_on_a_subnet_is_named(tmp_path):
    snap = _public_bastion(tmp_path)
    _bpa("block-ingress", "Subnets", "subnet-pub-a")(snap)
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and _missing(out) == {("block_public_access", "subnet-pub-a")}


def test_block_ingress_lets_nat_gateway_traffic_out_and_bidirectional_does_not(tmp_path):
    """block-ingress: "Only traffic to and from NAT gateways and egress-only internet gateways is allowed"."""
    snap = scenario(tmp_path)
    _add_nat(snap)
    _bpa("block-ingress")(snap)
    assert query_json(snap, "task-eni -> internet tcp 443")[0] == 0
    _bpa("block-bidirectional")(snap)
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 3 and _missing(out) == {("block_public_access", "vpc-0a1b2c3d")}


def test_block_public_access_never_hides_a_certain_block(tmp_path):
    """A packet another hop blocks for certain stays UNREACHABLE (the security group admits no tcp/22)."""
    snap = _public_bastion(tmp_path)
    _bpa("block-bidirectional")(snap)
    code, out = query_json(snap, "internet -> bastion tcp 22")
    assert code == 1 and out["explanations"][0]["code"] == "ENI_SG_RULES_MISMATCH"


def test_deny_all_igw_traffic_drops_what_comes_from_the_internet(tmp_path):
    """NetworkInterface DenyAllIgwTraffic: "If the value is true, inbound traffic from the internet is dropped"."""
    snap = _public_bastion(tmp_path)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(DenyAllIgwTraffic=True) for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0bastion"])
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 1 and [(e["code"], e["component"], e["direction"]) for e in out["explanations"]] == [
        ("ENI_DENY_ALL_IGW_TRAFFIC", "eni-0bastion", "ingress")]
    _bpa("block-bidirectional")(snap)  # (blocked for certain whatever BPA's exclusions say: not undecided)
    assert query_json(snap, "internet -> bastion tcp 80")[0] == 1


def test_a_detached_interface_is_not_reached_from_the_internet(tmp_path):
    """IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS: the gateway delivers only to "an ENI in the VPC with an available
    attachment"; Status "available" is an interface attached to nothing (an Elastic IP may still point at it)."""
    snap = _public_bastion(tmp_path)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Status="available") for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0bastion"])
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 1 and ("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", "eni-0bastion") in {
        (e["code"], e["component"]) for e in out["explanations"]}


@pytest.mark.parametrize("status", ["in-use", "available"])
def test_a_detached_interface_neither_sends_nor_takes_connections_between_interfaces(tmp_path, status):
    """Status "available": the interface is attached to nothing (NetworkInterface Status, EC2 API reference), so no
    host sends from it or takes a connection to it (BAD_STATE_ATTACHMENT, "Attachment between these components is not
    functional").  Between two interfaces it was REACHABLE, the reply "delivered"; the internet gateway's rule above
    already said it towards the internet."""
    snap = _public_bastion(tmp_path)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Status=status) for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0bastion"])
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissionsEgress"].append(  # (the shipped example's sg-0alb has none)
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])
    questions = {"task-eni -> bastion tcp 80": ("fwd_sg_ingress", "ingress"),  # sg-0alb admits tcp 80 from anywhere
                 "bastion -> task-eni tcp 8000": ("fwd_sg_egress", "egress")}  # sg-0task admits sg-0alb on 8000
    for q, (_, direction) in questions.items():
        code, out = query_json(snap, q)
        if status == "in-use":
            assert code == 0, (q, out["explanations"])
            continue
        assert code == 1 and [(e["code"], e["component"], e["direction"]) for e in out["explanations"]] == [
            ("BAD_STATE_ATTACHMENT", "eni-0bastion", direction)], (q, out["explanations"])
    code, out = query_json(snap, "* -> bastion tcp 80")  # a set question: the same answer
    assert code == (0 if status == "in-use" else 1), out["explanations"]
    _add_nat(snap)  # through a NAT gateway to the internet: the task's subnet routes 0.0.0.0/0 to it
    # (attached to nothing: no Attachment either; available with an attachment "attached" contradicts itself and is
    # undecided, test_an_interface_caught_attaching_or_detaching_is_undecided_at_either_end)
    edit(snap, "NetworkInterfaces", lambda d: [(n.update(Status=status), status == "available" and n.pop("Attachment"))
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01"])
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert (code, {(e["code"], e["component"]) for e in out["explanations"]}) == (
        (0, set()) if status == "in-use" else (1, {("BAD_STATE_ATTACHMENT", "eni-0task01")})), out["explanations"]


def _bastion_state(status, attachment):
    """eni-0bastion with Status ``status`` and, when given, an Attachment whose Status is ``attachment``."""
    def change(d):
        for n in d["NetworkInterfaces"]:
            if n["NetworkInterfaceId"] == "eni-0bastion":
                n["Status"] = status
                if attachment:
                    n["Attachment"] = {"AttachmentId": "eni-attach-0b", "DeviceIndex": 1, "InstanceId": "i-0bastion",
                                       "Status": attachment}
    return lambda snap: edit(snap, "NetworkInterfaces", change)


def _bastion_egress(snap):
    """sg-0alb (the bastion's group) sends tcp 8000 into the VPC and tcp 443 anywhere (the example's has no egress)."""
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissionsEgress"].extend([
        {"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])


def _undecided_at_either_end(snap, key: str, words: str) -> None:
    """The bastion's security group hop is undecided (``key``, the sentence naming the bastion and holding ``words``)
    from and to another interface and the internet, and in a set question; a group refusing the packet still blocks it
    for certain, whatever the attachment."""
    for q, hop in {"task-eni -> bastion tcp 80": "fwd_sg_ingress",  # sg-0alb admits tcp 80 from anywhere
                   "internet -> bastion tcp 80": "fwd_sg_ingress",  # by its public IP, through the internet gateway
                   "bastion -> task-eni tcp 8000": "fwd_sg_egress",  # sg-0task admits sg-0alb on 8000
                   "bastion -> internet tcp 443": "fwd_sg_egress",  # rtb-public: 0.0.0.0/0 to the internet gateway
                   "* -> bastion tcp 80": "fwd_sg_ingress"}.items():  # a set question: the same answer
        code, out = query_json(snap, q)
        assert code == 3, (q, code, out["explanations"])
        missing = [m for m in out["missing"] if m["component"] == "eni-0bastion"]
        assert [(m["hop"], m["missing"]) for m in missing] == [(hop, key)], (q, out["missing"])
        assert words in missing[0]["message"] and "eni-0bastion" in missing[0]["message"], missing[0]["message"]
    code, out = query_json(snap, "internet -> bastion tcp 22")
    assert code == 1 and [(e["code"], e["direction"]) for e in out["explanations"]] == [
        ("ENI_SG_RULES_MISMATCH", "ingress")], out["explanations"]


@pytest.mark.parametrize("status, attachment, key, state", [
    ("attaching", None, "eni_in_transition", "Status attaching"),
    ("detaching", "detaching", "eni_in_transition", "Status detaching, Attachment.Status detaching"),
    ("in-use", "detaching", "eni_in_transition", "Status in-use, Attachment.Status detaching"),
    ("available", "attaching", "eni_in_transition", "Status available, Attachment.Status attaching"),
    ("associated", None, "eni_associated", "Status associated"),
    ("in-use", "detached", "eni_status_unclear", "Status in-use, Attachment.Status detached"),
])
def test_an_interface_caught_attaching_or_detaching_is_undecided_at_either_end(tmp_path, status, attachment, key, state):
    """An interface is "available" when attached to nothing and "in-use" when attached to an instance
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html, filter status); its
    Status may also be attaching, detaching or associated (API_NetworkInterface.html) and its attachment's attaching,
    attached, detaching or detached (API_NetworkInterfaceAttachment.html).  Between "available" and "in-use" whether a
    host is behind it is not known, "associated" is explained nowhere, and in-use with the attachment detached
    contradicts itself: each was read as attached, so the bastion was a certain REACHABLE end, from and to another
    interface and the internet.  Now: INCONCLUSIVE, naming the interface and its two Statuses."""
    snap = _public_bastion(tmp_path)
    _bastion_egress(snap)
    _bastion_state(status, attachment)(snap)
    _undecided_at_either_end(snap, key, state)


@pytest.mark.parametrize("status, attachment, code", [("in-use", "attached", 0), ("available", "detached", 1),
                                                      ("available", None, 1)])
def test_a_settled_attachment_keeps_its_certain_answer(tmp_path, status, attachment, code):
    """in-use and attached: a path (exit 0); available with the attachment detached or none: attached to nothing,
    a certain BAD_STATE_ATTACHMENT (exit 1), as before."""
    snap = _public_bastion(tmp_path)
    _bastion_egress(snap)
    _bastion_state(status, attachment)(snap)
    got, out = query_json(snap, "bastion -> task-eni tcp 8000")
    assert got == code and not out.get("missing"), out
    if code == 1:
        assert [e["code"] for e in out["explanations"]] == ["BAD_STATE_ATTACHMENT"], out["explanations"]


def _bastion_bare(snap):
    """eni-0bastion given neither a Status nor an Attachment (a hand-cut answer: the API always gives Status)."""
    edit(snap, "NetworkInterfaces", lambda d: [(n.pop("Status", None), n.pop("Attachment", None))
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0bastion"])


def test_an_interface_given_no_status_and_no_attachment_is_undecided_at_either_end(tmp_path):
    """"Status - The status of the network interface. Valid Values: available | associated | attaching | in-use |
    detaching" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html): the API always gives
    it, available when the interface is attached to nothing and in-use when attached (API_DescribeNetworkInterfaces,
    filter status).  An interface given neither Status nor Attachment, and listed under no instance, says nothing of
    whether a host is behind it: it was read as attached, so the bastion was a certain REACHABLE end, from and to
    another interface and the internet.  Now: INCONCLUSIVE (eni_status_missing), naming the interface."""
    snap = _public_bastion(tmp_path)
    _bastion_egress(snap)
    _bastion_bare(snap)
    _undecided_at_either_end(snap, "eni_status_missing", "no Status and no Attachment")


@pytest.mark.parametrize("status, attachment", [("in-use", None), (None, "attached"), (None, "")])
def test_an_interface_that_says_it_is_attached_keeps_its_certain_answer(tmp_path, status, attachment):
    """Status in-use with no Attachment, an Attachment whose Status is attached with no top-level Status, and an
    Attachment naming its instance without a Status each say the interface is attached (API_NetworkInterface,
    API_NetworkInterfaceAttachment): a path (exit 0), as before."""
    snap = _public_bastion(tmp_path)
    _bastion_egress(snap)
    _bastion_bare(snap)

    def change(d):
        for n in d["NetworkInterfaces"]:
            if n["NetworkInterfaceId"] == "eni-0bastion":
                if status:
                    n["Status"] = status
                if attachment is not None:
                    n["Attachment"] = {"AttachmentId": "eni-attach-0b", "DeviceIndex": 1, "InstanceId": "i-0bastion",
                                       **({"Status": attachment} if attachment else {})}
    edit(snap, "NetworkInterfaces", change)
    for q in ("bastion -> task-eni tcp 8000", "internet -> bastion tcp 80"):
        got, out = query_json(snap, q)
        assert got == 0 and not out.get("missing"), (q, out)


def test_an_interface_listed_under_an_instance_is_attached_without_a_status(tmp_path):
    """DescribeInstances lists an instance's network interfaces under it (Instance NetworkInterfaces,
    API_InstanceNetworkInterface): such an interface is attached, whatever Status it gives; a path (exit 0), as
    before, where the same interface given alone with neither Status nor Attachment is undecided."""
    snap = _public_bastion(tmp_path)
    _bastion_egress(snap)
    _bastion_bare(snap)
    eni = {}
    edit(snap, "NetworkInterfaces", lambda d: eni.update(next(n for n in d["NetworkInterfaces"]
                                                               if n["NetworkInterfaceId"] == "eni-0bastion")))
    assert query_json(snap, "bastion -> task-eni tcp 8000")[0] == 3
    edit(snap, "NetworkInterfaces", lambda d: d.update(NetworkInterfaces=[
        n for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] != "eni-0bastion"]))
    path = snap / REGION / "Instances.json"
    data = json.loads(path.read_text()) if path.exists() else {"Reservations": []}
    data["Reservations"].append({"Instances": [{"InstanceId": "i-0bastion", "SubnetId": "subnet-pub-a",
                                                "VpcId": "vpc-0a1b2c3d", "PrivateIpAddress": "10.0.1.50",
                                                "NetworkInterfaces": [eni]}]})
    path.write_text(json.dumps(data))
    got, out = query_json(snap, "bastion -> task-eni tcp 8000")
    assert got == 0 and not out.get("missing"), out


def test_a_status_that_is_not_a_string_is_refused(tmp_path):
    """A Status the API gives as a string, given as another type, is refused at its path (exit 2), never read as
    attached."""
    snap = _public_bastion(tmp_path)
    _bastion_state("in-use", None)(snap)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Status=True) for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0bastion"])
    r = reason("query", "--facts", str(snap), "bastion -> task-eni tcp 8000")
    assert r.returncode == 2 and "Status" in r.stderr, r.stderr


def _nat_subnet_route(cidr, **target):
    """The NAT gateway's subnet (subnet-pub-a, rtb-public) sends ``cidr`` to ``target`` instead of what it had."""
    def edit_routes(d):
        for r in d["RouteTables"]:
            if r["RouteTableId"] == "rtb-public":
                r["Routes"] = [x for x in r["Routes"] if x.get("DestinationCidrBlock") != cidr]
                r["Routes"].append({"DestinationCidrBlock": cidr, "State": "active", **target})
    return lambda snap: edit(snap, "RouteTables", edit_routes)


def test_a_nat_gateway_whose_subnet_routes_through_a_firewall_is_undecided(tmp_path):
    """NAT gateway -> firewall endpoint -> internet gateway is a documented Network Firewall design: the NAT subnet
    not sending 0.0.0.0/0 straight to the internet gateway was NO_ROUTE_TO_DESTINATION (a false proof)."""
    snap = scenario(tmp_path)
    _add_nat(snap)
    _nat_subnet_route("0.0.0.0/0", GatewayId="vpce-0fw")(snap)
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 3 and _missing(out) == {("unmodelled", "vpce-0fw")}
    _nat_subnet_route("0.0.0.0/0", TransitGatewayId="tgw-0egress")(snap)
    assert query_json(snap, "task-eni -> internet tcp 443")[0] == 3
    _nat_subnet_route("0.0.0.0/0", VpcPeeringConnectionId="pcx-1")(snap)  # a peering leads nowhere near the internet
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 1 and ("NO_ROUTE_TO_DESTINATION", "rtb-public") in {(e["code"], e["component"]) for e in out["explanations"]}


def test_a_nat_gateways_reply_through_an_appliance_is_undecided(tmp_path):
    snap = scenario(tmp_path)
    _add_nat(snap)
    _nat_subnet_route("10.0.11.0/24", NetworkInterfaceId="eni-0fw")(snap)
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 3 and _missing(out) == {("unmodelled", "eni-0fw")}


def test_a_public_nat_gateway_without_its_elastic_ip_is_undecided(tmp_path):
    """vpc-nat-gateway.html: a public NAT gateway has an Elastic IP; an answer without it is cut (it was 'no route')."""
    snap = scenario(tmp_path)
    _add_nat(snap)
    edit(snap, "NatGateways", lambda d: d["NatGateways"][0]["NatGatewayAddresses"][0].pop("PublicIp"))
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 3 and _missing(out) == {("nat_public_ip", "nat-0a")}


def test_a_nat_gateway_without_its_state_is_refused(tmp_path):
    snap = scenario(tmp_path)
    _add_nat(snap)
    edit(snap, "NatGateways", lambda d: d["NatGateways"][0].pop("State"))
    r = reason("query", "--facts", str(snap), "task-eni -> internet tcp 443")
    assert r.returncode == 2 and "error[facts.missing_field]" in r.stderr and "NatGateways[0].State" in r.stderr


def test_ipv6_through_a_nat_gateway_is_undecided(tmp_path):
    """nat-gateway-nat64-dns64.html: a NAT gateway takes IPv6 only to 64:ff9b::/96 (NAT64): ::/0 to a NAT gateway
    was followed to the internet as if it translated any IPv6 address."""
    snap = scenario(tmp_path, DUAL)
    (snap / REGION / "NatGateways.json").write_text(json.dumps({"NatGateways": [
        {"NatGatewayId": "nat-x", "SubnetId": "subnet-pub", "VpcId": "vpc-ds", "State": "available",
         "ConnectivityType": "public", "NatGatewayAddresses": [{"PrivateIp": "10.0.1.200", "PublicIp": "3.3.3.3"}]}]}))
    edit(snap, "RouteTables", lambda d: [x.update(NatGatewayId="nat-x") or x.pop("EgressOnlyInternetGatewayId")
                                         for r in d["RouteTables"] for x in r["Routes"]
                                         if x.get("EgressOnlyInternetGatewayId") == "eigw-ds"])
    code, out = query_json(snap, "eni-app -> internet tcp 443 ipv6")
    assert code == 3 and _missing(out) == {("unmodelled", "nat-x")}


def _tie(second, cidr="8.8.8.0/24"):
    """rtb-public routes prefix list pl-a (``cidr``) to the internet gateway and pl-b, which holds the same entry, to
    ``second``."""
    def build(snap):
        (snap / REGION / "ManagedPrefixLists.json").write_text(json.dumps({"ManagedPrefixLists": [
            {"PrefixListId": pl, "PrefixListName": pl, "Entries": [{"Cidr": cidr}]} for pl in ("pl-a", "pl-b")]}))
        edit(snap, "RouteTables", lambda d: [r["Routes"].extend([
            {"DestinationPrefixListId": "pl-a", "GatewayId": "igw-0main", "State": "active"},
            {"DestinationPrefixListId": "pl-b", **second}]) for r in d["RouteTables"] if r["RouteTableId"] == "rtb-public"])
    return build


def test_prefix_list_routes_tied_for_an_address_are_undecided(tmp_path):
    """route-tables-priority.html, routes to prefix lists: with overlapping prefix lists to different targets "we
    randomly choose one route": which one is not in the snapshot (both were followed: REACHABLE)."""
    snap = _public_bastion(tmp_path)
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissionsEgress"].append(
        {"IpProtocol": "tcp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])
    _tie({"NetworkInterfaceId": "eni-gone", "State": "blackhole"})(snap)
    code, out = query_json(snap, "bastion -> 8.8.8.0/24 tcp 53")
    assert code == 3 and _missing(out) == {("route_tie", "rtb-public")}
    assert query_json(snap, "bastion -> 9.9.9.9 tcp 53")[0] == 0  # (another address: the 0.0.0.0/0 route decides)


def test_a_range_holding_an_interfaces_public_ip_is_not_the_internet(tmp_path):
    """A packet to 54.1.2.2/31 was asked as the internet's, though 54.1.2.2 is another interface's public IP: it
    would leave by the internet gateway and come back in (IGW_NAT_REFLECTION), as a /32 is already refused."""
    snap = _public_bastion(tmp_path)
    r = reason("query", "--facts", str(snap), "task-eni -> 54.1.2.2/31 tcp 80")
    assert r.returncode == 2 and "error[query.nat_reflection]" in r.stderr and "54.1.2.3 of eni-0bastion" in r.stderr
    assert query_json(snap, "task-eni -> 54.1.3.0/24 tcp 80")[0] in (0, 1)  # (a range without one is the internet)


def _task_egress_only(cidr):
    """sg-0task's egress: tcp/443 to ``cidr`` alone."""
    return lambda d: [g.update(IpPermissionsEgress=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                     "IpRanges": [{"CidrIp": cidr}]}])
                      for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"]


@pytest.mark.parametrize("allowed, reaches", [
    ("54.1.2.3/32", None),          # exactly the bastion's public IP: no internet address is allowed
    ("54.1.2.2/31", "54.1.2.2"),    # the other address of the range is the internet's
    ("54.1.2.0/30", "54.1.2.0"),
    ("3.3.3.3/32", None),           # the NAT gateway's own elastic IP
])
def test_the_internet_is_never_asked_at_a_public_ip_of_the_snapshot(tmp_path, allowed, reaches):
    """`task-eni -> internet` took 54.1.2.3 as the internet's address when a rule named exactly it (an allowed
    partner's elastic IP that is also the bastion's): REACHABLE, though such a packet leaves by the internet gateway
    and comes back in to the bastion (IGW_NAT_REFLECTION), never reaching the internet."""
    snap = _public_bastion(tmp_path)
    _add_nat(snap)
    edit(snap, "SecurityGroups", _task_egress_only(allowed))
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    if reaches is None:
        assert code == 1 and out["explanations"][0]["code"] == "ENI_SG_RULES_MISMATCH"
    else:
        assert code == 0 and out["packet"]["dst_ip"] == reaches


def test_a_piece_of_the_internet_starting_at_a_public_ip_of_the_snapshot_is_asked_after_it(tmp_path):
    """A rule range whose first address is the bastion's public IP: the piece is asked at its next address."""
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.4"))
    _add_nat(snap)
    edit(snap, "SecurityGroups", _task_egress_only("54.1.2.4/30"))
    code, out = query_json(snap, "task-eni -> internet tcp 443")
    assert code == 0 and out["packet"]["dst_ip"] == "54.1.2.5"


def test_a_nat_gateways_own_public_ip_is_not_an_internet_address(tmp_path):
    """3.3.3.3, nat-0a's elastic IP, was the internet's: `task-eni -> 3.3.3.3` REACHABLE through nat-0a itself.
    A NAT gateway accepts no connection to its own address (vpc-nat-gateway.html): refused, named."""
    snap = scenario(tmp_path)
    _add_nat(snap)
    for q in ("task-eni -> 3.3.3.3 tcp 443", "3.3.3.3 -> task-eni tcp 443"):
        r = reason("query", "--facts", str(snap), q)
        assert r.returncode == 2 and "error[query.own_public_ip]" in r.stderr and "NAT gateway nat-0a" in r.stderr
    assert query_json(snap, "task-eni -> 3.3.3.4 tcp 443")[0] == 0  # (its neighbour is the internet's)


def test_a_load_balancers_elastic_ip_is_not_an_internet_address(tmp_path):
    snap = scenario(tmp_path)
    edit(snap, "LoadBalancers", lambda d: [z.update(LoadBalancerAddresses=[{"IpAddress": "52.0.0.9",
                                                                            "AllocationId": "eipalloc-1"}])
                                           for lb in d["LoadBalancers"] for z in lb["AvailabilityZones"][:1]])
    r = reason("query", "--facts", str(snap), "task-eni -> 52.0.0.9 tcp 80")
    assert r.returncode == 2 and "error[query.own_public_ip]" in r.stderr and "load balancer" in r.stderr
    # the hint names the load balancer as the resolver requires it (before: "internet -> web", itself refused)
    assert "internet -> alb:web PROTO PORT" in r.stderr, r.stderr


def test_an_application_load_balancers_interface_without_groups_is_refused(tmp_path):
    """An ALB always has security groups and its nodes carry them (application/load-balancer-update-security-groups
    .html); an ALB node listing none passed every packet (REACHABLE through sg-0alb, which has no egress rule)."""
    snap = scenario(tmp_path)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Groups=[]) for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0alb0a"])
    r = reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "error[facts.bad_value]" in r.stderr and ".Groups" in r.stderr


def test_an_interface_in_a_vpc_the_snapshot_does_not_describe_is_not_cut_off_from_the_internet(tmp_path):
    """A VPC absent from Vpcs (another account's, shared to this one) may have an internet gateway this account's
    DescribeInternetGateways does not show: "vpc-ghost has no internet gateway attached" (UNREACHABLE) was a guess."""
    snap = _public_bastion(tmp_path)
    edit(snap, "NetworkInterfaces", lambda d: [n.update(VpcId="vpc-ghost", SubnetId="subnet-ghost")
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0bastion"])
    code, out = query_json(snap, "internet -> bastion tcp 80")
    assert code == 3 and ("vpc", "vpc-ghost") in _missing(out)
