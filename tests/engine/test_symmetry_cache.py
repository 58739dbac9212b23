"""The symmetry classes kept on disk (reasoner/engine/symmetry_cache.py): a hit equals a fresh computation, any
changed input is a miss, a damaged or foreign document is a miss, and ``reason recheck`` never reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))
import generate  # noqa: E402

from reasoner.engine import symmetry, symmetry_cache  # noqa: E402
from reasoner.session import Session  # noqa: E402


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("estate") / "n80"
    return out, generate.write(out, 80, seed=11, variant="private")


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
    """A well-formed but wrong document (every ENI in one class) makes a query use wrong classes; ``reason recheck``
    must not read it.  (Without ``Factoring.cache = False`` in recheck, this proof DIFFERS.)"""
    out, meta = estate
    p = meta["picks"]
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    asserts = tmp_path / "iso.reason"
    asserts.write_text(f"assert unreachable {p['sg_a']} -> {p['sg_b']} any\n")
    proof = tmp_path / "iso.proof.json"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["reason", *args], capture_output=True, text=True, timeout=300)

    r = run("verify", "--facts", str(out), "--proof", str(proof), str(asserts))
    assert r.returncode == 0, r.stdout + r.stderr
    (path,) = (tmp_path / "cache").glob("classes-*.json")
    doc = json.loads(path.read_text())
    assert len(doc["members"]) > 1
    doc["members"] = [sorted(e for g in doc["members"] for e in g)]
    path.write_text(json.dumps(doc))
    session = Session.open(out)  # the poisoned document is one a query reads
    assert len(session.analyzer.factoring.classes) == 1 and session.analyzer.factoring.from_cache
    r = run("recheck", str(proof))
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(path.read_text()) == doc  # and recheck did not write the cache either
