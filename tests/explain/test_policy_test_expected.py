"""An ``.expected`` file of ``reason test`` (reasoner/explain/policy_test.py read_expected): its lines as an editor
counts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoner.errors import QueryError
from reasoner.explain.policy_test import read_expected


def test_a_message_holding_a_unicode_line_separator_stays_one_row(tmp_path: Path) -> None:
    # str.splitlines would end the line at U+2028 (and at \x85, a form feed, \x1c-\x1e): the message a policy gives
    # could not be written in the file that expects it
    path = tmp_path / "case.expected"
    path.write_text("sg-1 | caf\u2028e\x85!\n# a comment\x0c\r\nsg-2 | open\r", encoding="utf-8")
    assert read_expected(path) == {("sg-1", "caf\u2028e\x85!"), ("sg-2", "open")}


def test_a_bad_line_is_named_by_the_number_an_editor_shows(tmp_path: Path) -> None:
    path = tmp_path / "case.expected"
    path.write_text("# caf\x1ce\nsg-1 | open\nno bar here\n", encoding="utf-8")
    with pytest.raises(QueryError) as info:
        read_expected(path)
    assert f"{path}:3:" in info.value.message
