"""``reason audit exposure``: every ENI (and load balancer node) the internet can open connections to, on which
protocols and ports, through which gateway; sorted by risk.

For each ENI the query ``internet -> ENI any`` is enumerated with the cuts of the rules that ENI's hops read
(its security groups, its subnet's network ACL and route table, and the subnets a path may cross in its VPC:
reasoner/explain/space.py), so each representative packet stands for a piece of the space no rule can tell apart,
and every piece is evaluated by the set engine (``reasoner/engine/backend.py``).  A port range is reported
when some internet address and some source port of the piece get through and back.  The gateway is the
internet gateway attached to the ENI's VPC (the only way in from the internet in this model,
rules/reachability.dl ``fwd_route``).  For a load balancer node, only the ports one of its listeners accepts
are reported (``listener_accepts``), and for an ALB's node ICMP echo requests, which it answers itself
(reasoner/explain/lb_ping.py): a node answers on nothing else.

Risk order: all protocols first, then by the most sensitive port exposed (administration and database ports,
below), then by how many ports are open.  Both address families are audited (IPv6 global addresses are
public themselves).  Not handled: what a host does behind an open port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from reasoner.engine.backend import Backend
from reasoner.engine.separable import products
from reasoner.explain import wording
from reasoner.explain.paths import INTERNET, PORTED, PROTO_NAMES, Analyzer, Endpoint, group_facts
from reasoner.explain.lb_ping import ECHO_REQUEST
from reasoner.explain.scan import ANSWER_RELATIONS, blocked_for_certain
from reasoner.protocols import OTHER

#: Ports whose exposure to the internet is most often a finding (remote administration, databases, caches).
ADMIN_PORTS = {22: "ssh", 23: "telnet", 3389: "rdp", 5900: "vnc", 445: "smb", 3306: "mysql", 5432: "postgres",
               1433: "mssql", 1521: "oracle", 6379: "redis", 9200: "elasticsearch", 11211: "memcached", 27017: "mongodb",
               2379: "etcd", 10250: "kubelet"}


@dataclass
class Exposure:
    """One ENI reachable from the internet: per protocol, the destination port ranges that get through."""

    eni: str
    address: str
    gateway: str
    load_balancer: str | None
    ports: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    #: ICMP/ICMPv6: the parts of ``ports`` that are not queries (errors, replies): they arrive and get no reply
    one_way: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    #: per protocol, which internet addresses reach which ports: boxes (source lo, source hi, port lo, port hi) within
    #: ``ports`` (``reason diff``: an exposure opened to more of the internet on the same port is a change)
    boxes: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)

    @property
    def admin(self) -> list[str]:
        out = []
        for proto, ranges in self.ports.items():
            if proto in ("6", "17", "-1"):
                out += [f"{name} ({port})" for port, name in sorted(ADMIN_PORTS.items()) if any(lo <= port <= hi for lo, hi in ranges)]
        return sorted(set(out))

    @property
    def width(self) -> int:
        return sum(hi - lo + 1 for ranges in self.ports.values() for lo, hi in ranges)

    def risk(self) -> tuple:
        every_proto = len([p for p in self.ports if p not in ("6", "17", "1", "58")]) > 0
        return (not every_proto, -len(self.admin), -self.width, self.eni)

    def to_json(self) -> dict:
        return {"eni": self.eni, "address": self.address, "gateway": self.gateway, "load_balancer": self.load_balancer,
                "admin_ports": self.admin,
                "ports": [{"protocol": PROTO_NAMES.get(p, p), "ranges": [f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in r]}
                          | ({"icmp": [wording.icmp_text(lo, hi) for lo, hi in r],
                              "one_way": [wording.icmp_text(lo, hi) for lo, hi in self.one_way.get(p, [])]}
                             if p in wording.ICMP else {})
                          for p, r in sorted(self.ports.items(), key=lambda kv: kv[0])]}


def exposure(an: Analyzer, backend: Backend, undecided: set[str] | None = None) -> tuple[list[Exposure], int]:
    """Every ENI the internet reaches, sorted by risk, and how many packet classes were evaluated.  ENIs for which
    some class is not known to be stopped (its only failing hops lack data: rules/missing_data.dl) are added to
    ``undecided`` when given: missing data must not read as "not exposed"."""
    from reasoner.explain.factor import rename

    lb_of = {e: lb for lb, e in an.rel.get("lb_eni", [])}
    internet = [Endpoint(INTERNET)]
    dsts = an.eni_endpoints()
    # ENIs no rule tells apart: one evaluated for all (reasoner/explain/factor.py)
    space = an.factoring.port_groups(an.factoring.every_group(internet, dsts), "-1", 0, 65535)
    numbers = an.factoring.numbers()
    found: dict[str, Exposure] = {}
    prods = products(backend, space, group_facts, ANSWER_RELATIONS, early=False, settles=blocked_for_certain)
    # per group: its destinations (computed once, when needed), keyed by its id and holding the group itself, so
    # that a freed group's id, reused by a new group, can never hand the new group the old one's members
    group_members: dict[int, tuple[object, list[Endpoint]]] = {}

    def members_of(g) -> list[Endpoint]:
        if id(g) not in group_members:
            group_members[id(g)] = (g, [d for _, d in g.members()])
        return group_members[id(g)][1]
    evaluated = 0
    for pg, prod in prods:
        g = pg.pair
        evaluated += len(pg)
        if prod.settled:  # every packet blocked for certain: not exposed, not undecided
            continue
        for i, dp in enumerate(pg.dps):
            for j, sp in enumerate(pg.sps):
                if j and prod.uniform:  # every source port's answer is (dp, sps[0])'s: the same ports, the same members
                    break
                ans = prod.answer(i, j)
                if ans["fwd_blocked"] or ans["ret_blocked"]:
                    if undecided is not None and not blocked_for_certain(ans):  # only hops missing data leaves open fail
                        undecided.update(d.eni for d in members_of(g))
                    continue
                row, proto = pg.row(dp, sp), OTHER if pg.rest else pg.proto
                for d in members_of(g):
                    eni, dip = d.eni, rename(row, g, g.src, d, numbers)[3]
                    if eni not in found:
                        vpc = an.eni[eni][2]
                        found[eni] = Exposure(eni, _text(dip), an._igw(vpc), lb_of.get(eni))
                    dports = pg.dpiece[dp] if proto in PORTED or proto in wording.ICMP else (0, 65535)  # ICMP: messages
                    found[eni].ports.setdefault(proto, []).append(dports)  # (type * 256 + code)
                    found[eni].boxes.setdefault(proto, []).append((*pg.srange, *dports))
    for exp in found.values():
        if exp.load_balancer and not an.p.holds("lb_routes", (exp.load_balancer,)) and \
                an.p.holds("lb_described", (exp.load_balancer,)):
            # a load balancer that is not active routes nothing (rules/load_balancers.dl lb_routes); one whose State
            # the snapshot lacks is not decided
            if undecided is not None and not an.p.holds("lb_state_known", (exp.load_balancer,)):
                undecided.add(exp.eni)
            exp.ports = {}
            continue
        if exp.load_balancer and undecided is not None and (
                an.p.query("listeners_unknown", (exp.load_balancer, None, None))
                or an.p.query("listener_protocol_unknown", (exp.load_balancer, None, None, None))
                or an.p.holds("lb_unmodelled", (exp.load_balancer,))):
            # its listeners are not all known, or one's protocol is not: a port none of the known ones takes may be open
            undecided.add(exp.eni)
        if exp.load_balancer:  # a node answers only on its listeners' ports
            accepts = {(r[2], r[3]) for r in an.p.query("listener_accepts", (exp.load_balancer, None, None, None))}
            # and an ALB's node an ICMP echo request, which it answers itself (reasoner/explain/lb_ping.py)
            echo = [(ECHO_REQUEST, ECHO_REQUEST)] if an.p.holds("lb_answers_ping", (exp.load_balancer,)) else []
            exp.ports = {p: [(port, port) for port in sorted({q for pp, q in accepts if pp == p})
                             if any(lo <= port <= hi for lo, hi in r)]
                         + ([e for e in echo if any(lo <= e[0] <= hi for lo, hi in r)] if p == "1" else [])
                         for p, r in exp.ports.items()}
            exp.ports = {p: r for p, r in exp.ports.items() if r}
        exp.ports = {p: _merge(r) for p, r in exp.ports.items()}
        exp.boxes = {p: [(a, b, max(lo, c), min(hi, d)) for a, b, c, d in exp.boxes.get(p, []) for lo, hi in r
                         if max(lo, c) <= min(hi, d)] for p, r in exp.ports.items()}  # (what a node does not take: cut)
        exp.one_way = {p: one_way(r, an.space.queries[p]) for p, r in exp.ports.items() if p in wording.ICMP}
    out = [e for e in found.values() if e.ports]
    return sorted(out, key=Exposure.risk), evaluated


def one_way(ranges: list[tuple[int, int]], queries: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ICMP message ranges (type * 256 + code) outside every query type (``queries``: (type, reply)
    pairs, reasoner/explain/space.py ``icmp_queries``): messages that get no reply, so they only arrive."""
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        at = lo
        for t in sorted(t for t, _ in queries):
            qlo, qhi = t * 256, t * 256 + 255
            if qhi < at or qlo > hi:
                continue
            if qlo > at:
                out.append((at, qlo - 1))
            at = qhi + 1
        if at <= hi:
            out.append((at, hi))
    return out


