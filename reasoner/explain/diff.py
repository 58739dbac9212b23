"""``reason diff OLD NEW``: what changed in reachability between two snapshots, and which configuration caused it.

Two questions are asked of each snapshot, set-at-a-time and factored by symmetry: what the internet reaches
(``reason audit exposure``: per ENI, per protocol, the destination port ranges) and which ENI pairs open
connections (``query --all "* -> * any"``: per ordered pair, per protocol, per address family, the port ranges).  The
answers are compared: ports newly exposed or no longer exposed (to some internet address: a port open to 0.0.0.0/0 now
and to 203.0.113.0/24 before is newly exposed to the rest), pairs that gained or lost ports over either family (a pair
that reached tcp 443 over IPv6 and now over IPv4 too gained it over IPv4; which addresses of a multi-address ENI reach,
within a family, is not compared: ``_pair_changes``); a protocol one snapshot's rules
name and the other's do not is compared with the other's class of the protocols no rule names.  Each change is given the
configuration rows that differ between the snapshots *on its path*: rows of a relation the rules read that
name one of the components the ENIs' hops read (the ENIs themselves, their security groups, subnets, network
ACLs, route tables, VPCs and those VPCs' internet gateways).  A change with no such row is still reported,
with no cause named.

Exit 1 (at the CLI) when new exposure appears: the gate for a CI job on an infrastructure change.  Not handled:
load balancer listeners as their own rows (their nodes are ENIs and appear as such).  Both address families
are compared (a port exposed over IPv6 only is exposed; a pair that reaches over IPv6 only reaches).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from reasoner.addresses import FAMILIES, family, range_text, subtract
from reasoner.explain.audit import _merge, exposure
from reasoner.explain.paths import PORTED, PROTO_NAMES, Endpoint, ip_text
from reasoner.explain import wording
from reasoner.explain.policy_facts import can_reach_by_family
from reasoner.protocols import ICMP, OTHER

_ADDRESS_COLUMNS = {"lo", "hi", "cidr_lo", "cidr_hi", "ip", "private_ip", "public_ip", "src_ip", "dst_ip"}
_RANGE_COLUMNS = {("lo", "hi"), ("cidr_lo", "cidr_hi")}  # an address range, shown as one CIDR when it is one

Ranges = list[tuple[int, int]]


@dataclass
class Change:
    """One difference in reachability: ``kind`` is exposed, unexposed, gained, lost, or undecided (an ENI whose exposure
    the new snapshot leaves undecided and the old one did not: no protocol, no ports)."""

    kind: str
    src: str
    dst: str
    proto: str
    ports: Ranges
    causes: list[str] = field(default_factory=list)
    #: an exposure or pair gained where the old snapshot left the ENI's exposure (or the pair) undecided: it may have
    #: been there before, unseen; the change is in what is known, perhaps not in the network
    was_undecided: bool = False
    #: exposure changes: the internet addresses that newly reach (or no longer reach) the ports
    sources: Ranges = field(default_factory=list)
    #: pair changes: "ipv4" or "ipv6" when the change is that family's only, between ENIs that both hold addresses of
    #: both families (``_pair_changes``); "" otherwise (the one family they share, or both alike)
    family: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "src": self.src, "dst": self.dst, "protocol": PROTO_NAMES.get(self.proto, self.proto),
                "ports": [f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in self.ports], "causes": self.causes} \
            | ({"icmp": [wording.icmp_text(lo, hi) for lo, hi in self.ports]} if self.proto in ICMP else {}) \
            | ({"was_undecided": True} if self.was_undecided else {}) \
            | ({"sources": [range_text(lo, hi) for lo, hi in self.sources]} if self.sources else {}) \
            | ({"family": self.family} if self.family else {})

    def text(self) -> str:
        if self.kind == "undecided":
            return f"{self.src} -> {self.dst}: not decided (the new snapshot lacks what its exposure depends on)"
        if self.proto in ICMP:  # messages, type * 256 + code (rules/00_snapshot.dl)
            ports = ", ".join(wording.icmp_text(lo, hi) for lo, hi in self.ports)
        elif self.proto in PORTED:
            ports = ", ".join(f"{lo}-{hi}" if lo != hi else str(lo) for lo, hi in self.ports)
        else:  # a protocol without ports
            ports = ""
        text = f"{self.src} -> {self.dst} {wording.protocol(PROTO_NAMES.get(self.proto, self.proto))} {ports}".rstrip()
        if self.family:
            text += f" over {_FAMILY_NAMES[self.family]}"
        if self.sources:
            shown = [range_text(lo, hi) for lo, hi in self.sources[:3]]
            more = len(self.sources) - len(shown)
            text += f" (from {', '.join(shown)}" + (f" and {more} more range(s)" if more else "") + ")"
        return text + (" (the old snapshot left it undecided: perhaps not new)" if self.was_undecided else "")


_FAMILY_NAMES = {"ipv4": "IPv4", "ipv6": "IPv6"}

Box = tuple[int, int, int, int]  # internet addresses lo-hi reach ports lo-hi (reasoner/explain/audit.py Exposure.boxes)

#: Protocols every packet space evaluates on their own, named by a rule or not (reasoner/protocols.py ALWAYS).
_OWN_CLASS = frozenset(PORTED) | frozenset(ICMP)


def _exposure(session) -> tuple[dict[tuple[str, str], list[Box]], set[str]]:
    """Each ENI's exposure by protocol, as which internet addresses reach which ports; and the ENIs whose exposure
    missing data leaves undecided."""
    undecided: set[str] = set()
    found, _ = exposure(session.analyzer, session.set_backend(), undecided)
    return {(e.eni, p): e.boxes[p] for e in found for p in e.ports}, undecided


def _pairs(session) -> tuple[dict[str, dict[tuple[str, str, str], Ranges]], set[tuple[str, str]]]:
    """``can_reach`` (reasoner/explain/policy_facts.py: a protocol without ports as 0-65535) per address family, by
    pair and protocol; and the pairs some class of which missing data leaves undecided."""
    groups: list = []
    out: dict[str, dict[tuple[str, str, str], Ranges]] = {f: {} for f in FAMILIES}
    for (s, d, proto, fam), ranges in can_reach_by_family(session, undecided=groups).items():
        proto = OTHER if proto == "-1" else proto  # (the class of the protocols no rule names, as exposure keys it)
        out[fam][(s, d, proto)] = ranges
    undecided = {(a.eni, b.eni) for g in groups for a, b in g.members() if a.eni != b.eni}
    return out, undecided


def _dual(old, new) -> Callable[[str, str], bool]:
    """Whether two ENIs both hold addresses of both families (in one snapshot or the other, per family): then a
    pair change is named with its family when the other family's does not change alike."""
    def shared(s: str, d: str, fam: str) -> bool:
        return any(all(any(family(ip) == fam for ip in x.analyzer.eni_ips.get(e, ())) for e in (s, d)) for x in (old, new))
    return lambda s, d: all(shared(s, d, f) for f in FAMILIES)


