"""CLI basics: --version (and tool_version in JSON answers), per-command help with the query grammar, examples
and exit codes, case-insensitive keywords, shell completion, formats a command does not answer in refused
(exit 2), errors as JSON with --format json (reason.error/v1, exit 2)."""

import ipaddress
import json

from reasoner import __version__
from reasoner.query.language import parse_assertions, parse_query
from test_query import FACTS, ROOT, answer, query_json, reason


def test_version_flag_and_tool_version_in_json_answers():
    from importlib.metadata import version

    r = reason("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"reason {__version__}"
    assert version("reason") == __version__  # the installed package's version is read from reasoner/__init__.py
    _, out = query_json(FACTS, "alb-eni -> task-eni tcp 8000")
    assert out["tool_version"] == __version__
    for cmd in (("health",), ("verify",)):
        r = reason(*cmd, "--format", "json")
        assert answer(r.stdout)["tool_version"] == __version__


def test_query_help_shows_grammar_examples_and_exit_codes():
    out = reason("query", "--help").stdout
    assert "SRC -> DST [tcp | udp | icmp | any | proto N] [PORT | LO-HI]" in out
    assert out.count("reason query ") >= 3
    assert "0 reachable" in out and "1 unreachable" in out and "2 usage" in out and "3 inconclusive" in out
    for cmd in ("verify", "health"):
        text = reason(cmd, "--help").stdout
        assert "Examples:" in text and "Exit codes:" in text and text.count(f"reason {cmd}") >= 3
    assert "--install-completion" in reason("--help").stdout


def test_keywords_are_case_insensitive():
    assert parse_query("a -> b TCP 80") == parse_query("a -> b tcp 80")
    assert parse_query("a -> b Proto 17 53").proto == "udp" and parse_query("a -> b ANY").proto == "any"
    (a,) = parse_assertions("ASSERT Unreachable a -> b ICMP")
    assert not a.expect_reachable and a.query.proto == "icmp"
    code, out = query_json(FACTS, "alb-eni -> task-eni TCP 8000")
    assert code == 1 and out["query"] == "alb-eni -> task-eni tcp 8000"


def test_formats_a_command_does_not_answer_in_are_refused():
    for cmd, fmt in (("health", "aws"), ("verify", "aws"), ("health", "sarif"), ("query", "junit"), ("verify", "mermaid")):
        r = reason(cmd, "--format", fmt, *(["alb-eni -> task-eni tcp 8000"] if cmd == "query" else []))
        assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
        assert f"reason {cmd} does not answer in --format {fmt}" in r.stderr and "answers in:" in r.stderr


def test_errors_are_json_on_stdout_with_format_json():
    r = reason("query", "--format", "json", "alb-eni -> nope tcp 80")
    doc = answer(r.stdout)
    assert r.returncode == 2 and doc["schema"] == "reason.error/v1" and doc["error"]["code"] == "query.unknown_name"
    r = reason("query", "--format", "json", "alb-eni ->")
    doc = answer(r.stdout)
    assert r.returncode == 2 and doc["error"]["code"] == "query.syntax" and "^" in doc["error"]["message"]
    r = reason("verify", "--format", "json", "no/such/file.reason")
    assert r.returncode == 2 and answer(r.stdout)["error"]["code"] == "query.no_file"
    r = reason("health", "--format", "json", "tg:nope")
    assert r.returncode == 2 and answer(r.stdout)["schema"] == "reason.error/v1"
    r = reason("query", "alb-eni -> nope tcp 80")  # text: on stderr, as before
    assert r.returncode == 2 and r.stdout == "" and "error[query.unknown_name]" in r.stderr


def test_explain_none_prints_no_derivation():
    r = reason("query", "--explain", "none", "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 1 and "ENI_SG_RULES_MISMATCH" in r.stdout and "Derivation" not in r.stdout
    _, out = query_json(FACTS, "alb-eni -> task-eni tcp 8000")
    r = reason("query", "--explain", "none", "--format", "json", "alb-eni -> task-eni tcp 8000")
    doc = answer(r.stdout)
    assert doc["proof"] is None and out["proof"] is not None and doc["verdict"] == out["verdict"]


def test_set_queries_default_to_no_derivation():
    """A set is answered existentially: the derivation of one member pair is left out unless asked for."""
    for q in ("subnet-pub-a -> sg-0task any", "internet -> task-eni tcp 8000", "alb-eni -> ecs:prod/web tcp 8000",
              "public-a -> task-eni tcp 8000"):
        r = reason("query", q)
        assert r.returncode == 1 and "Derivation" not in r.stdout, q
    r = reason("query", "--explain", "brief", "subnet-pub-a -> sg-0task any")
    assert "Derivation (brief)" in r.stdout
    assert "Derivation (brief)" in reason("query", "alb-eni -> task-eni tcp 8000").stdout  # one ENI each side


def test_derivations_read_like_rules_with_addresses_and_are_never_cut():
    """Issue 14: addresses as dotted quads, the rule's own head with one location, no 80-column cut in a pipe."""
    r = reason("query", "alb-eni -> task-eni tcp 8000")
    tree = r.stdout.split("Derivation (brief):", 1)[1]
    assert "fwd_sg_egress('eni-0alb0a', 'eni-0task01', 10.0.1.10, 10.0.11.20, tcp, 1024, 8000)" in tree  # protocols by name
    line = next(i for i, text in enumerate((ROOT / "rules" / "reachability.dl").read_text().splitlines(), 1)
                if text.startswith("fwd_sg_egress(S, D, SIp, DIp, P, SP, DP) :- packet(S, D, SIp, DIp, P, SP, DP), sg_egress_admits"))
    assert f"by the rule fwd_sg_egress(S, D, SIp, DIp, P, SP, DP)  (rules/reachability.dl:{line}:1)" in tree
    assert "167772426" not in tree and "…" not in tree.replace("… (cut: raise --explain)", "")
    assert max(len(line) for line in tree.splitlines()) > 80  # printed whole, not cropped to a terminal's width


def test_derivations_show_addresses_and_leave_ids_and_quoted_values_alone():
    """Numbers standing alone become addresses; digits inside an id (eni-00001000000001539), an ARN's account
    (:123456789012:) or a quoted value stay as the snapshot spells them (a review found them shown as addresses)."""
    from reasoner.explain.render import readable

    label = ("lb_eni('arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188', "
             "'eni-00001000000001539', 167772170) — sg-12345678 of eni-00001000000001539 admits 167772170")
    assert readable(label) == ("lb_eni('arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/"
                               "50dc6c495c0c9188', 'eni-00001000000001539', 10.0.0.10) — sg-12345678 of "
                               "eni-00001000000001539 admits 10.0.0.10")
    assert readable("tag('x', \"it's 167772170\", 42535295865117307932921825928971026432)") == \
        "tag('x', \"it's 167772170\", 2000::)"


def test_hop_table_columns_align_past_hop_nine_and_on_arns():
    """Issue 14: the hop table's columns line up whatever the lengths (14 hops through the ALB, ARNs of listeners)."""
    r = reason("query", "--facts", "facts/examples/seed-fixed", "internet -> alb:web tcp 80")
    forward = r.stdout.split("Forward path:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(forward) >= 10 and "listener/app/web/" in r.stdout
    starts = {line.index(" ingress ") if " ingress " in line else line.index(" egress ") for line in forward}
    assert len(starts) == 1, forward  # the direction column starts at one place on every row
    assert {line.index(".") for line in forward} == {len(forward[0].split(".")[0])}  # numbers right-aligned


def test_the_answer_shows_the_packet_class_it_proved_and_labels_the_example():
    """Issue 14: the packet shown is a class (every packet of it has the same fate: space.py cuts), the concrete
    packet only as a labelled example of it."""
    r = reason("query", "--facts", "facts/examples/seed-fixed", "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 0
    assert r.stdout.splitlines()[1:3] == ["packet class: tcp from 10.0.1.10 ports 1024-65535 to 10.0.11.20 port 8000",
                                          "example packet: 10.0.1.10:1024 -> 10.0.11.20:8000 tcp"]
    r = reason("query", "--format", "json", "internet -> task-eni any")
    doc = json.loads(r.stdout)
    c, pk = doc["packet_class"], doc["packet"]
    assert r.returncode == 1 and c["protocol"] == pk["protocol"] and c["family"] == "ipv4"
    lo, hi = c["src_ips"].split("-")
    assert ipaddress.ip_address(lo) <= ipaddress.ip_address(pk["src_ip"]) <= ipaddress.ip_address(hi)
    assert c["dst_ips"] == pk["dst_ip"] and c["dst_ports"][0] <= pk["dst_port"] <= c["dst_ports"][1]
    assert "packet class (the nearest miss): " in reason("query", "internet -> task-eni any").stdout


def test_the_failing_hop_of_a_derivation_carries_its_message():
    """Issue 14: the derivation shows the rule's own @message on the hop that blocks, filled in for the packet."""
    tree = reason("query", "alb-eni -> task-eni tcp 8000").stdout.split("Derivation (brief):", 1)[1]
    hop = next(line for line in tree.splitlines() if "✗ fwd_sg_egress(" in line)
    assert hop.endswith("— no security group of eni-0alb0a (sg-0alb (alb-sg)) allows outbound tcp/8000 to 10.0.11.20")
    assert sum("— " in line for line in tree.splitlines()) == 1  # only on the blocking hop