def estate_unknown(an: Analyzer) -> list[str]:
    """What an audit over every ENI cannot see: the describe-* answers the snapshot lacks that list the estate's
    members (rules/missing_data.dl ``estate_unknown``), each as a sentence.  With any, "nothing exposed" or "no two
    groups connect" is not decided (exit 3)."""
    return [f"the snapshot holds no {key} answer (Describe{key}): the audit sees only the ENIs it holds, not every ENI"
            for (key,) in an.p.query("estate_unknown", (None,))]


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(set(ranges)):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _text(ip: int) -> str:
    from reasoner.explain.paths import ip_text

    return ip_text(ip)


@dataclass
class Segmentation:
    """``reason audit pairs``: which groups of ENIs (subnets, security groups, VPCs or tag values) open connections to which."""

    by: str
    groups: list[str]
    #: (from group, to group) -> [how many ENI pairs get through, the smallest one, whether some of them gets an answer
    #: back: False when only one-way ICMP messages (errors, unsolicited replies: no query) get through]
    cells: dict[tuple[str, str], list]
    evaluated: int
    #: group pairs none of whose ENI pairs is known to connect, but some of whose are not known to be blocked either
    #: (missing data: rules/missing_data.dl), as ``cells``: [how many such ENI pairs, the smallest one]
    undecided: dict[tuple[str, str], list] = field(default_factory=dict)

    def to_json(self) -> dict:
        def rows(cells: dict[tuple[str, str], list], marked: bool) -> list[dict]:
            return [{"from": a, "to": b, "eni_pairs": n, "example": "%s -> %s" % example}
                    | ({"one_way": not answered} if marked else {})
                    for (a, b), (n, example, answered) in sorted(cells.items())]
        return {"by": self.by, "groups": self.groups, "classes_evaluated": self.evaluated, "cells": rows(self.cells, True),
                "undecided": rows(self.undecided, False)}


