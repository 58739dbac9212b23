"""`exposed` and `can_reach` in policies (issue 12, item 1): computed over the whole snapshot by the set engine
before the policy runs, with the meaning of `reason audit exposure` and `reason query "* -> *" --all`."""

from test_query import FACTS, answer, reason

FIXED = FACTS / "examples" / "seed-fixed"


def rows(tmp_path, text: str, facts=FACTS):
    f = tmp_path / "p.dl"
    f.write_text(text)
    r = reason("verify", str(f), "--facts", str(facts), "--format", "json")
    assert "Traceback" not in r.stderr, r.stderr
    return r.returncode, sorted(tuple(v["row"]) for v in answer(r.stdout)["violations"])


def test_the_issue_policy_is_refused_instead_of_passing_silently(tmp_path):
    f = tmp_path / "open.dl"
    f.write_text('violation(E, "open") :- reach("internet", E, _, _, _, _, _).\n')
    r = reason("verify", str(f))
    assert r.returncode == 2 and "open.dl:1:25: error[per_query_in_policy]" in r.stderr
    assert "use exposed(eni, proto, port_lo, port_hi)" in r.stderr and "Traceback" not in r.stderr


def test_exposed_holds_for_the_load_balancer_nodes_on_their_listener_port(tmp_path):
    code, found = rows(tmp_path, 'violation(E, "web") :- exposed(E, "6", Lo, Hi), Lo <= 80, 80 <= Hi.\n'
                                 'violation(E, "ssh") :- exposed(E, "6", Lo, Hi), Lo <= 22, 22 <= Hi.\n')
    assert code == 1 and found == [("eni-0alb0a", "web"), ("eni-0alb0b", "web")]


def test_can_reach_shows_the_alb_egress_bug_and_its_fix(tmp_path):
    policy = ('violation(D, "alb reaches the task") :- can_reach(S, D, "6", Lo, Hi), Lo <= 8000, 8000 <= Hi, '
              'lb_eni(_, S).\n')
    assert rows(tmp_path, policy) == (0, [])  # the shipped snapshot: the ALB's SG has no egress
    code, found = rows(tmp_path, policy, FIXED)
    assert code == 1 and {d for d, _ in found} == {"eni-0task01"}
