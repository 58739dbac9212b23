"""The shipped baseline pack (policies/baseline/, issue 12 item 3): each rule on a snapshot built for it, and the
example snapshot, where the pack finds the ALB egress bug and nothing else."""

import json
import shutil

from test_query import FACTS, ROOT, answer, reason

FIXED = FACTS / "examples" / "seed-fixed"
PACK = ROOT / "policies" / "baseline"
REGION = "aws_configs/us-east-1"


def violations(facts) -> tuple[int, list[tuple]]:
    r = reason("verify", str(PACK), "--facts", str(facts), "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, sorted(tuple(v["row"]) for v in answer(r.stdout)["violations"])


def copy_fixed(tmp_path, edit_file: str, fn):
    snap = tmp_path / "snap"
    shutil.copytree(FIXED, snap)
    path = snap / REGION / edit_file
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))
    return snap


def test_the_example_snapshot_has_the_alb_egress_bug_and_nothing_else():
    assert violations(FACTS) == (1, [("sg-0alb", "load balancer security group without egress to its target")])
    assert violations(FIXED) == (0, [])


def test_ssh_from_two_halves_of_the_internet_is_ssh_from_anywhere(tmp_path):
    halves = [{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]
    snap = copy_fixed(tmp_path, "SecurityGroups.json", lambda d: d["SecurityGroups"][0]["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": halves}))
    sg = json.loads((snap / REGION / "SecurityGroups.json").read_text())["SecurityGroups"][0]["GroupId"]
    assert violations(snap) == (1, [(sg, "ssh")])


