"""Missing data in the estate-wide answers (reasoner/explain/diff.py, audit.py): never read as "no longer exposed",
"no longer reaches" or "0 exposed". Each case answered so, exit 0, before."""

import json

from test_query import FACTS, answer, drop, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def test_the_exposure_audit_leaves_load_balancer_nodes_undecided_without_their_listeners(tmp_path):
    snap = scenario(tmp_path, FIXED)
    drop(snap, "LoadBalancerListeners")
    r = reason("audit", "exposure", "--facts", str(snap), "--format", "json")
    doc = json.loads(r.stdout)
    assert r.returncode == 3 and doc["exposed"] == [] and set(doc["undecided"]) == {"eni-0alb0a", "eni-0alb0b"}, r.stdout


def test_diff_never_reads_missing_data_as_a_loss(tmp_path):
    """The new snapshot lacks its network ACLs: the nodes' exposure and the pairs are undecided, not lost."""
    snap = scenario(tmp_path, FIXED)
    drop(snap, "NetworkAcls")
    r = reason("diff", str(FIXED), str(snap), "--format", "json")
    doc = answer(r.stdout)  # (validated against reason.diff/v1)
    assert r.returncode == 3 and doc["undecided"]["exposure"] and doc["undecided"]["pairs"]
    assert not [c for c in doc["changes"] if c["kind"] in ("unexposed", "lost")], doc["changes"]
    assert {c["dst"] for c in doc["changes"] if c["kind"] == "undecided"} == set(doc["undecided"]["exposure"])
    r = reason("diff", str(FIXED), str(FIXED))  # (nothing missing, nothing changed: exit 0)
    assert r.returncode == 0 and "undecided" not in r.stdout


def test_diff_says_a_pair_or_exposure_the_old_snapshot_left_undecided_is_perhaps_not_new(tmp_path):
    """The old snapshot lacks its network ACLs (every pair and the nodes' exposure undecided), the new one has them:
    "NOW REACHES" alone read as a change in the network, where only what is known changed."""
    old = scenario(tmp_path, FIXED)
    drop(old, "NetworkAcls")
    doc = answer(reason("diff", str(old), str(FIXED), "--format", "json").stdout)
    gained = [c for c in doc["changes"] if c["kind"] in ("gained", "exposed")]
    assert gained and all(c.get("was_undecided") is True for c in gained), gained
    text = reason("diff", str(old), str(FIXED)).stdout
    assert "NOW REACHES  eni-0alb0a -> eni-0task01 tcp 8000 (the old snapshot left it undecided: perhaps not new)" in text
    # decided in both: no such flag (the shipped bug fixed: a real change)
    doc = answer(reason("diff", str(FACTS), str(FIXED), "--format", "json").stdout)
    assert doc["changes"] and not any("was_undecided" in c for c in doc["changes"])
