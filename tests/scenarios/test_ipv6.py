"""IPv6 end to end (issue 13), each behaviour on a dual-stack snapshot built for the test (dualstack.py).

AWS behaviour, from the VPC user guide: an IPv6 address is its own public address ("IPv6 addresses are
globally unique, and therefore public by default", vpc-ip-addressing.html), so the internet gateway does
no NAT for it; an egress-only internet gateway "allows outbound communication over IPv6 from instances in
your VPC to the internet, and prevents the internet from initiating an IPv6 connection with your
instances" (egress-only-internet-gateway.html); network ACLs hold separate IPv4 and IPv6 entries and a rule
``*`` for each (default-network-acl.html); routes are chosen by longest prefix among the routes of the
packet's own family (route-tables-priority.html).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import dualstack  # noqa: E402
from dualstack import APP6, WEB6, group, table  # noqa: E402

from reasoner.facts.importer import import_aws_configs  # noqa: E402
from reasoner.schemas import validate  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def reason(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["reason", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def ask(snap: Path, q: str, env: dict | None = None) -> tuple[int, dict]:
    r = reason("query", "--facts", str(snap), "--format", "json", q, env=env)
    assert r.returncode in (0, 1, 3), r.stderr
    doc = json.loads(r.stdout)
    validate(doc)
    return r.returncode, doc


def codes(doc: dict) -> set[tuple[str, str]]:
    return {(e["code"], e["component"]) for e in doc["explanations"]}


def test_import_keeps_every_ipv6_field_and_skips_nothing(tmp_path):
    snap = import_aws_configs(dualstack.write(tmp_path))
    rel = snap.relations
    v6 = lambda text: int(__import__("ipaddress").IPv6Address(text))  # noqa: E731
    assert ("eni-web", v6(WEB6)) in rel["eni_ip"] and ("eni-app", v6(APP6)) in rel["eni_ip"]
    assert ("vpc-ds", v6("2600:1f18:aaaa:bb00::"), v6("2600:1f18:aaaa:bbff:ffff:ffff:ffff:ffff")) in rel["vpc"]
    assert len([r for r in rel["subnet"] if r[0] == "subnet-pub"]) == 2  # its IPv4 and its IPv6 block
    assert ("sg-web", "6", 443, 443, 1 << 32, (1 << 128) - 1, "sg-web:ingress:0:v60") in rel["sg_ingress_cidr"]
    assert ("rtb-priv", 1 << 32, (1 << 128) - 1, 0, "egress_igw", "eigw-ds", "active") in rel["route"]
    assert rel["egress_only_igw_attachment"] == [("eigw-ds", "vpc-ds")]
    assert ("acl-ds", 0, 101, "-1", 0, 65535, 1 << 32, (1 << 128) - 1, "allow") in rel["nacl_entry"]
    assert snap.manifest["skipped_ipv6"] == 0


def test_dual_stack_web_server_is_reached_over_ipv6_and_not_over_ipv4(tmp_path):
    """No public IPv4, an SG admitting tcp/443 from ::/0 only, ::/0 -> igw: the internet reaches it over IPv6."""
    snap = dualstack.write(tmp_path)
    code, doc = ask(snap, "internet -> eni-web tcp 443")
    assert code == 0 and doc["packet"]["family"] == "ipv6" and doc["packet"]["dst_ip"] == WEB6
    assert [h["kind"] for h in doc["forward_path"]][:2] == ["internet", "internet-gateway"]
    code, doc = ask(snap, "internet -> eni-web tcp 443 ipv6")
    assert code == 0
    code, doc = ask(snap, "internet -> eni-web tcp 443 ipv4")
    assert code == 1 and doc["packet"]["family"] == "ipv4"
    assert ("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", "eni-web") in codes(doc)


def test_private_subnet_goes_out_through_the_egress_only_gateway_and_nothing_comes_in(tmp_path):
    snap = dualstack.write(tmp_path)
    code, doc = ask(snap, "eni-app -> internet tcp 443")
    assert code == 0 and doc["packet"]["family"] == "ipv6"
    assert any("eigw-ds" in h["detail"] for h in doc["forward_path"])
    # In through the internet gateway, the reply would leave by the egress-only gateway: refused.
    code, doc = ask(snap, "internet -> eni-app tcp 443")
    assert code == 1 and ("EGRESS_ONLY_IGW_INBOUND", "eigw-ds") in codes(doc)
    # IPv4 out: no route for it at all in rtb-priv.
    code, doc = ask(snap, "eni-app -> internet tcp 443 ipv4")
    assert code == 1 and ("NO_ROUTE_TO_DESTINATION", "rtb-priv") in codes(doc)


def test_vpc_whose_only_internet_gateway_is_egress_only_lets_nothing_in(tmp_path):
    def no_igw(docs):
        docs["InternetGateways"]["InternetGateways"] = []
        table(docs, "rtb-pub")["Routes"] = dualstack._local()
    snap = dualstack.write(tmp_path, no_igw)
    code, doc = ask(snap, "internet -> eni-app tcp 443")
    assert code == 1 and ("EGRESS_ONLY_IGW_INBOUND", "eigw-ds") in codes(doc)
    code, doc = ask(snap, "eni-app -> internet tcp 443")
    assert code == 0


def test_an_ipv6_nacl_deny_blocks_ipv6_only(tmp_path):
    def deny(docs):
        docs["NetworkAcls"]["NetworkAcls"][0]["Entries"].insert(0, {
            "RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": False, "Ipv6CidrBlock": "::/0",
            "PortRange": {"From": 443, "To": 443}})
        group(docs, "sg-web")["IpPermissions"][0]["IpRanges"] = [{"CidrIp": "10.0.0.0/16"}]
    snap = dualstack.write(tmp_path, deny)
    code, doc = ask(snap, "internet -> eni-web tcp 443")
    assert code == 1 and ("SUBNET_ACL_RESTRICTION", "acl-ds") in codes(doc)
    assert "rule 90" in json.dumps(doc) or any("acl-ds" in e["message"] for e in doc["explanations"])
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv4")  # the IPv4 entries still admit it
    assert code == 0 and doc["packet"]["family"] == "ipv4"
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv6")
    assert code == 1


def test_an_ipv6_only_security_group_rule_admits_ipv6_only(tmp_path):
    snap = dualstack.write(tmp_path)
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv4")
    assert code == 1 and ("ENI_SG_RULES_MISMATCH", "sg-web") in codes(doc)
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv6")
    assert code == 0 and doc["packet"]["src_ip"] == APP6 and doc["packet"]["dst_ip"] == WEB6
    code, doc = ask(snap, "eni-app -> eni-web tcp 443")  # both families asked: the IPv6 packet gets through
    assert code == 0 and doc["packet"]["family"] == "ipv6"


def test_longest_prefix_match_between_default_and_a_more_specific_ipv6_route(tmp_path):
    def specific(docs):
        table(docs, "rtb-pub")["Routes"].append({"DestinationIpv6CidrBlock": "2001:db8:1::/48", "GatewayId": "igw-gone",
                                                 "State": "blackhole"})
    snap = dualstack.write(tmp_path, specific)
    code, doc = ask(snap, "eni-web -> 2001:db8:1::5 tcp 443")
    assert code == 1 and ("BAD_STATE_ROUTE", "rtb-pub") in codes(doc)
    code, doc = ask(snap, "eni-web -> 2001:db8:2::5 tcp 443")
    assert code == 0 and any("::/0 -> igw-ds" in h["detail"] for h in doc["forward_path"])


def test_an_ipv6_address_names_its_eni_and_its_family(tmp_path):
    snap = dualstack.write(tmp_path)
    code, doc = ask(snap, f"{APP6} -> {WEB6} tcp 443")
    assert code == 0 and doc["packet"]["src_eni"] == "eni-app" and doc["packet"]["dst_eni"] == "eni-web"
    r = reason("query", "--facts", str(snap), f"{APP6} -> eni-web tcp 443")
    assert r.returncode == 0 and f"[{APP6}]:1024 -> [{WEB6}]:443 tcp ipv6" in r.stdout
    # an IPv6 address asked with the other family names no packet: a usage error, not a verdict
    r = reason("query", "--facts", str(snap), f"{APP6} -> eni-web tcp 443 ipv4")
    assert r.returncode == 2


def test_a_mixed_any_query_proves_isolation_over_both_families(tmp_path):
    """eni-app has no public IPv4 and only an egress-only gateway for IPv6: nothing from the internet
    reaches it on any protocol, and the proof's packet classes cover both families."""
    snap = dualstack.write(tmp_path)
    checks = tmp_path / "q.reason"
    checks.write_text("assert unreachable internet -> eni-app any\n")
    proof = tmp_path / "proof.json"
    r = reason("verify", "--facts", str(snap), str(checks), "--proof", str(proof))
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(proof.read_text())
    validate(doc)
    classes = [c for g in doc["assertions"][0]["classes"] for c in g["classes"]]
    assert {c["family"] for c in classes} == {"ipv4", "ipv6"} and all(c["fate"] == "blocked" for c in classes)
    six = [c for c in classes if c["family"] == "ipv6"]
    assert all(b["code"] == "EGRESS_ONLY_IGW_INBOUND" for c in six for b in c["blocked_by"] if b["hop"] == "ret_route")
    assert reason("recheck", str(proof), "--facts", str(snap)).returncode == 0


