"""The symmetry classes kept on disk (reasoner/engine/symmetry_cache.py): a hit equals a fresh computation, any
changed input is a miss, a damaged or foreign document is a miss, and ``reason recheck`` never reads it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from reasoner.engine import symmetry, symmetry_cache
from reasoner.session import Session


@pytest.fixture(scope="module")
def estate(generated_estate) -> tuple[Path, dict]:
    return generated_estate(80, seed=11)


def _reason(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["reason", *args], capture_output=True, text=True, timeout=300)


def _same(a: symmetry.Classes, b: symmetry.Classes) -> None:
    assert a.of == b.of and a.members == b.members
    assert a.owned_columns == b.owned_columns and a.numbers == b.numbers


def _inputs(session: Session) -> tuple[dict, set, list]:
    """What Factoring gives symmetry.classes (reasoner/explain/factor.py), taken the same way."""
    from reasoner.engine.lift import PER_QUERY

    checked = session.program.checked
    defined = {r.head.pred for r in checked.module.rules}
    rel = {k: v for k, v in session.analyzer.rel.items() if k in checked.decls and k not in defined and k not in PER_QUERY}
    consts = symmetry.program_constants(checked) | session.analyzer.factoring.extra_constants
    return rel, consts, list(session.analyzer.space.starts())


def test_a_later_session_reads_the_classes_a_fresh_computation_gives(estate, tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    out, _ = estate
    first = Session.open(out)
    assert first.analyzer.factoring.classes is not None and not first.analyzer.factoring.from_cache
    assert len(list((tmp_path / "cache").glob("classes-*.json"))) == 1
    second = Session.open(out)
    cached = second.analyzer.factoring.classes
    assert second.analyzer.factoring.from_cache
    _same(cached, symmetry.classes(*_inputs(second)))
    assert len(cached) > 1 and len(cached) < len(cached.of)  # classes that group ENIs: the test has something to keep


def test_any_changed_row_constant_or_start_is_a_miss(estate, tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    rel, consts, starts = _inputs(Session.open(estate[0]))
    symmetry_cache.classes(rel, consts, starts)
    assert symmetry_cache.classes(rel, consts, starts)[1]  # the same inputs: a hit
    e, sub, vpc, *rest = rel["eni"][0]
    moved = dict(rel, eni=[(e, sub + "x", vpc, *rest)] + list(rel["eni"][1:]))
    for args in ((moved, consts, starts), (rel, consts | {"a-new-rule-constant"}, starts), (rel, consts, starts + [7])):
        got, hit = symmetry_cache.classes(*args)
        assert not hit
        _same(got, symmetry.classes(*args))


def _damaged(doc: dict) -> list[tuple[str, dict | str]]:
    enis = [e for group in doc["members"] for e in group]
    first = doc["members"][0]
    return [
        ("truncated", json.dumps(doc)[:100]),
        ("an ENI left out", dict(doc, members=[first[1:]] + doc["members"][1:]) if len(first) > 1 else
         dict(doc, members=doc["members"][1:])),
        ("an ENI twice", dict(doc, members=doc["members"] + [[enis[0]]])),
        ("an ENI not in the snapshot", dict(doc, members=doc["members"] + [["eni-not-here"]])),
        ("a class unsorted", dict(doc, members=[list(reversed(g)) if len(g) > 1 else g for g in doc["members"]])),
        ("a number that is a bool", dict(doc, numbers={**doc["numbers"], enis[0]: [True]})),
        ("an owned column past the arity", dict(doc, owned_columns=[["eni", 99]])),
        ("another key", dict(doc, key="0" * 40)),
        ("another version", dict(doc, version=symmetry_cache.VERSION + 1)),
        ("an extra field", dict(doc, code="print(1)")),
    ]


def test_a_damaged_or_foreign_document_is_a_miss(estate, tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    rel, consts, starts = _inputs(Session.open(estate[0]))
    fresh, _ = symmetry_cache.classes(rel, consts, starts)
    (path,) = (tmp_path / "cache").glob("classes-*.json")
    good = json.loads(path.read_text())
    cases = _damaged(good)
    assert any(len(g) > 1 for g in good["members"])  # the unsorted case damages something
    for what, doc in cases:
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        got, hit = symmetry_cache.classes(rel, consts, starts)
        assert not hit, what
        _same(got, fresh)
        assert json.loads(path.read_text()) == good, what  # and the good document is written back


def test_no_cache_writes_nothing(estate, tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("REASON_NO_CACHE", "1")
    session = Session.open(estate[0])
    assert session.analyzer.factoring.classes is not None and not session.analyzer.factoring.from_cache
    assert not list(tmp_path.glob("cache/classes-*"))


def test_recheck_computes_the_classes_again_even_when_the_cache_is_poisoned(estate, tmp_path, monkeypatch):
    """A well-formed but wrong document (ENIs of many classes merged) makes a query use wrong classes; ``reason
    recheck`` must not read it.  (Reading it, this proof DIFFERS.)"""
    out, meta = estate
    p = meta["picks"]
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    asserts = tmp_path / "iso.reason"
    asserts.write_text(f"assert unreachable {p['sg_a']} -> {p['sg_b']} any\n")
    proof = tmp_path / "iso.proof.json"
    r = _reason("verify", "--facts", str(out), "--proof", str(proof), str(asserts))
    assert r.returncode == 0, r.stdout + r.stderr
    (path,) = (tmp_path / "cache").glob("classes-*.json")
    doc = json.loads(path.read_text())
    before = len(doc["members"])
    by_len: dict[int, list[str]] = {}  # ENIs merged across classes, keeping what decode checks (numbers per member)
    for e, ns in doc["numbers"].items():
        by_len.setdefault(len(ns), []).append(e)
    doc["members"] = [sorted(v) for _, v in sorted(by_len.items())]
    assert len(doc["members"]) < before
    path.write_text(json.dumps(doc))
    session = Session.open(out)  # the poisoned document is one a query reads
    assert len(session.analyzer.factoring.classes) == len(doc["members"]) and session.analyzer.factoring.from_cache
    r = _reason("recheck", str(proof))
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(path.read_text()) == doc  # and recheck did not write the cache either


def test_recheck_parses_the_rules_again_even_when_the_parse_cache_is_poisoned(estate, tmp_path, monkeypatch):
    """A cached rule set with the rules of one predicate left out, and its source text (so the rules' hash) kept, makes
    ``verify`` write a false proof of isolation; ``reason recheck`` parses the files again and finds it (a review
    found recheck reading the parse cache)."""
    out, _ = estate
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    session = Session.open(out)
    found, _, _ = session.query_all("* -> * tcp 8000")
    assert found, "the estate has pairs that connect on tcp 8000"
    src, dst = found[0].src_eni, found[0].dst_eni
    (rules,) = (tmp_path / "cache").glob("rules-*.json")
    doc = json.loads(rules.read_text())
    doc["module"]["rules"] = [r for r in doc["module"]["rules"] if r["head"]["pred"] != "sg_ingress_admits"]
    rules.write_text(json.dumps(doc))
    asserts = tmp_path / "false.reason"
    asserts.write_text(f"assert unreachable {src} -> {dst} tcp 8000\n")
    proof = tmp_path / "false.proof.json"
    r = _reason("verify", "--facts", str(out), "--proof", str(proof), str(asserts))
    assert r.returncode == 0, r.stdout + r.stderr  # the poisoned cache: a false proof (what the cache doc warns of)
    r = _reason("recheck", str(proof))
    assert r.returncode == 1 and "DIFFERS" in r.stdout, r.stdout + r.stderr


def test_numbers_that_are_not_the_enis_own_are_a_miss(estate, tmp_path, monkeypatch):
    """A document whose numbers for an ENI are not values of its own rows (an address moved by one), repeat another
    ENI's, or differ in count within a class is a miss (a review made `query --all` print a wrong address with it)."""
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    rel, consts, starts = _inputs(Session.open(estate[0]))
    fresh, _ = symmetry_cache.classes(rel, consts, starts)
    (path,) = (tmp_path / "cache").glob("classes-*.json")
    good = json.loads(path.read_text())
    e, ns = next((e, ns) for e, ns in good["numbers"].items() if ns)
    other = next(x for x, xs in good["numbers"].items() if xs and x != e)
    group = next(g for g in good["members"] if len(g) > 1)
    for what, numbers in (("an address moved by one", {**good["numbers"], e: [ns[0] + 1] + ns[1:]}),
                          ("another ENI's number", {**good["numbers"], e: ns + [good["numbers"][other][0]]}),
                          ("one member with fewer", {**good["numbers"], group[0]: good["numbers"][group[0]][1:]}
                           if good["numbers"][group[0]] else {**good["numbers"], group[0]: [ns[0]]})):
        path.write_text(json.dumps(dict(good, numbers=numbers)))
        got, hit = symmetry_cache.classes(rel, consts, starts)
        assert not hit, what
        _same(got, fresh)


def test_a_killed_writers_temporary_file_is_swept_by_a_later_write(tmp_path):
    """``--timeout`` and Ctrl-C end a command with SIGKILL, so a writer may leave ``.classes-*.tmp`` behind; the next
    write removes those older than an hour (a fresh one may be another process's, still writing)."""
    from reasoner.engine import disk_cache

    folder = tmp_path / "cache"
    folder.mkdir()
    stale, fresh = folder / ".classes-dead.tmp", folder / ".classes-busy.tmp"
    for f in (stale, fresh):
        f.write_text("{")
    old = os.stat(stale).st_mtime - disk_cache.STALE_SECONDS - 60
    os.utime(stale, (old, old))
    disk_cache.write_json(folder, "classes", "k", {"a": 1}, keep=4)
    assert not stale.exists() and fresh.exists() and json.loads((folder / "classes-k.json").read_text()) == {"a": 1}
