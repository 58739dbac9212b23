"""Parses query text ``SRC -> DST [PROTO [PORT | LO-HI]] [ipv4 | ipv6]`` (lark, LALR).

Protocol defaults to tcp and the ports to 0-65535 when omitted; without ``ipv4``/``ipv6`` a query covers
the packets of both address families.  ``any`` asks every IP
protocol; ``proto N`` one IANA protocol number.  Ports apply to tcp and udp only; for icmp (and ``proto 58``,
ICMPv6) the numbers are ICMP types (``icmp 8``: echo requests, every code; ``icmp 3-4``), which the query
carries as the range of messages ``type * 256 + code`` the rules compare (rules/00_snapshot.dl); other
protocols have none.  A name holding characters a bare name cannot (a space, a comma, a quote, a ``#``) is written in
double quotes with JSON escapes, whole (``"tag:Team=Data Eng"``) or after its bare part (``tag:Team="Data Eng"``);
``written`` gives the form the tool writes back.  Errors are QueryError with the column and a caret.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import lark
from lark import Lark, Token, UnexpectedInput, UnexpectedToken
from lark.grammar import Rule
from lark.lexer import TerminalDef

from reasoner.engine.syntax import source_lines
from reasoner.errors import AssertionFileError, Diagnostic, QueryError
from reasoner.protocols import ICMP  # numbers in a query after them are ICMP types

PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "any": "-1"}


@dataclass(frozen=True)
class Query:
    src: str
    dst: str
    proto: str = "tcp"
    port_lo: int = 0
    port_hi: int = 65535
    #: "ipv4" or "ipv6" when the query asks about one address family only
    family: str | None = None

    def __str__(self) -> str:
        if self.proto_number in ICMP:  # the types asked, as written (port_lo..port_hi are messages)
            lo, hi = self.port_lo // 256, self.port_hi // 256
            ports = "" if (lo, hi) == (0, 255) else f" {lo}" if lo == hi else f" {lo}-{hi}"
        else:
            ports = f" {self.port_lo}" if self.port_lo == self.port_hi else f" {self.port_lo}-{self.port_hi}"
        proto = self.proto if self.proto in PROTOCOLS else f"proto {self.proto}"
        return f"{written(self.src)} -> {written(self.dst)} {proto}{ports}" + (f" {self.family}" if self.family else "")

    @property
    def proto_number(self) -> str:
        """IANA number as the rules spell it ("-1" = any)."""
        return PROTOCOLS.get(self.proto, self.proto)


@lru_cache(maxsize=1)
def _bare() -> re.Pattern:
    """A name the query language takes without quotes: query.lark's ENDPOINT, as the parser holds it."""
    return re.compile(_parser().get_terminal("ENDPOINT").pattern.to_regexp())


def written(name: str) -> str:
    """``name`` as a query writes it: bare when the language takes it so, else in double quotes with JSON escapes
    (a Name tag ``web server``, ``tag:Team=Data Eng``), so that the text parses back to the same name.  Keywords
    and prefixes keep their meaning inside quotes: quoting only lets a name hold any character."""
    return name if _bare().fullmatch(name) else json.dumps(name, ensure_ascii=False)


STARTS = ["query", "assertion"]
#: lark's LALR tables for query.lark, written by ``write_tables`` (``python -m reasoner.query.language``)
TABLES = "query.lark.tables"


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The parser of query.lark (both starts).  Building it costs about 0.015 s, on every command; so the tables it
    builds are shipped beside the grammar (``TABLES``) as plain literals (``ast.literal_eval``: data, never code;
    no lark ``cache=True``, a pickle under a predictable name in /tmp) and loaded when their stamp says they were
    written from this very grammar by this very lark version.  Otherwise (edited grammar, another lark, a missing
    or damaged file) the parser is built from the grammar: the same parser, built more slowly."""
    folder = resources.files("reasoner.query")
    grammar = folder.joinpath("query.lark").read_text()
    try:
        return _from_tables(folder.joinpath(TABLES).read_text(), grammar)
    except Exception:  # (any failure to read or load the tables: they are only a shortcut)
        return _build(grammar)


def _build(grammar: str) -> Lark:
    return Lark(grammar, start=STARTS, parser="lalr")


def _stamp(grammar: str) -> dict[str, str]:
    return {"grammar_sha256": hashlib.sha256(grammar.encode()).hexdigest(), "lark": lark.__version__,
            "starts": ",".join(STARTS)}


def _from_tables(text: str, grammar: str) -> Lark:
    """The parser the tables ``text`` hold; ValueError unless they were written from ``grammar`` by this lark."""
    doc = ast.literal_eval(text)
    if not isinstance(doc, dict) or doc.get("stamp") != _stamp(grammar):
        raise ValueError("the tables were written from another grammar or by another lark")
    return Lark.load({"data": doc["data"], "memo": doc["memo"]})


def tables_text(grammar: str) -> str:
    """The tables of ``grammar``'s parser, as ``TABLES`` holds them."""
    data, memo = _build(grammar).memo_serialize([TerminalDef, Rule])
    return repr({"stamp": _stamp(grammar), "data": data, "memo": memo}) + "\n"


