"""What AWS gives exactly one of, an answer must not give two of (reasoner/facts/context.py ``Ctx.only_one``,
reasoner/facts/ec2.py): a subnet's network ACL ("Each subnet is associated with one network ACL",
network-acl-associations.html), a subnet's route table ("A subnet can only be associated with one route table at
a time", subnet-route-tables.html), a VPC's main route table, a network ACL entry per rule number and direction
(CreateNetworkAclEntry refuses a number in use).  Read as given, both would apply and either's allow would pass a
packet; an input that says two is refused (``facts.conflict``, exit 2), naming both places.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from reasoner.errors import FactsError
from reasoner.facts.importer import import_aws_configs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))  # the scenario builders of the CLI tests
from test_query import FACTS, REGION, edit as _edit, scenario  # noqa: E402

FIXED = FACTS / "examples" / "seed-fixed"


def _snap(tmp_path: Path) -> Path:
    return scenario(tmp_path, FIXED)


def _lock(subnet: str):
    """A second network ACL that also lists ``subnet`` (the default one still does)."""
    def add(d):
        d["NetworkAcls"].append({"NetworkAclId": "acl-0lock", "VpcId": "vpc-0a1b2c3d", "IsDefault": False,
                                 "Associations": [{"NetworkAclId": "acl-0lock", "SubnetId": subnet}],
                                 "Entries": [{"RuleNumber": 32767, "Protocol": "-1", "RuleAction": "deny", "Egress": e,
                                              "CidrBlock": "0.0.0.0/0"} for e in (True, False)]})
    return add


def test_the_shipped_variant_imports(tmp_path: Path) -> None:
    import_aws_configs(_snap(tmp_path))  # (the base of every case below is well-formed)


def test_a_subnet_listed_by_two_network_acls_is_refused(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    _edit(snap, "NetworkAcls", _lock("subnet-priv-a"))
    with pytest.raises(FactsError) as err:
        import_aws_configs(snap)
    e = err.value
    assert e.code == "facts.conflict" and "subnet-priv-a" in e.message
    assert "acl-0lock" in e.message and "acl-0default" in e.message and "NetworkAcls.json:$.NetworkAcls[" in e.message


def test_the_second_network_acl_may_be_in_another_file(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    lock = {"NetworkAcls": []}
    _lock("subnet-priv-a")(lock)
    (snap / REGION / "NetworkAcls.vpc-2.json").write_text(json.dumps(lock))
    with pytest.raises(FactsError, match="two network ACLs"):
        import_aws_configs(snap)


def test_the_same_network_acl_listed_in_two_files_is_one_association(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    shutil.copy(snap / REGION / "NetworkAcls.json", snap / REGION / "NetworkAcls.copy.json")
    rows = import_aws_configs(snap).relations["subnet_nacl"]
    assert ("subnet-priv-a", "acl-0default") in rows


def test_a_subnet_associated_with_two_route_tables_is_refused(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    _edit(snap, "RouteTables", lambda d: d["RouteTables"][1]["Associations"].append(
        {"AssociationState": {"State": "associated"}, "Main": False, "RouteTableId": "rtb-public",
         "SubnetId": "subnet-priv-a"}) or d["RouteTables"][0]["Associations"].append(
        {"AssociationState": {"State": "associated"}, "Main": False, "RouteTableId": "rtb-main",
         "SubnetId": "subnet-priv-a"}))
    with pytest.raises(FactsError) as err:
        import_aws_configs(snap)
    assert err.value.code == "facts.conflict" and "two route tables" in err.value.message


def test_a_disassociated_route_table_association_does_not_count(tmp_path: Path) -> None:
    """subnet-route-tables.html: an association disassociated routes nothing; the subnet's other table is its one."""
    snap = _snap(tmp_path)
    _edit(snap, "RouteTables", lambda d: [d["RouteTables"][0]["Associations"].append(
        {"AssociationState": {"State": "disassociated"}, "Main": False, "RouteTableId": "rtb-main",
         "SubnetId": "subnet-pub-a"})])
    assert ("rtb-public", "subnet-pub-a") in import_aws_configs(snap).relations["rtb_subnet"]


def test_a_vpc_with_two_main_route_tables_is_refused(tmp_path: Path) -> None:
    snap = _snap(tmp_path)
    _edit(snap, "RouteTables", lambda d: d["RouteTables"][1]["Associations"].append(
        {"AssociationState": {"State": "associated"}, "Main": True, "RouteTableId": "rtb-public"}))
    with pytest.raises(FactsError, match="two main route tables"):
        import_aws_configs(snap)


def _entry(**kw) -> dict:
    return {"CidrBlock": "0.0.0.0/0", "Egress": False, "Protocol": "6", "PortRange": {"From": 8000, "To": 8000},
            "RuleAction": "deny", "RuleNumber": 100, **kw}


def test_two_entries_with_one_number_and_direction_are_refused(tmp_path: Path) -> None:
    """The default ACL's inbound rule 100 allows all; a second inbound 100 denying tcp/8000 read as deciding too made
    the task REACHABLE through rule 100 allow."""
    snap = _snap(tmp_path)
    _edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"][0]["Entries"].append(_entry()))
    with pytest.raises(FactsError) as err:
        import_aws_configs(snap)
    assert err.value.code == "facts.conflict" and "two inbound entries numbered 100" in err.value.message


def test_one_number_in_each_direction_is_two_entries(tmp_path: Path) -> None:
    snap = _snap(tmp_path)  # (the default ACL holds rule 100 outbound and rule 100 inbound, as AWS creates it)
    rows = import_aws_configs(snap).relations["nacl_entry"]
    assert {r[1] for r in rows if r[0] == "acl-0default" and r[2] == 100} == {0, 1}


@pytest.mark.parametrize("egress", ["true", 1, None])
def test_an_entry_whose_direction_is_not_a_boolean_is_refused(tmp_path: Path, egress) -> None:
    """A string "true" was read as inbound, and an entry without Egress too: an outbound deny became an inbound one."""
    snap = _snap(tmp_path)
    _edit(snap, "NetworkAcls", lambda d: d["NetworkAcls"][0]["Entries"].append(_entry(Egress=egress, RuleNumber=90)))
    with pytest.raises(FactsError) as err:
        import_aws_configs(snap)
    assert (err.value.code, (err.value.location or "").endswith(".Egress")) == (
        "facts.missing_field" if egress is None else "facts.bad_value", True)
