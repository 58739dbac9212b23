"""Input built to break the reader: nested too deep, numbers too large or not whole, values the API never gives. Each
was an "internal error" (RecursionError, OverflowError, ValueError) or was read as something else (a port 7999.5 as
7999, an unknown route State as a blackhole); each is now a located input error, exit 2."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGION = "aws_configs/us-east-1"


def _snap(tmp_path: Path) -> Path:
    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts", snap, ignore=shutil.ignore_patterns("examples"))
    return snap


def _reason(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["reason", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _refused(r: subprocess.CompletedProcess, code: str) -> None:
    assert r.returncode == 2 and f"error[{code}]" in r.stderr and "internal error" not in r.stderr + r.stdout, r.stderr


def _edit(snap: Path, key: str, fn) -> None:
    path = snap / REGION / f"{key}.json"
    doc = json.loads(path.read_text())
    fn(doc)
    path.write_text(json.dumps(doc))


def _task_rule(**fields):
    def fn(doc):
        for g in doc["SecurityGroups"]:
            if g["GroupId"] == "sg-0task":
                g["IpPermissions"][0].update(fields)
    return fn


QUERY = "alb-eni -> task-eni tcp 8000"


def test_json_nested_too_deep_is_a_located_error(tmp_path):
    snap = _snap(tmp_path)
    (snap / REGION / "Extra.json").write_text("[" * 3000 + "]" * 3000)
    _refused(_reason("query", "--facts", str(snap), QUERY), "facts.bad_json")


def test_reason_toml_nested_too_deep_is_a_located_error(tmp_path):
    snap = _snap(tmp_path)
    (snap / "reason.toml").write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    _refused(_reason("query", "--facts", str(snap), QUERY), "facts.bad_toml")


def test_a_proof_nested_too_deep_is_unreadable(tmp_path):
    proof = tmp_path / "p.json"
    proof.write_text("[" * 3000 + "]" * 3000)
    _refused(_reason("recheck", str(proof)), "proof.unreadable")


@pytest.mark.parametrize("raw", ['1e400', '"' + "9" * 5000 + '"', "9" * 5000, "7999.5"])
def test_a_port_that_is_not_a_whole_number_of_a_sane_size_is_refused(tmp_path, raw):
    snap = _snap(tmp_path)
    path = snap / REGION / "SecurityGroups.json"
    doc = json.loads(path.read_text())
    for g in doc["SecurityGroups"]:
        if g["GroupId"] == "sg-0task":
            g["IpPermissions"][0]["FromPort"] = "@PORT@"
    path.write_text(json.dumps(doc).replace('"@PORT@"', raw))
    r = _reason("query", "--facts", str(snap), QUERY)
    assert r.returncode == 2 and "internal error" not in r.stderr and ("facts.bad_value" in r.stderr or "facts.bad_json" in r.stderr)


def test_a_route_state_the_api_never_gives_is_refused_not_read_as_a_blackhole(tmp_path):
    snap = _snap(tmp_path)
    _edit(snap, "RouteTables", lambda d: [r.update(State="<b>") for t in d["RouteTables"] for r in t["Routes"]])
    _refused(_reason("query", "--facts", str(snap), QUERY), "facts.bad_value")


@pytest.mark.parametrize("number", [0, -1, 10**20])
def test_a_network_acl_rule_number_out_of_range_is_refused(tmp_path, number):
    snap = _snap(tmp_path)
    _edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"][0]["Entries"][0].update(RuleNumber=number))
    _refused(_reason("query", "--facts", str(snap), QUERY), "facts.bad_value")


def test_a_network_acl_entry_of_both_address_families_is_refused_not_read_as_ipv4(tmp_path):
    """API_CreateNetworkAclEntry: an entry holds CidrBlock (IPv4) or Ipv6CidrBlock (IPv6).  Both set, the entry was read
    as IPv4 and its IPv6 range dropped unseen (an IPv6 deny lost)."""
    snap = _snap(tmp_path)
    _edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"][0]["Entries"][0].update(Ipv6CidrBlock="::/0"))
    r = _reason("query", "--facts", str(snap), QUERY)
    _refused(r, "facts.bad_value")
    assert "Entries[0].Ipv6CidrBlock" in r.stderr and "CidrBlock and Ipv6CidrBlock are both set" in r.stderr, r.stderr


def test_a_route_with_two_destinations_is_refused_not_read_as_the_first(tmp_path):
    """API_CreateRoute: "You must specify either a destination CIDR block or a prefix list ID"; a route with an IPv4 and
    an IPv6 destination was read as the IPv4 one only."""
    snap = _snap(tmp_path)
    _edit(snap, "RouteTables", lambda d: d["RouteTables"][0]["Routes"][0].update(DestinationIpv6CidrBlock="::/0"))
    r = _reason("query", "--facts", str(snap), QUERY)
    _refused(r, "facts.bad_value")
    assert "Routes[0].DestinationIpv6CidrBlock" in r.stderr, r.stderr


@pytest.mark.parametrize("second", [{"NatGatewayId": "nat-1"}, {"VpcPeeringConnectionId": "pcx-1"},
                                    {"InstanceId": "i-1"}, {"TransitGatewayId": "tgw-1"}])
def test_a_route_with_two_targets_is_refused_not_read_as_the_first(tmp_path, second):
    """API_CreateRoute takes one target and API_Route gives it: a route naming an internet gateway and a NAT gateway
    was read as the first found, the other dropped unseen.  (A route to an instance names the instance and its network
    interface both: one target, test_importer.py.)"""
    snap = _snap(tmp_path)
    _edit(snap, "RouteTables", lambda d: next(r for t in d["RouteTables"] for r in t["Routes"]
                                              if str(r.get("GatewayId", "")).startswith("igw-")).update(second))
    r = _reason("query", "--facts", str(snap), QUERY)
    _refused(r, "facts.bad_value")
    key = next(iter(second))
    assert f"GatewayId and {key} are both set" in r.stderr and f"].{key}" in r.stderr, r.stderr


@pytest.mark.parametrize("raw", ["null", "3", "[\"available\"]", '""'])
def test_a_vpc_endpoint_state_that_is_not_a_string_is_refused_not_read_as_its_text(tmp_path, raw):
    """API_VpcEndpoint State is a string: a null or a number was stored as the state "none" or "3", which no rule
    knows, read as an endpoint not available."""
    snap = _snap(tmp_path)
    (snap / REGION / "VpcEndpoints.json").write_text(json.dumps({"VpcEndpoints": [
        {"VpcEndpointId": "vpce-1", "VpcId": "vpc-0a1b2c3d", "VpcEndpointType": "Gateway", "State": "@STATE@",
         "ServiceName": "com.amazonaws.us-east-1.s3", "RouteTableIds": []}]}).replace('"@STATE@"', raw))
    r = _reason("query", "--facts", str(snap), QUERY)
    _refused(r, "facts.bad_value")
    assert "VpcEndpoints[0].State" in r.stderr, r.stderr


def test_a_misspelt_table_in_reason_toml_is_refused_not_dropped(tmp_path):
    """[alias] for [aliases]: every alias in it was dropped unseen, and queries naming them said "unknown endpoint"."""
    snap = _snap(tmp_path)
    (snap / "reason.toml").write_text('[alias]\nmytask = "eni-0task01"\n')
    r = _reason("query", "--facts", str(snap), "alb-eni -> mytask tcp 8000")
    _refused(r, "facts.bad_toml")
    assert "did you mean: aliases" in r.stderr


@pytest.mark.parametrize("where", ["2024-05-01/us-east-1", "us-east-1/old", "123456789012/us-east-1/ec2"])
def test_an_answer_outside_the_layout_is_refused_not_joined(tmp_path, where):
    """aws_configs/[<account id>/]<region>/: an older copy in a dated or "old" folder was joined as another account's
    or Region's answers, and the egress rule it still held made the current snapshot REACHABLE."""
    snap = _snap(tmp_path)
    old = snap / "aws_configs" / where
    old.mkdir(parents=True)
    (old / "SecurityGroups.json").write_text((snap / REGION / "SecurityGroups.json").read_text())
    r = _reason("query", "--facts", str(snap), QUERY)
    _refused(r, "facts.layout")
    assert where in r.stderr


