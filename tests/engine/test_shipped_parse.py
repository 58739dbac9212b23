"""The shipped rules' parse (reasoner/engine/parse_cache.py: SHIPPED): written from the shipped rules as they are,
exactly their parse, and never used for any other text, nor when caches are off (``REASON_NO_CACHE``, ``reason
recheck``'s ``cache=False``)."""

from __future__ import annotations

import gzip
import json

import pytest

from reasoner.engine import parse_cache
from reasoner.engine.parse import parse_files, parse_texts, read_texts
from reasoner.engine.program import bundled_names, load_rules
from reasoner.engine.syntax import Atom, Const, Loc, Rule


def _texts():
    return read_texts(*bundled_names())


def test_the_shipped_parse_is_written_from_the_shipped_rules_as_they_are():
    """After editing rules/*.dl, rules.lark, parse.py or syntax.py, run ``python -m reasoner.engine.parse_cache``
    (else every first command on a machine parses the shipped rules with lark again: slower, never wrong)."""
    assert parse_cache.shipped(_texts()) is not None


def test_the_shipped_parse_is_exactly_the_parse_of_the_shipped_rules():
    """Every node, location and annotation (``==`` on the syntax tree skips locations: the encodings are compared)."""
    texts = _texts()
    shipped, fresh = parse_cache.shipped(texts), parse_texts(texts)
    assert parse_cache.encode(shipped) == parse_cache.encode(fresh)
    assert shipped.sources == dict(texts)


def test_an_edited_rule_file_is_parsed_not_answered_by_the_shipped_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    paths, names = bundled_names()
    texts = _texts()
    copies = []
    for path, (name, text) in zip(paths, texts):
        copy = tmp_path / path.name
        copy.write_text(text + ("\n// edited\n" if path is paths[0] else ""), encoding="utf-8")
        copies.append(copy)
    assert parse_cache.shipped(read_texts(copies, names)) is None
    module = parse_files(copies, names)
    assert module.sources[names[0]].endswith("// edited\n")
    assert module.rules == parse_texts(texts).rules  # (a comment: the same rules, from a parse of the edited text)


def _planted(tmp_path, texts) -> str:
    """A well-stamped shipped parse holding one rule more than the shipped rules: a witness of who answered."""
    module = parse_texts(texts)
    module.rules.append(Rule(Atom("planted_witness", (Const(1),), Loc("rules/planted.dl", 1, 1)), (),
                             Loc("rules/planted.dl", 1, 1)))
    out = tmp_path / "planted.json.gz"
    out.write_bytes(parse_cache.shipped_bytes(texts, module))
    return str(out)  # (an absolute name: the module's folder / it is it)


def _has_witness(module) -> bool:
    return any(r.head.pred == "planted_witness" for r in module.rules)


