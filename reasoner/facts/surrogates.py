"""Lone UTF-16 surrogates in JSON text: found, so that a reader can refuse them where it reads the file.

JSON may write any UTF-16 code unit as an escape, and Python's ``json`` decodes ``"x\\ud800y"`` (a high surrogate
with no low one after it, or a low one alone) to a ``str`` that no UTF-8 text can hold: printing it, or handing it to
DuckDB, fails far from the file it came from.  Raw UTF-8 (or UTF-16/32) text cannot hold such a code unit, so only an
escape ``\\uD800``-``\\uDFFF`` can: a text without one is passed by one regex search, and only a text with one is
walked, to name the JSON path (or line) of the string that holds a lone surrogate (a valid pair decodes to one
character and passes).  This module only finds them; the readers (:mod:`reasoner.facts.importer`,
:mod:`reasoner.facts.store`) raise the error.
"""

from __future__ import annotations

import json
import re
from typing import Any

_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")

MESSAGE = ("holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair), which is no Unicode character "
           "and no text can hold")
HINT = "an AWS answer never holds one: fix or remove the string"


def has_lone(text: str) -> bool:
    """Whether the decoded string ``text`` holds a surrogate code point (only a lone escape puts one there)."""
    return _SURROGATE.search(text) is not None


def lone_surrogate_path(text: str, value: Any) -> str | None:
    """The JSON path (``$.SecurityGroups[0].GroupName``) of the first string or object key of ``value`` (the result
    of ``json.loads(text)``) holding a lone surrogate, or None.  Walked only when ``text`` has a surrogate escape;
    iterative, so as deep a value as ``json.loads`` returned is walked."""
    if _ESCAPE.search(text) is None:
        return None
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if has_lone(item):
                return where
        elif isinstance(item, dict):
            for key, sub in reversed(list(item.items())):
                if has_lone(key):
                    return f"{where}.{json.dumps(key)}"
                stack.append((sub, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((sub, f"{where}[{i}]") for i, sub in reversed(list(enumerate(item))))
    return None


def lone_surrogate_line(data: bytes) -> int | None:
    """The 1-based number of the first line of JSON-lines ``data`` whose strings hold a lone surrogate, or None
    (a line is decoded only when it holds a surrogate escape; a line that is not JSON is left to the reader)."""
    if _ESCAPE_BYTES.search(data) is None:
        return None
    for lineno, raw in enumerate(data.splitlines(), 1):
        if _ESCAPE_BYTES.search(raw) is None:
            continue
        try:
            text = raw.decode("utf-8")
            if lone_surrogate_path(text, json.loads(text)) is not None:
                return lineno
        except (ValueError, RecursionError):
            continue
    return None