def test_an_answer_named_json_in_capitals_is_refused_not_skipped(tmp_path):
    snap = _snap(tmp_path)
    (snap / REGION / "NetworkInterfaces.json").rename(snap / REGION / "NetworkInterfaces.JSON")
    _refused(_reason("query", "--facts", str(snap), QUERY), "facts.layout")


def test_listeners_as_the_aws_cli_prints_them_are_read(tmp_path):
    """`aws elbv2 describe-listeners` prints {"Listeners": [...]}: it was kept unread, and every answer through the
    load balancer was inconclusive for want of the LoadBalancerListeners answer (the README said it was read)."""
    snap = _snap(tmp_path)
    path = snap / REGION / "LoadBalancerListeners.json"
    wrapped = json.loads(path.read_text())["LoadBalancerListeners"]
    path.unlink()
    (snap / REGION / "describe-listeners.json").write_text(json.dumps({"Listeners": [li for w in wrapped for li in w["Listeners"]]}))
    ask = lambda: _reason("query", "--facts", str(snap), "--format", "json", "internet -> alb:web tcp 80")  # noqa: E731
    r = ask()
    assert r.returncode in (0, 1) and "LoadBalancerListeners" not in r.stdout, r.stdout[-400:]


def test_rules_as_the_aws_cli_prints_them_are_kept_unread_with_how_to_save_them(tmp_path):
    """`aws elbv2 describe-rules` prints {"Rules": [...]}, naming no listener (a rule's ARN does, but an answer to
    `--rule-arns` holds only the rules asked for: read as the listener's whole list, a higher-priority rule left out
    would answer wrongly).  Kept unread, the answer through the load balancer is inconclusive, and both `import` and
    the answer say how to save it so that it is read."""
    snap = _snap(tmp_path)
    path = snap / REGION / "LoadBalancerListenerRules.json"
    wrapped = json.loads(path.read_text())["LoadBalancerListenerRules"]
    path.unlink()
    (snap / REGION / "describe-rules.json").write_text(json.dumps({"Rules": wrapped[0]["Rules"]}))
    r = _reason("query", "--facts", str(snap), "internet -> alb:web tcp 80")
    assert r.returncode == 3, r.stdout + r.stderr
    assert 'Rules: aws elbv2 describe-rules does not name its listener: save it as {"LoadBalancerListenerRules"' in r.stdout + r.stderr
    r = _reason("import", str(snap), "--out", str(tmp_path / "out"))
    assert r.returncode == 0 and "hint: aws elbv2 describe-rules does not name its listener" in r.stdout, r.stdout + r.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-8-sig"])
