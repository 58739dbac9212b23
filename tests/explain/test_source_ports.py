"""The source ports a client sends from (reasoner/explain/space.py ``PacketSpace.port_groups``, ``source_pieces``).

A program on an instance may bind any port, and a host on the internet too: "The client that initiates the request
chooses the ephemeral port range. The range varies depending on the client's operating system"
(vpc/latest/userguide/nacl-ephemeral-ports.html), and nothing stops a client choosing 53 or 443.  A network ACL
whose outbound entries admit only ports below 1024 (replies to well-known services, say) then lets a client that
sends from such a port through; an isolation proof that took source ports from 1024-65535 only missed it.  A load
balancer's node opens its connections from 1024-65535 (the recommended network ACL of its subnet admits the
targets' replies on those ports only: elasticloadbalancing/latest/classic/elb-vpc-network-acls.html).
"""

import copy
import json
import shutil
import subprocess
from pathlib import Path

from reasoner.explain.space import ANY_PORT, EPHEMERAL, source_pieces
from reasoner.schemas import validate

ROOT = Path(__file__).resolve().parents[2]
FIXED = ROOT / "facts" / "examples" / "seed-fixed"
REGION = "aws_configs/us-east-1"
# replies leave the subnets only to well-known ports: a client sending from 1024-65535 gets no reply
WELL_KNOWN_ONLY = [
    {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "Egress": False, "CidrBlock": "0.0.0.0/0"},
    {"RuleNumber": 100, "Protocol": "6", "RuleAction": "allow", "Egress": True, "CidrBlock": "0.0.0.0/0",
     "PortRange": {"From": 0, "To": 1023}},
]


