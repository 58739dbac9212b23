"""Addresses of both families as one integer line, so that every rule's ``lo <= ip <= hi`` is exact.

An IPv4 address is its 32-bit value (0 .. 2**32-1, as before IPv6 was modelled: IPv4 answers are unchanged).
An IPv6 address is its 128-bit value.  IPv6 CIDRs are clipped below at ``V6_FLOOR`` = 2**32, so the two
families occupy disjoint ranges: ``0.0.0.0/0`` never matches an IPv6 address and ``::/0`` never matches an
IPv4 one, and longest-prefix route selection compares only routes of the packet's own family.  The clipped
block ``::/96`` holds the unspecified and loopback addresses and the deprecated IPv4-compatible addresses
(RFC 4291 2.5.5.1), none of which AWS assigns to an interface or lets a rule name usefully.

Handled: parsing addresses and CIDRs of either family, the family of a number, text for people, CIDR
summaries of a range.  Not handled: IPv4-mapped IPv6 (``::ffff:a.b.c.d``) as a second spelling of an IPv4
address (it is an IPv6 address here, as it is on the wire).
"""

from __future__ import annotations

import functools
import ipaddress

V4_MAX = (1 << 32) - 1
V6_FLOOR = 1 << 32
V6_MAX = (1 << 128) - 1
#: The whole space of each family, as ranges on the line.
FAMILIES = {"ipv4": (0, V4_MAX), "ipv6": (V6_FLOOR, V6_MAX)}


def family(n: int) -> str:
    """``"ipv4"`` or ``"ipv6"``: which family the number on the line belongs to."""
    return "ipv4" if n <= V4_MAX else "ipv6"


def parse(text: str) -> int:
    """An address of either family as its number; ValueError if it is neither."""
    a = ipaddress.ip_address(str(text).strip())
    n = int(a)
    if a.version == 6 and n < V6_FLOOR:
        raise ValueError(f"{text} is in ::/96 (unspecified, loopback or IPv4-compatible): not an interface address")
    return n


def parse_cidr(text: str) -> tuple[int, int, int]:
    """A CIDR of either family as ``(lo, hi, prefix length)``; IPv6 ranges clipped at ``V6_FLOOR``."""
    net = ipaddress.ip_network(str(text).strip(), strict=False)
    lo, hi = int(net.network_address), int(net.broadcast_address)
    if net.version == 6:
        if hi < V6_FLOOR:
            raise ValueError(f"{text} lies inside ::/96, which holds no interface address")
        lo = max(lo, V6_FLOOR)
    return lo, hi, net.prefixlen


@functools.lru_cache(maxsize=1 << 16)
def text(n: int) -> str:
    """A number on the line as address text: dotted (IPv4) or colon (IPv6) notation."""
    return str(ipaddress.IPv4Address(n) if n <= V4_MAX else ipaddress.IPv6Address(n))


def _obj(n: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(n) if n <= V4_MAX else ipaddress.IPv6Address(n)


def range_text(lo: int, hi: int) -> str:
    """A range as one CIDR when it is one (``::/0`` for the clipped IPv6 space), else ``lo-hi``."""
    if (lo, hi) == FAMILIES["ipv6"]:
        return "::/0"
    nets = summarize(lo, hi)
    return str(nets[0]) if len(nets) == 1 else f"{text(lo)}-{text(hi)}"


def summarize(lo: int, hi: int) -> list:
    """The CIDR blocks covering [lo, hi] (a range is split at the family boundary if it crosses it)."""
    if lo <= V4_MAX < hi:
        return summarize(lo, V4_MAX) + summarize(V6_FLOOR, hi)
    return list(ipaddress.summarize_address_range(_obj(lo), _obj(hi)))



def subtract(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of the inclusive ranges ``a`` outside every range of ``b`` (overlapping ranges of ``a`` give
    overlapping parts)."""
    out: list[tuple[int, int]] = []
    for lo, hi in a:
        pieces = [(lo, hi)]
        for blo, bhi in b:
            nxt = []
            for plo, phi in pieces:
                if bhi < plo or blo > phi:
                    nxt.append((plo, phi))
                    continue
                if plo < blo:
                    nxt.append((plo, blo - 1))
                if bhi < phi:
                    nxt.append((bhi + 1, phi))
            pieces = nxt
        out.extend(pieces)
    return out
