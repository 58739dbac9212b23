"""`reason audit exposure`: what the internet reaches, checked against point questions (pyDatalog), on the shipped
snapshot and on a scenario with a public bastion (the CLI tests' own builders)."""

import json
import subprocess
from pathlib import Path

from test_query import _bastion, _public_ip, answer, edit, scenario, sg

from reasoner.errors import QueryError
from reasoner.query.language import parse_query
from reasoner.explain.audit import exposure
from reasoner.session import Session

ROOT = Path(__file__).resolve().parents[2]


def _audit(facts: Path, fmt: str = "json") -> subprocess.CompletedProcess:
    return subprocess.run(["reason", "audit", "exposure", "--facts", str(facts), "--format", fmt], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def _bastion_with_ssh(tmp_path: Path) -> Path:
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "SecurityGroups", lambda d: sg(d, "sg-0alb")["IpPermissions"].append(
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    return snap


def test_the_bastion_is_exposed_on_ssh_and_listed_first(tmp_path):
    r = _audit(_bastion_with_ssh(tmp_path))
    assert r.returncode == 1, r.stderr
    out = answer(r.stdout)  # validated against reason.audit-exposure/v1
    assert out["schema"] == "reason.audit-exposure/v1" and out["classes_evaluated"] > 0
    first = out["exposed"][0]
    assert first["eni"] == "eni-0bastion" and first["gateway"] == "igw-0main" and "ssh (22)" in first["admin_ports"]
    tcp = next(p for p in first["ports"] if p["protocol"] == "tcp")
    assert "22" in tcp["ranges"] and "80" in tcp["ranges"]
    assert "eni-0task01" not in {e["eni"] for e in out["exposed"]}  # private subnet, no public IP


def test_exposure_agrees_with_point_questions(tmp_path):
    session = Session.open(_bastion_with_ssh(tmp_path))
    found, _ = exposure(session.analyzer, session.set_backend())
    internet = session.endpoints.resolve("internet")
    an = session.analyzer
    ips = {}
    for e, ip in an.rel["eni_ip"]:
        ips.setdefault(e, []).append(ip)
    exposed = {e.eni: e for e in found}
    for eni in sorted(an.eni):
        dst = [type(internet[0])(eni, tuple(ips[eni]))]
        res = an.analyze("audit", internet, dst, "-1", 0, 65535, depth=0, detail=False)
        if eni not in exposed:
            assert not res.reachable, eni
            continue
        for proto, ranges in exposed[eni].ports.items():
            for lo, hi in ranges:  # every range reported: some packet of it gets through
                assert an.analyze("audit", internet, dst, proto, lo, hi, depth=0, detail=False).reachable, (eni, proto, lo, hi)


def test_text_and_csv_and_nothing_exposed(tmp_path):
    r = _audit(ROOT / "facts", "text")
    assert r.returncode == 1 and "exposed to the internet" in r.stdout and "node of web" in r.stdout
    r = _audit(ROOT / "facts", "csv")
    assert r.stdout.splitlines()[0].startswith("eni,address,load_balancer,gateway,protocol,ports")
    snap = scenario(tmp_path)
    edit(snap, "InternetGateways", lambda d: d["InternetGateways"][0].update(Attachments=[]))
    r = _audit(snap)
    assert r.returncode == 0 and json.loads(r.stdout)["exposed"] == []


def _pairs(facts: Path, *args: str) -> tuple[int, dict]:
    r = subprocess.run(["reason", "audit", "pairs", "--facts", str(facts), "--format", "json", *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return r.returncode, answer(r.stdout)  # validated against reason.audit-pairs/v1


def test_segmentation_matrix_agrees_with_point_questions_per_group_pair():
    facts = ROOT / "facts" / "examples" / "seed-fixed"
    session = Session.open(facts)
    session.engine = "point"
    for by, traffic in (("subnet", ["tcp", "8000"]), ("sg", ["any"]), ("vpc", ["udp", "53"])):
        code, out = _pairs(facts, "--by", by, *traffic)
        assert out["schema"] == "reason.audit-pairs/v1" and out["by"] == by
        cells = {(c["from"], c["to"]) for c in out["cells"]}
        assert code == (1 if any(a != b for a, b in cells) else 0)
        for a in out["groups"]:
            for b in out["groups"]:
                if by == "vpc":
                    continue  # one VPC: the diagonal is asked as "* -> *" below
                q = parse_query(f"{a} -> {b} {' '.join(traffic)}")
                try:  # the ENIs of the groups as they are (a load balancer's nodes too, not through the load balancer)
                    reachable = session.analyzer.analyze(str(q), session.endpoints.resolve(a), session.endpoints.resolve(b), q.proto_number,
                                                         q.port_lo, q.port_hi, depth=0, detail=False).reachable
                except QueryError:  # one ENI, from itself to itself: no pair
                    reachable = False
                assert reachable == ((a, b) in cells), (by, a, b)
    assert _pairs(facts, "--by", "subnet", "tcp", "8000")[1]["cells"]  # not vacuous


def test_bad_traffic_is_a_usage_error():
    r = subprocess.run(["reason", "audit", "pairs", "tcp", "99999"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_exposure_audit_does_not_read_missing_data_as_not_exposed(tmp_path):
    """NetworkAcls not collected: a task with a public IP and an open group is not known to be stopped, so the
    audit names it as undecided and exits 3 instead of reporting nothing exposed (exit 0)."""
    import shutil

    root = Path(__file__).resolve().parents[2]
    snap = tmp_path / "snap"
    shutil.copytree(root / "facts" / "examples" / "seed-fixed", snap)
    region = snap / "aws_configs" / "us-east-1"
    enis = json.loads((region / "NetworkInterfaces.json").read_text())
    for n in enis["NetworkInterfaces"]:
        if n["NetworkInterfaceId"] == "eni-0task01":
            n["Association"] = {"PublicIp": "54.1.2.3"}
    (region / "NetworkInterfaces.json").write_text(json.dumps(enis))
    rts = json.loads((region / "RouteTables.json").read_text())
    for t in rts["RouteTables"]:
        if t["RouteTableId"] == "rtb-main":
            t["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0main", "State": "active"})
    (region / "RouteTables.json").write_text(json.dumps(rts))
    sgs = json.loads((region / "SecurityGroups.json").read_text())
    for g in sgs["SecurityGroups"]:
        if g["GroupId"] == "sg-0task":
            g["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    (region / "SecurityGroups.json").write_text(json.dumps(sgs))
    r = subprocess.run(["reason", "audit", "exposure", "--facts", str(snap), "--format", "json"], capture_output=True, text=True)
    assert "eni-0task01" in {e["eni"] for e in json.loads(r.stdout)["exposed"]}  # complete: exposed
    (region / "NetworkAcls.json").unlink()
    r = subprocess.run(["reason", "audit", "exposure", "--facts", str(snap), "--format", "json"], capture_output=True, text=True)
    out = json.loads(r.stdout)
    assert r.returncode == 3 and not out["exposed"] and "eni-0task01" in out["undecided"]


def test_pairs_by_tag_groups_enis_by_the_tag_value(tmp_path):
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", snap)
    path = snap / "aws_configs" / "us-east-1" / "NetworkInterfaces.json"
    doc = json.loads(path.read_text())
    tiers = {"eni-0alb0a": "web", "eni-0alb0b": "web", "eni-0task01": "app"}
    for n in doc["NetworkInterfaces"]:
        if n["NetworkInterfaceId"] in tiers:
            n["TagSet"] = [{"Key": "tier", "Value": tiers[n["NetworkInterfaceId"]]}]
    path.write_text(json.dumps(doc))
    code, out = _pairs(snap, "--by", "tag:tier", "tcp", "8000")
    cells = {(c["from"], c["to"]): c["eni_pairs"] for c in out["cells"]}
    assert code == 1 and cells[("tier=web", "tier=app")] == 2
    assert "(no tier tag)" in out["groups"] or set(out["groups"]) == {"tier=web", "tier=app"}
    r = subprocess.run(["reason", "audit", "pairs", "--facts", str(snap), "--by", "colour"], capture_output=True, text=True)
    assert r.returncode == 2 and "tag:KEY" in r.stderr and "Traceback" not in r.stderr
    # a key no ENI carries (a typo) grouped every ENI as "(no tiers tag)" and exit 0, so a CI gate passed whatever the
    # network did; refused now, as a query's tag:KEY=VALUE is, with the close match
    r = subprocess.run(["reason", "audit", "pairs", "--facts", str(snap), "--by", "tag:tiers", "tcp", "8000"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "error[query.empty_set]" in r.stderr and "did you mean: tier?" in r.stderr, r.stderr


def test_pairs_by_tag_reads_the_ecs_task_of_an_untagged_eni(tmp_path):
    """A Fargate task's ENI carries no tier tag of its own: it is grouped by the tags of the task it serves (collected with
    DescribeTasks include=["TAGS"]); an ENI's own tag still comes first."""
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", snap)
    region = snap / "aws_configs" / "us-east-1"
    enis = json.loads((region / "NetworkInterfaces.json").read_text())
    for n in enis["NetworkInterfaces"]:
        if n["NetworkInterfaceId"] in ("eni-0alb0a", "eni-0alb0b"):
            n["TagSet"] = [{"Key": "tier", "Value": "web"}]
        assert n["NetworkInterfaceId"] != "eni-0task01" or "tier" not in {t["Key"] for t in n.get("TagSet", [])}
    (region / "NetworkInterfaces.json").write_text(json.dumps(enis))
    tasks = json.loads((region / "EcsTasks.json").read_text())
    [task] = [t for w in tasks["EcsTasks"] for t in w["Tasks"]]
    task["tags"] = [{"key": "tier", "value": "app"}]
    (region / "EcsTasks.json").write_text(json.dumps(tasks))
    code, out = _pairs(snap, "--by", "tag:tier", "tcp", "8000")
    cells = {(c["from"], c["to"]): c["eni_pairs"] for c in out["cells"]}
    assert code == 1 and cells == {("tier=web", "tier=app"): 2}, out
    assert "(no tier tag)" not in out["groups"]

    for n in enis["NetworkInterfaces"]:  # the ENI's own tag wins over its task's
        if n["NetworkInterfaceId"] == "eni-0task01":
            n["TagSet"] = [{"Key": "tier", "Value": "own"}]
    (region / "NetworkInterfaces.json").write_text(json.dumps(enis))
    code, out = _pairs(snap, "--by", "tag:tier", "tcp", "8000")
    assert {(c["from"], c["to"]) for c in out["cells"]} == {("tier=web", "tier=own")}, out


def test_pairs_by_tag_reads_the_load_balancer_of_its_node_enis(tmp_path):
    """An ALB's node ENIs carry no tags: they are grouped by the load balancer's (collected with DescribeTags), as
    a task's ENI by its task's."""
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", snap)
    region = snap / "aws_configs" / "us-east-1"
    [lb] = json.loads((region / "LoadBalancers.json").read_text())["LoadBalancers"]
    (region / "LoadBalancerTags.json").write_text(json.dumps({"LoadBalancerTags": [
        {"ResourceArn": lb["LoadBalancerArn"], "TagDescriptions": [
            {"ResourceArn": lb["LoadBalancerArn"], "Tags": [{"Key": "tier", "Value": "edge"}]}]}]}))
    tasks = json.loads((region / "EcsTasks.json").read_text())
    for t in (t for w in tasks["EcsTasks"] for t in w["Tasks"]):
        t["tags"] = [{"key": "tier", "value": "app"}]
    (region / "EcsTasks.json").write_text(json.dumps(tasks))
    code, out = _pairs(snap, "--by", "tag:tier", "tcp", "8000")
    assert code == 1 and {(c["from"], c["to"]): c["eni_pairs"] for c in out["cells"]} == {("tier=edge", "tier=app"): 2}, out


def test_every_other_protocol_is_named_so_not_by_its_example_number(tmp_path):
    """An all-traffic rule exposes every protocol; those no rule names are one class, whose example packet carries
    protocol 0.  The audit names it `other` (JSON) and `every other protocol` (text), not `0`, which is one protocol
    (IPv6 hop-by-hop options).  A network ACL entry naming protocol 0 moves the example to 2, never to ICMP (1),
    whose messages the rules read apart; the class is still `other`, and protocol 0 a class of its own."""
    snap = scenario(tmp_path)
    _bastion(snap)
    edit(snap, "NetworkInterfaces", lambda d: _public_ip(d, "eni-0bastion", "54.1.2.3"))
    edit(snap, "SecurityGroups", lambda d: sg(d, "sg-0alb")["IpPermissions"].append(
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}))
    for hop_by_hop in (False, True):
        if hop_by_hop:
            edit(snap, "NetworkAcls", lambda d: [a["Entries"].insert(0, {
                "RuleNumber": 1, "Protocol": "0", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"})
                for a in d["NetworkAcls"]])
        out = answer(_audit(snap).stdout)
        bastion = next(e for e in out["exposed"] if e["eni"] == "eni-0bastion")
        protocols = {p["protocol"] for p in bastion["ports"]}
        # protocol 0 is its own class once a rule names it; the class of the others is never named by its example
        assert "other" in protocols and "2" not in protocols and ("0" in protocols) is hop_by_hop, protocols
        text = _audit(snap, "text").stdout
        line = next(line for line in text.splitlines() if "eni-0bastion" in line)
        assert "every other protocol" in line
        # every ICMP message gets through (echo and its reply included), not only the one-way ones the note lists:
        # the text read "icmp (one-way, no reply: types 0-7, ...)", as if nothing else did
        assert "icmp every type (one-way, no reply: types 0-7," in line, line
    session = Session.open(snap)
    bastion = next(e for e in session.endpoints.resolve("eni-0bastion"))
    groups = list(session.analyzer.space.port_groups(session.endpoints.resolve("internet")[0], bastion, "-1", 0, 65535))
    rest = {g.proto for g in groups if g.rest}
    assert rest == {"2"}, rest  # protocol 0 is named (the ACL entry): the next number not ICMP, tcp or udp
    assert "0" in {g.proto for g in groups if not g.rest}
