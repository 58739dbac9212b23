"""`reason query --format aws`: Reachability Analyzer's NetworkInsightsAnalysis (aws-semantics.md §3), one test per
explanation-code family checking the context fields RA sets for it; every answer is validated against
reasoner/schemas/aws-analysis.schema.json (written from the same reference).

AWS references: API_NetworkInsightsAnalysis, API_PathComponent, API_Explanation, API_AnalysisPacketHeader
(protocol as an IANA number string), API_AnalysisAclRule, API_AnalysisSecurityGroupRule, API_AnalysisRouteTableRoute.
"""

import jsonschema
import pytest

from reasoner.schemas import validate
from test_inconclusive import FIXED, drop
from test_query import FACTS, _add_nat, _bastion, _public_ip, answer, edit, reason, scenario
from test_transit_gateways import _add_tgw


def aws(q: str, facts=FACTS) -> tuple[int, dict]:
    r = reason("query", "--facts", str(facts), "--format", "aws", q)
    assert r.returncode in (0, 1, 3), r.stderr
    doc = answer(r.stdout)  # validated against the aws-analysis schema
    assert list(doc) == ["NetworkInsightsAnalyses"] and len(doc["NetworkInsightsAnalyses"]) == 1
    return r.returncode, doc["NetworkInsightsAnalyses"][0]


def explanation(a: dict, code: str, component: str | None = None) -> dict:
    return next(e for e in a["Explanations"] if e["ExplanationCode"] == code and component in (None, e["Component"]["Id"]))


def ids(components: list[dict]) -> list[str]:
    return [c["Component"]["Id"] for c in components]


def test_sg_family_port_mismatch_names_groups_eni_field_and_port():
    code, a = aws("alb-eni -> task-eni tcp 8080", FACTS / "examples" / "seed-fixed")
    assert code == 1 and a["NetworkPathFound"] is False and a["Status"] == "succeeded"
    e = explanation(a, "ENI_SG_RULES_MISMATCH", "sg-0task")
    assert e["Direction"] == "ingress"
    assert [g["Id"] for g in e["SecurityGroups"]] == ["sg-0task"] and e["NetworkInterface"]["Id"] == "eni-0task01"
    assert e["Vpc"]["Id"] == "vpc-0a1b2c3d"
    # sg-0task admits tcp 8000 only: the destination port is what no rule matches
    assert e["PacketField"] == "destination-port" and e["Port"] == 8080 and e["Protocols"] == ["tcp"]
    assert e["PortRanges"] == [{"From": 8080, "To": 8080}]


def test_sg_family_egress_of_the_alb_with_no_rule():
    code, a = aws("alb-eni -> task-eni tcp 8000")
    e = explanation(a, "ENI_SG_RULES_MISMATCH")
    assert code == 1 and e["Direction"] == "egress" and e["Component"]["Id"] == "sg-0alb"
    assert e["NetworkInterface"]["Id"] == "eni-0alb0a" and e["Addresses"] == ["10.0.11.20"]
    blocked = next(c for c in a["ForwardPathComponents"] if c["Component"]["Id"] == "sg-0alb")
    assert [x["ExplanationCode"] for x in blocked["Explanations"]] == ["ENI_SG_RULES_MISMATCH"]


def test_acl_family_names_the_denying_entry(tmp_path):
    """vpc-network-acls.html: the lowest-numbered matching entry decides; RA shows it as AclRule."""
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "NetworkAcls", lambda d: [a["Entries"].append(
        {"RuleNumber": 50, "Protocol": "6", "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.1.0/24",
         "PortRange": {"From": 8000, "To": 8000}}) for a in d["NetworkAcls"]])
    code, a = aws("alb-eni -> task-eni tcp 8000", snap)
    e = explanation(a, "SUBNET_ACL_RESTRICTION")
    assert code == 1 and e["Direction"] == "ingress" and e["Acl"]["Id"] == "acl-0default"
    assert e["AclRule"] == {"Cidr": "10.0.1.0/24", "Egress": False, "Protocol": "tcp", "RuleAction": "deny", "RuleNumber": 50,
                            "PortRange": {"From": 8000, "To": 8000}}
    assert e["Subnet"]["Id"] == "subnet-priv-a" and e["Vpc"]["Id"] == "vpc-0a1b2c3d"
    assert e["Protocols"] == ["tcp"] and e["Addresses"] == ["10.0.1.10"]


