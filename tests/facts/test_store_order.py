"""Rows read from a facts directory come back in ``_row_key`` order, whatever the file holds: the fast path
(``store._ordered``: rows already in order, or a plain tuple sort) must give exactly the order of the keyed sort,
for files written by ``write_facts`` and for hand-edited ones (duplicates, shuffled lines, a column mixing
strings and integers, rows of different lengths)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reasoner.facts import store

value = st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b", "c"]))
uniform = st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["x", "y"]), st.integers(0, 2)), max_size=30)
mixed = st.lists(st.lists(value, min_size=1, max_size=3).map(tuple), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.one_of(uniform, mixed))
def test_ordered_is_the_keyed_sort(rows: list[tuple]) -> None:
    assert store._ordered(list(rows)) == sorted(set(rows), key=store._row_key)


@settings(max_examples=100, deadline=None)
@given(st.one_of(uniform, mixed))
def test_rows_read_from_a_file_are_in_key_order(rows: list[tuple]) -> None:
    data = b"\n".join(json.dumps(list(r)).encode() for r in rows)
    assert store._parse_rows(Path("r.jsonl"), data) == sorted(set(rows), key=store._row_key)


def test_an_ordered_file_is_returned_as_read() -> None:
    rows = [(1, "a"), (1, "b"), (2, "a")]
    assert store._ordered(rows) is rows
    assert store._ordered([(2, "a"), (1, "a"), (2, "a")]) == [(1, "a"), (2, "a")]
    assert store._ordered([("a",), (1,)]) == [(1,), ("a",)]  # mixed column: integers first, as _row_key says


@settings(max_examples=200, deadline=None)
@given(st.one_of(uniform, mixed), st.lists(st.sampled_from([b"\n", b"\r\n", b"\n\n", b"\n  \n", b"\n\t"]), min_size=1),
       st.sampled_from([b"", b"\n", b"\r\n", b"\n\n"]), st.sampled_from([b"", b"\n", b" \n"]))
def test_line_ends_and_blank_lines_read_as_the_rows(rows: list[tuple], ends: list[bytes], tail: bytes, head: bytes) -> None:
    """Whatever separates the lines (CRLF, blank or white lines inside, before or after), the file reads as its rows:
    the fast path, which joins the lines by replacing their ends, gives way to the line-by-line reading when it
    cannot read them."""
    lines = [json.dumps(list(r)).encode() for r in rows]
    body = b"".join(line + ends[i % len(ends)] for i, line in enumerate(lines[:-1])) + (lines[-1] if lines else b"")
    data = head + body + tail
    assert store._parse_rows(Path("r.jsonl"), data) == sorted(set(rows), key=store._row_key)
