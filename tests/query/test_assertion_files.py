"""Assertion files (queries/*.reason): each line is an assertion parsed apart, so every bad line is reported at once."""

from __future__ import annotations

import pytest

from reasoner.errors import AssertionFileError, QueryError
from reasoner.query.language import parse_assertions

BAD = ("# the checks\n"
       "assert maybe a -> b tcp 22\n"          # 2:8 syntax
       "assert reachable a -> b tcp 22\n"      # fine
       "  assert unreachable a -> b tcp 99999\n"  # 4:33 port range
       "assert reachable a b -> c\n"           # 5:20 syntax (a name with a space)
       'assert reachable "\\q" -> c\n')       # 6:18 bad escape


def test_every_bad_line_of_a_file_is_reported_with_its_location_caret_and_hint() -> None:
    """A user with three broken lines fixed the first, ran again and found the next: now all of them, in one error."""
    with pytest.raises(AssertionFileError) as info:
        parse_assertions(BAD, "f.reason")
    e = info.value
    assert isinstance(e, QueryError) and e.code == "query.syntax" and e.location == "f.reason:2:8"  # the first's own
    assert [(d.line, d.column, d.code) for d in e.diagnostics] == [
        (2, 8, "query.syntax"), (4, 33, "query.port"), (5, 20, "query.syntax"), (6, 18, "query.syntax")]
    assert [x.location for x in e.errors] == ["f.reason:2:8", "f.reason:4:33", "f.reason:5:20", "f.reason:6:18"]
    assert all(d.hint for d in e.diagnostics) and all(d.file == "f.reason" for d in e.diagnostics)
    text = e.render().split("\n")
    assert text[-1] == "4 errors in assertion files; nothing was run."
    for x in e.errors:  # each with its line and a caret under its column
        block = x.render().split("\n")
        col = int(x.location.rsplit(":", 1)[1])
        assert block[2].index("^") - 4 == col - 1 and block[1][4:] == BAD.splitlines()[int(x.location.split(":")[1]) - 1]


def test_one_bad_line_renders_as_before() -> None:
    with pytest.raises(AssertionFileError) as info:
        parse_assertions("assert reachable a -> b tcp 70000\n", "g.reason")
    assert len(info.value.errors) == 1 and info.value.render() == info.value.errors[0].render()
    assert info.value.render().startswith("g.reason:1:29: error[query.port]: port range 70000-70000")
    assert "nothing was run" not in info.value.render()


@pytest.mark.parametrize("odd", ["\x0c", "\x1c", "\x85", "\u2028"])
def test_a_line_is_numbered_as_an_editor_numbers_it(odd: str) -> None:
    """str.splitlines ends a line at a form feed, \\x1c-\\x1e, \\x85 or U+2028 too: a comment holding one would move
    every later error a line down from where the user's editor shows it (the rule files count lines the same way:
    reasoner/engine/syntax.py source_lines)."""
    with pytest.raises(AssertionFileError) as info:
        parse_assertions(f"# caf{odd}e\r\nassert reachable a -> b tcp 22\rassert maybe a -> b\n", "f.reason")
    assert [(d.line, d.column) for d in info.value.diagnostics] == [(3, 8)]
    assert info.value.diagnostics[0].source_line == "assert maybe a -> b"