def test_igw_family_lists_the_gateway_once_and_the_eni_once():
    code, a = aws("internet -> task-eni tcp 8000")
    e = explanation(a, "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS")
    assert code == 1 and e["Direction"] == "ingress"
    assert e["Component"]["Id"] == "igw-0main" and e["InternetGateway"]["Id"] == "igw-0main"
    assert e["NetworkInterface"]["Id"] == "eni-0task01" and e["Vpc"]["Id"] == "vpc-0a1b2c3d"
    fwd = ids(a["ForwardPathComponents"])
    assert fwd[0] == "igw-0main" and fwd.count("eni-0task01") == 1
    assert [c["SequenceNumber"] for c in a["ForwardPathComponents"]] == list(range(1, len(fwd) + 1))


def test_route_family_names_route_table_subnet_and_destination():
    code, a = aws("task-eni -> internet tcp 443")
    e = explanation(a, "NO_ROUTE_TO_DESTINATION")
    assert code == 1 and e["Direction"] == "egress" and e["RouteTable"]["Id"] == "rtb-main"
    assert e["Subnet"]["Id"] == "subnet-priv-a" and e["Vpc"]["Id"] == "vpc-0a1b2c3d"
    assert e["Addresses"] and not e["Addresses"][0].startswith("10.")


def test_elb_family_listener_mismatch_and_port_restriction():
    code, a = aws("internet -> alb:web tcp 443")
    e = explanation(a, "ELBV2_LISTENERS_MISMATCH")
    assert code == 1 and e["LoadBalancerArn"].startswith("arn:aws:elasticloadbalancing:") and e["Component"]["Arn"] == e["LoadBalancerArn"]
    assert e["PortRanges"] == [{"From": 80, "To": 80}] and e["Component"]["Name"] == "web"
    assert [h["ComponentId"] for h in a["AlternatePathHints"]] == [e["LoadBalancerArn"]]
    code, a = aws("alb:web -> task-eni tcp 9000")
    e = explanation(a, "TARGET_PORT_RESTRICTION")
    assert code == 1 and e["LoadBalancerTargetPort"] == 8000 and e["PacketField"] == "destination-port"
    assert e["LoadBalancerTarget"]["Address"] == "10.0.11.20" and e["LoadBalancerTargetGroups"][0]["Name"] == "task-tg"


