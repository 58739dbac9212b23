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
