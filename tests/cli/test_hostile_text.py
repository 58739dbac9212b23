"""Strings from a snapshot are data, never terminal markup or control sequences (issue 10, item 2).

The shipped example with hostile Name tags and a hostile target-health description, fed through every
text command (query brief and full, health, verify, import, and an error that quotes the data): no
MarkupError / internal error, no ESC byte reaches the terminal, no value can start a line of its own
(a faked verdict), and the value is still shown (escaped), not dropped.  JSON keeps the exact string.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REGION = "aws_configs/us-east-1"

HOSTILE = {
    "sg-0alb": "alb-sg[/]",
    "sg-0task": "[bold red]REACHABLE[/]",
    "subnet-pub-a": "\x1b[2J\x1b]0;pwned\x07",
    "subnet-priv-a": "a\nREACHABLE",
    "vpc": "x\r\x9b31mREACHABLE\u202e",
}
DESCRIPTION = "Request timed out\x1b[2J[/]\nREACHABLE"


def reason(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(["reason", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _retag(obj: dict, value: str) -> None:
    obj["Tags"] = [t for t in obj.get("Tags", []) if t.get("Key") != "Name"] + [{"Key": "Name", "Value": value}]


def _edit(snap: Path, name: str, fn) -> None:
    path = snap / REGION / f"{name}.json"
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def snap(tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("hostile") / "snap"
    shutil.copytree(ROOT / "facts", dst, ignore=shutil.ignore_patterns("examples"))

    def sgs(data):
        for g in data["SecurityGroups"]:
            if g["GroupId"] in HOSTILE:
                _retag(g, HOSTILE[g["GroupId"]])

    def subnets(data):
        for s in data["Subnets"]:
            if s["SubnetId"] in HOSTILE:
                _retag(s, HOSTILE[s["SubnetId"]])

    def vpcs(data):
        for v in data["Vpcs"]:
            _retag(v, HOSTILE["vpc"])

    def health(data):
        for tg in data["LoadBalancerTargetHealth"]:
            for d in tg["TargetHealthDescriptions"]:
                d["TargetHealth"]["Description"] = DESCRIPTION

    _edit(dst, "SecurityGroups", sgs)
    _edit(dst, "Subnets", subnets)
    _edit(dst, "Vpcs", vpcs)
    _edit(dst, "LoadBalancerTargetHealth", health)
    (dst / REGION / "Weird.json").write_text(json.dumps({"[bold red]REACHABLE[/]\x1b[2J": []}))  # an unmodelled key
    shutil.copytree(ROOT / "queries", dst / "queries")
    return dst


def _assert_safe(r: subprocess.CompletedProcess, *, codes: set[int]) -> str:
    text = r.stdout + r.stderr
    assert r.returncode in codes, text
    assert "internal error" not in text and "MarkupError" not in text and "Traceback" not in text, text
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text and "\r" not in text, repr(text)
    assert "\u202e" not in text, repr(text)
    for line in text.splitlines():
        assert not line.lstrip().startswith("REACHABLE"), f"a value started a line: {line!r}"
    return text


def test_query_text_escapes_names_brief_and_full(snap: Path) -> None:
    for explain in ("brief", "full"):
        r = reason("query", "--facts", str(snap), "--explain", explain, "alb-eni -> task-eni tcp 8000")
        text = _assert_safe(r, codes={1})
        assert r.stdout.startswith("UNREACHABLE")
        assert "alb-sg[/]" in text, "the markup-looking name is shown as typed"
    r = reason("query", "--facts", str(snap), "--explain", "full", "task-eni -> internet tcp 443")
    _assert_safe(r, codes={1})
    r = reason("query", "--facts", str(snap), "subnet-pub-a -> sg-0task any")
    text = _assert_safe(r, codes={0, 1})
    assert "[bold red]REACHABLE[/]" in text or "\\x1b[2J" in text or "sg-0task" in text


def test_health_text_escapes_names_and_aws_descriptions(snap: Path) -> None:
    r = reason("health", "--facts", str(snap))
    text = _assert_safe(r, codes={1})
    assert "BLOCKED" in text and "alb-sg[/]" in text
    assert "Request timed out\\x1b[2J[/]\\nREACHABLE" in text


def test_verify_text_escapes_names(snap: Path) -> None:
    r = reason("verify", "--facts", str(snap), str(snap / "queries"))
    text = _assert_safe(r, codes={1})
    assert "FAIL" in text


def test_import_text_escapes_unmodelled_keys(snap: Path, tmp_path: Path) -> None:
    r = reason("import", str(snap), "--out", str(tmp_path / "out"))
    text = _assert_safe(r, codes={0})
    assert "[bold red]REACHABLE[/]\\x1b[2J" in text


def test_an_error_quoting_data_is_clean(snap: Path) -> None:
    r = reason("query", "--facts", str(snap), "a\x1b[2J[/] -> task-eni tcp 8000")
    _assert_safe(r, codes={2})
    r = reason("query", "--facts", str(snap), "[bold red]REACHABLE[/]\x1b]0;x\x07 -> task-eni tcp 8000")
    _assert_safe(r, codes={2})


def test_json_keeps_the_exact_strings(snap: Path) -> None:
    r = reason("query", "--facts", str(snap), "--format", "json", "alb-eni -> task-eni tcp 8000")
    assert r.returncode == 1, r.stderr
    assert "alb-sg[/]" in json.loads(r.stdout)["explanations"][0]["message"]
    h = json.loads(reason("health", "--facts", str(snap), "--format", "json").stdout)
    assert DESCRIPTION in json.dumps(h, ensure_ascii=False) or json.dumps(DESCRIPTION)[1:-1] in json.dumps(h)


def _tagged_enis(tmp_path: Path) -> Path:
    """ENI tags as group names of `audit pairs --by tag:KEY`: one hostile value, one key that starts a formula."""
    dst = tmp_path / "snap"
    shutil.copytree(ROOT / "facts" / "examples" / "seed-fixed", dst)

    def enis(data):
        for n in data["NetworkInterfaces"]:
            if n["NetworkInterfaceId"] == "eni-0task01":
                n["TagSet"] = [{"Key": "tier", "Value": "x\x1b[31mevil\nREACHABLE\u202e"}, {"Key": "=cmd", "Value": "1"}]

    _edit(dst, "NetworkInterfaces", enis)
    return dst


def test_audit_pairs_escapes_group_names_in_text_and_csv(tmp_path: Path) -> None:
    snap = _tagged_enis(tmp_path)
    shown = "tier=x\\x1b[31mevil\\nREACHABLE\\u202e"
    r = reason("audit", "pairs", "--facts", str(snap), "--by", "tag:tier", "any")
    text = _assert_safe(r, codes={1})
    assert shown in text, text
    r = reason("audit", "pairs", "--facts", str(snap), "--by", "tag:tier", "--format", "csv", "any")
    text = _assert_safe(r, codes={1})
    assert f"(no tier tag),{shown},2,eni-0alb0a -> eni-0task01,false" in text.splitlines(), text
    r = reason("audit", "pairs", "--facts", str(snap), "--by", "tag:tier", "--format", "json", "any")
    assert r.returncode == 1 and "\x1b" not in r.stdout and "\u202e" not in r.stdout  # json.dumps escapes them
    assert "tier=x\x1b[31mevil\nREACHABLE\u202e" in json.loads(r.stdout)["groups"]  # ... and keeps the exact string


def test_csv_cells_never_start_a_spreadsheet_formula(tmp_path: Path) -> None:
    r = reason("audit", "pairs", "--facts", str(_tagged_enis(tmp_path)), "--by", "tag:=cmd", "--format", "csv", "any")
    lines = _assert_safe(r, codes={1}).splitlines()
    assert "(no =cmd tag),'=cmd=1,2,eni-0alb0a -> eni-0task01,false" in lines, lines
    assert not any(cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line.split(","))


def test_csv_text_is_the_one_csv_writer() -> None:
    from reasoner.terminal import csv_text

    text = csv_text(["a", "b", "c"], [["-1+2", 7, "@x"], ['q"uote,\r\nz', "+y", "=SUM(A1)"], ["\x9b\u2066", -3, ""]])
    assert text.splitlines() == ["a,b,c", "'-1+2,7,'@x", '"q""uote,\\nz",\'+y,\'=SUM(A1)', "\\x9b\\u2066,-3,"]


def test_emoji_codes_in_names_and_rule_locations_are_shown_as_typed(tmp_path: Path) -> None:
    """rich turns ``:100:`` into an emoji by default: a rule location such as ``rules/00_snapshot.dl:100:1`` in the
    derivation came out as ``00_snapshot.dl💯1``, and a Name tag ``:warning:`` as a warning sign.  Every console
    is built with emoji off: what the data and the rules say is printed as typed."""
    dst = tmp_path / "snap"
    shutil.copytree(ROOT / "facts", dst, ignore=shutil.ignore_patterns("examples"))
    _edit(dst, "SecurityGroups", lambda d: [_retag(g, ":warning: alb :100:") for g in d["SecurityGroups"] if g["GroupId"] == "sg-0alb"])
    r = reason("query", "--facts", str(dst), "--explain", "full", "alb-eni -> task-eni tcp 8000")
    text = _assert_safe(r, codes={1})
    assert ":warning: alb :100:" in text, text
    assert "\U0001f4af" not in text and "\u26a0" not in text, text
    # every rule location of the derivation reads file:line:column
    import re
    locations = re.findall(r"\((rules/[^)\s]+)\)", text)
    assert locations and all(re.fullmatch(r"rules/\w+\.dl:\d+:\d+", loc) for loc in locations), locations


def test_the_caret_stands_under_the_error_when_the_line_holds_control_characters(tmp_path):
    """Each control character is shown as a 4-column escape (\\x1b): the caret stood left of the error by 4 columns
    a character."""
    f = tmp_path / "p.dl"
    # (in a comment: a string written with raw control characters is refused since 3c0e932, at the first of them)
    f.write_text('violation("a", "m") :- /* \x1b[31mRED\x1b]0;pwn\x07 */ sg(_, _, _, _).\n')
    r = subprocess.run(["reason", "check", str(f)], capture_output=True, text=True, timeout=60)
    line, caret = [x for x in r.stderr.splitlines() if x.startswith("    ")][:2]
    assert r.returncode == 2 and "\x1b" not in r.stderr and line[caret.index("^"):].startswith("sg(")
    f.write_text('violation("a\x1b[31mRED\x1b]0;pwn\x07", "m") :- sg(_, _, _, _).\n')
    r = subprocess.run(["reason", "check", str(f)], capture_output=True, text=True, timeout=60)
    line, caret = [x for x in r.stderr.splitlines() if x.startswith("    ")][:2]
    assert r.returncode == 2 and "\x1b" not in r.stderr and "U+001B" in r.stderr
    assert line[caret.index("^"):].startswith("\\x1b[31mRED")