def test_a_describe_answer_saved_as_utf16_is_read(tmp_path, encoding):
    """Windows PowerShell 5's ``aws ec2 describe-security-groups > SecurityGroups.json`` writes UTF-16 with a byte
    order mark; JSON text starts with an ASCII character, so its first bytes say the encoding even without one
    (RFC 4627 section 3): the answer is the same as the UTF-8 one."""
    snap = _snap(tmp_path)
    path = snap / REGION / "SecurityGroups.json"
    text = path.read_text(encoding="utf-8")
    data = ("\ufeff" + text).encode("utf-16-be") if encoding == "utf-16-be" else text.encode(encoding)
    path.write_bytes(data)
    r = _reason("query", "--facts", str(snap), "--format", "json", "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 1 and json.loads(r.stdout)["explanations"][0]["code"] == "ENI_SG_RULES_MISMATCH", r.stderr


def test_bytes_that_are_no_unicode_text_are_refused_with_a_hint(tmp_path):
    snap = _snap(tmp_path)
    path = snap / REGION / "SecurityGroups.json"
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1").replace(b"alb-sg", b"alb-\xe9g"))
    r = _reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    _refused(r, "facts.bad_json")
    assert "SecurityGroups.json:1:1" in r.stderr and "not UTF-8 text" in r.stderr and "Out-File -Encoding utf8" in r.stderr


@pytest.mark.parametrize("key, where", [("SecurityGroups", "$.SecurityGroups[0].GroupName"),
                                        ("NetworkInterfaces", "$.NetworkInterfaces[0].TagSet[0].Value")])
def test_a_lone_surrogate_escape_is_refused_where_the_answer_is_read(tmp_path, key, where):
    """``"x\\ud800y"`` is valid JSON for Python's reader but no text: it crashed the commands later, printing it
    (UnicodeEncodeError) or handing it to DuckDB (audit exposure). A pair that forms one character is read."""
    snap = _snap(tmp_path)
    path = snap / REGION / f"{key}.json"
    doc = json.loads(path.read_text())
    item = doc[key][0]
    if key == "SecurityGroups":
        item["GroupName"] = "x\ud800y"
    else:
        item["TagSet"] = [{"Key": "Name", "Value": "\udc00"}] + item.get("TagSet", [])
    path.write_text(json.dumps(doc))  # (ensure_ascii: the surrogate is written as its escape)
    for args in (("query", "--facts", str(snap), QUERY), ("audit", "exposure", "--facts", str(snap)),
                 ("import", str(snap), "--out", str(tmp_path / "out"))):
        r = _reason(*args)
        _refused(r, "facts.bad_json")
        assert f"{key}.json:{where}" in r.stderr and "surrogate" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


def test_a_surrogate_pair_escape_is_one_character_and_read(tmp_path):
    snap = _snap(tmp_path)
    _edit(snap, "SecurityGroups", lambda doc: doc["SecurityGroups"][0].update(GroupName="x\U0001f600y"))
    assert "\\ud83d\\ude00" in (snap / REGION / "SecurityGroups.json").read_text()
    r = _reason("query", "--facts", str(snap), "--format", "json", QUERY)
    assert r.returncode == 1, r.stderr
