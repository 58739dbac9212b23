"""An alias of reason.toml names something new: it may not take the name of a keyword, an address or a resource
of the snapshot, which would make a query silently ask about something else than what it says (exit 2)."""

import shutil

import pytest

from test_query import FACTS, reason


@pytest.mark.parametrize("alias, target, hidden", [
    ("internet", "eni-0alb0a", "the keyword 'internet'"),
    ("*", "eni-0alb0a", "the keyword '*'"),
    ("eni-0task01", "eni-0alb0a", "the resource eni-0task01"),
    ("sg-0task", "eni-0alb0a", "the resource sg-0task"),
    ("10.0.1.10", "eni-0alb0a", "an address"),
    ("10.0.0.0/16", "eni-0alb0a", "an address"),
    ("alb:web", "eni-0alb0a", "a name of the query language"),
    ("tg:anything", "eni-0alb0a", "a name of the query language"),
    ("tag:tier=web", "eni-0alb0a", "a name of the query language"),
])
def test_an_alias_that_would_hide_a_name_is_an_input_error(tmp_path, alias, target, hidden):
    facts = tmp_path / "snap"
    shutil.copytree(FACTS, facts, ignore=shutil.ignore_patterns("examples"))
    (facts / "reason.toml").write_text(f'[aliases]\n"{alias}" = "{target}"\n')
    r = reason("query", "--facts", str(facts), "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    err = r.stdout + r.stderr
    assert "would hide" in err and hidden in err and "reason.toml" in err


def test_an_alias_of_a_new_name_and_one_over_a_name_tag_still_work(tmp_path):
    facts = tmp_path / "snap"
    shutil.copytree(FACTS, facts, ignore=shutil.ignore_patterns("examples"))
    # "web-task" is the Name tag of the task's ENI: an alias may stand in front of a Name tag
    (facts / "reason.toml").write_text('[aliases]\nbalancer = "eni-0alb0a"\nweb-task = "eni-0task01"\n')
    r = reason("query", "--facts", str(facts), "balancer -> web-task tcp 8000")
    assert r.returncode == 1 and "ENI_SG_RULES_MISMATCH" in r.stdout  # the shipped ALB egress bug, by the new name


def test_every_alias_that_would_hide_a_name_is_named_at_once(tmp_path):
    """Two bad aliases: both are named in one error, so one edit of reason.toml mends them (before, only the first
    was, and the user found the second on the next run)."""
    facts = tmp_path / "snap"
    shutil.copytree(FACTS, facts, ignore=shutil.ignore_patterns("examples"))
    (facts / "reason.toml").write_text('[aliases]\ninternet = "eni-0alb0a"\n"10.0.1.10" = "eni-0alb0a"\nok = "eni-0alb0a"\n')
    r = reason("query", "--facts", str(facts), "ok -> task-eni tcp 8000")
    assert r.returncode == 2, r.stdout + r.stderr
    err = r.stdout + r.stderr
    assert "'internet' would hide the keyword 'internet'" in err and "'10.0.1.10' would hide an address" in err, err
    assert "'ok'" not in err
