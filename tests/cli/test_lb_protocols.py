"""Listener and target-group protocols: each one AWS documents runs over its transport, and one this version does not
know is unknown (INCONCLUSIVE, named), never "accepts nothing" (rules/load_balancers.dl elb_protocol_known)."""

from test_lb_semantics import FIXED, to_nlb
from test_query import edit, query_json, scenario


def _protocol(snap, listener, group):
    """The NLB's listeners speak ``listener``, its target group ``group``; its own group admits udp/80 from anywhere and
    udp/8000 out, the task's admits udp/8000 too."""
    edit(snap, "LoadBalancerListeners", lambda d: [li.update(Protocol=listener) for g in d["LoadBalancerListeners"]
                                                   for li in g["Listeners"]])
    edit(snap, "TargetGroups", lambda d: [g.update(Protocol=group) for g in d["TargetGroups"]])
    edit(snap, "SecurityGroups", lambda d: [g["IpPermissions"].append(
        {"IpProtocol": "udp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task"])
    edit(snap, "SecurityGroups", lambda d: [(g["IpPermissions"].append(
        {"IpProtocol": "udp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}), g["IpPermissionsEgress"].append(
        {"IpProtocol": "udp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
        for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])


def test_quic_and_tcp_quic_listeners_carry_udp_and_tcp(tmp_path):
    """"Protocols: TCP, TLS, UDP, TCP_UDP, QUIC, TCP_QUIC" (network/load-balancer-listeners.html): QUIC runs over UDP,
    TCP_QUIC over TCP and UDP. Before, neither had a transport: the listener accepted nothing (ELBV2_LISTENERS_MISMATCH),
    a false proof of isolation."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap)
    _protocol(snap, "QUIC", "QUIC")
    assert query_json(snap, "internet -> nlb:web udp 80")[0] == 0
    assert query_json(snap, "internet -> nlb:web tcp 80")[0] == 1
    _protocol(snap, "TCP_QUIC", "TCP_QUIC")
    assert query_json(snap, "internet -> nlb:web udp 80")[0] == 0
    assert query_json(snap, "internet -> nlb:web tcp 80")[0] == 0


def test_a_protocol_this_version_does_not_know_is_unknown_not_nothing(tmp_path):
    """A listener or target-group protocol the importer has no transport for: which packets it carries is not known,
    so the answer is INCONCLUSIVE naming the protocol (before: the listener accepted nothing, UNREACHABLE)."""
    snap = scenario(tmp_path, FIXED)
    to_nlb(snap, preserve="false")
    _protocol(snap, "NEWPROTO", "NEWPROTO")
    code, out = query_json(snap, "internet -> nlb:web udp 80")
    assert code == 3 and any("NEWPROTO" in m["message"] for m in out["missing"]), out
    code, out = query_json(snap, "nlb:web -> eni-0task01 udp 8000")
    assert code == 3 and any("NEWPROTO" in m["message"] for m in out["missing"]), out


GWLB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/gwy/fw/abc123"


def _with_gateway_load_balancer(snap):
    """A Gateway Load Balancer ``fw`` in subnet-pub-a (its node eni-0gwlb, 10.0.1.99, no security group), with its
    listener as DescribeListeners gives it: no Port, no Protocol."""
    edit(snap, "LoadBalancers", lambda d: d["LoadBalancers"].append(
        {"LoadBalancerArn": GWLB, "LoadBalancerName": "fw", "Type": "gateway", "VpcId": "vpc-0a1b2c3d",
         "State": {"Code": "active"}, "IpAddressType": "ipv4",
         "AvailabilityZones": [{"SubnetId": "subnet-pub-a", "ZoneName": "us-east-1a", "LoadBalancerAddresses": []}]}))
    edit(snap, "LoadBalancerListeners", lambda d: d["LoadBalancerListeners"].append(
        {"LoadBalancerArn": GWLB, "Listeners": [{"ListenerArn": GWLB.replace(":loadbalancer/", ":listener/") + "/l1",
                                                 "LoadBalancerArn": GWLB, "DefaultActions": []}]}))
    edit(snap, "NetworkInterfaces", lambda d: d["NetworkInterfaces"].append(
        {"NetworkInterfaceId": "eni-0gwlb", "Status": "in-use", "Description": "ELB gwy/fw/abc123", "SubnetId": "subnet-pub-a",
         "VpcId": "vpc-0a1b2c3d", "PrivateIpAddress": "10.0.1.99", "Groups": [], "InterfaceType": "gateway_load_balancer"}))


def test_a_gateway_load_balancers_listener_without_port_or_protocol_is_imported(tmp_path):
    """"You cannot specify a protocol or port when you create a listener for a Gateway Load Balancer"
    (gateway/gateway-listeners.html). Before, the listener's missing Port refused the whole snapshot (exit 2, even for
    questions about the ALB); now it is imported, the ALB is answered as without it, and a question to the Gateway Load
    Balancer's node (not modelled) is INCONCLUSIVE, never "no listener accepts it"."""
    snap = scenario(tmp_path, FIXED)
    _with_gateway_load_balancer(snap)
    assert query_json(snap, "internet -> alb:web tcp 80")[0] == 0
    code, out = query_json(snap, "10.0.11.20 -> eni-0gwlb udp 6081")
    assert code == 3 and any(m["missing"] == "unmodelled" for m in out["missing"]), out
