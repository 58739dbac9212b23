"""The symmetry classes kept on disk (reasoner/engine/symmetry_cache.py): a hit equals a fresh computation, any
changed input is a miss, a damaged or foreign document is a miss, and ``reason recheck`` never reads it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoner.engine import parse_cache, symmetry, symmetry_cache
from reasoner.engine.parse import parse_texts, read_texts
from reasoner.engine.program import bundled_names
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


def _reason_shipped(shipped: Path, *args: str) -> subprocess.CompletedProcess:
    """``reason ARGS`` in a fresh process whose shipped rules' parse (reasoner/engine/parse_cache.py) is read from
    ``shipped`` instead of the package's (a missing file: none, so the rules cache answers)."""
    prelude = ("import sys; from reasoner.engine import parse_cache; parse_cache.SHIPPED = sys.argv.pop(1); "
               "sys.argv[0] = 'reason'; from reasoner.cli import main; main()")
    return subprocess.run([sys.executable, "-c", prelude, str(shipped), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("poisoned", ["rules cache", "shipped parse"])
def test_recheck_parses_the_rules_again_even_when_the_parsed_rules_are_poisoned(estate, tmp_path, monkeypatch, poisoned):
    """A parsed rule set (in the cache folder, or the shipped parse) with the rules of one predicate left out, and its
    stamp or key kept, makes ``verify`` write a false proof of isolation; ``reason recheck`` parses the files again
    and finds it (a review found recheck reading the parse cache)."""
    out, _ = estate
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    shipped = tmp_path / "shipped.json.gz"  # (absent for the rules cache: the cache then holds the shipped rules)
    monkeypatch.setattr(parse_cache, "SHIPPED", str(shipped))
    session = Session.open(out)
    found, _, _ = session.query_all("* -> * tcp 8000")
    assert found, "the estate has pairs that connect on tcp 8000"
    src, dst = found[0].src_eni, found[0].dst_eni
    if poisoned == "rules cache":
        (rules,) = (tmp_path / "cache").glob("rules-*.json")
        doc = json.loads(rules.read_text())
        doc["module"]["rules"] = [r for r in doc["module"]["rules"] if r["head"]["pred"] != "sg_ingress_admits"]
        rules.write_text(json.dumps(doc))
    else:
        texts = read_texts(*bundled_names())
        module = parse_texts(texts)
        module.rules = [r for r in module.rules if r.head.pred != "sg_ingress_admits"]
        shipped.write_bytes(parse_cache.shipped_bytes(texts, module))
    asserts = tmp_path / "false.reason"
    asserts.write_text(f"assert unreachable {src} -> {dst} tcp 8000\n")
    proof = tmp_path / "false.proof.json"
    r = _reason_shipped(shipped, "verify", "--facts", str(out), "--proof", str(proof), str(asserts))
    assert r.returncode == 0, r.stdout + r.stderr  # the poisoned rules: a false proof (what the cache doc warns of)
    r = _reason_shipped(shipped, "recheck", str(proof))
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


def _decode_one_by_one(doc, k, relations):
    """The ENI-by-ENI reading ``decode`` replaced (kept as its specification: both accept exactly the same
    documents, and read them the same)."""
    if not isinstance(doc, dict) or set(doc) != {"format", "version", "key", "members", "owned_columns", "numbers"}:
        return None
    if doc["format"] != symmetry_cache.FORMAT or doc["version"] != symmetry_cache.VERSION or doc["key"] != k:
        return None
    members, owned, numbers = doc["members"], doc["owned_columns"], doc["numbers"]
    enis = {r[0] for r in relations.get("eni", ())}
    if not isinstance(members, list) or not isinstance(owned, list) or not isinstance(numbers, dict):
        return None
    out = symmetry.Classes()
    for cid, group in enumerate(members):
        if (not isinstance(group, list) or not group or not all(type(e) is str for e in group)
                or group != sorted(set(group))):
            return None
        out.members[cid] = group
        for e in group:
            if e in out.of or e not in enis:
                return None
            out.of[e] = cid
    if len(out.of) != len(enis):
        return None
    owned_columns = symmetry_cache._owned_columns(owned, relations)  # (a step the change left as it was)
    if owned_columns is None:
        return None
    out.owned_columns = owned_columns
    if set(numbers) != enis:
        return None
    mine: dict[str, set[int]] = {}
    for rows in relations.values():
        for row in rows:
            named = [v for v in row if type(v) is str and v in enis]
            if named:
                ints = {v for v in row if type(v) is int}
                for e in named:
                    mine.setdefault(e, set()).update(ints)
    taken: set[int] = set()
    for e, ns in numbers.items():
        if not isinstance(ns, list) or not all(type(n) is int for n in ns) or not set(ns) <= mine.get(e, set()):
            return None
        if len(set(ns)) != len(ns) or not taken.isdisjoint(ns):
            return None
        taken.update(ns)
        out.numbers[e] = tuple(ns)
    for group in members:
        if len({len(out.numbers[e]) for e in group}) != 1:
            return None
    return out


ENIS = ["eni-1", "eni-2", "eni-3", "eni-4"]
cell = st.sampled_from(ENIS + ["sg-1", "x"]) | st.integers(0, 6) | st.just(True)


@st.composite
def _snapshot_and_doc(draw):
    """A small snapshot (an ``eni`` relation, relations of (ENI, number) and (number, ENI, number) rows, one of mixed
    or ragged rows) and a
    document for it: mostly a fitting one, often damaged in one place."""
    enis = draw(st.lists(st.sampled_from(ENIS), min_size=1, unique=True))
    relations = {"eni": [(e, "subnet-1", draw(st.integers(0, 6))) for e in enis],
                 "ip": draw(st.lists(st.tuples(st.sampled_from(enis), st.integers(0, 6)), max_size=6)),
                 "two": draw(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(enis), st.integers(0, 6)), max_size=4)),
                 "odd": draw(st.lists(st.lists(cell, min_size=1, max_size=3).map(tuple), max_size=4))}
    order = draw(st.permutations(enis))
    cut = sorted(draw(st.sets(st.integers(1, max(1, len(enis) - 1)), max_size=2)))
    members = [sorted(order[a:b]) for a, b in zip([0] + cut, cut + [len(order)]) if order[a:b]]
    near: dict[str, list[int]] = {e: [] for e in enis}  # the numbers of rows naming each ENI: a fitting choice
    for rows in relations.values():
        for row in rows:
            for e in {v for v in row if type(v) is str and v in near}:
                near[e] += sorted({v for v in row if type(v) is int} - set(near[e]))
    numbers, taken = {}, set()
    for e in enis:
        pool = [n for n in near[e] if n not in taken] if draw(st.booleans()) else list(range(7))
        numbers[e] = draw(st.lists(st.sampled_from(pool), max_size=2, unique=True)) if pool else []
        taken |= set(numbers[e])
    owned = [["eni", draw(st.integers(0, 3))]]
    damage = draw(st.sampled_from(["none", "none", "unsorted", "dup", "drop", "str-number", "bool-number",
                                   "tuple-group", "empty-group", "foreign", "number-not-list"]))
    if damage == "unsorted" and len(members[0]) > 1:
        members[0] = members[0][::-1]
    elif damage == "dup":
        members.append([members[0][0]])
    elif damage == "drop":
        members[-1] = members[-1][:-1]
    elif damage == "str-number":
        numbers[enis[0]] = ["1"]
    elif damage == "bool-number":
        numbers[enis[0]] = [True]
    elif damage == "tuple-group":
        members[0] = tuple(members[0])
    elif damage == "empty-group":
        members.append([])
    elif damage == "foreign":
        members.append(["eni-9"])
    elif damage == "number-not-list":
        numbers[enis[0]] = 3
    doc = {"format": symmetry_cache.FORMAT, "version": symmetry_cache.VERSION, "key": "k", "members": members,
           "owned_columns": owned, "numbers": numbers}
    return relations, doc


