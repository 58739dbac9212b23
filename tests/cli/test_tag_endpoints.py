"""`tag:KEY=VALUE` as a side of a query: every ENI tagged so, as eni_tag (rules/tags.dl) reads its tags: its own, else
its ECS task's or load balancer's, else its instance's. A set, answered existentially; an empty one is an error
naming the values the key has, never a set that passes for isolation."""

import json

from test_query import FACTS, answer, edit, reason, scenario

FIXED = FACTS / "examples" / "seed-fixed"


def _tag_task(data: dict, value: str) -> None:
    for w in data["EcsTasks"]:
        for t in w["Tasks"]:
            t["tags"] = [{"key": "tier", "value": value}]


def test_a_tag_names_the_enis_it_tags_with_the_verdict_of_the_eni(tmp_path):
    by_tag = reason("query", "--format", "json", "alb-eni -> tag:Name=web-task tcp 8000")  # the task ENI's own tag
    by_id = reason("query", "--format", "json", "alb-eni -> eni-0task01 tcp 8000")
    assert by_tag.returncode == by_id.returncode == 1
    a, b = answer(by_tag.stdout), answer(by_id.stdout)
    assert a["query"] == "alb-eni -> tag:Name=web-task tcp 8000"
    assert [e["code"] for e in a["explanations"]] == [e["code"] for e in b["explanations"]] == ["ENI_SG_RULES_MISMATCH"]


def test_a_task_tag_names_the_task_eni_and_the_fixed_alb_reaches_it(tmp_path):
    snap = scenario(tmp_path, FIXED)
    edit(snap, "EcsTasks", lambda d: _tag_task(d, "app"))
    r = reason("query", "--facts", str(snap), "--format", "json", "alb-eni -> tag:tier=app tcp 8000")
    assert r.returncode == 0, r.stdout + r.stderr
    assert answer(r.stdout)["reachable"] and "eni-0task01" in r.stdout
    # as an isolation assertion: the task does not reach the ALB's nodes on 22
    (tmp_path / "q.reason").write_text("assert unreachable tag:tier=app -> alb-eni tcp 22\n")
    v = reason("verify", str(tmp_path / "q.reason"), "--facts", str(snap))
    assert v.returncode == 0 and "proof of isolation" in v.stdout, v.stdout + v.stderr


def test_an_empty_or_malformed_tag_is_an_input_error_with_the_values_the_key_has(tmp_path):
    snap = scenario(tmp_path, FIXED)
    edit(snap, "EcsTasks", lambda d: _tag_task(d, "app"))
    r = reason("query", "--facts", str(snap), "alb-eni -> tag:tier=ap tcp 8000")
    assert r.returncode == 2 and "no network interface is tagged tier=ap" in r.stderr
    assert "did you mean: tag:tier=app" in r.stderr and "Traceback" not in r.stderr
    r = reason("query", "--facts", str(snap), "alb-eni -> tag:team=x tcp 8000")
    assert r.returncode == 2 and "no network interface has a tag team" in r.stderr
    for bad in ("tag:tier", "tag:=app", "tag:"):
        r = reason("query", "--facts", str(snap), f"alb-eni -> {bad} tcp 8000")
        assert r.returncode == 2 and "error[query.bad_tag]" in r.stderr and "tag:KEY=VALUE" in r.stderr, bad


def test_both_engines_name_the_same_enis(tmp_path):
    """A snapshot with many tags of one key reads eni_tag from the set engine (session.TAGS_POINT), one with a few from
    pyDatalog; REASON_ENGINE=set/point force either: same members, same verdict."""
    import os
    import subprocess

    snap = scenario(tmp_path, FIXED)
    edit(snap, "EcsTasks", lambda d: _tag_task(d, "app"))

    def run(engine: str) -> tuple[int, dict]:
        r = subprocess.run(["reason", "query", "--facts", str(snap), "--format", "json", "--all",
                            "tag:tier=app -> alb-eni any"], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "REASON_ENGINE": engine})
        return r.returncode, answer(r.stdout)

    (c1, a), (c2, b) = run("set"), run("point")
    assert c1 == c2 == 0 and a["reachable"] and b["reachable"]
    assert json.dumps(a["classes"], sort_keys=True) == json.dumps(b["classes"], sort_keys=True)


