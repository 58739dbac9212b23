"""IPv4 prefixes delegated to an ENI ("Assign prefixes to network interfaces", ec2-prefix-eni.html: /28s, e.g. pod
addresses under EKS prefix delegation): every address of the prefix is the ENI's.  Before, the import dropped them
without a word, so a question about the ENI covered its own addresses only: UNREACHABLE, and a proof of isolation,
where traffic from a pod address gets through."""

from __future__ import annotations

import json

from test_query import FACTS, REGION, _bastion, edit, query_json, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def _prefix(snap, eni: str, *prefixes: str) -> None:
    def add(d):
        for n in d["NetworkInterfaces"]:
            if n["NetworkInterfaceId"] == eni:
                n["Ipv4Prefixes"] = [{"Ipv4Prefix": p} for p in prefixes]
    edit(snap, "NetworkInterfaces", add)


def _deny_from(snap, cidr: str, number: int = 50) -> None:
    """The default network ACL (every subnet's) denies inbound TCP from ``cidr`` (rule ``number``) before it allows all."""
    edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"][0]["Entries"].append(
        {"CidrBlock": cidr, "Egress": False, "Protocol": "6", "PortRange": {"From": 0, "To": 65535},
         "RuleAction": "deny", "RuleNumber": number}))


def test_traffic_from_a_delegated_prefix_is_the_enis(tmp_path):
    snap = scenario(tmp_path, FIXED)
    _bastion(snap)  # eni-0bastion 10.0.1.50 in sg-0alb, which seed-fixed lets reach the task on 8000
    _deny_from(snap, "10.0.1.50/32")
    code, out = query_json(snap, "bastion -> task-eni tcp 8000")
    assert code == 1 and out["explanations"][0]["code"] == "SUBNET_ACL_RESTRICTION"
    _prefix(snap, "eni-0bastion", "10.0.1.64/28")
    code, out = query_json(snap, "bastion -> task-eni tcp 8000")  # a pod address of the prefix gets through
    assert code == 0, out["explanations"]
    assert 0x0A000140 <= int.from_bytes(bytes(map(int, out["packet"]["src_ip"].split("."))), "big") <= 0x0A00014F
    code, out = query_json(snap, "10.0.1.70 -> task-eni tcp 8000")  # an address of the prefix names the ENI
    assert code == 0 and out["packet"]["src_ip"] == "10.0.1.70"
    _deny_from(snap, "10.0.1.0/24", 40)  # the whole subnet denied (rule 40 is the first match): no address gets through
    code, out = query_json(snap, "bastion -> task-eni tcp 8000")
    assert code == 1


def test_an_isolation_proof_covers_the_prefix(tmp_path):
    snap = scenario(tmp_path, FIXED)
    _bastion(snap)
    _deny_from(snap, "10.0.1.50/32")
    _prefix(snap, "eni-0bastion", "10.0.1.64/28")
    asserts = tmp_path / "iso.reason"
    asserts.write_text("assert unreachable bastion -> task-eni any\n")
    r = reason("verify", "--facts", str(snap), str(asserts))
    assert r.returncode == 1 and "FAIL" in r.stdout, r.stdout + r.stderr


def test_the_import_reads_each_address_and_refuses_a_prefix_aws_does_not_delegate(tmp_path):
    snap = scenario(tmp_path)
    _prefix(snap, "eni-0task01", "10.0.11.32/28", "10.0.11.48/28")
    out = tmp_path / "facts"
    assert reason("import", str(snap), "--out", str(out)).returncode == 0
    ips = [tuple(json.loads(line)) for line in (out / "eni_ip.jsonl").read_text().splitlines()]
    task = sorted(ip for e, ip in ips if e == "eni-0task01")
    assert task == [0x0A000B14] + list(range(0x0A000B20, 0x0A000B40))  # 10.0.11.20, and 10.0.11.32-63
    _prefix(snap, "eni-0task01", "10.0.0.0/16")
    r = reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "Ipv4Prefix" in r.stderr + r.stdout and "Traceback" not in r.stderr
    assert (snap / REGION / "NetworkInterfaces.json").exists()  # (nothing the user gave is touched)


def test_skipped_ipv6_items_are_named_on_every_answer(tmp_path):
    """What the import still skips (here an IPv6 target of the target group) is counted, and the answers warn that
    they do not cover it (IPv6 prefixes delegated to ENIs are asked: tests/scenarios/test_ipv6_prefixes.py)."""
    snap = scenario(tmp_path)
    edit(snap, "LoadBalancerTargetHealth", lambda d: d["LoadBalancerTargetHealth"][0]["TargetHealthDescriptions"].append(
        {"Target": {"Id": "2600:1f18:aaaa:bb02::99", "Port": 8000}, "TargetHealth": {"State": "healthy"}}))
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and any("skipped 1 IPv6 item" in w for w in out["warnings"]), out["warnings"]
    asserts = tmp_path / "a.reason"
    asserts.write_text("assert unreachable alb-eni -> task-eni tcp 8000\n")
    r = reason("verify", "--facts", str(snap), str(asserts))
    assert r.returncode == 0 and "skipped 1 IPv6 item" in r.stderr, r.stdout + r.stderr
    code, out = query_json(FACTS, "alb-eni -> task-eni tcp 8000")  # none skipped: no such warning
    assert not any("IPv6 item" in w for w in out["warnings"])
