"""A security group rule with a missing TCP port range is a malformed row: exit 2 naming it, never every port
(tests/facts/test_port_ranges.py has the importer's cases and the AWS references)."""

import json
from pathlib import Path
import shutil

from test_query import FACTS, REGION, reason


def test_the_cli_names_the_malformed_rule(tmp_path: Path) -> None:
    """Through the CLI: exit 2 with the rule's location, no traceback (the shipped example, one rule broken)."""
    facts = tmp_path / "snap"
    shutil.copytree(FACTS, facts, ignore=shutil.ignore_patterns("examples"))
    path = facts / REGION / "SecurityGroups.json"
    doc = json.loads(path.read_text())
    perm = doc["SecurityGroups"][0]["IpPermissions"][0]
    perm.pop("FromPort", None)
    perm.pop("ToPort", None)
    perm["IpProtocol"] = "tcp"
    path.write_text(json.dumps(doc))
    r = reason("query", "--facts", str(facts), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "Traceback" not in r.stderr and "port range" in (r.stdout + r.stderr)