def write_tables() -> Path:
    """Writes ``TABLES`` from query.lark (after the grammar changes, or for another lark version)."""
    here = Path(__file__).with_name("query.lark")
    out = here.with_name(TABLES)
    out.write_text(tables_text(here.read_text()))
    return out


@dataclass(frozen=True)
class Assertion:
    """``assert reachable|unreachable QUERY``: a saved expectation, checked by ``reason verify``."""

    expect_reachable: bool
    query: Query
    file: str = "<text>"
    line: int = 0
    text: str = ""


def parse_assertions(text: str, file: str = "<text>") -> list[Assertion]:
    """Parses an assertion file: one ``assert`` per line, ``#`` comments, blank lines ignored.
    Each line is parsed apart (query.lark has no construct over several lines), so every bad line of the file is
    reported, not only the first: AssertionFileError, each error a QueryError located at file:line:column."""
    out, errors, diags = [], [], []
    for n, raw in enumerate(source_lines(text), 1):  # (lines as an editor counts them: source_lines)
        if not raw.strip() or raw.lstrip().startswith("#"):  # (query.lark: only a COMMENT starts with #)
            continue
        try:
            out.append(_assertion(raw, file, n))
        except QueryError as err:
            col = getattr(err, "column", None) or 1
            errors.append(err)
            diags.append(Diagnostic(file, n, col, err.code, err.message.split("\n")[0].rstrip(":"), raw, err.hint))
    if errors:
        raise AssertionFileError(errors, diags)
    return out


def _assertion(raw: str, file: str, n: int) -> Assertion:
    """One line's assertion; QueryError located at file:n:column (``column`` holds the column)."""
    try:
        tree = _parser().parse(raw, start="assertion")
    except UnexpectedInput as err:
        col = getattr(err, "column", 1) or 1
        hint = "write it as  assert reachable|unreachable SRC -> DST [PROTO] [PORT|LO-HI] [ipv4|ipv6]"
        raise _at(QueryError("query.syntax", f"cannot parse assertion:\n    {raw}\n    {' ' * (col - 1)}^",
                             location=f"{file}:{n}:{col}",
                             hint=(_QUOTE_HINT + hint) if _name_goes_on(err, raw) else hint), col) from None
    expect, qtree = tree.children
    try:
        q = _query_of(qtree)
    except QueryError as err:
        col = getattr(err, "column", None)
        if not col:  # (every error of _query_of names its token; never without one, but never a wrong caret)
            raise QueryError(err.code, err.message, location=f"{file}:{n}", hint=err.hint) from None
        raise _at(QueryError(err.code, f"{err.message}:\n    {raw}\n    {' ' * (col - 1)}^", location=f"{file}:{n}:{col}",
                             hint=err.hint), col) from None
    # the assertion's text: from its first character to the end of its last token (the comment and blanks after it
    # are no part of it; every assertion ends in a named token: a name, a protocol, a port or a family)
    end = max(t.end_pos for t in tree.scan_values(lambda v: isinstance(v, Token)))
    return Assertion(str(expect).lower() == "reachable", q, file, n, raw[len(raw) - len(raw.lstrip()):end])


def _at(err: QueryError, column: int | None) -> QueryError:
    """``err``, with the column (in its line) of what it is about, when known."""
    err.column = column  # type: ignore[attr-defined]
    return err