def _pair_changes(old: dict, new: dict, named_old, named_new, dual) -> list[tuple[str, tuple, Ranges, str]]:
    """Pairs that gained or lost ports, compared per address family (a security group rule matches one family's
    addresses: a pair that reached tcp 443 over IPv6 and now over IPv4 too has gained it, over IPv4): (kind, key,
    ports, family).  The ports both families gained (or lost) alike are one change with no family; those one family
    alone did are that family's, when the pair's ENIs both hold addresses of both families (``dual``; otherwise the
    family is the one they share and is not named, as before).  Which addresses of a family reach is not compared:
    a pair that reached from one IPv4 address of a multi-address ENI and now from another is no change."""
    found: dict[tuple[tuple, str], dict[str, Ranges]] = {}
    for fam in FAMILIES:
        for kind, key, ports in _compare(old[fam], new[fam], "gained", "lost", named_old, named_new):
            found.setdefault((key, kind), {})[fam] = ports
    out = []
    for (key, kind), by in sorted(found.items(), key=lambda x: (x[0][0], x[0][1] != "gained")):
        if not dual(*key[:2]):
            out.append((kind, key, _merge([r for v in by.values() for r in v]), ""))
            continue
        v4, v6 = by.get("ipv4", []), by.get("ipv6", [])
        both = subtract(v4, subtract(v4, v6))
        out += [(kind, key, ports, fam) for fam, ports in (("", both), ("ipv4", subtract(v4, both)),
                                                             ("ipv6", subtract(v6, both))) if ports]
    return out


