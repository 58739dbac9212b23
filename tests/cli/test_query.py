"""`reason query` end to end: AWS JSON scenarios -> import -> rules -> CLI, verdict and blocker asserted.

Each scenario starts from the shipped example (facts/) and changes one AWS behaviour.
AWS references: security-group-rules.html (allow-only, stateful, SG references = private IPs),
vpc-network-acls.html (lowest number first, stateless, subnet boundary only),
subnet-route-tables.html / route-tables-priority.html (main table fallback, longest prefix, blackhole).
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "facts"
REGION = "aws_configs/us-east-1"


def reason(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["reason", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def scenario(tmp_path: Path, base: Path = FACTS) -> Path:
    dst = tmp_path / "snap"
    shutil.copytree(base, dst, ignore=shutil.ignore_patterns("examples"))
    return dst


def edit(snap: Path, name: str, fn) -> None:
    path = snap / REGION / f"{name}.json"
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def query_json(snap: Path, q: str) -> tuple[int, dict]:
    r = reason("query", "--facts", str(snap), "--format", "json", q)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, json.loads(r.stdout)


def sg(data, gid):
    return next(g for g in data["SecurityGroups"] if g["GroupId"] == gid)


def test_readme_main_command_explains_the_alb_egress_block():
    r = reason("query", "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 1
    assert "UNREACHABLE" in r.stdout and "ENI_SG_RULES_MISMATCH" in r.stdout and "sg-0alb" in r.stdout
    assert "outbound tcp/8000 to 10.0.11.20" in r.stdout


def test_fixed_variant_is_reachable_with_full_path():
    code, out = query_json(FACTS / "examples" / "seed-fixed", "alb-eni -> task-eni tcp 8000")
    assert code == 0 and out["reachable"] and not out["explanations"]
    assert [h["component"] for h in out["forward_path"]][:2] == ["eni-0alb0a", "sg-0alb"]
    assert out["return_path"][-1]["component"] == "eni-0alb0a" and out["proof"]["holds"]


def test_json_shape_of_the_blocker():
    code, out = query_json(FACTS, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and out["schema"] == "reason.query/v1" and out["reachable"] is False
    assert out["explanations"] == [{**out["explanations"][0], "code": "ENI_SG_RULES_MISMATCH", "component": "sg-0alb",
                                    "direction": "egress", "path": "forward"}]


def test_aws_format_has_reachability_analyzer_fields():
    r = reason("query", "--format", "aws", "alb-eni -> task-eni tcp 8000")
    a = json.loads(r.stdout)["NetworkInsightsAnalyses"][0]
    assert a["NetworkPathFound"] is False and a["Explanations"][0]["ExplanationCode"] == "ENI_SG_RULES_MISMATCH"


def test_sg_ingress_port_mismatch(tmp_path):
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8080")
    assert code == 1 and {(e["code"], e["component"], e["direction"]) for e in out["explanations"]} >= {
        ("ENI_SG_RULES_MISMATCH", "sg-0task", "ingress")}


def test_sg_reference_means_members_only(tmp_path):
    """security-group-rules.html: a referenced SG stands for the private IPs of its members."""
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Groups=[{"GroupId": "sg-0task", "GroupName": "task-sg"}])
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0alb0a"])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and out["explanations"][0]["component"] == "sg-0task"


def _nacl_entries(d, entries):
    for acl in d["NetworkAcls"]:
        acl["Entries"] = entries + [e for e in acl["Entries"] if e["RuleNumber"] == 32767]


def test_nacl_lowest_rule_number_wins_deny_before_allow(tmp_path):
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "NetworkAcls", lambda d: _nacl_entries(d, [
        {"RuleNumber": 90, "Protocol": "6", "RuleAction": "deny", "Egress": False, "CidrBlock": "10.0.1.0/24", "PortRange": {"From": 8000, "To": 8000}},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0"}]))
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and [(e["code"], e["direction"], e["path"]) for e in out["explanations"]] == [
        ("SUBNET_ACL_RESTRICTION", "ingress", "forward")]


def test_nacl_is_stateless_return_needs_ephemeral_ports(tmp_path):
    """nacl-ephemeral-ports: the reply goes to the client's ephemeral port, so it needs its own rule."""
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "NetworkAcls", lambda d: _nacl_entries(d, [
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 8000, "To": 8000}}]))
    # Outbound allows only tcp/8000: the reply passes only if the client's ephemeral port is 8000 itself.
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 0 and out["packet"]["src_port"] == 8000
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000-8000")
    edit(snap, "NetworkAcls", lambda d: _nacl_entries(d, [
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "10.0.11.0/24", "PortRange": {"From": 8000, "To": 8000}}]))
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and ("SUBNET_ACL_RESTRICTION", "egress", "return") in {
        (e["code"], e["direction"], e["path"]) for e in out["explanations"]}


