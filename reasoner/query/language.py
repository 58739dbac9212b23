"""Parses query text ``SRC -> DST [PROTO [PORT | LO-HI]] [ipv4 | ipv6]`` (lark, LALR).

Protocol defaults to tcp and the ports to 0-65535 when omitted; without ``ipv4``/``ipv6`` a query covers
the packets of both address families.  ``any`` asks every IP
protocol; ``proto N`` one IANA protocol number.  Ports apply to tcp and udp only; for icmp (and ``proto 58``,
ICMPv6) the numbers are ICMP types (``icmp 8``: echo requests, every code; ``icmp 3-4``), which the query
carries as the range of messages ``type * 256 + code`` the rules compare (rules/00_snapshot.dl); other
protocols have none.  Errors are QueryError with the column and a caret.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark, UnexpectedInput

from reasoner.errors import QueryError
from reasoner.facts.context import ICMP_PROTOCOLS  # numbers in a query after them are ICMP types

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
        if self.proto_number in ICMP_PROTOCOLS:  # the types asked, as written (port_lo..port_hi are messages)
            lo, hi = self.port_lo // 256, self.port_hi // 256
            ports = "" if (lo, hi) == (0, 255) else f" {lo}" if lo == hi else f" {lo}-{hi}"
        else:
            ports = f" {self.port_lo}" if self.port_lo == self.port_hi else f" {self.port_lo}-{self.port_hi}"
        proto = self.proto if self.proto in PROTOCOLS else f"proto {self.proto}"
        return f"{self.src} -> {self.dst} {proto}{ports}" + (f" {self.family}" if self.family else "")

    @property
    def proto_number(self) -> str:
        """IANA number as the rules spell it ("-1" = any)."""
        return PROTOCOLS.get(self.proto, self.proto)


@lru_cache(maxsize=2)
def _parser(start: str = "query") -> Lark:
    # no lark cache (cache=True): it is a pickle under a predictable name in /tmp
    return Lark(resources.files("reasoner.query").joinpath("query.lark").read_text(), start=start, parser="lalr")


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
    Errors are QueryError located at file:line:column."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            tree = _parser("assertion").parse(line)
        except UnexpectedInput as err:
            col = getattr(err, "column", 1) or 1
            raise QueryError("query.syntax", f"cannot parse assertion:\n    {line}\n    {' ' * (col - 1)}^",
                             location=f"{file}:{n}:{col}",
                             hint="write it as  assert reachable|unreachable SRC -> DST [PROTO] [PORT|LO-HI] [ipv4|ipv6]") from None
        expect, qtree = tree.children
        try:
            q = _query_of(qtree)
        except QueryError as err:
            raise QueryError(err.code, err.message, location=f"{file}:{n}", hint=err.hint) from None
        out.append(Assertion(str(expect).lower() == "reachable", q, file, n, line))
    return out


def parse_query(text: str) -> Query:
    """Parses one query; raises QueryError("query.syntax") with a caret under the problem."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        col = getattr(err, "column", 1) or 1
        raise QueryError("query.syntax", f"cannot parse query at column {col}:\n    {text}\n    {' ' * (col - 1)}^",
                         hint='write it as  SRC -> DST [tcp|udp|icmp|any|proto N] [PORT|LO-HI] [ipv4|ipv6], e.g. "alb-eni -> task-eni tcp 8000"') from None
    return _query_of(tree)


def _query_of(tree) -> Query:
    src, dst, proto, ports, family = tree.children
    name = "tcp"
    if proto is not None:
        tok = proto.children[0]
        if proto.data == "proto_number":
            number = int(tok)
            if number > 255:
                raise QueryError("query.protocol", f"protocol number {number} is not within 0-255")
            name = {"6": "tcp", "17": "udp", "1": "icmp"}.get(str(number), str(number))
        else:
            name = str(tok).lower()
    fam = str(family).lower() if family is not None else None
    out = Query(str(src.children[0]), str(dst.children[0]), name, family=fam)
    if ports is not None:
        lo = int(ports.children[0])
        hi = int(ports.children[1]) if ports.children[1] is not None else lo
        if out.proto_number in ICMP_PROTOCOLS:  # ICMP types: every code of each
            if not (0 <= lo <= hi <= 255):
                raise QueryError("query.port", f"ICMP type range {lo}-{hi} is not within 0-255 (low first)",
                                 hint="after icmp come ICMP types, e.g. icmp 8 (echo request) or icmp 3 (destination unreachable)")
            return Query(out.src, out.dst, out.proto, lo * 256, hi * 256 + 255, fam)
        if not (0 <= lo <= hi <= 65535):
            raise QueryError("query.port", f"port range {lo}-{hi} is not within 0-65535 (low first)")
        out = Query(out.src, out.dst, out.proto, lo, hi, fam)
    return out