def _named(session) -> Callable[[tuple[str, ...]], frozenset[str]]:
    """The protocols a snapshot's packet space evaluates on their own for an ENI or a pair of ENIs (a rule on its
    path names them: reasoner/explain/space.py ``port_groups``); every other protocol is in its class OTHER."""
    space, cache = session.analyzer.space, {}

    def named(enis: tuple[str, ...]) -> frozenset[str]:
        if enis not in cache:
            protos = set(space.named_protocols)
            for eni in enis:
                protos |= space.rules(Endpoint(eni)).protos
            cache[enis] = frozenset(protos - {"-1", OTHER})
        return cache[enis]
    return named


def _keys(old: dict, new: dict, named_old, named_new) -> list[tuple]:
    """The keys (ENI or pair, then protocol) to compare: those either side has, and for each ENI or pair the protocols
    one snapshot evaluates on their own and the other does not (in the other, part of its OTHER class).  A protocol
    an old rule named (a network ACL's deny of GRE) and no new rule names, exposed now only through the new OTHER
    class, was no key on either side: its opening went unseen."""
    keys = set(old) | set(new)
    for prefix in {k[:-1] for k in keys}:
        keys |= {prefix + (p,) for p in named_old(prefix) ^ named_new(prefix) if p not in _OWN_CLASS}
    return sorted(keys)


def _value(side: dict, named, key: tuple, empty):
    """``side``'s value for ``key``: its own, or its OTHER class's for a protocol it does not evaluate on its own (a
    rule for GRE added beside an all-traffic rule changes no exposure, and is no change)."""
    p = key[-1]
    if p in _OWN_CLASS or p == OTHER or p in named(key[:-1]):
        return side.get(key, empty)
    return side.get(key[:-1] + (OTHER,), empty)


def _compare(old: dict, new: dict, more: str, less: str, named_old, named_new) -> list[tuple[str, tuple, Ranges]]:
    """Per key (pair, then protocol; ``_keys``), the ranges ``new`` gained and lost."""
    out = []
    for key in _keys(old, new, named_old, named_new):
        a, b = _value(old, named_old, key, []), _value(new, named_new, key, [])
        gained, lost = subtract(b, a), subtract(a, b)
        if gained:
            out.append((more, key, _merge(gained)))
        if lost:
            out.append((less, key, _merge(lost)))
    return out


def _box_gain(new: list[Box], old: list[Box]) -> tuple[Ranges, Ranges]:
    """The ports some address of ``new`` reaches that no box of ``old`` lets it reach, and those addresses: per piece
    of the port space no box edge cuts, the addresses ``new`` has and ``old`` lacks there."""
    edges = sorted({c for _, _, c, _ in new + old} | {d + 1 for _, _, _, d in new + old})
    ports: Ranges = []
    sources: Ranges = []
    for lo, nxt in zip(edges, edges[1:]):
        now = [(a, b) for a, b, c, d in new if c <= lo and nxt - 1 <= d]
        if not now:
            continue
        gained = subtract(_merge(now), _merge([(a, b) for a, b, c, d in old if c <= lo and nxt - 1 <= d]))
        if gained:
            ports.append((lo, nxt - 1))
            sources += gained
    return _merge(ports), _merge(sources)


def _compare_exposure(old: dict, new: dict, named_old, named_new) -> list[tuple[str, tuple, Ranges, Ranges]]:
    """Per key (ENI, protocol), the ports newly exposed to some address of the internet ("exposed": a port open to
    203.0.113.0/24 before and to 0.0.0.0/0 now is newly exposed to the rest) and those no longer, with the addresses."""
    out = []
    for key in _keys(old, new, named_old, named_new):
        a, b = _value(old, named_old, key, []), _value(new, named_new, key, [])
        for kind, x, y in (("exposed", b, a), ("unexposed", a, b)):
            ports, sources = _box_gain(x, y)
            if ports:
                out.append((kind, key, ports, sources))
    return out