def segmentation(an: Analyzer, backend: Backend, by: str, proto: str, port_lo: int, port_hi: int,
                 tagged: Callable[[str], Iterable[tuple[str, str]]] | None = None) -> Segmentation:
    """Every ENI pair's packet space (``* -> *``) evaluated set-at-a-time, grouped by ``by`` (subnet, sg, vpc or tag:KEY):
    a cell holds when some ENI of the first group reaches some ENI of the second and gets an answer back.
    ENI pairs no rule can tell apart are evaluated once (reasoner/explain/factor.py).  ``tagged`` (for tag:KEY): key
    -> (eni, value) for every ENI ``eni_tag`` tags with it, as the session reads it (reasoner/session.py ``eni_tags``)."""
    from reasoner.explain.search import reachable_groups

    enis = an.eni_endpoints()

    tags: dict[str, list[str]] = {}
    if by.startswith("tag:"):
        # eni_tag (rules/tags.dl): the ENI's own tag, else its owner's (ECS task or service, load balancer, VPC
        # endpoint), else its instance's
        key = by[4:]
        if tagged is None:
            raise ValueError("grouping by a tag needs the ENIs' tags (tagged)")
        values: dict[str, set[str]] = {}
        for e, v in tagged(key):
            values.setdefault(e, set()).add(f"{key}={v}")
        if not values:
            # a key no ENI carries (a typo) would group every ENI as "(no KEY tag)" and pass: refused, as a query's
            # tag:KEY=VALUE is (query.empty_set)
            from reasoner.errors import QueryError
            from reasoner.query.names import did_you_mean

            keys = sorted({str(r[1]) for r in an.rel.get("tag", ())})
            raise QueryError("query.empty_set", f"--by {by}: no network interface has a tag {key} (its own, its "
                             "task's, service's, load balancer's, endpoint's or instance's)",
                             hint=did_you_mean(key, keys, 0.4) if keys else "the snapshot holds no tags")
        for e in an.eni:
            tags[e] = sorted(values.get(e, ())) or [f"(no {key} tag)"]

    def groups_of(eni: str) -> list[str]:
        if by == "sg":
            return sorted(an.sgs.get(eni, [])) or ["(no security group)"]
        if by.startswith("tag:"):
            return tags[eni]
        return [an.eni[eni][1 if by == "subnet" else 2]]

    open_groups: list = []  # pair groups some class of which only missing data keeps from getting through
    found, evaluated = reachable_groups(an, backend, enis, enis, proto, port_lo, port_hi, open_groups)
    # a group's sides are lists shared by many groups (one per class): each is split by ``by`` once
    sides: dict[int, tuple[dict[str, list[str]], frozenset[str]]] = {}

    def side_of(side: list[Endpoint]) -> tuple[dict[str, list[str]], frozenset[str]]:
        """The side's ENIs by group (each list sorted), and all its ENIs."""
        if id(side) not in sides:
            out: dict[str, list[str]] = {}
            for ep in side:
                for x in groups_of(ep.eni):
                    out.setdefault(x, []).append(ep.eni)
            sides[id(side)] = ({x: sorted(v) for x, v in out.items()}, frozenset(ep.eni for ep in side))
        return sides[id(side)]

    def answered(classes: list) -> bool:
        """Whether some class gets an answer back: one of a protocol but ICMP, or an ICMP query (space.py cuts ICMP
        pieces at each query type's bounds: a piece is all queries or none)."""
        return any(c.proto not in wording.ICMP or one_way([c.dst_ports], an.space.queries[c.proto]) != [c.dst_ports]
                   for c in classes)

    def cells_of(pair_groups) -> dict[tuple[str, str], list]:
        """(from group, to group) -> [ENI pairs, the smallest pair, some answered], over the member pairs of
        ``pair_groups`` ((group, answered) pairs)."""
        cells: dict[tuple[str, str], list] = {}
        for g, two_way in pair_groups:
            (src_by, src_enis), (dst_by, dst_enis) = side_of(g.srcs), side_of(g.dsts)
            overlap = not src_enis.isdisjoint(dst_enis)  # (a class paired with itself)
            for a, ss in src_by.items():
                for b, ds in dst_by.items():
                    n = len(ss) * len(ds) - (len(set(ss).intersection(ds)) if overlap else 0)
                    example = _first_distinct(ss, ds)
                    if n and example:
                        cell = cells.setdefault((a, b), [0, example, False])
                        cell[0] += n
                        cell[1] = min(cell[1], example)
                        cell[2] = cell[2] or two_way
        return cells

    cells = cells_of((g, answered(classes)) for g, classes in found)
    # some pair connects: decided
    undecided = {k: v for k, v in cells_of((g, True) for g in open_groups).items() if k not in cells}
    groups = sorted({g for e in enis for g in groups_of(e.eni)})
    return Segmentation(by, groups, cells, evaluated, undecided)


def _first_distinct(ss: list[str], ds: list[str]) -> tuple[str, str] | None:
    """The smallest pair (s, d) of two sorted lists with s != d, or None."""
    for s in ss:
        for d in ds:
            if d != s:
                return s, d
    return None