def test_the_shipped_parse_answers_for_the_shipped_rules_when_caches_are_on(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    monkeypatch.setattr(parse_cache, "SHIPPED", _planted(tmp_path, _texts()))
    paths, names = bundled_names()
    assert _has_witness(parse_files(paths, names))
    assert not list((tmp_path / "cache").glob("rules-*.json"))  # nothing parsed, nothing cached


@pytest.mark.parametrize("how", ["no_cache_env", "cache_false"])
def test_without_caches_the_shipped_rules_are_parsed(tmp_path, monkeypatch, how):
    """``REASON_NO_CACHE=1`` and ``reason recheck`` (``cache=False``): lark parses every file, the shipped parse is
    not read (the planted one would add its rule)."""
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(parse_cache, "SHIPPED", _planted(tmp_path, _texts()))
    paths, names = bundled_names()
    if how == "no_cache_env":
        monkeypatch.setenv("REASON_NO_CACHE", "1")
        module = parse_files(paths, names)
    else:
        monkeypatch.delenv("REASON_NO_CACHE", raising=False)
        module = parse_files(paths, names, cache=False)
    assert not _has_witness(module)


def test_user_rules_are_parsed_beside_the_shipped_parse(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    policy = tmp_path / "policy.dl"
    policy.write_text('violation(E, "no subnet") :- eni(E, "", _, _).\n', encoding="utf-8")
    checked = load_rules([policy])
    assert checked.module.rules[-1].head.pred == "violation" and checked.module.rules[-1].loc.file == str(policy)
    assert str(policy) in checked.module.sources and "rules/security_groups.dl" in checked.module.sources
    assert checked.module.rules[:-1] == load_rules(cache=False).module.rules  # the shipped rules, then the user's


@pytest.mark.parametrize("damage", [
    lambda data: b"not gzip",
    lambda data: gzip.compress(b"not json {"),
    lambda data: gzip.compress(b"__import__('os').system('touch /tmp/reason-planted')"),
    lambda data: _edited(data, lambda d: d.update(format="other")),
    lambda data: _edited(data, lambda d: d.update(version=d["version"] + 1)),
    lambda data: _edited(data, lambda d: d["stamp"].update(code_sha256="0" * 64)),
    lambda data: _edited(data, lambda d: d["stamp"]["files"].pop()),
    lambda data: _edited(data, lambda d: d["module"].update(sources={"rules/sg.dl": ""})),
    lambda data: _edited(data, lambda d: d["module"]["rules"][0].update(_t="Decl")),
    lambda data: _edited(data, lambda d: d.update(extra=1)),
], ids=["not-gzip", "not-json", "code", "format", "version", "code-stamp", "files-stamp", "sources", "node", "extra"])
def test_a_damaged_or_foreign_shipped_parse_is_refused(tmp_path, monkeypatch, damage):
    texts = _texts()
    shipped = tmp_path / "shipped.json.gz"
    shipped.write_bytes(damage(parse_cache.shipped_bytes(texts, parse_texts(texts))))
    monkeypatch.setattr(parse_cache, "SHIPPED", str(shipped))
    assert parse_cache.shipped(texts) is None


def _edited(data: bytes, change) -> bytes:
    doc = json.loads(gzip.decompress(data))
    change(doc)
    return gzip.compress(json.dumps(doc).encode())


def test_the_shipped_parse_records_that_this_checking_code_passed_it():
    """After editing check.py, typecheck.py, protocols.py or syntax.py, run ``python -m reasoner.engine.parse_cache``
    (else every command checks the shipped rules again: slower, never wrong)."""
    assert parse_cache.shipped(_texts(), checked=True) is not None


def test_the_shipped_rules_taken_as_checked_are_what_check_returns(monkeypatch, tmp_path):
    """``load_rules`` without user rules skips ``check`` on the recorded shipped parse (``check.trusted``): the same
    declarations, heads, edges and rules as checking them again."""
    from reasoner.engine.check import check
    from reasoner.engine.protocols import with_numbers

    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    paths, names = bundled_names()
    fast = load_rules()
    full = check(with_numbers(parse_texts(_texts()), names), shipped=frozenset(names))
    assert fast.decls == full.decls and fast.idb == full.idb and fast.edges == full.edges
    assert parse_cache.encode(fast.module) == parse_cache.encode(full.module)


@pytest.mark.parametrize("recorded", ["", "other code"])
def test_a_shipped_parse_not_recorded_as_checked_by_this_code_is_checked(tmp_path, monkeypatch, recorded):
    """A shipped parse whose check record is missing or names other checking code is checked when loaded: a rule of
    it reading an undeclared predicate is refused (RuleError), never taken as checked."""
    from reasoner.errors import RuleError

    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("REASON_NO_CACHE", raising=False)
    texts = _texts()
    module = parse_texts(texts)
    at = Loc("rules/planted.dl", 1, 1)
    module.rules.append(Rule(Atom("planted", (Const(1),), at), (Atom("nowhere", (Const(1),), at),), at))
    out = tmp_path / "planted.json.gz"
    out.write_bytes(parse_cache.shipped_bytes(texts, module, recorded))
    monkeypatch.setattr(parse_cache, "SHIPPED", str(out))
    with pytest.raises(RuleError) as err:
        load_rules()
    assert any(d.code == "undeclared" and "nowhere" in d.message for d in err.value.diagnostics)