def changed_rows(old, new) -> list[tuple[str, str, tuple]]:
    """Rows of the relations the rules read that one snapshot has and the other not: (+ or -, relation, row)."""
    checked = new.program.checked
    defined = {r.head.pred for r in checked.module.rules}
    out = []
    for rel in sorted(k for k in set(old.analyzer.rel) | set(new.analyzer.rel) if k in checked.decls and k not in defined):
        a, b = set(map(tuple, old.analyzer.rel.get(rel, []))), set(map(tuple, new.analyzer.rel.get(rel, [])))
        out += [("+", rel, r) for r in sorted(b - a, key=repr)] + [("-", rel, r) for r in sorted(a - b, key=repr)]
    return out


def _components(session, enis: list[str]) -> set[str]:
    an = session.analyzer
    out: set[str] = set()
    for e in enis:
        if e not in an.eni:
            continue
        _, sub, vpc, _ = an.eni[e]
        out |= {e, sub, vpc, an.acl_of(sub), an._rtb_of_subnet(sub), an._igw(vpc)} | set(an.sgs.get(e, []))
    return out - {""}


def row_text(session, rel: str, row: tuple) -> str:
    """``sg_egress_sg(sg-0alb, 6, 8000, 8000, sg-0task)``: addresses as text, an address range (``lo``, ``hi``
    columns) as its CIDR when it is one (``::/0``, not its first address on the line), without the rule-id column."""
    decl = session.program.decls.get(rel)
    names = [c for c, _ in decl.columns] if decl else [""] * len(row)
    shown, i = [], 0
    while i < len(row):
        n, v = names[i], row[i]
        w = row[i + 1] if i + 1 < len(row) else None
        if (n, names[i + 1] if i + 1 < len(names) else "") in _RANGE_COLUMNS and isinstance(v, int) and isinstance(w, int):
            shown.append(range_text(v, w))
            i += 2
            continue
        if n != "rule":  # a rule's internal id says nothing to a reader
            shown.append(ip_text(v) if n in _ADDRESS_COLUMNS and isinstance(v, int) else str(v))
        i += 1
    return f"{rel}(" + ", ".join(shown) + ")"


def diff(old, new) -> tuple[list[Change], list[str], dict[str, list]]:
    """The changes in reachability between two sessions, each with its causes; every changed configuration row; and
    what the new snapshot leaves undecided (``exposure``: ENIs, ``pairs``: [src, dst]). Missing data is never read as
    a loss: an exposure or a pair the new snapshot leaves undecided is not "no longer exposed" or "no longer reaches"
    (it was, when the new snapshot merely lacked an answer), and an ENI newly undecided is said."""
    rows = changed_rows(old, new)
    changes: list[Change] = []
    named_old, named_new = _named(old), _named(new)
    (old_exp, old_open), (new_exp, new_open) = _exposure(old), _exposure(new)
    for kind, (eni, proto), ports, sources in _compare_exposure(old_exp, new_exp, named_old, named_new):
        if kind == "unexposed" and eni in new_open:
            continue  # (said as undecided below)
        changes.append(Change(kind, "internet", eni, proto, ports, sources=sources,
                              was_undecided=kind == "exposed" and eni in old_open))
    (old_pairs, old_pairs_open), (new_pairs, pairs_open) = _pairs(old), _pairs(new)
    for kind, (s, d, proto), ports, fam in _pair_changes(old_pairs, new_pairs, named_old, named_new, _dual(old, new)):
        if kind == "lost" and (s, d) in pairs_open:
            continue
        changes.append(Change(kind, s, d, proto, ports, was_undecided=kind == "gained" and (s, d) in old_pairs_open,
                              family=fam))
    for eni in sorted(new_open - old_open):
        changes.append(Change("undecided", "internet", eni, "", []))
    for c in changes:
        comps = _components(old, [c.src, c.dst]) | _components(new, [c.src, c.dst])
        c.causes = [f"{sign} {row_text(new if sign == '+' else old, rel, row)}" for sign, rel, row in rows
                    if any(isinstance(v, str) and v in comps for v in row)]
    undecided = {"exposure": sorted(new_open), "pairs": [list(p) for p in sorted(pairs_open)]}
    return changes, [f"{sign} {row_text(new if sign == '+' else old, rel, row)}" for sign, rel, row in rows], undecided
