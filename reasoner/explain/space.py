"""The packet space of a query, cut into pieces no rule can tell apart; one representative packet per piece.

The query fixes the endpoints (each a set: an ENI's addresses, a subnet's or a group's ENIs, the internet), the
protocol (or any) and the destination ports; the source port ranges over every port a client may send from
(``PacketSpace.port_groups``): 0-65535, or 1024-65535 from a load balancer's node.  The pieces of 1024-65535 come first,
so an answer's packet has an ephemeral source port whenever one would do.  An
ICMP or ICMPv6 packet has its message (type * 256 + code) where a port would be, cut at the ICMP rules' bounds
and at each query type's, and as its source port its reply's message (an echo reply for an echo request), or
65537 when it gets no reply (rules/00_snapshot.dl icmp_query); a question about any protocol asks ICMP and
ICMPv6 over both families, whether or not a rule names them (ICMPv6 first over IPv6).  Each
dimension is cut at every boundary of the rules that can look at it, so one representative per piece stands
for the whole piece: "unreachable" holds for every packet of the query, and "reachable" names a real packet.

Cuts are taken per endpoint pair, from the rules that pair's hops read: the security groups of the two ENIs,
the network ACLs and route tables of their subnets and of the subnets a path may cross in their VPCs (NAT
gateway and transit gateway attachment subnets): ``Analyzer._rules_on``.  Those rule sets are computed once per
endpoint (distinct rows), so a query over N endpoints costs O(N) rule lookups, not O(N²) (issue 11).  The
internet's addresses are cut at the pair's CIDRs, the reserved ranges and the snapshot's VPC CIDRs, over
both families (IPv4, and IPv6 global unicast: reasoner/addresses.py); a packet's two addresses are of one
family, and an endpoint asked for one family (``Endpoint.family``) takes only that family's addresses.

``packets`` yields each representative packet with its destination endpoint and the piece it stands for, in a
fixed order (source, destination, source address, destination address, protocol, destination port, source
port): the analyzer's order, whichever engine evaluates them.  ``port_groups`` yields the same packets a pair,
address pair and protocol at a time (``PortGroup``: destination-port pieces times source-port pieces), the form
the set engine evaluates as a sum (reasoner/engine/separable.py ``products``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Iterator

from reasoner import addresses
from reasoner.protocols import ALWAYS, ICMP, is_number

if TYPE_CHECKING:
    from reasoner.engine.check import Checked
    from reasoner.explain.paths import Analyzer, Endpoint

#: The ephemeral ports: a client's operating system picks its source port from a range of its own ("The range
#: varies depending on the client's operating system": vpc/latest/userguide/nacl-ephemeral-ports.html), and
#: 1024-65535 covers every such range; a load balancer node opens its connections (to targets, health checks) from
#: them: the recommended network ACL of a load balancer's subnet admits the targets' replies on 1024-65535 only
#: (elasticloadbalancing/latest/classic/elb-vpc-network-acls.html).
EPHEMERAL = (1024, 65535)
#: Every source port: a program on an instance (or a host on the internet) may bind any port, so an answer that
#: nothing gets through must hold for all of them; an attacker sending from port 53 or 443 meets the network ACL
#: entries written for replies to those ports.
ANY_PORT = (0, 65535)
PORTED = ("6", "17")
# ICMP and ICMPv6 (ICMP): the destination "port" is the message, type * 256 + code (rules/00_snapshot.dl), cut at
# the ICMP rules' bounds; the source port is the reply's message, or NO_REPLY
#: The source port of an ICMP message that gets no reply (above every rule's range, which ends at 65535): an
#: error message (RFC 792, RFC 4443), any message but a query: rules/reachability.dl ``no_reply``
NO_REPLY = 65537


def cuts(lo: int, hi: int, bounds) -> list[int]:
    """One representative per piece of [lo, hi] cut at every rule range boundary."""
    points = {lo}
    for a, b in bounds:
        for p in (a, b + 1):
            if lo < p <= hi:
                points.add(p)
    return sorted(points)


def pieces(points: list[int], hi: int) -> dict[int, tuple[int, int]]:
    """Each cut point (a piece's representative) with the inclusive range it stands for."""
    return {p: (p, (points[i + 1] - 1) if i + 1 < len(points) else hi) for i, p in enumerate(points)}


def source_pieces(ports: tuple[int, int], bounds) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """The source ports ``ports`` (lo, hi) cut at the rules' bounds and at 1024: each piece's representative, the
    pieces of the ephemeral range first (each by its first port), then those below it (each by its last port: 1023
    reads as the privileged port it is, where 0 would read as no port at all); and the piece each stands for."""
    lo, hi = ports
    points = cuts(lo, hi, sorted(set(bounds) | {(EPHEMERAL[0], EPHEMERAL[1])}))
    at = pieces(points, hi)
    high = [p for p in points if p >= EPHEMERAL[0]]
    low = [at[p][1] for p in points if p < EPHEMERAL[0]]
    return high + low, {p: at[p] for p in high} | {at[p][1]: at[p] for p in points if p < EPHEMERAL[0]}


@dataclass(frozen=True)
class Rules:
    """What one endpoint's hops read: protocols and port ranges of its SG rules and NACL entries (the ICMP and
    ICMPv6 ones apart: their ranges are messages, ``icmp_ports``), CIDR ranges."""

    protos: frozenset[str]
    nacl_ports: frozenset[tuple[int, int]]
    sg_ports: frozenset[tuple[int, int]]
    ranges: frozenset[tuple[int, int]]
    icmp_ports: frozenset[tuple[int, int]] = frozenset()


NONE = Rules(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


@dataclass(frozen=True)
class Piece:
    """The ranges a representative packet stands for (inclusive): destination and source ports, addresses."""

    dst_ports: tuple[int, int]
    src_ports: tuple[int, int]
    src_ips: tuple[int, int]
    dst_ips: tuple[int, int]


def icmp_queries(rules: Iterable) -> dict[str, list[tuple[int, int]]]:
    """Per protocol ("1", "58"), the ICMP query types and their replies' types, from the rules' own
    ``icmp_query(proto, type, reply)`` facts (rules/00_snapshot.dl): the one place that says which messages get a
    reply.  A piece of the message line inside a query type has that reply's message (code 0) as its source
    port; every other piece ``NO_REPLY``."""
    from reasoner.engine.syntax import Const

    out: dict[str, list[tuple[int, int]]] = {p: [] for p in ICMP}
    for rule in rules:
        h = rule.head
        if rule.is_fact and h.pred == "icmp_query" and len(h.args) == 3 and all(isinstance(a, Const) for a in h.args):
            proto, type_, reply = (a.value for a in h.args)
            if proto in out and type(type_) is int and type(reply) is int:
                out[proto].append((type_, reply))
    return {p: sorted(q) for p, q in out.items()}


def dst_port_cuts(rules: Iterable) -> frozenset[int]:
    """Where the rules' own comparisons of the packet's destination port with a number cut the port line
    (``packet(..., DP)`` and ``DP >= 2048`` in one body: rules/vpc_endpoints.dl ``vpce_carries``): ``DP >= c`` and
    ``DP < c`` at c, ``DP <= c`` and ``DP > c`` at c + 1, ``=``/``!=`` at both.  Cut there, a representative
    packet stands for a piece on which each such comparison gives one answer."""
    from reasoner.engine.syntax import Atom, Comparison, Const, Var

    # (the rule language writes equality "=": reasoner/engine/rules.lark)
    flip = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "=": "=", "==": "==", "!=": "!="}
    at = {">=": (0,), "<": (0,), "<=": (1,), ">": (1,), "=": (0, 1), "==": (0, 1), "!=": (0, 1)}
    out: set[int] = set()
    for rule in rules:
        ports = {a.args[6].name for a in rule.body if isinstance(a, Atom) and a.pred == "packet" and len(a.args) == 7
                 and isinstance(a.args[6], Var)}
        for lit in rule.body:
            if not isinstance(lit, Comparison) or lit.op not in flip:
                continue
            for v, c, op in ((lit.left, lit.right, lit.op), (lit.right, lit.left, flip[lit.op])):
                if isinstance(v, Var) and v.name in ports and isinstance(c, Const) and type(c.value) is int:
                    out.update(c.value + d for d in at[op])
    return frozenset(out)


def rule_protocols(checked: "Checked") -> frozenset[str]:
    """Every protocol number written as a constant in the rules (``program_constants``), but those a question about
    any protocol always asks (``ALWAYS``).  A string that only looks like one (a tag's value "22") adds a class that
    changes no answer: more classes, never fewer."""
    from reasoner.engine.symmetry import program_constants

    return frozenset(v for v in program_constants(checked) if type(v) is str and is_number(v)) - frozenset(ALWAYS)


class PacketSpace:
    """Enumerates queries' packet spaces over one analyzer's snapshot, caching each endpoint's rules."""

    def __init__(self, analyzer: "Analyzer") -> None:
        self.an = analyzer
        # where the rules themselves cut ICMP messages (a gateway endpoint carries echo requests only)
        self._icmp_cuts = dst_port_cuts(analyzer.p.checked.module.rules)
        # which ICMP messages are queries, and their replies (a reply's message is the query's source port)
        self.queries = icmp_queries(analyzer.p.checked.module.rules)
        # protocols the rules themselves name (a policy's `exposed(E, "47", _, _)`): each its own class of a question
        # about any protocol, never folded into "every other protocol" (whose rows read "-1": the policy matched none)
        self.named_protocols = rule_protocols(analyzer.p.checked)
        self._rules: dict[str, Rules] = {}
        self._by_key: dict[object, Rules] = {}  # (security groups, subnet, VPC) -> Rules
        self._sg_parts: dict[tuple[str, ...], Rules] = {}  # security groups -> what their rules read
        self._network_parts: dict[tuple[str, str], Rules] = {}  # (subnet, VPC) -> what its NACLs and routes read
        self._inet: dict[frozenset, tuple[list[int], dict[int, tuple[int, int]]]] = {}
        # A pair's cuts read the union of its two ends' Rules, field by field, and only the fields its query reads
        # (the protocols for "any", the ACL ports, the SG ports for a port range, the ICMP ports): each distinct
        # field set gets a number (_sets), each Rules the numbers of its fields (_fields), and each pair of numbers
        # the number of their union (_unions).  Ends differ far more often than the few ACL port sets they read,
        # so most pairs find their cuts with a few small lookups, never building the union itself.
        self._sets: dict[frozenset, int] = {}
        self._values: list[frozenset] = []  # number -> its set
        self._fields: dict[int, tuple[int, int, int, int, int]] = {}  # id of a Rules (kept in _by_key) -> its numbers
        self._unions: dict[tuple[int, int], int] = {}
        self._cut: dict[tuple, tuple] = {}  # (proto, port range, numbers of the unions read) -> protocols, cuts, pieces
        #: the load balancers' nodes: they send from EPHEMERAL ports only (``port_groups``)
        self.nodes = frozenset(r[1] for r in analyzer.rel.get("lb_eni", []))

    def rules(self, ep: "Endpoint") -> Rules:
        if ep.is_internet:
            return NONE
        if ep.eni not in self._rules:
            # what _rules_on reads of an ENI: its security groups, its subnet and its VPC; ENIs alike share one Rules
            eni = self.an.eni.get(ep.eni)
            key = (tuple(self.an.sgs.get(ep.eni, [])), eni[1], eni[2]) if eni is not None else ep.eni
            if key not in self._by_key:
                if eni is None:  # (not an ENI of the snapshot: no rule looks at it)
                    self._by_key[key] = NONE
                else:  # the groups' part and the subnet's part, each computed once (ENIs share them far more)
                    sg, net = self._sg_part(key[0]), self._network_part(eni[1], eni[2])
                    self._by_key[key] = Rules(sg.protos | net.protos, net.nacl_ports, sg.sg_ports,
                                              sg.ranges | net.ranges, net.icmp_ports | sg.icmp_ports)
            self._rules[ep.eni] = self._by_key[key]
        return self._rules[ep.eni]

    def _sg_part(self, sgs: tuple[str, ...]) -> Rules:
        """What the rules of these security groups read (``Rules`` with no NACL port)."""
        got = self._sg_parts.get(sgs)
        if got is None:
            sg_rules, ranges = self.an.sg_rules_of(sgs)
            got = self._sg_parts[sgs] = Rules(frozenset(r[1] for r in sg_rules), frozenset(),
                                              frozenset((r[2], r[3]) for r in sg_rules if r[1] not in ICMP),
                                              frozenset(ranges),
                                              frozenset((r[2], r[3]) for r in sg_rules if r[1] in ICMP))
        return got

    def _network_part(self, sub: str, vpc: str) -> Rules:
        """What the NACL entries and routes on a path from or to this subnet read (``Rules`` with no SG port)."""
        got = self._network_parts.get((sub, vpc))
        if got is None:
            nacl, ranges = self.an.network_rules_of(sub, vpc)
            got = self._network_parts[(sub, vpc)] = Rules(frozenset(r[3] for r in nacl),
                                                          frozenset((r[4], r[5]) for r in nacl if r[3] not in ICMP),
                                                          frozenset(), frozenset(ranges),
                                                          frozenset((r[4], r[5]) for r in nacl if r[3] in ICMP))
        return got

    def internet(self, ranges: frozenset) -> tuple[list[int], dict[int, tuple[int, int]]]:
        """Representative public addresses for rules reading ``ranges``, and the address piece of each cut point."""
        if ranges not in self._inet:
            self._inet[ranges] = (self.an.internet_ips(sorted(ranges)),
                                  pieces(self.an.internet_cuts(sorted(ranges)), addresses.V6_MAX))
        return self._inet[ranges]

    def starts(self) -> set[int]:
        """Every address a representative may take that is not an endpoint's own: the first value of each
        piece of every range any pair's cuts may use (reasoner/engine/symmetry.py keeps these un-owned)."""
        an = self.an
        ranges = [(r[4], r[5]) for rows in an.sg_rules.values() for r in rows if len(r) == 7 and isinstance(r[4], int)]
        ranges += [(r[6], r[7]) for rows in an.nacl_entries.values() for r in rows]
        ranges += [(r[1], r[2]) for rows in an.routes.values() for r in rows]
        ranges += [(c[1], c[2]) for rows in an.pl_cidrs.values() for c in rows]
        return set(an.internet_cuts(ranges))

    def packets(self, srcs: list["Endpoint"], dsts: list["Endpoint"], proto: str, port_lo: int,
                port_hi: int) -> Iterator[tuple[tuple, "Endpoint", Piece]]:
        """Every representative packet of the query, with its destination endpoint and its piece."""
        for s in srcs:
            for d in dsts:
                if s.eni == d.eni:
                    continue
                yield from self._pair(s, d, proto, port_lo, port_hi)

    def _pair(self, s: "Endpoint", d: "Endpoint", proto: str, port_lo: int, port_hi: int) -> Iterator[tuple[tuple, "Endpoint", Piece]]:
        for g in self.port_groups(s, d, proto, port_lo, port_hi):
            yield from g.packets()

    def port_groups(self, s: "Endpoint", d: "Endpoint", proto: str, port_lo: int, port_hi: int,
                    pair: object = None) -> Iterator["PortGroup"]:
        """The pair's packets as port groups (``PortGroup``), in the space's order; ``pair``: what the caller wants
        each group to carry (the group of endpoint pairs the pair stands for: reasoner/explain/factor.py)."""
        # (the common case inline: audit pairs comes here once per pair of classes, 1.8 million times at 20k ENIs)
        known, fields = self._rules, self._fields
        rs, rd = known.get(s.eni) or self.rules(s), known.get(d.eni) or self.rules(d)
        fs, fd = fields.get(id(rs)) or self._numbers(rs), fields.get(id(rd)) or self._numbers(rd)
        union = self._union
        # the fields this query's cuts read: protocols (any), ACL ports, SG ports (a port range), ICMP ports
        # the source ports s sends from: its own (Endpoint.ports), else a load balancer node's, else any
        sports = s.ports if s.ports is not None else EPHEMERAL if s.eni in self.nodes else ANY_PORT
        key = (proto, port_lo, port_hi, sports, union(fs[0], fd[0]) if proto == "-1" else -1, union(fs[1], fd[1]),
               union(fs[2], fd[2]) if port_lo < port_hi else -1, union(fs[4], fd[4]) if proto == "-1" or proto in ICMP else -1)
        cut = self._cut.get(key)
        if cut is None:  # pairs whose hops read the same rules share their cuts
            cut = self._cut[key] = self._cuts(*(self._values[k] if k >= 0 else frozenset() for k in key[4:]),
                                              proto=proto, port_lo=port_lo, port_hi=port_hi, sports=sports)
        protos, dpoints, spoints, dpiece, spiece, icmp, rest, protos6, icmp_other = cut
        needs_inet = (s.ips is None and s.is_internet) or (d.ips is None and d.is_internet)
        inet: list[int] = []
        ipiece: dict[int, tuple[int, int]] = {}
        if needs_inet:
            ranges, within = self._values[union(fs[3], fd[3])], s.within or d.within
            inet, ipiece = self.internet(ranges if within is None else ranges | {within})
            if within is not None:  # a public CIDR (names.py): the space also cut at its bounds, and only its pieces taken
                inet = [ip for ip in inet if within[0] <= ip <= within[1]]
            # not the ENI end's own VPC: its CIDRs are cut points, so a piece is wholly in or out
            end = d if s.is_internet else s
            own = self.an.vpc_cidrs.get(self.an.eni[end.eni][2]) if end.eni in self.an.eni else None
            if own:
                inet = [ip for ip in inet if not any(lo <= ip <= hi for lo, hi in own)]
        v4 = addresses.V4_MAX
        pieces = self.an.address_pieces  # (usually empty: the addresses of delegated IPv6 prefixes)
        for sip in (s.ips if s.ips is not None else inet):
            fam = "ipv4" if sip <= v4 else "ipv6"  # (addresses.family, inline)
            if s.family not in (None, fam):
                continue
            for dip in (d.ips if d.ips is not None else inet):
                if ("ipv4" if dip <= v4 else "ipv6") != fam or d.family not in (None, fam):
                    continue  # a packet's two addresses are of one family
                srange = ipiece[sip] if s.ips is None else pieces.get(sip, (sip, sip)) if pieces else (sip, sip)
                drange = ipiece[dip] if d.ips is None else pieces.get(dip, (dip, dip)) if pieces else (dip, dip)
                for p in (protos if fam == "ipv4" else protos6):
                    if p in PORTED:
                        yield PortGroup(s, d, sip, dip, p, dpoints, spoints, dpiece, spiece, srange, drange, fam, pair)
                    elif p in ICMP:
                        # ICMP over IPv6 or ICMPv6 over IPv4: no stack answers it (icmp_other: every message one-way)
                        for points, reply, ipieces, rpiece in (icmp if (p == "58") == (fam == "ipv6") else icmp_other)[p]:
                            yield PortGroup(s, d, sip, dip, p, points, [reply], ipieces, rpiece, srange, drange, fam, pair)
                    else:
                        yield PortGroup(s, d, sip, dip, p, [0], [0], _NO_PORTS, _NO_PORTS, srange, drange, fam, pair,
                                        p == rest)

    def _numbers(self, r: Rules) -> tuple[int, int, int, int, int]:
        """The numbers of a Rules' field sets (protocols, ACL ports, SG ports, ranges, ICMP ports)."""
        got = self._fields.get(id(r))
        if got is None:
            got = self._fields[id(r)] = tuple(self._number(f) for f in (r.protos, r.nacl_ports, r.sg_ports, r.ranges,
                                                                         r.icmp_ports))  # type: ignore[assignment]
        return got  # type: ignore[return-value]

    def _number(self, values: frozenset) -> int:
        n = self._sets.get(values)
        if n is None:
            n = self._sets[values] = len(self._values)
            self._values.append(values)
        return n

    def _union(self, a: int, b: int) -> int:
        """The number of the union of the sets numbered ``a`` and ``b``."""
        if a == b:
            return a
        k = (a, b) if a < b else (b, a)
        n = self._unions.get(k)
        if n is None:
            n = self._unions[k] = self._number(self._values[a] | self._values[b])
        return n

    def _cuts(self, protos_read: frozenset, nacl_ports: frozenset, sg_ports: frozenset, icmp_ports: frozenset, *,
              proto: str, port_lo: int, port_hi: int, sports: tuple[int, int]) -> tuple:
        """A pair's protocols, cut points and pieces, from the unions of its ends' fields that the query reads (the
        others come empty: ``port_groups`` passes SG ports only for a port range, where they cut, and so on)."""
        rest = None
        if proto == "-1":
            # every protocol no rule names, as one class: its packet carries the lowest such number (never one with
            # ports or ICMP messages, which the rules read apart: PORTED, ICMP)
            protos_read = protos_read | self.named_protocols
            rest = next(str(n) for n in range(256) if str(n) not in protos_read and str(n) not in PORTED + ICMP)
            # ICMP and ICMPv6 always, whether or not a rule names them: the rules read their messages apart (an error
            # message needs no reply: rules/reachability.dl no_reply), so the "every other protocol" class cannot
            # stand for them (ICMPv6 was left out unless a rule named it: a one-way ICMPv6 message that got through
            # where every other packet's reply was stopped went unseen)
            protos = list(ALWAYS) + sorted((protos_read | {rest}) - {"-1", *ALWAYS}, key=int)
        else:
            protos = [proto]
        dpoints = cuts(port_lo, port_hi, sorted(nacl_ports | sg_ports))
        spoints, spiece = source_pieces(sports, nacl_ports)
        # ICMP messages: the query's range when it asks ICMP (reasoner/query/language.py writes types so),
        # every message when it asks any protocol (its ports are TCP and UDP ports); cut at each query type's
        # bounds too, so each piece is one query type (its reply) or no query (no reply): ``_icmp_runs``
        ilo, ihi = (port_lo, port_hi) if proto in ICMP else (0, 65535)
        base = set(cuts(ilo, ihi, sorted(icmp_ports))) | {c for c in self._icmp_cuts if ilo < c <= ihi}
        icmp, icmp_other = {}, {}
        for p in protos:
            if p in ICMP:
                queries = self.queries[p]
                points = sorted(base | {c for t, _ in queries for c in (t * 256, t * 256 + 256) if ilo < c <= ihi})
                icmp[p] = _icmp_runs(queries, points, pieces(points, ihi))
                # the same message in the other family's packet (protocol 1 over IPv6, 58 over IPv4) is no ICMP message
                # of that family (ICMPv6 is IPv6's, RFC 4443): delivered, nothing answers it, so it gets no reply
                icmp_other[p] = _icmp_runs([], points, pieces(points, ihi))
        # an IPv6 packet's protocols: ICMPv6 before ICMP, so that an answer's packet over IPv6 is an ICMPv6 message
        # whenever one would do (protocol 1 over IPv6 is a packet too, and asked)
        protos6 = protos if "58" not in protos or "1" not in protos else [
            "58" if p == "1" else "1" if p == "58" else p for p in protos]
        return protos, dpoints, spoints, pieces(dpoints, port_hi), spiece, icmp, rest, protos6, icmp_other


_NO_PORTS = {0: (0, 0)}


def _icmp_runs(queries: list[tuple[int, int]], points: list[int], ipieces: dict[int, tuple[int, int]]) -> list[tuple]:
    """The ICMP message pieces ``points`` (cut at each query type's bounds: ``icmp_queries``) as runs of adjacent
    pieces with the same reply, in order: (points, the reply's message or NO_REPLY, the pieces, the reply's piece).
    Each run is one port group, so the packets keep the space's order."""
    reply_of = dict(queries)
    runs: list[tuple] = []
    for dp in points:
        t = dp // 256
        reply = reply_of[t] * 256 if t in reply_of else NO_REPLY
        if runs and runs[-1][1] == reply:
            runs[-1][0].append(dp)
        else:
            runs.append(([dp], reply, ipieces, {reply: (reply, reply)}))
    return runs


@dataclass(slots=True, eq=False)
class PortGroup:
    """The packets of one pair, address pair and protocol: every destination-port piece (``dps``, outer) times
    every source-port piece (``sps``, inner), in the space's order.  A protocol without ports has one packet.
    Not frozen: ``audit pairs`` makes one per pair of classes (1.8 million at 20k ENIs), and a frozen dataclass
    sets each field through ``object.__setattr__``.  Read-only by convention; equal by identity."""

    src: "Endpoint"
    dst: "Endpoint"
    sip: int
    dip: int
    proto: str
    dps: list[int]
    sps: list[int]
    dpiece: dict[int, tuple[int, int]]
    spiece: dict[int, tuple[int, int]]
    srange: tuple[int, int]
    drange: tuple[int, int]
    family: str
    pair: object = None  # what the caller asked it to carry (port_groups)
    #: whether ``proto`` stands for every protocol no rule on the pair's path names (an ``any`` query's last class)
    rest: bool = False

    def __len__(self) -> int:
        return len(self.dps) * len(self.sps)

    def row(self, dp: int, sp: int) -> tuple:
        return (self.src.eni, self.dst.eni, self.sip, self.dip, self.proto, sp, dp)

    def piece(self, dp: int, sp: int) -> Piece:
        return Piece(self.dpiece[dp], self.spiece[sp], self.srange, self.drange)

    def packets(self) -> Iterator[tuple[tuple, "Endpoint", Piece]]:
        for dp in self.dps:
            for sp in self.sps:
                yield self.row(dp, sp), self.dst, self.piece(dp, sp)
