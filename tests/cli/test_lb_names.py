"""Load balancers and target groups named by their names (``alb:NAME``, ``nlb:NAME``, ``tg:NAME``): a name is unique
per account and Region only (CreateLoadBalancer and CreateTargetGroup, Name), so two of one name in a snapshot of
several Regions or accounts are refused, never the first one taken: `assert unreachable internet -> alb:web tcp 443`
passed as a proof of isolation while the other `web` was reachable (reasoner/query/endpoints.py)."""

import shutil

from test_query import FACTS, REGION, edit, reason, scenario


def _second_region(tmp_path):
    """The shipped example, and a copy of its Region's answers as us-west-2 (the same names, other ARNs)."""
    snap = scenario(tmp_path)
    west = snap / "aws_configs" / "us-west-2"
    shutil.copytree(snap / REGION, west)
    for path in west.glob("*.json"):
        text = path.read_text().replace("us-east-1", "us-west-2")
        for prefix in ("subnet-", "vpc-", "eni-", "sg-", "acl-", "rtb-", "igw-"):  # (other resources, the same names)
            text = text.replace(f'"{prefix}', f'"{prefix}9')
        path.write_text(text)
    return snap


def test_two_load_balancers_of_one_name_are_refused_not_the_first_taken(tmp_path):
    snap = _second_region(tmp_path)
    for query in ("internet -> alb:web tcp 80", "alb:web -> tg:task-tg tcp 8000"):
        r = reason("query", "--facts", str(snap), query)
        assert r.returncode == 2 and "error[query.ambiguous]" in r.stderr and "us-west-2" in r.stderr, r.stderr
    r = reason("health", "--facts", str(snap), "tg:task-tg")
    assert r.returncode == 2 and "2 target groups are called 'task-tg'" in r.stderr, r.stderr
    (snap / "iso.reason").write_text("assert unreachable internet -> alb:web tcp 443\n")
    r = reason("verify", "--facts", str(snap), str(snap / "iso.reason"))
    assert r.returncode == 2 and "PASS" not in r.stdout, r.stdout
    # by its ARN, each is asked on its own
    arn = "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
    assert reason("query", "--facts", str(snap), f"internet -> {arn} tcp 80").returncode in (0, 1, 3)
