"""An audit over every ENI of a snapshot that holds no list of ENIs (no NetworkInterfaces answer) is not decided:
"nothing exposed" / "no two groups connect" would be about the ENIs it happens to hold (rules/missing_data.dl
``estate_unknown``).  Exit 3, naming the missing answer; what is known to be exposed still exits 1."""

import json
import shutil

from test_query import FACTS, REGION, reason


def _without(tmp_path, *files):
    facts = tmp_path / "snap"
    shutil.copytree(FACTS, facts, ignore=shutil.ignore_patterns("examples"))
    for f in files:
        (facts / REGION / f).unlink()
    return facts


def test_exposure_of_a_region_without_enis_is_not_decided(tmp_path):
    facts = tmp_path / "vpcs-only"
    (facts / REGION).mkdir(parents=True)
    shutil.copy(FACTS / REGION / "Vpcs.json", facts / REGION / "Vpcs.json")
    r = reason("audit", "exposure", "--facts", str(facts), "--format", "json")
    assert r.returncode == 3 and "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["exposed"] == [] and any("NetworkInterfaces" in w for w in doc["warnings"])


def test_exposure_without_the_eni_list_names_it_and_keeps_what_is_known(tmp_path):
    facts = _without(tmp_path, "NetworkInterfaces.json")
    r = reason("audit", "exposure", "--facts", str(facts))
    assert r.returncode == 1  # the ALB's nodes (derived from the load balancer) are exposed on tcp 80 for certain
    assert "no NetworkInterfaces answer" in r.stderr


def test_exposure_of_a_complete_snapshot_is_unchanged(tmp_path):
    r = reason("audit", "exposure", "--facts", str(FACTS), "--format", "json")
    assert r.returncode == 1 and not any("NetworkInterfaces" in w for w in json.loads(r.stdout)["warnings"])


FIXED = FACTS / "examples" / "seed-fixed"


def test_pairs_that_only_missing_data_keeps_apart_are_not_decided(tmp_path):
    """seed-fixed, with the task's own rule gone and a second security group on its ENI that the snapshot does not
    describe: the ALB's nodes reach the task on tcp/8000 exactly when that group admits them.  Before, the
    segmentation audit left such pairs out: "0 connect", exit 0."""
    facts = tmp_path / "snap"
    shutil.copytree(FIXED, facts)
    enis = facts / REGION / "NetworkInterfaces.json"
    doc = json.loads(enis.read_text())
    for e in doc["NetworkInterfaces"]:
        if e["NetworkInterfaceId"] == "eni-0task01":
            e["Groups"].append({"GroupId": "sg-0gone", "GroupName": "not-collected"})
    enis.write_text(json.dumps(doc))
    sgs = facts / REGION / "SecurityGroups.json"
    doc = json.loads(sgs.read_text())
    for g in doc["SecurityGroups"]:
        if g["GroupId"] == "sg-0task":
            g["IpPermissions"] = []
    sgs.write_text(json.dumps(doc))
    r = reason("audit", "pairs", "--facts", str(facts), "tcp", "8000", "--format", "json")
    assert r.returncode == 3 and "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["cells"] == [] and any(c["to"] == "subnet-priv-a" and c["from"].startswith("subnet-pub")
                                      for c in doc["undecided"])
    r = reason("audit", "pairs", "--facts", str(facts), "tcp", "8000")
    assert r.returncode == 3 and "not decided" in r.stdout
    # the same snapshot with the group described (admitting nothing): decided, nothing connects
    doc = json.loads(sgs.read_text())
    doc["SecurityGroups"].append({"GroupId": "sg-0gone", "GroupName": "not-collected", "VpcId": "vpc-0a1b2c3d",
                                  "IpPermissions": [], "IpPermissionsEgress": []})
    sgs.write_text(json.dumps(doc))
    r = reason("audit", "pairs", "--facts", str(facts), "tcp", "8000", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["undecided"] == []


def test_pairs_without_the_eni_list_is_not_decided(tmp_path):
    facts = _without(tmp_path, "NetworkInterfaces.json")
    r = reason("audit", "pairs", "--facts", str(facts), "tcp", "8000")
    assert r.returncode == 3 and "no NetworkInterfaces answer" in r.stderr
