"""ECS clusters and services named by their names (``ecs:CLUSTER``, ``ecs:CLUSTER/SERVICE``): a name is unique per
account and Region only (a service's ARN is arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE:
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html, serviceArn), so two of one name are
refused (`query.ambiguous`, exit 2, listing their ARNs), never joined: `ecs:prod/web -> internet` answered through
another account's public task, and `assert reachable` passed on it (reasoner/query/names.py Resolver.ecs). Either is
named by its ARN: ``ecs:arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/SERVICE``, ``ecs:arn:...:cluster/CLUSTER``."""

import json

from test_query import REGION, copy_answers, reason, scenario

EAST = "arn:aws:ecs:us-east-1:123456789012"
OTHER = "arn:aws:ecs:us-east-1:222222222222"


def _second_account(tmp_path):
    """The shipped example, and a copy of its answers as account 222222222222's (the same names, other ARNs and ids)."""
    snap = scenario(tmp_path)
    copy_answers(snap, snap / "aws_configs" / "222222222222" / "us-east-1", "123456789012", "222222222222")
    return snap


def test_two_ecs_services_of_one_name_are_refused_and_named_by_arn(tmp_path):
    snap = _second_account(tmp_path)
    for q, kind in (("ecs:prod/web -> internet tcp 443", "services"), ("internet -> ecs:prod tcp 8000", "clusters")):
        r = reason("query", "--facts", str(snap), q)
        assert r.returncode == 2 and "error[query.ambiguous]" in r.stderr and f"2 ECS {kind}" in r.stderr, r.stderr
        assert "222222222222" in r.stderr and "123456789012" in r.stderr and "ecs:arn:aws:ecs:" in r.stderr, r.stderr
    (snap / "a.reason").write_text("assert reachable ecs:prod/web -> alb:web tcp 80\n")
    r = reason("verify", "--facts", str(snap), str(snap / "a.reason"))
    assert r.returncode == 2 and "PASS" not in r.stdout, r.stdout
    # by its ARN (service or cluster), each is asked on its own: its own task's ENI, never the other's
    for arn, own, other in ((f"{EAST}:service/prod/web", "eni-0task01", "eni-90task01"),
                            (f"{OTHER}:service/prod/web", "eni-90task01", "eni-0task01"),
                            (f"{OTHER}:cluster/prod", "eni-90task01", "eni-0task01")):
        r = reason("query", "--facts", str(snap), "--format", "json", f"ecs:{arn} -> internet tcp 443")
        assert r.returncode in (0, 1, 3), r.stderr
        text = json.dumps(json.loads(r.stdout))
        assert own in text and other not in text, (arn, text[:2000])


def test_an_ecs_name_of_one_account_still_resolves_and_unknown_names_get_hints(tmp_path):
    snap = scenario(tmp_path)
    assert reason("query", "--facts", str(snap), "ecs:prod/web -> internet tcp 443").returncode in (0, 1, 3)
    assert reason("query", "--facts", str(snap), f"ecs:{EAST}:service/prod/web -> internet tcp 443").returncode in (0, 1, 3)
    r = reason("query", "--facts", str(snap), "ecs:prd/web -> internet tcp 443")
    assert r.returncode == 2 and "did you mean" in r.stderr and "ecs:prod/web" in r.stderr, r.stderr
