"""Path diagrams (`reason query --format mermaid|dot`): checked structurally; the DOT text is also rendered
with Graphviz when `dot` is installed (only that rendering check is skipped without it)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reasoner.explain.diagram import dot, mermaid, passing_pairs
from reasoner.session import Session

ROOT = Path(__file__).resolve().parents[2]
BROKEN, FIXED = ROOT / "facts", ROOT / "facts" / "examples" / "seed-fixed"


@pytest.fixture(scope="module")
def broken() -> Session:
    return Session.open(BROKEN)


@pytest.fixture(scope="module")
def fixed() -> Session:
    return Session.open(FIXED)


NODE = re.compile(r'^    ([fr]\d+)\["(.*)"\]$')
EDGE = re.compile(r'^    ([fr])(\d+) -->\|"(.*)"\| ([fr])(\d+)$')


def parse_mermaid(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]], list[str], list[int]]:
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes = {m.group(1): m.group(2) for line in lines if (m := NODE.match(line))}
    edges = [(f"{m.group(1)}{m.group(2)}", f"{m.group(4)}{m.group(5)}", m.group(3)) for line in lines if (m := EDGE.match(line))]
    blocked = [n for line in lines if line.startswith("  class ") and line.endswith(" blocked")
               for n in line.split()[1].split(",")]
    red_links = [int(line.split()[1]) for line in lines if line.startswith("  linkStyle ")]
    assert sum(1 for line in lines if line.strip().startswith("subgraph ")) == sum(1 for line in lines if line.strip() == "end")
    return nodes, edges, blocked, red_links


def test_mermaid_draws_both_paths_with_the_rule_on_each_edge_and_the_blocker_in_red(broken):
    res = broken.query("alb-eni -> task-eni tcp 8000")
    nodes, edges, blocked, red_links = parse_mermaid(mermaid(res, broken.analyzer.label))
    assert len([n for n in nodes if n.startswith("f")]) == len(res.forward_path)
    assert len([n for n in nodes if n.startswith("r")]) == len(res.return_path)
    # consecutive hops are joined, each edge labelled by what decided the hop it enters
    assert [(a, b) for a, b, _ in edges if a.startswith("f")] == [(f"f{i}", f"f{i + 1}") for i in range(1, len(res.forward_path))]
    labels = {b: lab for _, b, lab in edges}
    assert labels["f2"] == "BLOCKED: ENI_SG_RULES_MISMATCH" and nodes["f2"].startswith("sg-0alb (alb-sg)")
    assert labels["f3"] == "acl-0default rule 100 allow all traffic to 0.0.0.0/0"
    assert blocked == ["f2"]
    assert red_links == [[b for _, b, _ in edges].index("f2")]


def test_mermaid_of_a_reachable_path_has_no_red(fixed):
    res = fixed.query("alb-eni -> task-eni tcp 8000")
    nodes, edges, blocked, red_links = parse_mermaid(mermaid(res, fixed.analyzer.label))
    assert res.reachable and not blocked and not red_links
    assert nodes["r1"].startswith("eni-0task01") and any(lab.startswith("rtb-public 10.0.0.0/16 -#gt; local") for *_, lab in edges)


def test_labels_from_the_snapshot_cannot_break_out_of_the_diagram(broken):
    res = broken.query("alb-eni -> task-eni tcp 8000")
    hostile = lambda rid: f'{rid}"] --> x["pwn|<b>\x1b[31m'  # noqa: E731
    text = mermaid(res, hostile)
    nodes, *_ = parse_mermaid(text)
    assert len(nodes) == len(res.forward_path) + len(res.return_path) and "\x1b" not in text
    assert all('"' not in v and "|" not in v and "<b>" not in v for v in nodes.values())
    dtext = dot(res, hostile)
    assert "\x1b" not in dtext
    assert re.search(r'label="eni-0alb0a\\"\] --> x\[\\"pwn', dtext)


@pytest.mark.parametrize("ch", ["\x9b", "\x85", "\x7f", "\u202e", "\u202a", "\u2066", "\u2069", "\u2028", "\x1b"])
def test_labels_from_the_snapshot_show_c1_del_and_bidi_controls_as_escapes(broken, ch):
    """Only C0 (0-31) was dropped: C1 (U+009B is CSI), DEL and the bidi overrides reached the terminal or viewer the
    diagram is shown in, raw. Labels are cleaned as terminal text is (reasoner/terminal.py plain)."""
    from reasoner.terminal import plain

    res = broken.query("alb-eni -> task-eni tcp 8000")
    hostile = lambda rid: f"{rid}{ch}31m"  # noqa: E731
    for text in (mermaid(res, hostile), dot(res, hostile)):
        assert ch not in text and plain(ch) in text, repr(text[:300])
    nodes, *_ = parse_mermaid(mermaid(res, hostile))
    assert len(nodes) == len(res.forward_path) + len(res.return_path)


def parse_dot(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    assert text.startswith("digraph reason {") and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    nodes = dict(re.findall(r'^    ([fr]\d+) \[(.*)\];$', text, re.M))
    edges = re.findall(r'^    ([fr]\d+) -> ([fr]\d+) \[(.*)\];$', text, re.M)
    return nodes, edges


def test_dot_marks_the_blocker_red(broken):
    res = broken.query("alb-eni -> task-eni tcp 8000")
    nodes, edges = parse_dot(dot(res, broken.analyzer.label))
    assert len(nodes) == len(res.forward_path) + len(res.return_path)
    assert "color=\"#c62828\"" in nodes["f2"] and 'label="sg-0alb (alb-sg)\\nsecurity-group"' in nodes["f2"]
    assert not any("#c62828" in attrs for n, attrs in nodes.items() if n != "f2")
    into_f2 = next(attrs for a, b, attrs in edges if b == "f2")
    assert 'label="BLOCKED: ENI_SG_RULES_MISMATCH"' in into_f2 and "#c62828" in into_f2


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed: only the rendering check is skipped")
def test_dot_renders_with_graphviz(broken, fixed):
    for session, q in ((broken, "alb-eni -> task-eni tcp 8000"), (fixed, "* -> task-eni tcp 8000")):
        res = session.query(q)
        pairs, _ = passing_pairs(session, q)
        r = subprocess.run(["dot", "-Tsvg"], input=dot(res, session.analyzer.label, pairs), capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        assert "<svg" in r.stdout and "0task (task" in r.stdout  # Graphviz writes '-' as &#45;
    hostile = lambda rid: f'{rid}"]; x -> y [label="pwn\\'  # noqa: E731
    r = subprocess.run(["dot", "-Tplain"], input=dot(broken.query("alb-eni -> task-eni tcp 8000"), hostile), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "node x " not in r.stdout  # the quote stayed inside the label


def test_set_query_draws_the_member_pairs_that_pass(broken, fixed):
    pairs, unchecked = passing_pairs(fixed, "* -> task-eni tcp 8000")
    assert unchecked == 0 and ("eni-0alb0a", "eni-0task01") in pairs
    for s, d in pairs:  # each pair passes when asked on its own
        assert fixed.query(f"{s} -> {d} tcp 8000", depth=0).reachable
    assert passing_pairs(broken, "* -> task-eni tcp 8000") == ([], 0)  # nothing reaches the task there
    text = mermaid(fixed.query("* -> task-eni tcp 8000"), fixed.analyzer.label, pairs)
    assert 'subgraph pairs["Member pairs that pass"]' in text
    assert re.search(r'p1s\["eni-0alb0a"\] -->\|"passes"\| p1d\["eni-0task01 \(web-task\)"\]', text)
    assert passing_pairs(fixed, "alb-eni -> task-eni tcp 8000") == ([], 0)  # not a set query
