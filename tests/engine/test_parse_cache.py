"""The parsed-rules cache: same answer as a fresh parse, invalidated by any change, never trusted blindly."""

from reasoner.engine.parse import parse_files


def _write(tmp_path, text):
    p = tmp_path / "r.dl"
    p.write_text(text)
    return p


def test_cache_hit_equals_fresh_parse_and_edits_invalidate(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    f = _write(tmp_path, ".decl e(a: number)\ne(1).\n")
    first = parse_files([f])
    assert len(list((tmp_path / "cache").glob("rules-*.json"))) == 1
    again = parse_files([f])
    assert [str(r) for r in again.rules] == [str(r) for r in first.rules]
    _write(tmp_path, ".decl e(a: number)\ne(2).\n")
    assert "2" in str(parse_files([f]).rules[0]) and len(list((tmp_path / "cache").glob("rules-*.json"))) == 2


def test_corrupt_cache_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    f = _write(tmp_path, ".decl e(a: number)\ne(1).\n")
    parse_files([f])
    for p in (tmp_path / "cache").glob("rules-*.json"):
        p.write_bytes(b"not json \xff")
    assert len(parse_files([f]).rules) == 1


def test_errors_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    f = _write(tmp_path, ".decl e(a: number)\ne(1\n")
    for _ in range(2):
        try:
            parse_files([f])
        except Exception as e:  # RuleError both times, with its location
            assert "r.dl" in str(e.render() if hasattr(e, "render") else e)
        else:
            raise AssertionError("a syntax error must raise")
    assert not list((tmp_path / "cache").glob("rules-*.json"))



def test_a_parse_cached_by_other_parsing_code_is_not_used(tmp_path, monkeypatch):
    """The key holds the parsing code (parse.py, syntax.py), not the grammar alone: a file that a newer parser refuses
    (a repeated annotation, a column named twice) was accepted and cached by the older one, and the cached tree kept
    answering, so the new check never ran on it."""
    from reasoner.engine import parse_cache

    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    f = _write(tmp_path, ".decl e(a: number)\ne(1).\n")
    parse_files([f])
    monkeypatch.setattr(parse_cache, "parser_sha256", lambda: "another parser")
    parse_files([f])
    assert len(list((tmp_path / "cache").glob("rules-*.json"))) == 2

# -- hostile caches (issue 10, item 1): a planted file never runs code and never breaks parsing ---------------------------

import json  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reasoner.engine import parse_cache  # noqa: E402


class _Payload:
    """Unpickling this writes a marker file: proof that the cache ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _plant_everywhere(folder: Path, marker: Path) -> None:
    """A malicious pickle under every name a cache entry of the current or an older format could have."""
    bomb = pickle.dumps(_Payload(marker))
    folder.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in folder.iterdir()} | {p.with_suffix(".pickle").name for p in folder.glob("rules-*.json")}
    for name in names:
        (folder / name).write_bytes(bomb)


def test_a_planted_pickle_never_runs(tmp_path, monkeypatch):
    cache, marker = tmp_path / "cache", tmp_path / "PWNED"
    monkeypatch.setenv("REASON_CACHE_DIR", str(cache))
    f = _write(tmp_path, ".decl e(a: number)\ne(1).\n")
    parse_files([f])                      # learn the file names the cache uses for these rules
    _plant_everywhere(cache, marker)
    again = parse_files([f])              # falls back to parsing
    assert not marker.exists(), "the parse cache executed a planted pickle"
    assert [str(r) for r in again.rules] == [str(r) for r in parse_files([f], cache=False).rules]


def test_a_planted_pickle_never_runs_in_a_fresh_cli_process(tmp_path):
    """The real CLI in a new process (no lru caches): the shipped rules with every cache file replaced by a bomb."""
    cache, marker = tmp_path / "cache", tmp_path / "PWNED"
    env = dict(os.environ, REASON_CACHE_DIR=str(cache), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    root = Path(__file__).resolve().parents[2]
    cmd = [sys.executable, "-m", "reasoner", "query", "--facts", str(root / "facts"), "alb-eni -> task-eni tcp 8000"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1, first.stdout + first.stderr
    _plant_everywhere(cache, marker)
    _plant_everywhere(tmp_path / "tmp", marker)  # lark's own parser cache lived here (a pickle, too)
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert not marker.exists(), "a planted pickle ran"
    assert again.returncode == 1 and again.stdout == first.stdout, again.stderr


def test_lark_writes_no_pickle_to_the_temp_folder(tmp_path, monkeypatch):
    """lark's ``cache=True`` stores its parser as a pickle under a predictable name in /tmp, which any local
    user can plant; our parsers are built without it."""
    import tempfile

    from reasoner.engine import parse as parse_mod
    from reasoner.query import language

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    parse_mod._parser.cache_clear()
    language._parser.cache_clear()
    try:
        parse_mod._parser()
        language._parser()
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".lark")]
    finally:
        parse_mod._parser.cache_clear()
        language._parser.cache_clear()


def _entry(cache: Path) -> Path:
    [path] = cache.glob("rules-*.json")
    return path


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(version=99),
    lambda d: d.update(format="pickle"),
    lambda d: d.update(key="0" * 32),
    lambda d: d["module"].update(_t="os.system"),
    lambda d: d["module"]["rules"][0].update(_t="Decl"),
    lambda d: d["module"]["rules"][0]["head"]["args"][0].update(value=True),     # bool is not an int
    lambda d: d["module"]["rules"][0]["head"]["args"][0].update(value=[1]),
    lambda d: d["module"]["rules"][0]["head"].update(extra=1),
    lambda d: d["module"]["rules"][0]["head"].pop("pred"),
    lambda d: d["module"]["decls"][0].update(columns="a: number"),
    lambda d: d["module"].update(rules={"__reduce__": "os.system"}),
    lambda d: d.pop("module"),
], ids=["version", "format", "key", "tag", "wrong-node", "bool", "list", "extra-field", "missing-field", "str-for-tuple",
        "dict-for-list", "no-module"])
def test_any_mismatch_in_the_cache_means_parse_again(tmp_path, monkeypatch, mutate):
    cache = tmp_path / "cache"
    monkeypatch.setenv("REASON_CACHE_DIR", str(cache))
    f = _write(tmp_path, ".decl e(a: number)\ne(1).\n")
    fresh = parse_files([f])
    doc = json.loads(_entry(cache).read_text())
    mutate(doc)
    _entry(cache).write_text(json.dumps(doc))
    got = parse_files([f])
    assert [str(r) for r in got.rules] == [str(r) for r in fresh.rules]
    assert [d.columns for d in got.decls] == [d.columns for d in fresh.decls]
    assert json.loads(_entry(cache).read_text())["version"] == parse_cache.VERSION  # rewritten, valid again


def test_a_cached_tree_is_exactly_the_parsed_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    f = _write(tmp_path, '.decl e(a: number, b: symbol) @code("X") @message("m {a}")\n'
                         'e(1, "x").\nh(A) :- e(A, _), !e(A, "y"), A < 2 * (3 - -A), A != 1 % 2.\n.decl h(a: number)\n')
    fresh = parse_files([f], cache=False)
    parse_files([f])
    cached = parse_files([f])
    assert cached.rules == fresh.rules and cached.decls == fresh.decls and cached.sources == fresh.sources
    assert [d.annotations for d in cached.decls] == [d.annotations for d in fresh.decls]
    assert [(r.loc, r.head.loc) for r in cached.rules] == [(r.loc, r.head.loc) for r in fresh.rules]


_SMALL = ('.decl e(a: number, b: symbol) @code("X")\ne(1, "x").\nh(A) :- e(A, _), !e(A, "y"), A < 2 * (3 - -A).\n'
          '.decl h(a: number)\n')
_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=3)
                     | st.sampled_from(["Var", "Const", "Atom", "BinOp", "Loc", "Rule", "Decl", "Module", "Wildcard"]),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["_t", "name", "value", "x"]), inner, max_size=3),
                     max_leaves=6)


def _places(node, path=()):
    """Every place in a JSON tree: (path, container, key)."""
    if isinstance(node, dict):
        for k in list(node):
            yield path + (k,), node, k
            yield from _places(node[k], path + (k,))
    elif isinstance(node, list):
        for i in range(len(node)):
            yield path + (i,), node, i
            yield from _places(node[i], path + (i,))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_decode_is_exact_on_damaged_trees(tmp_path_factory, data):
    """Whatever a cached tree is changed into (a value replaced, a field removed or added), decode either refuses it
    or gives the tree that encodes to exactly it: it never accepts something it would not write."""
    path = tmp_path_factory.mktemp("pc") / "r.dl"
    path.write_text(_SMALL)
    doc = json.loads(json.dumps(parse_cache.encode(parse_files([path], cache=False))))
    places = list(_places(doc))
    _, container, key = data.draw(st.sampled_from(places))
    how = data.draw(st.sampled_from(["replace", "remove", "add"]))
    if how == "replace":
        container[key] = data.draw(_JSON)
    elif how == "remove":
        del container[key]
    elif isinstance(container, dict):
        container[data.draw(st.sampled_from(["extra", "_t", "name"]))] = data.draw(_JSON)
    else:
        container.append(data.draw(_JSON))
    try:
        tree = parse_cache.decode(doc)
    except parse_cache.Invalid:
        return
    assert parse_cache.encode(tree) == doc
