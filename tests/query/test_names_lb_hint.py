"""A bare load balancer or target group name says how to name it (it said "unknown endpoint 'arn:aws:...'")."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_bare_load_balancer_or_target_group_name_says_how_to_name_it():
    for q, needle in (("alb-eni -> web tcp 8000", "name it alb:web"), ("alb-eni -> task-tg tcp 8000", "name it tg:task-tg")):
        r = subprocess.run(["reason", "query", q], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "error[query.unknown_name]" in r.stderr and needle in r.stderr and "arn:" not in r.stderr