def test_the_set_engine_and_pydatalog_agree_on_ipv6(tmp_path):
    """The set engine holds addresses as UHUGEINT (128 bits): the same verdict and packet as pyDatalog."""
    snap = dualstack.write(tmp_path)
    for q in ("* -> eni-web tcp 443", "internet -> * tcp 443", "* -> internet tcp 443", "eni-web -> * any"):
        point = ask(snap, q, {"REASON_ENGINE": "point"})
        dset = ask(snap, q, {"REASON_ENGINE": "set"})
        assert point[0] == dset[0] and point[1]["packet"] == dset[1]["packet"], q


def test_exposure_audit_lists_the_ipv6_exposure(tmp_path):
    snap = dualstack.write(tmp_path)
    r = reason("audit", "exposure", "--facts", str(snap), "--format", "json")
    assert r.returncode == 1, r.stderr
    rows = json.loads(r.stdout)
    text = json.dumps(rows)
    assert "eni-web" in text and "eni-app" not in text


@pytest.mark.parametrize("cidr", ["::/0", "2001:db8::/32"])
def test_ipv4_cidrs_never_match_ipv6_packets(tmp_path, cidr):
    """0.0.0.0/0 in the web SG admits no IPv6 packet, and an IPv6 rule admits no IPv4 one."""
    def v4_only(docs):
        group(docs, "sg-web")["IpPermissions"] = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        group(docs, "sg-app")["IpPermissionsEgress"] = [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": cidr}],
                                                          "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    snap = dualstack.write(tmp_path, v4_only)
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv6")
    assert code == 1 and {c for c, _ in codes(doc)} == {"ENI_SG_RULES_MISMATCH"}
    code, doc = ask(snap, "eni-app -> eni-web tcp 443 ipv4")
    assert code == 0


def test_the_shipped_dual_stack_example_is_this_scenario():
    """facts/examples/dual-stack (the README's IPv6 examples) is what dualstack.py builds, file for file."""
    shipped = ROOT / "facts" / "examples" / "dual-stack" / dualstack.REGION
    docs = dualstack.documents()
    assert sorted(p.stem for p in shipped.glob("*.json")) == sorted(docs)
    for key, doc in docs.items():
        assert json.loads((shipped / f"{key}.json").read_text()) == doc, key


def test_aws_format_answers_carry_ipv6_host_cidrs_and_the_project_code(tmp_path):
    """--format aws keeps Reachability Analyzer's shape for IPv6 packets (which RA itself does not analyse):
    headers hold /128 host CIDRs, and the egress-only block is named with its direction."""
    snap = dualstack.write(tmp_path)
    r = reason("query", "--facts", str(snap), "--format", "aws", "internet -> eni-app tcp 443")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    validate(doc)
    a = doc["NetworkInsightsAnalyses"][0]
    assert [(e["ExplanationCode"], e["Direction"], e["Component"]["Id"]) for e in a["Explanations"]] == [
        ("EGRESS_ONLY_IGW_INBOUND", "ingress", "eigw-ds")]
    assert a["ForwardPathComponents"][0]["OutboundHeader"]["DestinationAddresses"] == [f"{APP6}/128"]


@pytest.mark.parametrize("proto, family, reply", [("proto 58 128", "ipv6", 129 * 256), ("proto 58 128", "ipv4", 65537),
                                                  ("icmp 8", "ipv4", 0), ("icmp 8", "ipv6", 65537)])
def test_an_icmp_message_in_the_other_familys_packet_gets_no_reply(tmp_path, proto, family, reply):
    """ICMPv6 is IPv6's control protocol (RFC 4443) and ICMP IPv4's: protocol 58 in an IPv4 packet (or 1 in an IPv6
    one) is delivered as any protocol number is, but no stack answers it.  Its echo request was given the echo reply of
    the other family (an invented reply whose return path was asked); now it is one-way (source port 65537), and a
    question of the packet's own family keeps its reply."""
    snap = dualstack.write(tmp_path)
    code, doc = ask(snap, f"eni-web -> eni-app {proto} {family}")
    assert doc["packet"]["family"] == family and doc["packet"]["src_port"] == reply, doc["packet"]