def test_some_ephemeral_source_port_suffices(tmp_path):
    """The source port ranges over 1024-65535: a reply allowed only to 32768-65535 still works."""
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "NetworkAcls", lambda d: _nacl_entries(d, [
        {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "10.0.11.0/24", "PortRange": {"From": 8000, "To": 8000}},
        {"RuleNumber": 110, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "10.0.1.0/24", "PortRange": {"From": 32768, "To": 65535}}]))
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 0 and out["packet"]["src_port"] >= 32768


def test_same_subnet_traffic_skips_nacls(tmp_path):
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "NetworkAcls", lambda d: _nacl_entries(d, []))  # deny everything
    edit(snap, "NetworkInterfaces", lambda d: [n.update(SubnetId="subnet-priv-a")
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0alb0a"])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 0 and not any(h["kind"] == "network-acl" for h in out["forward_path"])


def test_main_route_table_fallback_and_no_route(tmp_path):
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "RouteTables", lambda d: [r.update(Routes=[x for x in r["Routes"] if x.get("GatewayId") != "local"])
                                         for r in d["RouteTables"] if any(a.get("Main") for a in r.get("Associations", []))])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and [(e["code"], e["component"], e["path"]) for e in out["explanations"]] == [
        ("NO_ROUTE_TO_DESTINATION", "rtb-main", "return")]


def test_more_specific_blackhole_route_wins(tmp_path):
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "RouteTables", lambda d: [r["Routes"].append({"DestinationCidrBlock": "10.0.11.0/24", "NatGatewayId": "nat-0gone",
                                                             "State": "blackhole", "Origin": "CreateRoute"})
                                         for r in d["RouteTables"] if r["RouteTableId"] == "rtb-public"])
    code, out = query_json(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and out["explanations"][0]["code"] == "BAD_STATE_ROUTE"


@pytest.mark.parametrize("q,code,needle", [
    ("alb-eni -> tsk-eni tcp 8000", "query.unknown_name", "task-eni"),
    ("alb-eni => task-eni tcp 8000", "query.syntax", "^"),
    ("alb-eni -> task-eni tcp 99999", "query.port", "65535"),
    ("alb-eni -> subnet-priv-a tcp 80", "query.unsupported_endpoint", "subnet"),
])
def test_bad_queries_exit_2_with_a_clear_message(q, code, needle):
    r = reason("query", q)
    assert r.returncode == 2 and code in r.stderr and needle in r.stderr and "Traceback" not in r.stderr


def test_malformed_facts_exit_2(tmp_path):
    snap = scenario(tmp_path)
    (snap / REGION / "Subnets.json").write_text('{"Subnets": [')
    r = reason("query", "--facts", str(snap), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "Subnets.json" in r.stderr and "Traceback" not in r.stderr


def test_policy_rule_file_with_error_is_located(tmp_path):
    bad = tmp_path / "policy.dl"
    bad.write_text(".decl no_ssh(eni: symbol)\nno_ssh(E) :- eni(E, _, _, _), !sg_ingres_cidr(E, _, 22, _, _, _, _).\n")
    r = reason("check", str(bad))
    assert r.returncode == 2 and f"{bad}:2:" in r.stderr and "undeclared" in r.stderr and "sg_ingress_cidr" in r.stderr


def test_import_writes_a_facts_dir_that_query_reads(tmp_path):
    out = tmp_path / "f"
    assert reason("import", str(FACTS), "--out", str(out)).returncode == 0
    assert (out / "manifest.json").is_file()
    shutil.copy(FACTS / "reason.toml", out / "reason.toml")
    code, res = query_json(out, "alb-eni -> task-eni tcp 8000")
    assert code == 1 and res["explanations"][0]["component"] == "sg-0alb"
