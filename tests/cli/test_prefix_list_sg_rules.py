"""Security group rules that name a prefix list (security-group-rules.html: a rule's source or destination is a
CIDR block, a security group or a prefix list; managed-prefix-lists.html): a rule to a prefix list answers as the
same rule to the list's CIDR blocks, inbound and outbound; a list whose entries the snapshot lacks leaves the group
undecided (INCONCLUSIVE naming the list), never blocked and never open.

On the fixed example (facts/examples/seed-fixed: the ALB's group sends tcp 8000 to the task's group, which admits it
from the ALB's group), one of the two references is replaced by an address rule."""

from __future__ import annotations

import json

import pytest
from test_query import FACTS, REGION, edit, query_json, scenario

QUERY = "alb-eni -> task-eni tcp 8000"  # 10.0.1.10 (subnet-pub-a) -> 10.0.11.20 (subnet-priv-a)

#: direction -> (the group whose rule changes, its rule list, the CIDR of the other end)
SIDES = {"ingress": ("sg-0task", "IpPermissions", "10.0.1.0/24"), "egress": ("sg-0alb", "IpPermissionsEgress", "10.0.11.0/24")}


def _rule(tmp_path, direction: str, via: str, cidr: str | None = None):
    group, key, default = SIDES[direction]
    cidr = cidr or default
    snap = scenario(tmp_path / f"{direction}-{via}-{cidr.replace('/', '_')}", FACTS / "examples" / "seed-fixed")

    def change(d):
        perm = next(g for g in d["SecurityGroups"] if g["GroupId"] == group)[key][0]
        perm["UserIdGroupPairs"] = []
        if via == "cidr":
            perm["IpRanges"] = [{"CidrIp": cidr}]
        else:
            perm["PrefixListIds"] = [{"PrefixListId": "pl-peer"}]
    edit(snap, "SecurityGroups", change)
    if via == "list":
        (snap / REGION / "PrefixLists.json").write_text(json.dumps({"PrefixLists": [
            {"PrefixListId": "pl-peer", "PrefixListName": "peer", "Cidrs": [cidr]}]}))
    return snap


@pytest.mark.parametrize("direction", ["ingress", "egress"])
@pytest.mark.parametrize("cidr, verdict", [(None, "reachable"), ("192.168.0.0/16", "unreachable")])
def test_a_rule_to_a_prefix_list_answers_as_the_same_rule_to_its_cidr(tmp_path, direction, cidr, verdict):
    by_cidr = query_json(_rule(tmp_path, direction, "cidr", cidr), QUERY)
    by_list = query_json(_rule(tmp_path, direction, "list", cidr), QUERY)
    assert by_cidr[0] == by_list[0] and by_cidr[1]["verdict"] == by_list[1]["verdict"] == verdict
    assert ([(e["code"], e["component"]) for e in by_cidr[1]["explanations"]]
            == [(e["code"], e["component"]) for e in by_list[1]["explanations"]])


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_a_rule_to_a_prefix_list_the_snapshot_lacks_leaves_the_group_undecided(tmp_path, direction):
    code, out = query_json(_rule(tmp_path, direction, "missing"), QUERY)  # (no PrefixLists answer)
    assert code == 3 and out["verdict"] == "inconclusive"
    assert {(m["hop"], m["component"]) for m in out["missing"]} == {(f"fwd_sg_{direction}", "pl-peer")}


# -- a managed prefix list caught changing, or whose change failed -------------------------------------------------
# API_ManagedPrefixList State: create-, modify-, restore-, delete- each in-progress, complete or failed.  "Adding or
# removing entries in a prefix list creates a new version", applied to the resources that reference it; "If any of the
# resources that reference the prefix list cannot support the new maximum size, the modify operation fails"
# (API_ModifyManagedPrefixList).  Only a completed creation, modification or restoration leaves the version the
# snapshot shows in force; in any other State it or the one before applies.  Every such State was read as settled.

SETTLED = ["create-complete", "modify-complete", "restore-complete", None]  # (None: no State, an AWS-managed list)
UNSETTLED = ["create-in-progress", "create-failed", "modify-in-progress", "modify-failed", "restore-in-progress",
             "restore-failed", "delete-in-progress", "delete-complete", "delete-failed", "some-new-state"]


def _managed(tmp_path, direction: str, state: str | None, cidr: str | None = None, also_cidr: str | None = None):
    """The rule names pl-peer, described by describe-managed-prefix-lists with its entries and ``state``; with
    ``also_cidr``, the group also admits that block by an address rule."""
    snap = _rule(tmp_path / str(state), direction, "managed", cidr)
    group, key, default = SIDES[direction]
    (snap / REGION / "ManagedPrefixLists.json").write_text(json.dumps({"ManagedPrefixLists": [
        {"PrefixListId": "pl-peer", "PrefixListName": "peer", "AddressFamily": "IPv4", "MaxEntries": 5,
         "OwnerId": "123456789012", "Entries": [{"Cidr": cidr or default}], **({"State": state} if state else {})}]}))
    if also_cidr:
        edit(snap, "SecurityGroups", lambda d: next(g for g in d["SecurityGroups"] if g["GroupId"] == group)[key][0]
             .update(IpRanges=[{"CidrIp": also_cidr}]))
    return snap


@pytest.mark.parametrize("direction", ["ingress", "egress"])
@pytest.mark.parametrize("state", SETTLED)
def test_a_rule_to_a_settled_managed_prefix_list_answers_by_its_entries(tmp_path, direction, state):
    code, out = query_json(_managed(tmp_path, direction, state), QUERY)
    assert code == 0 and out["verdict"] == "reachable"
    assert query_json(_managed(tmp_path / "narrow", direction, state, "192.168.0.0/16"), QUERY)[0] == 1


@pytest.mark.parametrize("direction", ["ingress", "egress"])
@pytest.mark.parametrize("state", UNSETTLED)
def test_a_rule_to_a_prefix_list_caught_changing_or_failed_is_undecided(tmp_path, direction, state):
    """API_ModifyManagedPrefixList, API_ManagedPrefixList: in any State but create-, modify- or restore-complete the
    entries the snapshot shows may not be those in force: INCONCLUSIVE naming the list and its State, whether the
    entries shown admit the packet (it was REACHABLE) or not (the old version may: it was UNREACHABLE), for a point
    question and a set one."""
    for cidr in (None, "192.168.0.0/16"):
        snap = _managed(tmp_path / str(cidr).replace("/", "_"), direction, state, cidr)
        for question in (QUERY, "* -> task-eni tcp 8000" if direction == "ingress" else "alb-eni -> * tcp 8000"):
            code, out = query_json(snap, question)
            assert code == 3 and out["verdict"] == "inconclusive", (question, cidr, out["verdict"])
            assert {(m["hop"], m["component"]) for m in out["missing"]} == {(f"fwd_sg_{direction}", "pl-peer")}
            text = " ".join(m["message"] for m in out["missing"])
            assert (state if state != "some-new-state" else "does not name") in text, text


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_a_rule_to_a_prefix_list_caught_changing_does_not_matter_when_another_rule_admits(tmp_path, direction):
    """Security groups only allow (security-group-rules.html): another rule of the group admitting the packet decides
    it, whatever the list's entries."""
    _, _, default = SIDES[direction]
    code, out = query_json(_managed(tmp_path, direction, "modify-in-progress", "192.168.0.0/16", also_cidr=default), QUERY)
    assert code == 0 and out["verdict"] == "reachable" and not out["missing"]
