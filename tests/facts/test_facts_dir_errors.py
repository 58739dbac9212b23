"""A broken facts directory is a one-line error naming the file (and row), exit 2 (issue 10, item 6).

Never ``internal error``, never silently ignored; the content hash also covers ``names.json`` and the whole
manifest (a redirected Name tag or a hidden warning is detected).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasoner.cli import app
from reasoner.facts.importer import import_aws_configs, write_facts

ROOT = Path(__file__).resolve().parents[2]
QUERY = "alb-eni -> task-eni tcp 8000"


def reason(*args: str) -> subprocess.CompletedProcess:
    """The real CLI, in-process (an unexpected exception shows up as the internal error it would print)."""
    result = CliRunner().invoke(app, list(args))
    err = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        err += f"internal error: {type(result.exception).__name__}: {result.exception}"
    return subprocess.CompletedProcess(["reason", *args], result.exit_code, result.stdout, err)


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    snap = import_aws_configs(ROOT / "facts")
    snap.manifest["incomplete"] = [{"service": "ec2", "operation": "DescribeNatGateways", "account": "123456789012",
                                    "region": "us-east-1", "error_code": "AccessDenied", "message": "denied"}]
    out = write_facts(snap, tmp_path / "facts")
    (out / "reason.toml").write_text((ROOT / "facts" / "reason.toml").read_text())
    return out


def _one_line_error(r: subprocess.CompletedProcess, *names: str) -> str:
    assert r.returncode == 2, r.stdout + r.stderr
    assert "internal error" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    first = r.stderr.strip().splitlines()[0]
    assert len(r.stderr.strip().splitlines()) <= 2, r.stderr  # the error, and maybe a hint
    for name in names:
        assert name in first, first
    return first


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(data)


def test_the_fixture_is_a_good_facts_directory(facts: Path) -> None:
    r = reason("query", "--facts", str(facts), QUERY)
    assert r.returncode == 1 and "the snapshot is incomplete" in r.stdout, r.stdout + r.stderr


def test_a_row_that_is_not_utf8(facts: Path) -> None:
    _append(facts / "sg.jsonl", b'["sg-\xff\xfe","vpc-0a1b2c3d"]\n')
    lines = (facts / "sg.jsonl").read_bytes().count(b"\n")
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "sg.jsonl", f":{lines}:")


def test_a_nested_list_in_a_row(facts: Path) -> None:
    _append(facts / "sg.jsonl", b'["sg-x",["vpc-0a1b2c3d"]]\n')
    lines = (facts / "sg.jsonl").read_bytes().count(b"\n")
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "sg.jsonl", f":{lines}:")


@pytest.mark.parametrize("value", [b"null", b"1.5", b"true", b'{"a":1}'])
def test_other_non_scalar_values(facts: Path, value: bytes) -> None:
    _append(facts / "sg.jsonl", b'["sg-x",' + value + b"]\n")
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "sg.jsonl")


def test_a_string_in_a_number_column(tmp_path: Path) -> None:
    snap = import_aws_configs(ROOT / "facts")
    snap.relations["eni"] = [(e, s, v, str(n)) for e, s, v, n in snap.relations["eni"]]  # consistent hash, wrong type
    out = write_facts(snap, tmp_path / "facts")
    (out / "reason.toml").write_text((ROOT / "facts" / "reason.toml").read_text())
    first = _one_line_error(reason("query", "--facts", str(out), QUERY), "eni.jsonl")
    assert "eni-0alb0a" in first, "the row is named"


def test_a_relation_file_that_is_a_directory(facts: Path) -> None:
    (facts / "sg.jsonl").unlink()
    (facts / "sg.jsonl").mkdir()
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "sg.jsonl")


def test_a_relation_file_in_a_symlink_loop(facts: Path) -> None:
    (facts / "sg.jsonl").unlink()
    os.symlink("sg.jsonl", facts / "sg.jsonl")
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "sg.jsonl")


@pytest.mark.parametrize("kind", ["not-utf8", "directory", "symlink-loop"])
def test_a_broken_reason_toml(facts: Path, kind: str) -> None:
    toml = facts / "reason.toml"
    toml.unlink()
    if kind == "not-utf8":
        toml.write_bytes(b'[aliases]\nweb = "eni-\xff"\n')
    elif kind == "directory":
        toml.mkdir()
    else:
        os.symlink("reason.toml", toml)
    _one_line_error(reason("query", "--facts", str(facts), "eni-0alb0a -> eni-0task01 tcp 8000"), "reason.toml")


@pytest.mark.parametrize("kind", ["not-utf8", "directory"])
def test_a_broken_reason_toml_next_to_aws_configs(tmp_path: Path, kind: str) -> None:
    import shutil

    snap = tmp_path / "snap"
    shutil.copytree(ROOT / "facts", snap, ignore=shutil.ignore_patterns("examples", "reason.toml"))
    if kind == "not-utf8":
        (snap / "reason.toml").write_bytes(b"\xff\xfe")
    else:
        (snap / "reason.toml").mkdir()
    _one_line_error(reason("query", "--facts", str(snap), "eni-0alb0a -> eni-0task01 tcp 8000"), "reason.toml")


def test_editing_names_json_is_detected(facts: Path) -> None:
    """Redirecting a Name tag to another resource would make a query about 'alb-sg' answer about another group."""
    names = json.loads((facts / "names.json").read_text())
    names["eni-0task01"] = names.get("eni-0alb0a", "x")
    (facts / "names.json").write_text(json.dumps(names))
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "manifest.json")


def test_hiding_an_incomplete_call_is_detected(facts: Path) -> None:
    manifest = json.loads((facts / "manifest.json").read_text())
    manifest["incomplete"] = []
    (facts / "manifest.json").write_text(json.dumps(manifest))
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "manifest.json")


@pytest.mark.parametrize("key, value", [("unmodelled", [{"key": "SecurityGroupRules"}]), ("skipped_ipv6", 7), ("counts", {}),
                                        ("accounts", ["x"])])
def test_editing_any_other_manifest_field_is_detected(facts: Path, key: str, value: object) -> None:
    """The hash covered only the relations, names.json and incomplete: emptying `unmodelled` hid the warning that
    the snapshot holds answers no rule reads (and a proof made before rechecked after)."""
    manifest = json.loads((facts / "manifest.json").read_text())
    manifest[key] = value
    (facts / "manifest.json").write_text(json.dumps(manifest))
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "manifest.json")


def test_a_names_json_that_is_not_an_object_or_not_utf8(facts: Path) -> None:
    (facts / "names.json").write_bytes(b"\xff")
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "names.json")
    (facts / "names.json").write_text("[1, 2]")
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "names.json")


def test_a_column_mixing_strings_and_numbers(facts: Path) -> None:
    """Found by the fuzzer: rows of one file disagreeing on a column's type made sorting them a TypeError."""
    _append(facts / "eni.jsonl", b'["eni-0zz","subnet-pub-a","vpc-0a1b2c3d","1"]\n')
    _one_line_error(reason("query", "--facts", str(facts), QUERY), "manifest.json")  # the hash no longer matches