def parse_query(text: str) -> Query:
    """Parses one query; raises QueryError("query.syntax") with a caret under the problem."""
    try:
        tree = _parser().parse(text, start="query")
    except UnexpectedInput as err:
        col = getattr(err, "column", 1) or 1
        hint = 'write it as  SRC -> DST [tcp|udp|icmp|any|proto N] [PORT|LO-HI] [ipv4|ipv6], e.g. "alb-eni -> task-eni tcp 8000"'
        if _name_goes_on(err, text):
            hint = _QUOTE_HINT + hint
        raise QueryError("query.syntax", f"cannot parse query at column {col}:\n    {text}\n    {' ' * (col - 1)}^",
                         hint=hint) from None
    return _query_of(tree)


_QUOTE_HINT = 'a name holding a space, a comma, a quote or a # goes in double quotes: "web server", tag:Team="Data Eng"; '


def _name_goes_on(err: UnexpectedInput, text: str) -> bool:
    """Whether the parser stopped where a name seems to go on: a second word right after one (``web server``; a number
    there is a misplaced port, not a name), or a character no bare name holds (a comma, a quote, a ``#``)."""
    if isinstance(err, UnexpectedToken):
        return err.token.type == "ENDPOINT" and not str(err.token).isdigit()
    pos = getattr(err, "pos_in_stream", None)
    return isinstance(pos, int) and 0 <= pos < len(text) and text[pos] in ",#'\""


def _query_of(tree) -> Query:
    src, dst, proto, ports, family = tree.children
    name = "tcp"
    if proto is not None:
        tok = proto.children[0]
        if proto.data == "proto_number":
            number = int(tok)
            if number > 255:
                raise _at(QueryError("query.protocol", f"protocol number {number} is not within 0-255",
                                     hint="IANA protocol numbers are 0-255, e.g. proto 47 (GRE)"), tok.column)
            name = {"6": "tcp", "17": "udp", "1": "icmp"}.get(str(number), str(number))
        else:
            name = str(tok).lower()
    fam = str(family).lower() if family is not None else None
    out = Query(_name(src.children[0]), _name(dst.children[0]), name, family=fam)
    if ports is not None:
        lo = int(ports.children[0])
        hi = int(ports.children[1]) if ports.children[1] is not None else lo
        if out.proto_number in ICMP:  # ICMP types: every code of each
            if not (0 <= lo <= hi <= 255):
                raise _at(QueryError("query.port", f"ICMP type range {lo}-{hi} is not within 0-255 (low first)",
                                     hint="after icmp come ICMP types, e.g. icmp 8 (echo request) or icmp 3 (destination "
                                          "unreachable)"), ports.children[0].column)
            return Query(out.src, out.dst, out.proto, lo * 256, hi * 256 + 255, fam)
        if not (0 <= lo <= hi <= 65535):
            raise _at(QueryError("query.port", f"port range {lo}-{hi} is not within 0-65535 (low first)",
                                 hint="a port is 0-65535, a range LO-HI with the low port first: tcp 8000-8100"),
                      ports.children[0].column)
        out = Query(out.src, out.dst, out.proto, lo, hi, fam)
    return out


def _name(tok) -> str:
    """An endpoint's name: the token, or the text of a quoted one (JSON escapes), after its bare part if it has one
    (``tag:Team="Data Eng"``); an escape JSON does not know, a lone surrogate or an empty name is a QueryError."""
    if tok.type not in ("QUOTED", "PREFIXED"):
        return str(tok)
    bare, quote, rest = str(tok).partition('"')
    try:
        name = bare + json.loads(quote + rest)
        name.encode("utf-8")  # a lone surrogate such as "\ud800" is not text
    except (ValueError, UnicodeError):
        raise _at(QueryError("query.syntax", f"bad escape in the quoted name {str(tok)[:60]}",
                             hint='inside quotes write \\" for a quote and \\\\ for a backslash (JSON escapes)'),
                  tok.column) from None
    if not name.strip():
        raise _at(QueryError("query.syntax", f"an empty name: {str(tok)}",
                             hint="name an ENI, an address, a tag, ... inside the quotes"), tok.column)
    return name


if __name__ == "__main__":
    print(f"wrote {write_tables()}")
