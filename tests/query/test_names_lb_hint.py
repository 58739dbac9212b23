"""A bare load balancer or target group name says how to name it (it said "unknown endpoint 'arn:aws:...'")."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_bare_load_balancer_or_target_group_name_says_how_to_name_it():
    for q, needle in (("alb-eni -> web tcp 8000", "name it alb:web"), ("alb-eni -> task-tg tcp 8000", "name it tg:task-tg")):
        r = subprocess.run(["reason", "query", q], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "error[query.unknown_name]" in r.stderr and needle in r.stderr and "arn:" not in r.stderr


def test_an_ecs_service_without_tasks_in_the_snapshot_says_so(tmp_path):
    """It said "unknown endpoint 'arn:aws:ecs:...:service/prod/web'", its hint listing ecs:prod/web itself."""
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts", snap, ignore=shutil.ignore_patterns("examples"))
    (snap / "aws_configs" / "us-east-1" / "EcsTasks.json").unlink()
    r = subprocess.run(["reason", "query", "--facts", str(snap), "alb-eni -> ecs:prod/web tcp 8000"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "error[query.empty_set]" in r.stderr and "no EcsTasks answer" in r.stderr


def test_the_hint_for_an_unknown_name_offers_a_target_group_as_a_query_names_it():
    """It offered the bare `task-tg`, which the query then refused ("name it tg:task-tg")."""
    r = subprocess.run(["reason", "query", "task-tgg -> alb-eni tcp 8000"], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "did you mean:" in r.stderr and "tg:task-tg" in r.stderr, r.stderr
    assert " task-tg," not in r.stderr and " task-tg?" not in r.stderr, r.stderr


def test_a_misspelt_ecs_service_of_a_known_cluster_is_an_unknown_name_with_close_matches(tmp_path):
    """``ecs:prod/wbe``: the cluster prod is known and the snapshot lists its services and tasks, so no service wbe
    exists.  It said "ecs:prod/wbe has no running task with a network interface in the snapshot" (as for a service
    without tasks), with no hint; it is an unknown name, offering ecs:prod/web.  A service of a known cluster that the
    snapshot cannot list (no EcsServices or EcsTasks answer) still says what is missing."""
    import shutil

    r = subprocess.run(["reason", "query", "ecs:prod/wbe -> task-eni tcp 8000"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 2 and "error[query.unknown_name]" in r.stderr and "ecs:prod/web" in r.stderr, r.stderr
    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts", snap, ignore=shutil.ignore_patterns("examples"))
    (snap / "aws_configs" / "us-east-1" / "EcsTasks.json").unlink()
    (snap / "aws_configs" / "us-east-1" / "EcsServices.json").unlink()
    r = subprocess.run(["reason", "query", "--facts", str(snap), "ecs:prod/wbe -> task-eni tcp 8000"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "error[query.empty_set]" in r.stderr and "no EcsTasks answer" in r.stderr, r.stderr