def test_half_of_the_internet_is_not_anywhere(tmp_path):
    snap = copy_fixed(tmp_path, "SecurityGroups.json", lambda d: d["SecurityGroups"][0]["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "128.0.0.0/1"}]}))
    assert violations(snap) == (0, [])


def test_an_exposed_eni_tagged_as_a_database_is_reported(tmp_path):
    def tag(d):
        eni = next(e for e in d["NetworkInterfaces"] if e["NetworkInterfaceId"] == "eni-0alb0a")
        eni["TagSet"] = eni.get("TagSet", []) + [{"Key": "tier", "Value": "db"}]
    snap = copy_fixed(tmp_path, "NetworkInterfaces.json", tag)
    assert violations(snap) == (1, [("eni-0alb0a", "database tagged eni reachable from the internet")])


def test_a_violation_shows_its_rule_metadata_in_text_json_and_sarif():
    text = reason("verify", str(PACK))
    assert "FAIL  policy [NET-003 high] " in text.stdout and "load_balancers.dl:20:1" in text.stdout
    assert "remediation: Add an outbound rule" in text.stdout
    js = answer(reason("verify", str(PACK), "--format", "json").stdout)
    assert js["violations"][0]["metadata"]["id"] == "NET-003" and js["violations"][0]["metadata"]["severity"] == "high"
    sarif = json.loads(reason("verify", str(PACK), "--format", "sarif").stdout)
    ids = {r["ruleId"] for run in sarif["runs"] for r in run["results"]}
    assert ids == {"NET-003"}


def test_a_violation_derived_through_helpers_is_named_by_its_own_rule_and_metadata(tmp_path):
    """NET-001 derives its violation from the helper ``covered``: the answer names the violation rule (line 37) with
    its id, title and remediation, in text, JSON and SARIF.  Before, verify named the first body atom's rule
    (``covered``, line 28), so the metadata and the SARIF rule were lost for every rule with a derived helper."""
    halves = [{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}]
    snap = copy_fixed(tmp_path, "SecurityGroups.json", lambda d: d["SecurityGroups"][0]["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": halves}))
    text = reason("verify", str(PACK), "--facts", str(snap)).stdout
    assert "FAIL  policy [NET-001 high] " in text and "admin_ports.dl:37:1" in text and "admin_ports.dl:28:1" not in text
    assert "remediation: Narrow the source" in text
    js = answer(reason("verify", str(PACK), "--facts", str(snap), "--format", "json").stdout)
    (v,) = js["violations"]
    assert v["rule"].endswith("admin_ports.dl:37:1") and v["metadata"]["id"] == "NET-001"
    sarif = json.loads(reason("verify", str(PACK), "--facts", str(snap), "--format", "sarif").stdout)
    assert {r["ruleId"] for run in sarif["runs"] for r in run["results"]} == {"NET-001"}


def test_an_eni_exposed_over_ipv6_from_a_private_subnet_is_reported():
    """NET-005 (policies/baseline/exposure.dl): in the dual-stack example eni-web (public subnet) is exposed as
    meant and eni-app goes out through the egress-only gateway: nothing. With ::/0 of the private subnet sent
    to the internet gateway (the pack's fixture), eni-app is reachable over IPv6 and reported."""
    assert violations(FACTS / "examples" / "dual-stack") == (0, [])
    assert violations(PACK / "tests" / "ipv6-private-exposed") == (
        1, [("eni-app", "reachable from the internet outside a public subnet")])


def test_a_database_port_is_reported_only_when_tcp_reaches_it(tmp_path):
    """NET-004 had a third rule, `exposed(E, "-1", _, _), db_port(_)`: "-1" in `exposed` is the class of the
    protocols no rule names (rules/policy_relations.dl), never tcp, so once `exposed` held it as documented the rule
    reported a database port for an ENI the internet reaches on other protocols only (its network ACL denying tcp
    and udp).  Removed: an all-traffic rule exposes tcp 0-65535, which the tcp rule reports."""
    from test_query import _bastion, _public_ip, edit, scenario, sg

    snap = scenario(tmp_path, FIXED)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "SecurityGroups", lambda d: sg(d, "sg-0alb")["IpPermissions"].append(
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    edit(snap, "NetworkAcls", lambda d: [a["Entries"].__setitem__(slice(0, 0), [
        {"RuleNumber": 1 + i, "Protocol": p, "RuleAction": "deny", "Egress": False, "CidrBlock": "0.0.0.0/0",
         "PortRange": {"From": 0, "To": 65535}} for i, p in enumerate(("6", "17"))])
        for a in d["NetworkAcls"]])
    exposed = answer(reason("audit", "exposure", "--facts", str(snap), "--format", "json").stdout)["exposed"]
    # (icmpv6 too since 2026-12-06: an `any` question asks ICMPv6 over both families, and an all-traffic rule admits
    # protocol 58 over IPv4 as it admits every other protocol)
    assert {p["protocol"] for e in exposed if e["eni"] == "eni-0bastion" for p in e["ports"]} == {"icmp", "icmpv6", "other"}
    _, found = violations(snap)
    assert not any(msg == "database port reachable from the internet" for _, msg in found), found


def test_net_003_over_a_group_the_snapshot_does_not_describe_is_not_decided(tmp_path):
    """The ALB's group missing from SecurityGroups (not collected, another account's): its egress rules are not in the
    snapshot. NET-003 read it as a group without egress and failed (exit 1); it is now not decided (exit 3, the group
    named), through the policies' own `undecided` relation (rules/policy_relations.dl)."""
    snap = copy_fixed(tmp_path, "SecurityGroups.json",
                      lambda d: d.update(SecurityGroups=[g for g in d["SecurityGroups"] if g["GroupId"] != "sg-0alb"]))
    r = reason("verify", str(PACK), "--facts", str(snap), "--format", "json")
    doc = answer(r.stdout)
    assert r.returncode == 3 and not doc["violations"], doc["violations"]
    assert any(w.startswith("policies not decided: NET-003") and "(sg-0alb)" in w for w in doc["warnings"]), doc["warnings"]
    r = reason("verify", str(PACK), "--facts", str(snap))
    assert r.returncode == 3 and "the policies are not decided where data is missing" in r.stdout


def test_a_policy_may_say_what_it_cannot_decide(tmp_path):
    """`undecided(resource, message)` in a policy file of one's own: listed, exit 3 when nothing fails, and a rule
    feeding only it is no dead rule."""
    f = tmp_path / "own.dl"
    f.write_text('.decl untagged(eni: symbol)\nuntagged(E) :- eni(E, _, _, _), !eni_tag(E, "owner", _).\n'
                 'undecided(E, "no owner tag: who approves its exposure is not known") :- untagged(E), exposed(E, _, _, _).\n')
    r = reason("verify", str(f), "--facts", str(FIXED), "--format", "json")
    doc = answer(r.stdout)
    assert r.returncode == 3 and not doc["violations"]
    assert [w for w in doc["warnings"] if w.startswith("policies not decided")] == [
        "policies not decided: no owner tag: who approves its exposure is not known (eni-0alb0a)",
        "policies not decided: no owner tag: who approves its exposure is not known (eni-0alb0b)"]


def test_net_001_and_the_default_policy_over_a_group_the_snapshot_does_not_describe_are_not_decided(tmp_path):
    """F1 (advS31): an ENI carrying a group the snapshot does not describe (or no SecurityGroups answer at all).
    NET-001 (admin_ports.dl) and queries/policy.dl found no rule of it and passed (exit 0, no warning), and
    queries/policy.dl reported the load balancer's undescribed group as a certain "no outbound rule" violation.
    Now both are not decided (exit 3), the group named; a described group open on 22 still fails."""
    from test_query import edit, scenario

    admin, default = str(PACK / "admin_ports.dl"), str(ROOT / "queries" / "policy.dl")
    snap = scenario(tmp_path, FIXED)
    edit(snap, "NetworkInterfaces", lambda d: [n["Groups"].append({"GroupId": "sg-0missing", "GroupName": "x"})
                                               for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0alb0a"])
    for policy in (admin, default):
        r = reason("verify", policy, "--facts", str(snap), "--format", "json")
        doc = answer(r.stdout)
        assert r.returncode == 3 and not doc["violations"], (policy, r.stdout, r.stderr)
        assert [w for w in doc["warnings"] if w.startswith("policies not decided")] and all(
            "(sg-0missing)" in w for w in doc["warnings"] if w.startswith("policies not decided")), doc["warnings"]
    (snap / REGION / "SecurityGroups.json").unlink()  # no SecurityGroups answer: every group undescribed
    for policy in (admin, default):
        r = reason("verify", policy, "--facts", str(snap), "--format", "json")
        doc = answer(r.stdout)
        assert r.returncode == 3 and not doc["violations"], (policy, doc)
        assert any("(sg-0alb)" in w and w.startswith("policies not decided") for w in doc["warnings"]), doc["warnings"]
    open_snap = copy_fixed(tmp_path / "open", "SecurityGroups.json", lambda d: d["SecurityGroups"][0]["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    assert reason("verify", admin, "--facts", str(open_snap)).returncode == 1
    assert reason("verify", default, "--facts", str(open_snap)).returncode == 1


def _ssh_from_list(tmp_path, lists: list[dict] | None):
    """The fixed example with a tcp 22 ingress rule naming pl-admins in its first group; ``lists`` is the snapshot's
    PrefixLists answer (None: no answer)."""
    snap = copy_fixed(tmp_path, "SecurityGroups.json", lambda d: d["SecurityGroups"][0]["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": "pl-admins"}]}))
    if lists is not None:
        (snap / REGION / "PrefixLists.json").write_text(json.dumps({"PrefixLists": lists}))
    sg = json.loads((snap / REGION / "SecurityGroups.json").read_text())["SecurityGroups"][0]["GroupId"]
    return snap, sg


def test_net_001_reads_an_ssh_rule_naming_a_prefix_list_that_holds_the_whole_internet(tmp_path):
    """security-group-rules.html: a rule's source is a CIDR block, a security group or a prefix list; a rule naming a
    list admits its CIDR blocks.  NET-001 read CIDR rules only, so tcp 22 from a list holding 0.0.0.0/0 (or the two
    halves of the internet) passed."""
    for cidrs in (["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["::/0"]):
        snap, sg = _ssh_from_list(tmp_path / str(len(cidrs)) / cidrs[0].replace("/", "_").replace(":", "c"),
                                  [{"PrefixListId": "pl-admins", "PrefixListName": "admins", "Cidrs": cidrs}])
        assert violations(snap) == (1, [(sg, "ssh")]), cidrs


def test_net_001_passes_an_ssh_rule_naming_a_prefix_list_of_known_networks(tmp_path):
    snap, _ = _ssh_from_list(tmp_path, [{"PrefixListId": "pl-admins", "PrefixListName": "admins",
                                         "Cidrs": ["203.0.113.0/24", "0.0.0.0/1"]}])
    assert violations(snap) == (0, [])


def test_net_001_over_a_prefix_list_not_in_the_snapshot_or_being_changed_is_not_decided(tmp_path):
    """No PrefixLists answer, or a managed list caught modifying (API_ManagedPrefixList State modify-in-progress: the
    version shown or the one before it applies): whether tcp 22 is open to the internet is not decided (exit 3, the
    group named), never a pass; a list being changed that shows 0.0.0.0/0 is not a certain violation either."""
    changing = {"PrefixListId": "pl-admins", "PrefixListName": "admins", "State": "modify-in-progress",
                "Entries": [{"Cidr": "0.0.0.0/0"}]}
    for name, lists in (("absent", None), ("changing", [changing])):
        snap, sg = _ssh_from_list(tmp_path / name, lists)
        r = reason("verify", str(PACK), "--facts", str(snap), "--format", "json")
        doc = answer(r.stdout)
        assert r.returncode == 3 and not doc["violations"], (name, doc)
        assert any(w.startswith("policies not decided: NET-001") and f"({sg})" in w for w in doc["warnings"]), doc["warnings"]
