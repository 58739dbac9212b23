"""Set questions answered set-at-a-time: the packet space of a query, evaluated in DuckDB, explained by pyDatalog.

``packets`` enumerates a query's representative packets in the order ``Analyzer.analyze`` visits them (the
same cuts: see ``reasoner/explain/paths.py``), ``search`` evaluates them with a backend
(``reasoner/engine/backend.py``) and applies the analyzer's choice: the first packet that gets through and
back answers "reachable"; otherwise the nearest miss (through the forward path if any packet is, then the
fewest blocking hops, first in order on a tie) explains "unreachable".  ``analyze_set`` then asks pyDatalog
for that one packet's path, blockers and derivation, exactly as the point path does, so the verdict, the
packet shown and ``packets_checked`` are the same whichever engine scanned the space (tests/explain/test_set_search.py).

``query --all`` uses ``every_reachable``: every packet that gets through, grouped by endpoint pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from reasoner.engine.backend import Backend
from reasoner.errors import QueryError
from reasoner.explain.paths import EPHEMERAL, HOPS, INTERNET, NOT_INTERNET, PORTED, Analyzer, Endpoint, Result, _cuts

#: Above this many representative packets a query is scanned by the set engine (when the session has one).
SET_THRESHOLD = 300
WANT = ["fwd_blocked", "ret_blocked"]


def check_query(srcs: list[Endpoint], dsts: list[Endpoint]) -> None:
    """The questions the analyzer refuses before looking at any packet (the same as ``Analyzer.analyze``)."""
    if srcs and dsts and all(e.is_internet for e in srcs) and all(e.is_internet for e in dsts):
        raise QueryError("query.unsupported", "both ends are the internet; name a resource of the snapshot on one side")
    if any(d.addressed == "public" for d in dsts) and not all(x.is_internet for x in srcs):
        raise QueryError("query.nat_reflection", "the destination is named by its public IP, so the path would leave "
                         "through an internet gateway and come back in (IGW_NAT_REFLECTION: not analysed as one path)",
                         hint="ask the two halves: SRC -> internet, then internet -> DST (or name DST by id)")


def packets(an: Analyzer, srcs: list[Endpoint], dsts: list[Endpoint], proto: str, port_lo: int,
            port_hi: int) -> Iterator[tuple[tuple, Endpoint]]:
    """The representative packets of the query, with their destination endpoint, in the analyzer's order."""
    sg_rules, nacl, ranges = an._rules_on(srcs + dsts)
    nacl_ports = sorted({(r[4], r[5]) for r in nacl})
    sg_ports = sorted({(r[2], r[3]) for r in sg_rules})
    if proto == "-1":
        used = {r[1] for r in sg_rules} | {r[3] for r in nacl}
        other = sorted((used | {next(str(n) for n in range(256) if str(n) not in used)}) - {"-1", "6", "17", "1"}, key=int)
        protos = ["6", "17", "1"] + other
    else:
        protos = [proto]
    inet = an.internet_ips(ranges) if any(e.is_internet and e.ips is None for e in srcs + dsts) else []
    dports = _cuts(port_lo, port_hi, nacl_ports + sg_ports)
    sports = _cuts(*EPHEMERAL, nacl_ports)
    for s in srcs:
        for d in dsts:
            if s.eni == d.eni:
                continue
            for sip in (s.ips if s.ips is not None else inet):
                for dip in (d.ips if d.ips is not None else inet):
                    for p in protos:
                        ported = p in PORTED
                        for dp in (dports if ported else [0]):
                            for sp in (sports if ported else [0]):
                                yield (s.eni, d.eni, sip, dip, p, sp, dp), d


def facts_of(row: tuple, dst: Endpoint) -> dict[str, list[tuple]]:
    """The per-query facts the analyzer asserts for a packet (``Analyzer._assert``)."""
    facts: dict[str, list[tuple]] = {"packet": [row]}
    if dst.addressed == "private":
        facts["addressed_privately"] = [(dst.eni,)]
    return facts


@dataclass
class Scan:
    """What a scan of the packet space found: the answer packet and how many packets it took."""

    row: tuple | None
    dst: Endpoint | None
    reachable: bool
    failing: list[str]
    checked: int


def search(backend: Backend, space: Iterable[tuple[tuple, Endpoint]]) -> Scan:
    """The first packet that gets through, else the nearest miss (the analyzer's choice, see module doc)."""
    space = list(space)
    best: Scan | None = None
    best_key: tuple[int, int] | None = None
    checked = 0
    answers = backend.evaluate((facts_of(row, d) for row, d in space), WANT)
    for (row, d), ans in zip(space, answers):
        checked += 1
        fwd = {r[0] for r in ans["fwd_blocked"]}
        ret = set() if fwd else {r[0] for r in ans["ret_blocked"]}
        if not fwd and not ret:
            return Scan(row, d, True, [], checked)
        key = (1, len(fwd)) if fwd else (0, len(ret))
        if best_key is None or key < best_key:
            best, best_key = Scan(row, d, False, [h for h in HOPS if h in (fwd or ret)], 0), key
    if best is None:
        raise QueryError("query.empty", "the query names no pair of distinct endpoints with addresses to analyse")
    best.checked = checked
    return best


