"""IPv6 answers that were too sure (each was REACHABLE, or a usage error where the answer is not known), on the
dual-stack snapshot built for the tests (dualstack.py)."""

from __future__ import annotations

import pytest

import dualstack
from test_ipv6 import ask, codes, reason


def _private_blocks(docs):
    """The VPC's and subnets' IPv6 blocks are private GUA (Ipv6AddressAttribute private, IpSource none)."""
    for doc in [*docs["Vpcs"]["Vpcs"], *docs["Subnets"]["Subnets"]]:
        for a in doc["Ipv6CidrBlockAssociationSet"]:
            a.update(Ipv6AddressAttribute="private", IpSource="none")


def test_a_private_ipv6_block_is_never_the_internets(tmp_path):
    """API_VpcIpv6CidrBlockAssociation.html, Ipv6AddressAttribute: "Private IP addresses are not and cannot be
    advertised on the internet from AWS": neither in through the internet gateway nor out by the egress-only one."""
    snap = dualstack.write(tmp_path, _private_blocks)
    assert ask(snap, "internet -> eni-web tcp 443")[0] == 1
    code, doc = ask(snap, "eni-app -> internet tcp 443 ipv6")
    assert code == 1 and ("IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS", "eni-app") in codes(doc)


def test_a_unique_local_address_does_not_leave_by_the_egress_only_gateway(tmp_path):
    """fc00::/7 (RFC 4193) is not routed on the internet: the internet gateway already refused it, the egress-only
    gateway let it out (REACHABLE)."""
    def ula(docs):
        text = str(docs).replace("2600:1f18:aaaa:bb", "fd00:aaaa:aaaa:bb")
        docs.update(eval(text))  # (the documents are plain literals)
    snap = dualstack.write(tmp_path, ula)
    code, doc = ask(snap, "eni-app -> internet tcp 443 ipv6")
    assert code == 1 and ("IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS", "eni-app") in codes(doc)


@pytest.mark.parametrize("state, code", [("detached", 1), ("detaching", 3), ("attaching", 3), ("available", 0)])
def test_an_internet_gateway_attachment_carries_traffic_only_when_attached(tmp_path, state, code):
    """API_InternetGatewayAttachment.html: attaching | attached | detaching | detached (DescribeInternetGateways says
    available once attached); the state was not read (REACHABLE through a detached gateway)."""
    def igw_state(docs):
        docs["InternetGateways"]["InternetGateways"][0]["Attachments"][0]["State"] = state
    snap = dualstack.write(tmp_path, igw_state)
    assert ask(snap, "internet -> eni-web tcp 443")[0] == code


@pytest.mark.parametrize("prefix", ["2000::/3", "2600:1f18:aaaa:bb02:1::/64", "2600:1f18:aaaa:bb02:1::/81"])
def test_an_ipv6_prefix_delegated_to_an_interface_is_an_80(tmp_path, prefix):
    """ec2-prefix-eni.html: an IPv6 prefix delegated to an interface is a /80; another (2000::/3 gave the interface
    every internet address) is refused."""
    def delegated(docs):
        docs["NetworkInterfaces"]["NetworkInterfaces"][0]["Ipv6Prefixes"] = [{"Ipv6Prefix": prefix}]
    snap = dualstack.write(tmp_path, delegated)
    r = reason("query", "--facts", str(snap), "internet -> eni-web tcp 443")
    assert r.returncode == 2 and "error[facts.bad_value]" in r.stderr and "/80" in r.stderr


def test_the_nat64_prefix_is_named_not_called_unknown(tmp_path):
    snap = dualstack.write(tmp_path)
    for q in ("eni-app -> 64:ff9b::808:808 tcp 443", "eni-app -> 64:ff9b::/96 tcp 443"):
        r = reason("query", "--facts", str(snap), q)
        assert r.returncode == 2 and "error[query.nat64]" in r.stderr, r.stderr


def test_the_reply_through_an_egress_only_gateway_is_drawn_through_it(tmp_path):
    snap = dualstack.write(tmp_path)
    code, doc = ask(snap, "eni-app -> internet tcp 443")
    assert code == 0 and [(h["kind"], h["component"]) for h in doc["return_path"] if h["hop"] == "ret_route"] == [
        ("egress-only-internet-gateway", "eigw-ds")]


def test_an_address_no_interface_can_have_and_a_family_no_end_has_are_said_plainly(tmp_path):
    snap = dualstack.write(tmp_path)
    r = reason("query", "--facts", str(snap), "eni-web -> ::1 tcp 443")
    assert r.returncode == 2 and "error[query.bad_address]" in r.stderr  # (it said "unknown endpoint '::1'")
    r = reason("query", "--facts", str(snap), "eni-web -> 10.0.2.20 tcp 443 ipv6")
    assert r.returncode == 2 and "asks ipv6" in r.stderr