def test_tgw_family_names_attachment_gateway_and_zone(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    edit(snap, "TransitGatewayAttachments", lambda d: [x.pop("Association") for x in d["TransitGatewayAttachments"]
                                                       if x["TransitGatewayAttachmentId"] == "tgw-attach-hub"])
    code, a = aws("task-eni -> db tcp 5432", snap)
    e = explanation(a, "TGW_ATTACH_MISSING_TGW_RTB_ASSOCIATION")
    assert code == 1 and e["TransitGatewayAttachment"]["Id"] == "tgw-attach-hub"
    assert e["TransitGateway"] == {"Id": "tgw-1", "Name": "hub"} and e["Vpc"]["Id"] == "vpc-0a1b2c3d"
    assert e["AvailabilityZones"] == ["us-east-1a"] and e["Addresses"] == ["10.2.1.5"]


def test_tgw_route_shown_on_a_reachable_path(tmp_path):
    snap = scenario(tmp_path)
    _add_tgw(snap)
    code, a = aws("task-eni -> db tcp 5432", snap)
    assert code == 0 and a["NetworkPathFound"] is True and a["Explanations"] == []
    hop = next(c for c in a["ForwardPathComponents"] if "TransitGatewayRouteTableRoute" in c)
    assert hop["TransitGateway"]["Id"] == "tgw-1" and hop["RouteTableRoute"]["TransitGatewayId"] == "tgw-1"
    assert hop["TransitGatewayRouteTableRoute"] == {"DestinationCidr": "10.2.0.0/16", "State": "active", "RouteOrigin": "propagated",
                                                    "AttachmentId": "tgw-attach-spoke", "ResourceType": "vpc",
                                                    "ResourceId": "vpc-0spoke"}


def test_inconclusive_is_not_found_with_a_warning_and_the_missing_components(tmp_path):
    snap = scenario(tmp_path, FIXED)
    drop(snap, "SecurityGroups")
    code, a = aws("alb-eni -> task-eni tcp 8000", snap)
    assert code == 3 and a["NetworkPathFound"] is False
    assert a["WarningMessage"].startswith("INCONCLUSIVE") and "security group sg-0alb" in a["WarningMessage"]
    unknown = [e for e in a["Explanations"] if e["ExplanationCode"] == "UNKNOWN_RESOURCE"]
    assert {e["Component"]["Id"] for e in unknown} == {"sg-0alb", "sg-0task"}
    assert {e["MissingComponent"] for e in unknown} == {"security_group"}
    assert {"Key": "reason:verdict", "Value": "inconclusive"} in a["Tags"]


def test_reachable_through_the_alb_rules_headers_and_hints():
    code, a = aws("internet -> alb:web tcp 80", FACTS / "examples" / "seed-fixed")
    assert code == 0 and a["NetworkPathFound"] is True and a["Explanations"] == []
    fwd = a["ForwardPathComponents"]
    igw = fwd[0]
    assert igw["Component"]["Id"] == "igw-0main" and igw["Vpc"]["Id"] == "vpc-0a1b2c3d"
    assert igw["InboundHeader"]["Protocol"] == "6" and igw["InboundHeader"]["DestinationPortRanges"] == [{"From": 80, "To": 80}]
    # the gateway's 1:1 NAT: the node's private address inside; its public address is not in this snapshot,
    # so the outside header does not invent one
    assert igw["OutboundHeader"]["DestinationAddresses"] == ["10.0.1.10/32"]
    assert "DestinationAddresses" not in igw["InboundHeader"]
    sg_in = next(c for c in fwd if c["Component"]["Id"] == "sg-0alb" and "SecurityGroupRule" in c)
    assert sg_in["SecurityGroupRule"]["Direction"] == "ingress" and sg_in["SecurityGroupRule"]["PortRange"] == {"From": 80, "To": 80}
    listener = next(c for c in fwd if "ElasticLoadBalancerListener" in c)
    assert listener["ElasticLoadBalancerListener"] == {"LoadBalancerPort": 80} and listener["Component"]["Arn"].startswith("arn:")
    task_sg = next(c for c in fwd if c["Component"]["Id"] == "sg-0task")
    assert task_sg["SecurityGroupRule"] == {"Direction": "ingress", "SecurityGroupId": "sg-0alb", "Protocol": "tcp",
                                            "PortRange": {"From": 8000, "To": 8000}}
    route = next(c for c in fwd if "RouteTableRoute" in c)
    assert route["RouteTableRoute"] == {"DestinationCidr": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable",
                                        "State": "active"}
    # the load balancer rewrites the source: the node sends to the target on the target's port
    task = fwd[-1]
    assert task["Component"]["Id"] == "eni-0task01"
    assert task["InboundHeader"]["SourceAddresses"] == ["10.0.1.10/32"] and task["InboundHeader"]["DestinationPortRanges"] == [
        {"From": 8000, "To": 8000}]
    ret_sg = next(c for c in a["ReturnPathComponents"] if c["Component"]["Id"] == "sg-0task")
    assert "SecurityGroupRule" not in ret_sg  # stateful reply: RA cites no rule
    assert any(h["ComponentId"].startswith("arn:aws:elasticloadbalancing:") for h in a["AlternatePathHints"])


def test_analysis_id_is_stable_per_snapshot_and_query(tmp_path):
    _, a1 = aws("alb-eni -> task-eni tcp 8000")
    _, a2 = aws("alb-eni -> task-eni tcp 8000")
    _, other = aws("alb-eni -> task-eni tcp 8001")
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    _, fixed = aws("alb-eni -> task-eni tcp 8000", snap)
    assert a1["NetworkInsightsAnalysisId"] == a2["NetworkInsightsAnalysisId"]
    assert len({a1["NetworkInsightsAnalysisId"], other["NetworkInsightsAnalysisId"], fixed["NetworkInsightsAnalysisId"]}) == 3


def test_schema_rejects_what_ra_does_not_have():
    _, a = aws("alb-eni -> task-eni tcp 8000")
    doc = {"NetworkInsightsAnalyses": [dict(a, Verdict="nope")]}
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
    bad_header = {"NetworkInsightsAnalyses": [dict(a, ForwardPathComponents=[
        dict(a["ForwardPathComponents"][0], OutboundHeader={"Protocol": "tcp"})])]}
    with pytest.raises(jsonschema.ValidationError):  # protocol is an IANA number string
        validate(bad_header)


def test_internet_gateway_translates_the_public_address_both_ways(tmp_path):
    """VPC user guide, internet gateways: 1:1 NAT between the public IP and the ENI's private address."""
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    code, a = aws("internet -> bastion tcp 80", snap)
    assert code == 0
    igw_in = a["ForwardPathComponents"][0]
    assert igw_in["Component"]["Id"] == "igw-0main"
    assert igw_in["InboundHeader"]["DestinationAddresses"] == ["54.1.2.3/32"]
    assert igw_in["OutboundHeader"]["DestinationAddresses"] == ["10.0.1.50/32"]
    assert igw_in["InboundHeader"]["SourceAddresses"] == igw_in["OutboundHeader"]["SourceAddresses"]
    igw_out = a["ReturnPathComponents"][-1]
    assert igw_out["Component"]["Id"] == "igw-0main"
    assert igw_out["InboundHeader"]["SourceAddresses"] == ["10.0.1.50/32"]
    assert igw_out["OutboundHeader"]["SourceAddresses"] == ["54.1.2.3/32"]
    assert igw_out["OutboundHeader"]["SourcePortRanges"] == [{"From": 80, "To": 80}]


def test_nat_gateway_rewrites_the_source_then_the_internet_gateway_makes_it_public(tmp_path):
    """vpc-nat-gateway.html: the source becomes the NAT gateway's private address and an ephemeral port, then its
    Elastic IP at the internet gateway; the destination is unchanged."""
    snap = scenario(tmp_path)
    _add_nat(snap)
    code, a = aws("task-eni -> internet tcp 443", snap)
    assert code == 0
    fwd = a["ForwardPathComponents"]
    order = ids(fwd)
    i = order.index("nat-0a")
    assert order[i - 1] == "rtb-main" and fwd[i - 1]["RouteTableRoute"]["NatGatewayId"] == "nat-0a"
    nat, igw = fwd[i], fwd[i + 1]
    assert nat["InboundHeader"]["SourceAddresses"] == ["10.0.11.20/32"] and nat["Subnet"]["Id"] == "subnet-pub-a"
    assert nat["OutboundHeader"]["SourceAddresses"] == ["10.0.1.99/32"]
    assert nat["OutboundHeader"]["SourcePortRanges"] == [{"From": 1024, "To": 65535}]
    assert nat["OutboundHeader"]["DestinationAddresses"] == nat["InboundHeader"]["DestinationAddresses"]
    assert igw["Component"]["Id"] == "igw-0main" and igw["OutboundHeader"]["SourceAddresses"] == ["3.3.3.3/32"]


def test_availability_zone_crossed_is_an_additional_detail():
    """additional-detail-codes.html: AVAILABILITY_ZONE_CROSSED when the path crosses zones."""
    _, a = aws("eni-0alb0b -> task-eni tcp 8000", FACTS / "examples" / "seed-fixed")  # us-east-1b -> us-east-1a
    dst = next(c for c in a["ForwardPathComponents"] if c["Component"]["Id"] == "eni-0task01")
    assert dst["AdditionalDetails"] == [{"AdditionalDetailType": "AVAILABILITY_ZONE_CROSSED",
                                         "Component": {"Id": "eni-0task01", "Name": "web-task"}}]
    _, a = aws("alb-eni -> task-eni tcp 8000", FACTS / "examples" / "seed-fixed")  # both in us-east-1a
    assert all(c["AdditionalDetails"] == [] for c in a["ForwardPathComponents"])


def test_state_family_names_the_component_and_its_state(tmp_path):
    snap = scenario(tmp_path)
    _add_nat(snap, state="pending")
    code, a = aws("task-eni -> internet tcp 443", snap)
    e = explanation(a, "BAD_STATE", "nat-0a")
    assert code == 1 and e["State"] == "pending" and e["Direction"] == "egress"


def test_an_icmp_answer_names_its_message_in_a_tag(tmp_path):
    """AnalysisPacketHeader, AnalysisSecurityGroupRule and AnalysisAclRule have no ICMP type or code (API reference;
    EC2's IpPermission carries them in FromPort/ToPort, RA's shapes do not say): the answer's message is the tag
    ``reason:icmp``, and no ICMP message leaks into a port field as its type*256+code encoding."""
    from test_icmp import ECHO, UNREACH, groups, icmp

    snap = scenario(tmp_path)
    groups(snap, [icmp(ECHO)], [icmp(UNREACH, 4)])
    for q, want in (("alb-eni -> task-eni icmp", "type 3 code 4"), ("alb-eni -> task-eni icmp 8", "type 8 code 0")):
        code, a = aws(q, snap)
        assert code == 1 and {t["Key"]: t["Value"] for t in a["Tags"]}["reason:icmp"] == want, a["Tags"]
        text = str(a)
        assert "'Port'" not in text and "PortRange" not in text and "'From': 7" not in text, text
    code, a = aws("alb-eni -> task-eni tcp 8000", snap)
    assert "reason:icmp" not in {t["Key"] for t in a["Tags"]}
