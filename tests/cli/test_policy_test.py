"""`reason test POLICY_DIR` (issue 12, item 4): each fixture snapshot must yield exactly its `.expected` violations."""

import shutil

from test_query import ROOT, reason

PACK = ROOT / "policies" / "baseline"


def test_the_shipped_pack_passes_its_own_fixtures():
    r = reason("test", str(PACK))
    assert r.returncode == 0 and "9/9 cases pass" in r.stdout and "PASS  example" in r.stdout, r.stdout + r.stderr
    assert "PASS  db-lb-tagged-exposed" in r.stdout  # eni_tag: the load balancer's tag on its node ENIs


def test_a_wrong_expectation_fails_with_the_difference(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    (pack / "tests" / "fixed.expected").write_text("sg-0alb | load balancer security group without egress to its target\n")
    (pack / "tests" / "example.expected").write_text("# nothing expected\n")
    r = reason("test", str(pack))
    assert r.returncode == 1 and "FAIL  example" in r.stdout and "FAIL  fixed" in r.stdout
    assert "unexpected: sg-0alb | load balancer security group without egress" in r.stdout
    assert "missing:    sg-0alb | load balancer" in r.stdout and "7/9 cases pass" in r.stdout


def test_what_a_policy_cannot_decide_is_compared_too(tmp_path):
    """`undecided(resource, message)` rows are expected as `undecided: resource | message`: a fixture whose policy
    is not decided no longer passes as if it found nothing (the baseline's NET-003 over a group not described)."""
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    r = reason("test", str(pack))
    assert r.returncode == 0 and "PASS  lb-group-not-described" in r.stdout, r.stdout
    (pack / "tests" / "lb-group-not-described.expected").write_text("# nothing expected\n")
    r = reason("test", str(pack))
    assert r.returncode == 1 and "FAIL  lb-group-not-described" in r.stdout
    assert "unexpected: undecided: sg-0alb | NET-003: the load balancer's security group is not in the snapshot" in r.stdout


def test_a_fixture_without_expected_file_or_a_folder_without_policies_is_an_input_error(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    (pack / "tests" / "fixed.expected").unlink()
    r = reason("test", str(pack))
    assert r.returncode == 2 and "fixed.expected: missing" in r.stderr and "Traceback" not in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = reason("test", str(empty))
    assert r.returncode == 2 and "no *.dl policy files" in r.stderr


def test_a_policy_with_an_error_fails_the_case_as_an_input_error(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    (pack / "bad.dl").write_text('violation(E, "x") :- reach("internet", E, _, _, _, _, _).\n')
    r = reason("test", str(pack))
    assert r.returncode == 2 and "per_query_in_policy" in r.stdout + r.stderr and "Traceback" not in r.stderr


def test_an_expected_file_without_its_fixture_folder_is_an_input_error(tmp_path):
    """A typo in a case name (or a fixture folder not committed) must not pass as "N/N cases pass"."""
    pack = tmp_path / "pack"
    shutil.copytree(PACK, pack)
    (pack / "tests" / "typo.expected").write_text("sg-0alb | something\n")
    r = reason("test", str(pack))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "typo.expected" in r.stderr and "no fixture snapshot folder" in r.stderr and "Traceback" not in r.stderr
    assert "cases pass" not in r.stdout
    (pack / "tests" / "typo").write_text("a file, not a folder")
    r = reason("test", str(pack))
    assert r.returncode == 2 and "typo.expected" in r.stderr, r.stdout + r.stderr


def test_a_fixture_on_which_the_policies_are_not_decided_fails_unless_expected(tmp_path):
    """F4 (advS31): a fixture where missing data leaves a pair `can_reach` reads open (an ENI's group not described):
    `reason verify` says "policies not decided" (exit 3), and `reason test` passed it ("1/1 cases pass", exit 0) with
    an empty .expected.  Now the open pair is a row, `not decided: SRC -> DST | can_reach`: the case fails unless its
    .expected lists it."""
    from test_query import FACTS, edit, scenario

    pack = tmp_path / "pack"
    (pack / "tests").mkdir(parents=True)
    (pack / "p.dl").write_text('violation(D, "reached on 23") :- can_reach("eni-0task01", D, "6", Lo, Hi), Lo <= 23, 23 <= Hi.\n')
    snap = scenario(tmp_path, FACTS / "examples" / "seed-fixed")
    edit(snap, "NetworkInterfaces", lambda d: [n.update(Groups=[{"GroupId": "sg-0missing"}]) for n in d["NetworkInterfaces"]
                                               if n["NetworkInterfaceId"] == "eni-0alb0a"])
    shutil.move(snap, pack / "tests" / "undec")
    (pack / "tests" / "undec.expected").write_text("# nothing expected\n")
    v = reason("verify", str(pack / "p.dl"), "--facts", str(pack / "tests" / "undec"))
    assert v.returncode == 3 and "eni-0task01 -> eni-0alb0a" in v.stderr, v.stdout + v.stderr
    r = reason("test", str(pack))
    assert r.returncode == 1 and "FAIL  undec" in r.stdout and "0/1 cases pass" in r.stdout, r.stdout + r.stderr
    assert "unexpected: not decided: eni-0task01 -> eni-0alb0a | can_reach" in r.stdout
    (pack / "tests" / "undec.expected").write_text("not decided: eni-0task01 -> eni-0alb0a | can_reach\n")
    r = reason("test", str(pack))
    assert r.returncode == 0 and "PASS  undec" in r.stdout, r.stdout + r.stderr