def _icmp_denied_returns_stopped(docs):
    """acl-ds denies protocol 1 (ICMP) from ::/0 inbound, as an entry meant to "block ICMP" for IPv6 would (AWS accepts
    it: CreateNetworkAclEntry, IcmpTypeCode "Required if specifying protocol 1 (ICMP) or protocol 58 (ICMPv6) with an
    IPv6 CIDR block"), and lets IPv6 out to the app subnet only, so no reply gets back to the web subnet; sg-app
    admits every protocol from ::/0."""
    for acl in docs["NetworkAcls"]["NetworkAcls"]:
        acl["Entries"] = [e for e in acl["Entries"] if not (e["Egress"] and e["RuleNumber"] == 101)]
        acl["Entries"] += [
            {"RuleNumber": 101, "Protocol": "-1", "RuleAction": "allow", "Egress": True,
             "Ipv6CidrBlock": "2600:1f18:aaaa:bb02::/64"},
            {"RuleNumber": 90, "Protocol": "1", "RuleAction": "deny", "Egress": False, "Ipv6CidrBlock": "::/0",
             "IcmpTypeCode": {"Type": -1, "Code": -1}}]
    dualstack.group(docs, "sg-app")["IpPermissions"] = [{"IpProtocol": "-1", "IpRanges": [],
                                                          "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]


@pytest.mark.parametrize("engine", ["point", "set"])
def test_an_any_question_covers_icmpv6_that_no_rule_names(tmp_path, engine):
    """An ICMPv6 error message (RFC 4443: destination unreachable, type 1) needs no reply, and ICMPv6 is protocol 58,
    not the protocol 1 the network ACL denies: it gets from eni-web to eni-app while every other packet's reply is
    stopped.  `any` left ICMPv6 out unless a rule named it (the "every other protocol" class, which needs a reply,
    stood for it), so this was UNREACHABLE and `assert unreachable` passed: a proof of isolation that was not one."""
    snap = dualstack.write(tmp_path, _icmp_denied_returns_stopped)
    code, doc = ask(snap, "eni-web -> eni-app any", {"REASON_ENGINE": engine})
    assert code == 0 and doc["packet"]["protocol"] == "icmpv6" and doc["packet"]["family"] == "ipv6", doc["packet"]
    checks = tmp_path / "q.reason"
    checks.write_text("assert unreachable eni-web -> eni-app any\n")
    r = reason("verify", "--facts", str(snap), str(checks), env={"REASON_ENGINE": engine})
    assert r.returncode == 1, r.stdout + r.stderr


def _icmpv6_entry_with_an_ipv4_cidr(docs):
    """acl-ds admits IPv4 inbound only by an entry of protocol 58 (ICMPv6) with an IPv4 CIDR and echo requests as its
    type; both groups admit every protocol from everywhere."""
    for acl in docs["NetworkAcls"]["NetworkAcls"]:
        acl["Entries"] = [e for e in acl["Entries"] if not (e["RuleNumber"] == 100 and not e["Egress"])]
        acl["Entries"].append({"RuleNumber": 90, "Protocol": "58", "RuleAction": "allow", "Egress": False,
                               "CidrBlock": "0.0.0.0/0", "IcmpTypeCode": {"Type": 128, "Code": 0}})
    for sg in ("sg-web", "sg-app"):
        dualstack.group(docs, sg)["IpPermissions"] = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                                        "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]


@pytest.mark.parametrize("engine", ["point", "set"])
def test_an_icmpv6_entry_with_an_ipv4_cidr_covers_every_message(tmp_path, engine):
    """CreateNetworkAclEntry, Protocol: "If you specify protocol "58" (ICMPv6) and specify an IPv4 CIDR block, traffic
    for all ICMP types and codes allowed, regardless of any that you specify".  The entry's type was read: only echo
    requests over IPv4 came in, their replies (type 129) did not, and `assert unreachable ... any ipv4` passed while
    every protocol-58 message over IPv4 gets in (found by an adversarial test session)."""
    snap = dualstack.write(tmp_path, _icmpv6_entry_with_an_ipv4_cidr)
    code, doc = ask(snap, "eni-web -> eni-app any ipv4", {"REASON_ENGINE": engine})
    assert code == 0 and doc["packet"]["protocol"] == "icmpv6" and doc["packet"]["family"] == "ipv4", doc["packet"]
    code, doc = ask(snap, "eni-web -> eni-app proto 58 128 ipv4", {"REASON_ENGINE": engine})  # echo and its reply
    assert code == 0, doc