def test_a_hostile_tag_value_in_the_hint_is_escaped(tmp_path):
    """Tag values are data: a terminal escape or rich markup in one is shown escaped in the hint, never run."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "EcsTasks", lambda d: _tag_task(d, "app\x1b[31mRED\x1b]8;;http://x\x07[bold]b[/bold]"))
    r = reason("query", "--facts", str(snap), "alb-eni -> tag:tier=ap tcp 8000")
    # (too unlike "ap" to be a close match; written in quotes, with JSON escapes: it holds control characters)
    assert r.returncode == 2 and 'hint: known names: "tag:tier=app\\u001b[31mRED' in r.stderr, r.stderr
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr and "[bold]b[/bold]" in r.stderr


def test_names_with_spaces_commas_and_quotes_are_written_in_quotes(tmp_path):
    """AWS tag values may hold spaces and other characters ("Generally allowed characters are letters, numbers, and
    spaces representable in UTF-8, and + - = . _ : / @", ECS Tag docs; EC2 takes more): such a name is written in
    double quotes; answers and hints write it so, and what they write can be pasted back."""
    snap = scenario(tmp_path, FIXED)

    def tag(d: dict) -> None:
        for w in d["EcsTasks"]:
            for t in w["Tasks"]:
                t["tags"] = [{"key": "Team", "value": 'Data Eng, "EU"'}]

    def name(d: dict) -> None:
        for n in d["NetworkInterfaces"]:
            if n["NetworkInterfaceId"] == "eni-0task01":
                n["TagSet"] = [{"Key": "Name", "Value": "web task #1"}]

    edit(snap, "EcsTasks", tag)
    edit(snap, "NetworkInterfaces", name)
    r = reason("query", "--facts", str(snap), "--format", "json", 'alb-eni -> "tag:Team=Data Eng, \\"EU\\"" tcp 8000')
    assert r.returncode == 0, r.stdout + r.stderr
    doc = answer(r.stdout)
    assert doc["reachable"] and doc["query"] == 'alb-eni -> "tag:Team=Data Eng, \\"EU\\"" tcp 8000'
    again = reason("query", "--facts", str(snap), "--format", "json", doc["query"])  # the answer's query, pasted back
    assert again.returncode == 0 and answer(again.stdout)["reachable"]
    value_quoted = reason("query", "--facts", str(snap), "--format", "json", 'alb-eni -> tag:Team="Data Eng, \\"EU\\"" tcp 8000')
    assert value_quoted.returncode == 0 and answer(value_quoted.stdout)["query"] == doc["query"]
    r = reason("query", "--facts", str(snap), "alb-eni -> \"web task #1\" tcp 8000")
    assert r.returncode == 0 and "eni-0task01" in r.stdout, r.stdout + r.stderr
    # a typo: the hint quotes the names it offers
    r = reason("query", "--facts", str(snap), 'alb-eni -> "tag:Team=Data Eng, \\"UE\\"" tcp 8000')
    assert r.returncode == 2 and 'did you mean: "tag:Team=Data Eng, \\"EU\\""?' in r.stderr, r.stderr
    r = reason("query", "--facts", str(snap), 'alb-eni -> "web tusk #1" tcp 8000')
    assert r.returncode == 2 and '"web task #1"' in r.stderr, r.stderr
    # in a saved assertion, the '#' inside quotes is part of the name
    (tmp_path / "q.reason").write_text('assert reachable alb-eni -> "web task #1" tcp 8000  # the fixed ALB\n')
    v = reason("verify", str(tmp_path / "q.reason"), "--facts", str(snap))
    assert v.returncode == 0, v.stdout + v.stderr


def _tag_eni(data: dict, eni: str, key: str, value: str) -> None:
    for n in data["NetworkInterfaces"]:
        if n["NetworkInterfaceId"] == eni:
            n["TagSet"] = [*n.get("TagSet", []), {"Key": key, "Value": value}]


def test_a_tag_key_holding_an_equals_sign_is_named_by_the_one_reading_that_tags_something(tmp_path):
    """AWS tag keys may hold "=" (allowed characters: letters, digits, spaces and _ . : / = + - @), so tag:a=b=c may mean
    key "a=b" value "c" or key "a" value "b=c": the reading under which some ENI is tagged is taken; when both tag some
    ENI, the query is refused with both readings, never answered for one of them."""
    snap = scenario(tmp_path, FIXED)
    edit(snap, "NetworkInterfaces", lambda d: _tag_eni(d, "eni-0task01", "team=eu", "data"))
    r = reason("query", "--facts", str(snap), "--format", "json", "alb-eni -> tag:team=eu=data tcp 8000")
    assert r.returncode == 0, r.stdout + r.stderr
    assert answer(r.stdout)["reachable"] and "eni-0task01" in r.stdout
    # a close miss names the values of the key that holds "="
    r = reason("query", "--facts", str(snap), "alb-eni -> tag:team=eu=dat tcp 8000")
    assert r.returncode == 2 and "did you mean: tag:team=eu=data" in r.stderr, r.stderr
    # the other reading tags an ENI too: ambiguous
    edit(snap, "NetworkInterfaces", lambda d: _tag_eni(d, "eni-0alb0a", "team", "eu=data"))
    r = reason("query", "--facts", str(snap), "alb-eni -> tag:team=eu=data tcp 8000")
    assert r.returncode == 2 and "error[query.ambiguous_tag]" in r.stderr, r.stderr
    assert "key 'team=eu' = value 'data'" in r.stderr and "key 'team' = value 'eu=data'" in r.stderr
    assert "Traceback" not in r.stderr
