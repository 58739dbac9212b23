"""Text from data, made safe for a terminal: no control characters, no rich markup.

Every string that comes from a snapshot or an AWS answer (names, tags, descriptions, ids, error
messages, and the messages built from them) is shown through :func:`plain` (printed with
``markup=False``) or :func:`markup` (interpolated into a rich markup string).  Both replace, by a
visible escape:

* C0 controls (``ESC``, ``BEL``, ``CR``, backspace, ...), ``DEL`` and C1 controls (``\\x9b`` = CSI):
  ``\\x1b`` etc., so no escape sequence reaches the terminal (screen clear, title change, cursor moves);
* newlines (``\\n``, ``\\r\\n``, U+2028/U+2029): the two characters ``\\n``, so a value can never start
  a line of its own and fake a verdict;
* Unicode bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C): ``\\u202e``
  etc., so text cannot be reordered on screen.

:func:`markup` then escapes rich markup (``[bold red]``, ``alb-sg[/]``) with ``rich.markup.escape``.
``block`` keeps our own line breaks (multi-line error messages) and cleans each line.  JSON output
never goes through here: it keeps every string exactly (``json.dumps`` escapes every control character).
CSV output does, cell by cell (:func:`csv_cell`, :func:`csv_text`), and is also kept from starting a formula.
"""

from __future__ import annotations

import re
from typing import Iterable

from rich.markup import escape as _rich_escape

_NEWLINES = re.compile(r"\r\n|[\n\r\u2028\u2029\x85]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(value: object) -> str:
    """``value`` as one line of text with every control character shown as an escape (for ``markup=False``)."""
    return _CONTROLS.sub(_visible, _NEWLINES.sub(r"\\n", str(value)))


def markup(value: object) -> str:
    """:func:`plain`, then rich markup escaped: safe to put inside a rich markup string."""
    return _rich_escape(plain(value))


def block(value: object) -> str:
    """A multi-line text of ours (an error with its hint and caret): each line cleaned, line breaks kept."""
    return "\n".join(plain(line) for line in str(value).split("\n"))


#: A spreadsheet evaluates a cell beginning with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@")


def csv_cell(value: object) -> object:
    """One CSV cell of data: no control character, no spreadsheet formula; numbers are kept as they are.

    Control characters get the visible escapes of :func:`plain` (``\\x1b``, ``\\n``, ``\\u202e``) rather than
    RFC 4180 quoting alone: quotes keep a line break inside the cell, but the ESC, C1 and bidi characters
    would still reach the terminal the CSV is printed on (and line-based tools split on the newline anyway).
    The exact strings are in ``--format json``.  A text cell that begins with ``=``, ``+``, ``-`` or ``@``
    (TAB and CR are already escaped) gets a leading ``'``, so a spreadsheet shows it as text.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = plain(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_text(header: list[str], rows: Iterable[Iterable[object]]) -> str:
    """CSV (RFC 4180 quoting, ``\\n`` line ends) of a header and rows, every cell through :func:`csv_cell`;
    no final newline.  The one CSV writer of the CLI's ``--format csv`` answers."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return buf.getvalue().removesuffix("\n")