@settings(max_examples=400, deadline=None)
@given(_snapshot_and_doc())
def test_decode_accepts_what_the_one_by_one_reading_accepted(case):
    relations, doc = case
    want, got = _decode_one_by_one(doc, "k", relations), symmetry_cache.decode(doc, "k", relations)
    assert (want is None) == (got is None)
    if got is not None:
        _same(got, want)


_ROWS = {"eni": [("eni-1", "subnet-1", "vpc-1"), ("eni-2", "subnet-1", "vpc-1")], "eni_ip": [("eni-1", 167772161), ("eni-2", 1 << 100)]}


@pytest.mark.parametrize("change", [
    lambda r: r["eni_ip"].__setitem__(0, ("eni-1", "167772161")),  # a number written as a string
    lambda r: r["eni_ip"].__setitem__(0, ("eni-1", True)),  # a boolean is not the number 1
    lambda r: r["eni_ip"].__setitem__(1, ("eni-2", (1 << 100) + 1)),  # a 128-bit number, off by one
    lambda r: r["eni"].append(("eni-3", "subnet-1", "vpc-1")),
    lambda r: r["eni"].__setitem__(1, ("eni-2", "subnet-1", "vpc-1\ud800")),  # a lone surrogate (JSON allows it)
    lambda r: r.__setitem__("eni_sg", []),  # one more (empty) relation
    lambda r: r["eni"].__setitem__(1, ("eni-2", "subnet-1vpc-1", "")),  # the same characters, cut elsewhere
])
def test_any_change_of_a_value_is_another_key(change):
    rows = {k: list(v) for k, v in _ROWS.items()}
    change(rows)
    assert symmetry_cache.key(rows, {"x"}, [1]) != symmetry_cache.key(_ROWS, {"x"}, [1])


