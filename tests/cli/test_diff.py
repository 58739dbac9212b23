"""`reason diff OLD NEW`: changes in reachability, each with the configuration rows on its path (issue 12)."""

import json
import shutil

from test_query import FACTS, REGION, answer, reason

FIXED = FACTS / "examples" / "seed-fixed"


def test_the_fix_of_the_shipped_bug_names_the_added_egress_rule_and_the_new_pair():
    r = reason("diff", str(FACTS), str(FIXED))
    assert r.returncode == 0 and "Traceback" not in r.stderr  # no new exposure
    assert "NOW REACHES  eni-0alb0a -> eni-0task01 tcp 8000" in r.stdout
    assert "because + sg_egress_sg(sg-0alb, 6, 8000, 8000, sg-0task)" in r.stdout
    out = answer(reason("diff", "--format", "json", str(FACTS), str(FIXED)).stdout)
    gained = [c for c in out["changes"] if c["kind"] == "gained"]
    assert {(c["src"], c["dst"], c["protocol"], tuple(c["ports"])) for c in gained} == {
        ("eni-0alb0a", "eni-0task01", "tcp", ("8000",)), ("eni-0alb0b", "eni-0task01", "tcp", ("8000",))}
    assert not out["new_exposure"] and all(c["causes"] for c in gained)
    # the reverse direction: the pairs are lost, and the removed row is named
    back = answer(reason("diff", "--format", "json", str(FIXED), str(FACTS)).stdout)
    assert {c["kind"] for c in back["changes"]} == {"lost"}
    assert all(any(x.startswith("- sg_egress_sg(sg-0alb") for x in c["causes"]) for c in back["changes"])


def test_new_exposure_to_the_internet_fails_the_gate(tmp_path):
    """Before: the ALB's security group admits nothing from the internet; after: tcp/80 from 0.0.0.0/0 (the shipped one)."""
    closed = tmp_path / "closed"
    shutil.copytree(FACTS, closed, ignore=shutil.ignore_patterns("examples"))
    path = closed / REGION / "SecurityGroups.json"
    doc = json.loads(path.read_text())
    for g in doc["SecurityGroups"]:
        if g["GroupId"] == "sg-0alb":
            g["IpPermissions"] = []
    path.write_text(json.dumps(doc))
    r = reason("diff", "--format", "json", str(closed), str(FACTS))
    out = answer(r.stdout)
    assert r.returncode == 1 and out["new_exposure"]
    exposed = [c for c in out["changes"] if c["kind"] == "exposed"]
    assert exposed and all(c["src"] == "internet" and c["ports"] == ["80"] for c in exposed)
    assert all(any(x.startswith("+ sg_ingress_cidr(sg-0alb, 6, 80, 80, 0.0.0.0/0)") for x in c["causes"])
               for c in exposed)
    r = reason("diff", str(FACTS), str(closed))
    assert r.returncode == 0 and "no longer exposed" in r.stdout


def test_diff_of_a_missing_snapshot_is_an_input_error(tmp_path):
    r = reason("diff", str(FACTS), str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
