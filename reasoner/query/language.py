"""Parses query text ``SRC -> DST [PROTO [PORT | LO-HI]]`` (lark, LALR).

Protocol defaults to tcp and the ports to 0-65535 when omitted.  ``any`` asks every IP
protocol; ``proto N`` one IANA protocol number.  Ports apply to tcp and udp only (other protocols
have none).  Errors are QueryError with the column and a caret.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lark import Lark, UnexpectedInput

from reasoner.errors import QueryError

PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "any": "-1"}


@dataclass(frozen=True)
class Query:
    src: str
    dst: str
    proto: str = "tcp"
    port_lo: int = 0
    port_hi: int = 65535

    def __str__(self) -> str:
        ports = str(self.port_lo) if self.port_lo == self.port_hi else f"{self.port_lo}-{self.port_hi}"
        proto = self.proto if self.proto in PROTOCOLS else f"proto {self.proto}"
        return f"{self.src} -> {self.dst} {proto} {ports}"

    @property
    def proto_number(self) -> str:
        """IANA number as the rules spell it ("-1" = any)."""
        return PROTOCOLS.get(self.proto, self.proto)


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(resources.files("reasoner.query").joinpath("query.lark").read_text(), start="query", parser="lalr", cache=True)


def parse_query(text: str) -> Query:
    """Parses one query; raises QueryError("query.syntax") with a caret under the problem."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as err:
        col = getattr(err, "column", 1) or 1
        raise QueryError("query.syntax", f"cannot parse query at column {col}:\n    {text}\n    {' ' * (col - 1)}^",
                         hint='write it as  SRC -> DST [tcp|udp|icmp|any|proto N] [PORT|LO-HI], e.g. "alb-eni -> task-eni tcp 8000"') from None
    src, dst, proto, ports = tree.children
    name = "tcp"
    if proto is not None:
        tok = proto.children[0]
        if proto.data == "proto_number":
            number = int(tok)
            if number > 255:
                raise QueryError("query.protocol", f"protocol number {number} is not within 0-255")
            name = {"6": "tcp", "17": "udp", "1": "icmp"}.get(str(number), str(number))
        else:
            name = str(tok)
    out = Query(str(src.children[0]), str(dst.children[0]), name)
    if ports is not None:
        lo = int(ports.children[0])
        hi = int(ports.children[1]) if ports.children[1] is not None else lo
        if not (0 <= lo <= hi <= 65535):
            raise QueryError("query.port", f"port range {lo}-{hi} is not within 0-65535 (low first)")
        out = Query(out.src, out.dst, out.proto, lo, hi)
    return out
