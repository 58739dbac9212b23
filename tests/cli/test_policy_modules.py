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


def test_a_file_whose_name_is_another_files_fallback_tag_keeps_its_helpers(tmp_path):
    """z/a.dl, z/a2.dl, w/a.dl: w/a.dl's helpers were tagged "a" + its index 2, the tag of z/a2.dl's own, and two
    valid files were refused (duplicate_decl: 'grp#a2' is declared twice). Each file's tag is unique now."""
    z, w = tmp_path / "z", tmp_path / "w"
    z.mkdir(), w.mkdir()
    (z / "a.dl").write_text('violation(S, "lb sg") :- lb_sg(_, S).\n')
    (z / "a2.dl").write_text('.decl grp(sg: symbol)\ngrp(S) :- lb_sg(_, S).\nviolation(S, "lb sg, z") :- grp(S).\n')
    (w / "a.dl").write_text('.decl grp(sg: symbol)\ngrp("sg-0task").\nviolation(S, "task sg, w") :- grp(S).\n')
    r = reason("verify", str(z / "a.dl"), str(z / "a2.dl"), str(w / "a.dl"), "--facts", str(FACTS), "--format", "json")
    assert r.returncode == 1 and "duplicate_decl" not in r.stdout + r.stderr, r.stdout + r.stderr
    rows = sorted(tuple(v["row"]) for v in answer(r.stdout)["violations"])
    assert rows == [("sg-0alb", "lb sg"), ("sg-0alb", "lb sg, z"), ("sg-0task", "task sg, w")]
