"""The query parser's shipped tables (reasoner/query/language.py: query.lark.tables): written from the grammar,
parsing exactly as the parser built from the grammar, and never used (nor run) when they are not that."""

from __future__ import annotations

import ast
import functools
import hashlib
from importlib import resources

import lark
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import UnexpectedInput

from reasoner.query import language

GRAMMAR = resources.files("reasoner.query").joinpath("query.lark").read_text()
SHIPPED = resources.files("reasoner.query").joinpath(language.TABLES).read_text()

_WORD = st.sampled_from(["a", "web", "sg-1", "*", "internet", "10.0.0.1", "eni-0a", "->", "- >", "tcp", "UDP", "icmp",
                         "any", "proto", "58", "22", "8000-8080", "0", "65536", "-", "ipv4", "ipv6", "assert",
                         "reachable", "unreachable", "@", "#", ""])
_TEXT = st.one_of(st.lists(_WORD, max_size=8).map(" ".join), st.text(max_size=20))


def _outcome(parser: lark.Lark, text: str, start: str):
    try:
        return parser.parse(text, start=start)
    except UnexpectedInput as err:
        return ("error", type(err).__name__, getattr(err, "line", None), getattr(err, "column", None))


def test_the_shipped_tables_are_written_from_the_grammar_as_it_is():
    """After an edit of query.lark, run ``python -m reasoner.query.language`` (the tables would be ignored, and every
    command would build the parser again)."""
    stamp = ast.literal_eval(SHIPPED)["stamp"]
    assert stamp["grammar_sha256"] == hashlib.sha256(GRAMMAR.encode()).hexdigest()
    assert stamp["starts"] == ",".join(language.STARTS)


def test_the_shipped_tables_are_used_with_the_lark_that_wrote_them():
    if ast.literal_eval(SHIPPED)["stamp"]["lark"] == lark.__version__:
        assert isinstance(language._from_tables(SHIPPED, GRAMMAR), lark.Lark)
    else:  # another lark: refused (the parser is then built from the grammar)
        with pytest.raises(ValueError):
            language._from_tables(SHIPPED, GRAMMAR)


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.sampled_from(language.STARTS))
def test_a_parser_from_tables_parses_as_the_parser_built_from_the_grammar(text, start):
    assert _outcome(_loaded(), text, start) == _outcome(_built(), text, start)


@functools.cache
def _loaded() -> lark.Lark:
    """A parser from tables written now, by the lark installed (the shipped ones may be another lark's)."""
    return language._from_tables(language.tables_text(GRAMMAR), GRAMMAR)


@functools.cache
def _built() -> lark.Lark:
    return language._build(GRAMMAR)


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/reason-planted')",  # code: literal_eval refuses it, nothing runs
    "{'stamp': {}, 'data': {}, 'memo': {}}",  # another stamp
    "not python at all {",
])
def test_tables_that_are_not_this_grammars_are_refused(text):
    with pytest.raises((ValueError, SyntaxError)):
        language._from_tables(text, GRAMMAR)


def test_tables_of_an_edited_grammar_are_refused():
    with pytest.raises(ValueError):
        language._from_tables(SHIPPED, GRAMMAR + "\n// edited\n")


def test_without_usable_tables_the_parser_is_built_from_the_grammar(monkeypatch):
    monkeypatch.setattr(language, "TABLES", "no-such-file.tables")
    language._parser.cache_clear()
    try:
        assert language.parse_query("web -> db tcp 5432") == language.Query("web", "db", "tcp", 5432, 5432)
        with pytest.raises(language.QueryError):
            language.parse_query("web -> db tcp 5432 5433")
    finally:
        language._parser.cache_clear()