@pytest.mark.parametrize("rel", ["lb_subnet", "lb_sg", "eni", "subnet"])
def test_a_row_of_the_wrong_arity_read_by_python_code(tmp_path: Path, rel: str) -> None:
    """Found by the fuzzer: rows were type-checked only after load balancer nodes were derived from them."""
    snap = import_aws_configs(ROOT / "facts")
    snap.relations[rel] = [tuple(row) + ("extra",) for row in snap.relations[rel]]
    out = write_facts(snap, tmp_path / "facts")
    first = _one_line_error(reason("query", "--facts", str(out), QUERY), f"{rel}.jsonl")
    assert "expects" in first


def _rehash(facts: Path) -> None:
    """The manifest's content hash made right again after an edit (as someone writing a facts directory would)."""
    from reasoner.facts.store import _hash_relations

    manifest = json.loads((facts / "manifest.json").read_text())
    contents = {p.name: p.read_bytes() for p in facts.glob("*.jsonl")}
    manifest["content_hash"] = "sha256:" + _hash_relations(contents, (facts / "names.json").read_bytes(), manifest)
    (facts / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def test_a_lone_surrogate_escape_in_a_row_is_refused_at_its_line(facts: Path) -> None:
    """A row ``["sg-x","\\ud800"]`` is JSON Python reads, but no text: DuckDB refused it deep in `audit` and printing
    it raised UnicodeEncodeError. It is refused where the file is read, at its line, even with a right hash."""
    _append(facts / "tag.jsonl", b'["eni-0alb0a","Name","x\\ud800y"]\n')
    _rehash(facts)
    lines = (facts / "tag.jsonl").read_bytes().count(b"\n")
    for args in (("query", "--facts", str(facts), QUERY), ("audit", "exposure", "--facts", str(facts))):
        first = _one_line_error(reason(*args), f"tag.jsonl:{lines}:1", "surrogate")
        assert "facts.bad_json" in first


def test_a_lone_surrogate_escape_in_names_json_is_refused_with_its_path(tmp_path: Path) -> None:
    snap = import_aws_configs(ROOT / "facts")
    snap.names["eni-0alb0a"] = "alb\udfff"
    out = write_facts(snap, tmp_path / "facts")  # names.json escapes it: \udfff
    first = _one_line_error(reason("query", "--facts", str(out), QUERY), "names.json:$.eni-0alb0a", "surrogate")
    assert "facts.bad_json" in first
