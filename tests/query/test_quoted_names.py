"""Names in double quotes (query.lark's QUOTED, JSON escapes): a Name tag or a tag value holding a space, a comma, a
quote or a '#' can be written, and every query the tool writes back (``str(Query)``, hints) parses to the same names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoner.errors import QueryError
from reasoner.query.language import parse_assertions, parse_query, written

text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(lambda s: s.strip())


@settings(max_examples=300, deadline=None)
@given(text, text, st.sampled_from(["tcp", "udp", "any", "icmp"]))
def test_a_written_query_parses_back_to_the_same_names(src: str, dst: str, proto: str) -> None:
    q = parse_query(f"{written(src)} -> {written(dst)} {proto}")
    assert (q.src, q.dst) == (src, dst)
    assert parse_query(str(q)) == q


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Za-z0-9_.:/*@+=-]+", fullmatch=True),
       st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_a_quoted_part_after_a_bare_one_continues_the_name(bare: str, quoted: str) -> None:
    """``tag:Team="Data Eng"``: the quoted part, right after the bare one, belongs to the same name."""
    import json

    q = parse_query(f"{bare}{json.dumps(quoted, ensure_ascii=False)} -> x tcp 22")
    assert q.src == bare + quoted and parse_query(str(q)) == q


def test_bare_names_stay_bare_and_others_are_quoted() -> None:
    assert written("alb-eni") == "alb-eni" and written("tag:Name=web-task") == "tag:Name=web-task"
    assert written("web server") == '"web server"'
    assert written('my "db"') == '"my \\"db\\""'
    assert written("Data Eng, EU") == '"Data Eng, EU"'


def test_quoted_names_in_a_query() -> None:
    q = parse_query('"tag:Team=Data Eng, EU" -> "web server" tcp 443')
    assert (q.src, q.dst, q.port_lo) == ("tag:Team=Data Eng, EU", "web server", 443)
    assert str(q) == '"tag:Team=Data Eng, EU" -> "web server" tcp 443'
    assert parse_query('"alb-eni" -> task-eni tcp 8000') == parse_query("alb-eni -> task-eni tcp 8000")
    q = parse_query('tag:Team="Data Eng, EU" -> tag:Name="web server" tcp 443')
    assert (q.src, q.dst) == ("tag:Team=Data Eng, EU", "tag:Name=web server")
    assert parse_query('tag:Team="" -> x').src == "tag:Team="  # an empty tag value (AWS allows one)
    assert parse_query('a->"b c"').dst == "b c"  # (no bare part: "->" is not part of a name)


def test_a_hash_inside_quotes_is_not_a_comment() -> None:
    (a, b, c) = parse_assertions('assert unreachable "ops # eu" -> "a\\"#" tcp 22  # the comment\n'
                                 "assert reachable x -> y tcp 1 # \"quoted\" in a comment\n"
                                 'assert reachable tag:team="a # b" -> y  # a comment\n')
    assert (a.query.src, a.query.dst, a.expect_reachable) == ("ops # eu", 'a"#', False)
    assert a.text == 'assert unreachable "ops # eu" -> "a\\"#" tcp 22'
    assert (b.query.src, b.query.dst) == ("x", "y")
    assert c.query.src == "tag:team=a # b"


def test_an_assertion_error_is_located_at_the_files_own_column() -> None:
    """The line is parsed as the file has it (query.lark skips blanks and the comment): the column counts the
    indentation, and the caret stands under the file's own column of the error."""
    with pytest.raises(QueryError) as err:
        parse_assertions("# the checks\n    assert maybe a -> b tcp 22  # a comment\n", file="f.reason")
    assert err.value.location == "f.reason:2:12", err.value.location
    lines = err.value.message.splitlines()
    assert lines[2].index("^") == lines[1].index("maybe")


@pytest.mark.parametrize("bad,says", [('"" -> x', "an empty name"), ('"  " -> x', "an empty name"),
                                      ('"\\q" -> x', "bad escape"), ('"\\ud800" -> x', "bad escape"),
                                      ('"abc -> x', "cannot parse query"), ('"a\tb" -> x', "cannot parse query"),
                                      ('tag:a="\\q" -> x', "bad escape"), ('tag:a="b -> x', "cannot parse query")])
def test_a_bad_quoted_name_is_a_syntax_error(bad: str, says: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(bad)
    assert err.value.code == "query.syntax" and says in err.value.message


@pytest.mark.parametrize("text", ["web task -> alb-eni tcp 80", "alb-eni -> tag:Team=Data Eng tcp 80", "a -> b, c",
                                  "a -> 'b c' tcp 80"])
def test_a_name_with_a_space_unquoted_gets_a_hint_to_quote_it(text: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(text)
    assert 'goes in double quotes: "web server", tag:Team="Data Eng"' in (err.value.hint or "")
    with pytest.raises(QueryError) as err:
        parse_assertions(f"assert reachable {text}\n", "q.reason")
    assert "goes in double quotes" in (err.value.hint or "") and err.value.location.startswith("q.reason:1:")


@pytest.mark.parametrize("text", ["a -> b tcp 80 80", "a -> b tcp 80-", "-> b"])
def test_other_syntax_errors_keep_the_plain_hint(text: str) -> None:
    with pytest.raises(QueryError) as err:
        parse_query(text)
    assert "double quotes" not in (err.value.hint or "") and "write it as" in (err.value.hint or "")