def test_the_key_does_not_depend_on_how_the_values_are_shared():
    """The same rows, as copies with fresh strings or as one shared tuple repeated, give the same key (marshal's
    format 2 writes no references)."""
    fresh = {k: [tuple("".join(list(v)) if isinstance(v, str) else v + 0 for v in row) for row in rows]
             for k, rows in _ROWS.items()}
    row = _ROWS["eni"][0]
    shared, copied = {"eni": [row, row]}, {"eni": [tuple(row), tuple("".join(list(v)) for v in row)]}
    assert symmetry_cache.key(fresh, {"x"}, [1]) == symmetry_cache.key(_ROWS, {"x"}, [1])
    assert symmetry_cache.key(shared, set(), []) == symmetry_cache.key(copied, set(), [])


def test_import_computes_the_classes_the_first_question_then_reads(estate, tmp_path, monkeypatch):
    """``reason import`` keeps the new snapshot's classes (Session.index): the first set question reads them, and they
    are the classes a fresh computation gives; with the cache off the import computes and writes none."""
    out, _ = estate
    env = {**os.environ, "REASON_CACHE_DIR": str(tmp_path / "cache")}
    r = subprocess.run(["reason", "import", str(out), "--out", str(tmp_path / "facts")], capture_output=True, text=True,
                       timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(list((tmp_path / "cache").glob("classes-*.json"))) == 1
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    session = Session.open(tmp_path / "facts")
    cached = session.analyzer.factoring.classes
    assert session.analyzer.factoring.from_cache
    _same(cached, symmetry.classes(*_inputs(session)))
    assert f"symmetry classes: {len(cached)} " in r.stdout
    env["REASON_NO_CACHE"] = "1"
    r = subprocess.run(["reason", "import", str(out), "--out", str(tmp_path / "facts2")], capture_output=True, text=True,
                       timeout=300, env={**env, "REASON_CACHE_DIR": str(tmp_path / "cache2")})
    assert r.returncode == 0 and "symmetry classes" not in r.stdout, r.stdout + r.stderr
    assert not (tmp_path / "cache2").exists()
    (tmp_path / "afile").write_text("not a folder")  # a cache folder that cannot be made: nothing kept, nothing said
    r = subprocess.run(["reason", "import", str(out), "--out", str(tmp_path / "facts3")], capture_output=True, text=True,
                       timeout=300, env={**os.environ, "REASON_CACHE_DIR": str(tmp_path / "afile")})
    assert r.returncode == 0 and "symmetry classes" not in r.stdout, r.stdout + r.stderr