def analyze_set(an: Analyzer, backend: Backend, query_text: str, srcs: list[Endpoint], dsts: list[Endpoint], proto: str,
                port_lo: int, port_hi: int, depth: int = 3, detail: bool = True) -> Result:
    """``Analyzer.analyze`` with the packet space scanned by ``backend``; pyDatalog explains the answer packet."""
    check_query(srcs, dsts)
    found = search(backend, packets(an, srcs, dsts, proto, port_lo, port_hi))
    assert found.row is not None and found.dst is not None
    an._assert(found.row, found.dst)
    try:
        if found.reachable:
            if detail and not an.p.holds("reach", found.row):  # the two engines must agree
                raise AssertionError(f"the set engine and pyDatalog disagree on {found.row}")
            res = an._result(query_text, found.row, True, [], depth, detail)
        else:
            failing = found.failing
            if detail:  # every blocker of the nearest miss, both ways
                blocked = {r[0] for r in an.p.query("hop_blocked", (None,))}
                failing = [h for h in HOPS if h in blocked]
            res = an._result(query_text, found.row, False, failing, depth, detail)
    finally:
        an._retract(found.row, found.dst)
    res.packets_checked = found.checked
    return res


def is_large(an: Analyzer, srcs: list[Endpoint], dsts: list[Endpoint], proto: str, port_lo: int, port_hi: int,
             threshold: int | None = None) -> bool:
    """Whether the query has more than ``threshold`` (default ``SET_THRESHOLD``) representative packets (counted lazily)."""
    threshold = SET_THRESHOLD if threshold is None else threshold
    n = 0
    for _ in packets(an, srcs, dsts, proto, port_lo, port_hi):
        n += 1
        if n > threshold:
            return True
    return False


@dataclass(frozen=True)
class PacketClass:
    """One piece of a query's packet space, which the rules cannot tell apart: a pair of endpoints, a protocol,
    and ranges of destination port, source port and addresses (inclusive)."""

    src_eni: str
    dst_eni: str
    proto: str
    dst_ports: tuple[int, int]
    src_ports: tuple[int, int]
    src_ips: tuple[int, int]
    dst_ips: tuple[int, int]


def _pieces(points: list[int], hi: int) -> dict[int, tuple[int, int]]:
    """Each cut point (a piece's representative) with the piece it stands for."""
    return {p: (p, (points[i + 1] - 1) if i + 1 < len(points) else hi) for i, p in enumerate(points)}


def every_reachable(an: Analyzer, backend: Backend, srcs: list[Endpoint], dsts: list[Endpoint], proto: str,
                    port_lo: int, port_hi: int) -> tuple[list[PacketClass], int]:
    """Every class of the query's packet space that gets through and back (``query --all``), in the analyzer's
    order, and how many classes were evaluated.  A class's representative packet decides for the whole class."""
    check_query(srcs, dsts)
    space = list(packets(an, srcs, dsts, proto, port_lo, port_hi))
    sg_rules, nacl, ranges = an._rules_on(srcs + dsts)
    nacl_ports = [(r[4], r[5]) for r in nacl]
    dpiece = _pieces(_cuts(port_lo, port_hi, nacl_ports + [(r[2], r[3]) for r in sg_rules]), port_hi)
    spiece = _pieces(_cuts(*EPHEMERAL, nacl_ports), EPHEMERAL[1])
    bounds = list(ranges) + [(int(n.network_address), int(n.broadcast_address)) for n in NOT_INTERNET] + an.vpc_ranges
    ipiece = _pieces(_cuts(0, 0xFFFFFFFF, bounds), 0xFFFFFFFF)
    explicit = {ip for e in srcs + dsts if e.is_internet and e.ips is not None for ip in e.ips}

    def addresses(eni: str, ip: int) -> tuple[int, int]:
        return ipiece[ip] if eni == INTERNET and ip not in explicit else (ip, ip)

    out = []
    answers = backend.evaluate((facts_of(row, d) for row, d in space), WANT)
    for (row, d), ans in zip(space, answers):
        if ans["fwd_blocked"] or ans["ret_blocked"]:
            continue
        s_eni, d_eni, sip, dip, p, sp, dp = row
        ported = p in PORTED
        out.append(PacketClass(
            s_eni, d_eni, p, dpiece[dp] if ported else (0, 0), spiece[sp] if ported else (0, 0),
            addresses(s_eni, sip), addresses(d_eni, dip)))
    return out, len(space)


def merge(classes: list[PacketClass]) -> list[PacketClass]:
    """Joins classes that differ only by adjacent source-port, then destination-port ranges (for reading)."""
    def join(items: list[PacketClass], field_: str) -> list[PacketClass]:
        out: list[PacketClass] = []
        for c in sorted(items, key=lambda c: (c.src_eni, c.dst_eni, c.proto, c.src_ips, c.dst_ips, c.dst_ports, c.src_ports)):
            prev = out[-1] if out else None
            if prev is not None:
                a, b = getattr(prev, field_), getattr(c, field_)
                same = all(getattr(prev, f) == getattr(c, f) for f in PacketClass.__dataclass_fields__ if f != field_)
                if same and b[0] == a[1] + 1:
                    out[-1] = PacketClass(**{**prev.__dict__, field_: (a[0], b[1])})
                    continue
            out.append(c)
        return out
    return join(join(classes, "src_ports"), "dst_ports")
