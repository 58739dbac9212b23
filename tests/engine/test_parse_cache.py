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
    assert len(list((tmp_path / "cache").glob("rules-*.pickle"))) == 1
    again = parse_files([f])
    assert [str(r) for r in again.rules] == [str(r) for r in first.rules]
    _write(tmp_path, ".decl e(a: number)\ne(2).\n")
    assert "2" in str(parse_files([f]).rules[0]) and len(list((tmp_path / "cache").glob("*.pickle"))) == 2


def test_corrupt_cache_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("REASON_CACHE_DIR", str(tmp_path / "cache"))
    f = _write(tmp_path, ".decl e(a: number)\ne(1).\n")
    parse_files([f])
    for p in (tmp_path / "cache").glob("*.pickle"):
        p.write_bytes(b"not a pickle")
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
    assert not list((tmp_path / "cache").glob("*.pickle"))
