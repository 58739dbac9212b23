"""Rules written as a person writes them (issue 14 §2), on the hops of real answers: no internal rule ids,
routes with their whole CIDR, ACL entries with number, action, traffic and peer."""

import re
from pathlib import Path

import pytest

from reasoner.explain import wording
from reasoner.session import Session

FIXED = Path(__file__).resolve().parents[2] / "facts" / "examples" / "seed-fixed"


@pytest.fixture(scope="module")
def fixed() -> Session:
    return Session.open(FIXED)


def test_hops_of_the_alb_path_read_as_rules(fixed):
    res = fixed.query("internet -> alb:web tcp 80")
    details = {(h.kind, h.direction, h.component): h.detail for h in res.forward_path}
    assert details[("security-group", "ingress", "sg-0task")] == "sg-0task inbound tcp 8000 from sg-0alb (rule 1)"
    assert details[("security-group", "egress", "sg-0alb")] == "sg-0alb outbound tcp 8000 to sg-0task (rule 1)"
    assert details[("security-group", "ingress", "sg-0alb")] == "sg-0alb inbound tcp 80 from 0.0.0.0/0 (rule 1)"
    assert details[("network-acl", "ingress", "acl-0default")] == "acl-0default rule 100 allow all traffic from 0.0.0.0/0"
    assert details[("route-table", "egress", "rtb-public")] == "rtb-public 10.0.0.0/16 -> local (active)"
    ret = {h.component: h.detail for h in res.return_path if h.kind == "route-table"}
    assert ret["rtb-public"] == "rtb-public 0.0.0.0/0 -> igw-0main (active)"
    # never an internal rule id such as sg-0alb:egress:0:sg0
    assert not any(re.search(r"sg-\w+:(in|e)gress:", h.detail) for h in res.forward_path + res.return_path)


def test_traffic_and_ranges():
    assert wording.traffic("6", 1024, 65535) == "tcp 1024-65535"
    assert wording.traffic("17", 0, 65535) == "udp all ports"
    assert wording.traffic("-1", 0, 65535) == "all traffic" and wording.traffic("1", 0, 65535) == "icmp"
    assert wording.traffic("47", 0, 65535) == "protocol 47"
    assert wording.cidr_text(0x0A000000, 0x0A00FFFF) == "10.0.0.0/16"
    assert wording.cidr_text(0x0A000001, 0x0A000002) == "10.0.0.1-10.0.0.2"
    rows = [("acl-1", 1, 32767, "-1", 0, 65535, 0, 0xFFFFFFFF, "deny")]
    assert wording.acl_rule(rows, "acl-1", 1, 32767) == "acl-1 rule * deny all traffic to 0.0.0.0/0"


def test_one_packet_text_for_every_answer():
    """The example packet of `reason query` and the counterexample of `verify`/SARIF are one function's text: an IPv6
    packet bracketed and marked, an ICMP one by type and code (they were written twice, and the counterexample of an
    IPv6 packet read "2600::1:1024")."""
    from reasoner.explain.wording import packet_text

    assert packet_text({"src_ip": "10.0.1.10", "src_port": 1024, "dst_ip": "10.0.11.20", "dst_port": 8000,
                        "protocol": "tcp", "family": "ipv4"}) == "10.0.1.10:1024 -> 10.0.11.20:8000 tcp"
    assert packet_text({"src_ip": "2600::1", "src_port": 1024, "dst_ip": "2600::2", "dst_port": 443, "protocol": "tcp",
                        "family": "ipv6"}) == "[2600::1]:1024 -> [2600::2]:443 tcp ipv6"
    assert packet_text({"src_ip": "10.0.1.10", "src_port": 65537, "dst_ip": "10.0.11.20", "dst_port": 768, "protocol": "icmp",
                        "icmp_type": 3, "icmp_code": 0, "family": "ipv4"}) == "10.0.1.10 -> 10.0.11.20 icmp type 3 code 0"