def reason(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["reason", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _edit(snap: Path, name: str, fn) -> None:
    path = snap / REGION / f"{name}.json"
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def snapshot(tmp_path: Path, nacl: list | None = None) -> Path:
    """seed-fixed with a database ENI (eni-0db01, 10.0.1.50 in subnet-pub-a, sg-0db: tcp 22 from the task subnet),
    and the network ACL's entries replaced by ``nacl``."""
    snap = tmp_path / "snap"
    shutil.copytree(FIXED, snap)

    def add_eni(d):
        task = next(n for n in d["NetworkInterfaces"] if n["NetworkInterfaceId"] == "eni-0task01")
        db = copy.deepcopy(task)
        db.update(NetworkInterfaceId="eni-0db01", SubnetId="subnet-pub-a", PrivateIpAddress="10.0.1.50",
                  PrivateIpAddresses=[{"Primary": True, "PrivateIpAddress": "10.0.1.50"}],
                  Groups=[{"GroupId": "sg-0db", "GroupName": "db"}], Description="db")
        db.pop("Association", None)
        db.get("Attachment", {}).update(AttachmentId="eni-attach-0db01")
        d["NetworkInterfaces"].append(db)

    def add_sg(d):
        task = next(g for g in d["SecurityGroups"] if g["GroupId"] == "sg-0task")
        sg = copy.deepcopy(task)
        sg.update(GroupId="sg-0db", GroupName="db", Description="db")
        sg["IpPermissions"] = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.11.0/24"}],
                                "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]
        d["SecurityGroups"].append(sg)

    _edit(snap, "NetworkInterfaces", add_eni)
    _edit(snap, "SecurityGroups", add_sg)
    if nacl is not None:
        def entries(d):
            for acl in d["NetworkAcls"]:
                acl["Entries"] = nacl + [e for e in acl["Entries"] if e["RuleNumber"] == 32767]
        _edit(snap, "NetworkAcls", entries)
    (snap / "reason.toml").write_text('[aliases]\nalb-eni = "eni-0alb0a"\ntask-eni = "eni-0task01"\ndb-eni = "eni-0db01"\n')
    return snap


def query(snap: Path, q: str) -> tuple[int, dict]:
    r = reason("query", "--facts", str(snap), "--format", "json", q)
    assert r.returncode in (0, 1, 3), r.stderr
    doc = json.loads(r.stdout)
    validate(doc)
    return r.returncode, doc


def test_pieces_cover_every_port_ephemeral_first():
    """The pieces tile lo-65535 exactly, cut at 1024 and at the rules' bounds; the ephemeral ones come first, each
    by its first port, those below 1024 each by its last."""
    order, piece = source_pieces(ANY_PORT, [(22, 22), (32768, 65535)])
    assert order == [1024, 32768, 21, 22, 1023]
    assert [piece[p] for p in order] == [(1024, 32767), (32768, 65535), (0, 21), (22, 22), (23, 1023)]
    spans = sorted(piece.values())
    assert spans[0][0] == 0 and spans[-1][1] == 65535 and all(a[1] + 1 == b[0] for a, b in zip(spans, spans[1:]))
    assert all(lo <= p <= hi for p, (lo, hi) in piece.items())
    order, piece = source_pieces(EPHEMERAL, [(22, 22), (32768, 65535)])
    assert order == [1024, 32768] and min(lo for lo, _ in piece.values()) == 1024
    assert ANY_PORT == (0, 65535)
    # a client asked about one class of its ports (a load balancer's preserved client: the leg to the target) sends
    # from that class only, cut again at the rules there
    order, piece = source_pieces((100, 2000), [(22, 22), (1500, 1600)])
    assert order == [1024, 1500, 1601, 1023]
    assert [piece[p] for p in order] == [(1024, 1499), (1500, 1600), (1601, 2000), (100, 1023)]


def test_a_client_sending_from_a_well_known_port_gets_a_reply(tmp_path):
    """The database's subnet sends replies only to ports 0-1023: from an ephemeral port the task gets none, from
    port 1023 (or 22, or 443) it does.  Before: UNREACHABLE, and `assert unreachable` passed, wrongly."""
    snap = snapshot(tmp_path, WELL_KNOWN_ONLY)
    code, out = query(snap, "task-eni -> db-eni tcp 22")
    assert code == 0 and out["verdict"] == "reachable", out
    assert out["packet"]["src_port"] < 1024
    assert out["packet_class"]["src_ports"][1] <= 1023
    ok = tmp_path / "isolation.reason"
    ok.write_text("assert unreachable task-eni -> db-eni tcp 22\n")
    r = reason("verify", "--facts", str(snap), str(ok))
    assert r.returncode == 1 and "FAIL" in r.stdout, r.stdout + r.stderr


def test_an_ephemeral_port_is_chosen_when_one_works(tmp_path):
    """With the network ACLs of the shipped example (everything allowed), the answer's packet comes from 1024, as
    before: the ephemeral pieces are asked first."""
    snap = snapshot(tmp_path)
    code, out = query(snap, "task-eni -> db-eni tcp 22")
    assert code == 0 and out["packet"]["src_port"] == 1024 and out["packet_class"]["src_ports"] == [1024, 65535]


def test_a_load_balancer_node_sends_from_ephemeral_ports_only(tmp_path):
    """The ALB's node opens its connection to the task from 1024-65535: with replies admitted only to 0-1023, it gets
    none, whatever the task's rules; the blocker is the network ACL on the way back."""
    snap = snapshot(tmp_path, WELL_KNOWN_ONLY)
    code, out = query(snap, "alb-eni -> task-eni tcp 8000")
    assert code == 1, out
    assert ("SUBNET_ACL_RESTRICTION", "return") in {(e["code"], e["path"]) for e in out["explanations"]}, out
    assert out["packet_class"]["src_ports"][0] >= 1024


def test_a_proof_covers_every_source_port(tmp_path):
    """A proof's classes for a plain ENI's packets cover source ports 0-65535; a node's 1024-65535."""
    snap = snapshot(tmp_path)
    checks = tmp_path / "checks.reason"
    checks.write_text("assert reachable task-eni -> db-eni tcp 22\nassert unreachable task-eni -> db-eni tcp 23\n"
                      "assert reachable alb-eni -> task-eni tcp 8000\n")
    proof = tmp_path / "proof.json"
    r = reason("verify", "--facts", str(snap), "--proof", str(proof), str(checks))
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(proof.read_text())
    validate(doc)
    spans = {}
    for a in doc["assertions"]:
        for g in a["classes"] or []:
            for c in g["classes"]:
                spans.setdefault(c["src"], []).append(tuple(c["src_ports"]))
    for src, want in (("eni-0task01", (0, 65535)), ("eni-0alb0a", (1024, 65535))):
        got = sorted(set(spans[src]))
        assert got[0][0] == want[0] and max(hi for _, hi in got) == want[1], (src, got)
    r = reason("recheck", str(proof), "--facts", str(snap))
    assert r.returncode == 0, r.stdout + r.stderr


def test_recheck_names_a_proof_over_fewer_source_ports(tmp_path):
    """A proof written when clients were taken to send from 1024-65535 only (its classes say so) fails recheck, and
    says it is the source ports that differ, not the blockers."""
    snap = snapshot(tmp_path)
    checks = tmp_path / "checks.reason"
    checks.write_text("assert unreachable task-eni -> db-eni tcp 23\n")
    proof = tmp_path / "proof.json"
    assert reason("verify", "--facts", str(snap), "--proof", str(proof), str(checks)).returncode == 0
    doc = json.loads(proof.read_text())
    for g in doc["assertions"][0]["classes"]:
        for c in g["classes"]:
            c["src_ports"] = [max(c["src_ports"][0], 1024), c["src_ports"][1]]
    proof.write_text(json.dumps(doc))
    r = reason("recheck", str(proof), "--facts", str(snap))
    assert r.returncode == 1 and "its source ports differ: 1024-65535 in the proof, 0-65535 now" in r.stdout, r.stdout


def test_query_all_names_a_single_source_port_as_one(tmp_path):
    """Packets leave the subnets (one network ACL) only to ports 22 and 53: the request to 22 goes, and its reply
    only to a client sending from 22 or 53.  `query --all` lists those classes 'from port 53' (it printed 'from
    ports 53'), and its JSON the ranges as "22" and "53"."""
    out22 = {**WELL_KNOWN_ONLY[1], "PortRange": {"From": 22, "To": 22}}
    snap = snapshot(tmp_path, [WELL_KNOWN_ONLY[0], out22, {**out22, "RuleNumber": 110, "PortRange": {"From": 53, "To": 53}}])
    r = reason("query", "--all", "--facts", str(snap), "task-eni -> db-eni tcp 22")
    assert r.returncode == 0 and "tcp 22 (from port 53)" in r.stdout, r.stdout
    r = reason("query", "--all", "--facts", str(snap), "--format", "json", "task-eni -> db-eni tcp 22")
    assert sorted(c["src_ports"] for c in json.loads(r.stdout)["classes"]) == ["22", "53"]
