"""Answers one query on one snapshot: verdict, forward and return path, blockers, proof.

The semantics are the rules' (``rules/reachability.dl``): this module asserts the packet and asks
the hop predicates and ``reach``; ``hops.py`` reads which rule, entry or route admitted each hop and
builds the answer (``answer.py``: ``Result``, ``Hop``, ``Explanation``, ``Missing``).

Packet space.  The query fixes the endpoints (each a set: an ENI's addresses, a subnet's or a
group's ENIs, the internet), the protocol (or any) and the destination ports; the source port
ranges over every port the client may send from (0-65535; a load balancer's node, 1024-65535:
space.py ``PacketSpace.port_groups``), the ephemeral ones first.  Instead of sampling, every dimension is cut at
every boundary of the rules that could look at it (the port ranges of the SG and NACL entries and
the CIDRs of the SG rules, NACL entries and routes on the path), so one representative per piece
stands for the whole piece: "unreachable" holds for every packet of the query, which is what a
proof of isolation needs, and "reachable" names one concrete packet that gets through and back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from reasoner.engine.backend import Backend
from reasoner.engine.separable import ranked_products
from reasoner.engine.program import Program
from reasoner.errors import QueryError
# the answer's types and the hop constants are imported from here by the renderers and the question layer
from reasoner.explain.answer import (HOPS, INTERNET, PROTO_NAMES, Explanation, Hop, Missing, Result,  # noqa: F401
                                     _classed, ip_text)
from reasoner.explain.factor import Factoring
from reasoner.explain.hops import HopReader
from reasoner.explain.scan import ANSWER_RELATIONS, Scan, classify, classify_answer, lower_rank, rank
from reasoner.explain.space import EPHEMERAL, PORTED, PacketSpace, PortGroup, cuts  # noqa: F401  (EPHEMERAL, PORTED: re-exported)
# the internet's address helpers are imported from here by the question layer (reasoner/query/names.py)
from reasoner.explain.space_rules import (NOT_INTERNET, NOT_INTERNET_RANGES, RuleLookups, _public,  # noqa: F401
                                          own_public_ips)

_cuts = cuts  # the name tests and older callers use

#: The missing keys of a network interface whose attachment its Status and its Attachment's leave open (rules/
#: route_explanations.dl eni_unsettled_as): their sentences name the two Statuses (``Analyzer.missing_fields``).
ENI_UNSETTLED_KEYS = frozenset({"eni_in_transition", "eni_associated", "eni_status_unclear", "eni_status_missing"})


def packet_facts(row: tuple, dst: "Endpoint") -> dict[str, list[tuple]]:
    """The per-query facts asserted for a packet (``Analyzer._assert``), as a backend takes them."""
    facts: dict[str, list[tuple]] = {"packet": [row]}
    if dst.addressed == "private":
        facts["addressed_privately"] = [(dst.eni,)]
    return facts


def group_facts(g: PortGroup, dp: int, sp: int) -> dict[str, list[tuple]]:
    """The per-query facts of a port group's packet (``dp``, ``sp``): what ``products`` evaluates (separable.py)."""
    return packet_facts(g.row(dp, sp), g.dst)


def empty_query(dsts: list["Endpoint"]) -> QueryError:
    """The error of a query whose packet space is empty: no pair of distinct endpoints with addresses (``query``,
    ``verify`` and ``query --all`` alike)."""
    asked = {e.family for e in dsts if e.family}
    return QueryError("query.empty", "the query names no pair of distinct endpoints with addresses to analyse"
                      + (f" (the query asks {' or '.join(sorted(asked))}: both ends need an address of it)" if asked else ""))


