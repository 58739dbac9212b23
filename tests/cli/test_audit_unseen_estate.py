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
