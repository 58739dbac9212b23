"""Fuzzing queries (issue 10): grammar-aware queries (SRC -> DST [PROTO [PORTS]]) with text
mutations, hostile names and out-of-range numbers.  Oracles: a query either parses or is a
QueryError; a printed query (str of the parsed one) parses to the same query; `reason query` exits
with 0, 1, 2 or 3 and never with an uncaught exception or "internal error".
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from typer.testing import CliRunner

from reasoner.cli import app
from reasoner.errors import QueryError
from reasoner.query.language import parse_assertions, parse_query
from rule_fuzz_support import MARKER, fuzz_settings, query_text

FACTS = Path(__file__).resolve().parents[2] / "facts"


@fuzz_settings(300)
@given(query_text())
def test_a_printed_query_parses_to_the_same_query(text):
    try:
        q = parse_query(text)
    except QueryError as err:
        assert err.code.startswith("query.") and err.render()
        return
    assert parse_query(str(q)) == q
    assert 0 <= q.port_lo <= q.port_hi <= 65535


@fuzz_settings(100)
@given(query_text())
def test_an_assertion_of_a_query_parses_like_the_query(text):
    try:
        q = parse_query(text)
    except QueryError:
        q = None
    if "\n" in text or "#" in text:
        return  # assertion files are line-based with # comments: not the same language
    try:
        (a,) = parse_assertions(f"assert unreachable {text}\n", "a.reason")
    except QueryError as err:
        assert q is None or err.code != "query.syntax", err.render()
        return
    assert a.query == q and not a.expect_reachable


@fuzz_settings(15)
@given(query_text())
def test_reason_query_answers_or_refuses_any_text(text):
    result = CliRunner().invoke(app, ["query", "--facts", str(FACTS), "--", text])
    assert result.exit_code in (0, 1, 2, 3), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert not MARKER.exists()