@dataclass(frozen=True)
class Endpoint:
    """One side of a query: an ENI with its addresses, or the internet (addresses None = any public one, or any in
    ``within``)."""

    eni: str
    ips: tuple[int, ...] | None = None
    #: how the query named it: "private" (a private address), "public" (its public IP), or "" (by name)
    addressed: str = ""
    #: "ipv4" or "ipv6" when the query asked for one family only (the internet's addresses are then of it)
    family: str | None = None
    #: the internet restricted to one range (a public CIDR the query named: reasoner/query/names.py): its
    #: representative addresses lie in it, cut at its bounds (reasoner/explain/space.py); None: every public address
    within: tuple[int, int] | None = None
    #: the source ports it sends from (lo, hi), when not its kind's (any port; the ephemeral ones for a load
    #: balancer's node: reasoner/explain/space.py ``PacketSpace.port_groups``): a node forwarding a client's packet
    #: as it came sends from the ports of the client's packet class (reasoner/explain/loadbalancers.py, the leg to
    #: the target); a client asked about one class of its packets sends from that class's
    ports: tuple[int, int] | None = None

    @property
    def is_internet(self) -> bool:
        return self.eni == INTERNET

class Analyzer(HopReader, RuleLookups):
    def __init__(self, program: Program, relations: dict[str, list[tuple]], names: dict[str, str],
                 address_pieces: dict[int, tuple[int, int]] | None = None) -> None:
        self.p, self.rel, self.names = program, relations, names
        self.eni = {r[0]: r for r in relations.get("eni", [])}
        ips: dict[str, list[int]] = {}
        for e, ip in relations.get("eni_ip", []):
            ips.setdefault(e, []).append(ip)
        #: each ENI's private addresses, sorted
        self.eni_ips: dict[str, tuple[int, ...]] = {e: tuple(sorted(v)) for e, v in ips.items()}
        self.sgs: dict[str, list[str]] = {}
        for e, sg in relations.get("eni_sg", []):
            self.sgs.setdefault(e, []).append(sg)
        self._acl_cache: dict[str, str] = {}
        #: where the packet-independent derived relations the packet space reads (``subnet_acl``,
        #: ``subnet_route_table``) come from: pyDatalog unless set (``Session.set_backend`` sets the set engine's)
        self.derived: Callable[[str], list[tuple]] | None = None
        self._index("sg_rules", [(r[0], r) for k in ("sg_ingress_cidr", "sg_egress_cidr", "sg_ingress_sg", "sg_egress_sg",
                                                     "sg_ingress_pl", "sg_egress_pl") for r in relations.get(k, [])])
        self._index("nacl_entries", [(r[0], r) for r in relations.get("nacl_entry", [])])
        self._index("routes", [(r[0], r) for r in relations.get("route", [])])
        self._index("pl_routes", [(r[0], r) for r in relations.get("route_pl", [])])
        self._index("pl_cidrs", [(r[0], r) for r in relations.get("prefix_list_cidr", [])])
        self.vpc_ranges = [(r[1], r[2]) for r in relations.get("vpc", [])]
        #: each VPC's CIDRs: an address in the ENI's own VPC is never the internet's (space.py leaves those pieces out)
        self.vpc_cidrs: dict[str, list[tuple[int, int]]] = {}
        for r in relations.get("vpc", []):
            self.vpc_cidrs.setdefault(r[0], []).append((r[1], r[2]))
        #: IPv6 blocks never advertised on the internet (Ipv6AddressAttribute private): no internet address is in one
        self.private_v6 = [(r[0], r[1]) for r in relations.get("ipv6_private_block", [])]
        #: an ENI address that stands for a piece of a delegated IPv6 prefix -> that piece (Session passes it:
        #: reasoner/explain/prefix_addresses.py); a packet class from or to it names the piece
        self.address_pieces: dict[int, tuple[int, int]] = address_pieces or {}
        # subnets a path may cross besides the endpoints' own, per VPC: transit gateway attachment subnets
        # and NAT gateway subnets. Their NACLs and route tables look at the packet too.
        att_vpc = {r[0]: r[2] for r in relations.get("tgw_vpc_attachment", [])}
        self.transit_subnets: dict[str, set[str]] = {}
        for att, sub in relations.get("tgw_attachment_subnet", []):
            if att in att_vpc:
                self.transit_subnets.setdefault(att_vpc[att], set()).add(sub)
        for _, sub, vpc, _ in relations.get("nat_gateway", []):
            self.transit_subnets.setdefault(vpc, set()).add(sub)
        self._rtb_cache: dict[str, str] = {}
        self.space = PacketSpace(self)
        self.factoring = Factoring(self, {INTERNET})

    def _index(self, attr: str, pairs: list[tuple[str, tuple]]) -> None:
        idx: dict[str, list[tuple]] = {}
        for k, r in pairs:
            idx.setdefault(k, []).append(r)
        setattr(self, attr, idx)

    def eni_endpoints(self) -> list[Endpoint]:
        """Every ENI of the snapshot with all its addresses, by id (an ENI with no address is no endpoint)."""
        return [Endpoint(e, self.eni_ips[e]) for e in sorted(self.eni) if e in self.eni_ips]

    def label(self, rid: str) -> str:
        name = self.names.get(rid)
        return f"{rid} ({name})" if name and name != rid else rid

    def missing_sentence(self, what: str, comp: str, label: str, default: str | None = None) -> str:
        """The sentence of rules/missing_data.dl ``missing_message`` for ``what``, naming ``comp`` as ``label`` (and
        its other fields: ``missing_fields``); ``default`` (a template) when the rules give none."""
        tmpl = self.p.query("missing_message", (what, None))
        text = tmpl[0][1] if tmpl else default if default is not None else f"{what} {{component}} is not known"
        return text.format(component=label, **self.missing_fields(what, comp))

    def missing_fields(self, what: str, comp: str) -> dict[str, str]:
        """The fields of a ``missing_message`` sentence besides ``{component}``: for ``tgw_entry_subnet`` (rules/
        missing_data.dl), ``{zones}``, the attachment's subnets and their Availability Zones; for a network interface
        whose attachment is left open (``eni_in_transition``, ``eni_associated``, ``eni_status_unclear``,
        ``eni_status_missing``: rules/route_explanations.dl), ``{state}``, its Status and its Attachment's; for
        ``tgw_zone_accounts`` (rules/missing_data.dl), ``{names}``, the subnet's zone names and the accounts giving
        them."""
        if what in ENI_UNSETTLED_KEYS:
            states = sorted({(st, att) for e, st, att in self.rel.get("eni_unsettled", []) if e == comp})
            return {"state": "; ".join(", ".join(([f"Status {st}"] if st else []) + ([f"Attachment.Status {att}"] if att else []))
                                        for st, att in states) or "its Status"}
        if what == "tgw_zone_accounts":
            named = sorted((acc, az) for s, az, acc in self.rel.get("subnet_zone_named_by", []) if s == comp)
            return {"names": f" ({', '.join(f'{az} to account {acc}' for acc, az in named)})" if named else
                    " (a zone name no account is known to give)"}
        if what != "tgw_entry_subnet":
            return {}
        zone = {r[0]: r[4] for r in sorted(self.rel.get("subnet", [])) if r[4]}
        zone_id = dict(sorted(self.rel.get("subnet_az_id", [])))
        subs = sorted(s for a, s in self.rel.get("tgw_attachment_subnet", []) if a == comp)
        named = [f"{self.label(s)} in {' / '.join(dict.fromkeys(z for z in (zone.get(s), zone_id.get(s)) if z)) or 'an unknown zone'}"
                 for s in subs]
        return {"zones": f" (its subnets: {', '.join(named)})" if named else ""}

    def check_query(self, srcs: list[Endpoint], dsts: list[Endpoint]) -> None:
        """Refuses the questions this model does not analyse as one path (before any packet is looked at)."""
        if srcs and dsts and all(e.is_internet for e in srcs) and all(e.is_internet for e in dsts):
            raise QueryError("query.unsupported", "both ends are the internet; name a resource of the snapshot on one side")
        if any(d.addressed == "public" for d in dsts) and not all(x.is_internet for x in srcs):
            raise QueryError("query.nat_reflection", "the destination is named by its public IP, so the path would leave "
                             "through an internet gateway and come back in (IGW_NAT_REFLECTION: not analysed as one path)",
                             hint="ask the two halves: SRC -> internet, then internet -> DST (or name DST by id)")

    def analyze(self, query_text: str, srcs: list[Endpoint], dsts: list[Endpoint], proto: str, port_lo: int, port_hi: int,
                depth: int = 3, detail: bool = True, backend: Backend | None = None) -> Result:
        """Searches the query's packet space; the first packet that reaches gives the answer, else the
        packet whose path fails at the fewest hops explains why none does.  With ``detail=False`` only
        the verdict, the packet and the failing hops' codes are returned (no path, no proof; the return
        hops are asked only when the forward path passes, so a packet blocked going out lists its
        forward blockers only): the cheap form for programs that ask many questions.

        The packets come from ``self.space`` (reasoner/explain/space.py).  By default each is asked of pyDatalog in
        turn; with a ``backend`` (the set engine, reasoner/engine/backend.py) the whole space is evaluated by it
        and pyDatalog is asked only about the packet the answer names: the same verdict, packet and count.
        Pairs of endpoints no rule can tell apart are evaluated once (reasoner/explain/factor.py):
        ``Result.endpoint_pairs`` says how many pairs the answer covers."""
        self.check_query(srcs, dsts)
        groups = self.factoring.groups(srcs, dsts)  # one pair per symmetry class pair (reasoner/explain/factor.py)
        pairs = (((s, d) for s in srcs for d in dsts if s.eni != d.eni) if groups is None else
                 ((g.src, g.dst) for g in groups))
        space = (pg for s, d in pairs for pg in self.space.port_groups(s, d, proto, port_lo, port_hi))
        fams: set[str] = set()
        res = self._scan(query_text, dsts, space, depth, detail, backend, fams)
        res.families = sorted(fams)
        res.endpoint_pairs = (sum(g.size() for g in groups) if groups is not None else
                              sum(1 for s in srcs for d in dsts if s.eni != d.eni))
        res.factored = groups is not None
        return res

    def _scan(self, query_text: str, dsts: list[Endpoint], space, depth: int, detail: bool, backend: Backend | None,
              fams: set[str]) -> Result:
        """The packets of the port groups ``space``, in order: the first that gets through is the answer (its
        witness); else the first whose fate missing data leaves open (inconclusive); else the nearest miss.
        ``fams`` receives the address families of the packets looked at."""
        scan = Scan()
        if backend is None:  # pyDatalog, one packet at a time
            for g in space:
                fams.add(g.family)
                for row, d, piece in g.packets():
                    scan.checked += 1
                    self._assert(row, d)
                    try:
                        # Forward hops first, the return hops only when the forward path passes (reach = no hop
                        # blocks). The nearest miss is the packet that gets furthest: through the forward path if
                        # any, then the fewest blockers.
                        fwd, ret, unk = self._fate()
                        if not fwd and not ret and not unk:
                            return _classed(self._witness(query_text, row, d, scan.checked, depth, detail, asserted=True), row, piece)
                    finally:
                        self._retract(row, d)
                    scan.note(row, piece, fwd, ret, unk)
        else:  # the whole space evaluated set-at-a-time (by port group); pyDatalog explains the packet chosen
            for g, prod in ranked_products(backend, space, group_facts, ANSWER_RELATIONS, rank, lower_rank):
                fams.add(g.family)
                for i, dp in enumerate(g.dps):
                    if prod.skipped[i]:  # not evaluated: blocked for certain going out, and not before the answer
                        scan.checked += len(g.sps)
                        continue
                    for j, sp in enumerate(g.sps):
                        # the other source ports share (dp, sps[0])'s fate (uniform), or none of them can be the answer
                        # (pruned: blocked for certain going out, and an earlier packet is at least as near)
                        if j and (prod.uniform or prod.pruned[i]):
                            scan.checked += len(g.sps) - 1
                            break
                        scan.checked += 1
                        ans = prod.answer(i, j)
                        fwd, ret, unk = classify_answer(ans)
                        row = g.row(dp, sp)
                        if not fwd and not ret and not unk:
                            return _classed(self._witness(query_text, row, g.dst, scan.checked, depth, detail), row, g.piece(dp, sp))
                        scan.note(row, (g, dp, sp), fwd, ret, unk)
        checked = scan.checked
        best, best_fail, best_piece = scan.best, scan.best_fail, scan.piece(scan.best_piece)
        unknown, unknown_rows, unknown_piece = scan.unknown, scan.unknown_rows, scan.piece(scan.unknown_piece)
        if unknown is not None:  # nothing gets through, and not every packet is known to be stopped
            return _classed(self._inconclusive(query_text, unknown, unknown_rows, next(d for d in dsts if d.eni == unknown[1]),
                                               checked, depth, detail), unknown, unknown_piece)
        if best is None or best_fail is None:
            raise empty_query(dsts)
        best_dst = next(d for d in dsts if d.eni == best[1])
        self._assert(best, best_dst)
        try:
            unknown_hops: set[str] = set()
            unk: list[tuple] = []
            if detail:  # every blocker of the nearest miss, both ways; hops it cannot decide are named, not blamed
                blocked = {r[0] for r in self.p.query("hop_blocked", (None,))}
                unk = self._unknown_rows(blocked)  # (each blocked hop asked with its hop bound: the same rows, fewer to derive)
                unknown_hops = {r[0] for r in unk}
                best_fail = [h for h in HOPS if h in blocked - unknown_hops]
            res = _classed(self._result(query_text, best, False, best_fail, depth, detail, unknown=unknown_hops), best, best_piece)
            res.warnings.extend(f"not decided, but another hop blocks anyway: {m.message}" for m in self._missing(unk))
            res.packets_checked = checked
            return res
        finally:
            self._retract(best, best_dst)

    def _fate(self) -> tuple[set[str], set[str], list[tuple]]:
        """The asserted packet's blocking hops forward and back, and the hop_unknown rows that matter
        (reasoner/explain/scan.py ``classify``, asked of pyDatalog)."""
        return classify(lambda: {r[0] for r in self.p.query("fwd_blocked", (None,))},
                        lambda: {r[0] for r in self.p.query("ret_blocked", (None,))}, self._unknown_rows)

    def _unknown_rows(self, hops: set[str] | None = None) -> list[tuple]:
        """The hop_unknown rows of the packet under analysis (rules/missing_data.dl), of the given hops only (each
        asked with its hop bound, which keeps the question small) or of all."""
        if hops is None:
            return sorted(set(self.p.query("hop_unknown", (None, None, None))))
        return sorted({r for h in hops for r in self.p.query("hop_unknown", (h, None, None))})

    def _missing(self, rows: list[tuple]) -> list[Missing]:
        out = []
        for hop, what, comp in rows:
            out.append(Missing(hop, what, comp, self.missing_sentence(what, comp, self.label(comp))))
        return out

    def _inconclusive(self, query_text: str, row: tuple, rows: list[tuple], dst: Endpoint, checked: int, depth: int,
                      detail: bool) -> Result:
        """The answer when no packet gets through but some packet's fate is unknown: the path of that packet,
        its unknown hops marked, and what is missing."""
        self._assert(row, dst)
        try:
            unknown_hops = {r[0] for r in rows}
            res = self._result(query_text, row, False, [], depth, detail, unknown=unknown_hops)
            res.inconclusive = True
            res.missing = self._missing(rows)
            res.packets_checked = checked
            return res
        finally:
            self._retract(row, dst)

    def _witness(self, query_text: str, row: tuple, dst: Endpoint, checked: int, depth: int, detail: bool,
                 asserted: bool = False) -> Result:
        """The answer for a packet that gets through and back: its path and derivation (pyDatalog)."""
        if not asserted:
            self._assert(row, dst)
        try:
            if detail and not self.p.holds("reach", row):  # the hop questions and reach must agree
                raise AssertionError(f"reach and the hop questions disagree on {row}")
            res = self._result(query_text, row, True, [], depth, detail)
            res.packets_checked = checked
            return res
        finally:
            if not asserted:
                self._retract(row, dst)

    def _assert(self, row: tuple, dst: Endpoint) -> None:
        self.p.add_fact("packet", row)
        if dst.addressed == "private":
            self.p.add_fact("addressed_privately", (dst.eni,))

    def _retract(self, row: tuple, dst: Endpoint) -> None:
        self.p.retract_fact("packet", row)
        if dst.addressed == "private":
            self.p.retract_fact("addressed_privately", (dst.eni,))
