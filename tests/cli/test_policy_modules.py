"""Policy files as modules (issue 12, item 3): helpers private to their file, folders combined by `reason verify`."""

from test_query import FACTS, answer, reason


def test_two_folders_with_the_same_helper_name_combine(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir(), two.mkdir()
    (one / "p.dl").write_text('.decl grp(sg: symbol)\ngrp(S) :- lb_sg(_, S).\nviolation(S, "lb sg") :- grp(S).\n')
    (two / "p.dl").write_text('.decl violation(resource: symbol, message: symbol)\n.decl grp(sg: symbol)\n'
                              'grp(E) :- exposed(E, "6", Lo, Hi), Lo <= 80, 80 <= Hi.\nviolation(E, "web") :- grp(E).\n')
    r = reason("verify", str(one), str(two), "--facts", str(FACTS), "--format", "json")
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    rows = sorted(tuple(v["row"]) for v in answer(r.stdout)["violations"])
    assert rows == [("eni-0alb0a", "web"), ("eni-0alb0b", "web"), ("sg-0alb", "lb sg")]
