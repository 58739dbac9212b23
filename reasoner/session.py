"""A snapshot loaded with the rules: the engine API the CLI and tests use.

Loads only the relations the rules declare (others stay in the snapshot, unused by rules).
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

from reasoner.engine.backend import PointBackend
from reasoner.errors import FactsError, QueryError
from reasoner.engine.program import Program, load_rules, shipped_only
from reasoner.explain.loadbalancers import HealthCheck, LoadBalancers, derive_nodes
from reasoner.explain.paths import Analyzer, Result
from reasoner.explain.prefix_addresses import prefix_addresses
from reasoner.query.language import parse_query
from reasoner.query.endpoints import Endpoints
from reasoner.query.names import load_aliases


#: The hop-keyed relations the question layer asks of the set engine (answers and proofs): hop first.
HOP_KEYED = ("fwd_blocked", "ret_blocked", "hop_unknown", "hop_problem")
#: Above this many tag rows of one key, ``eni_tag`` is read from the set engine: pyDatalog derives about 10,000 rows
#: a second (20k ENIs, each tagged: 1.1 s), DuckDB all of them in milliseconds once built (about 0.15 s at 20k ENIs).
TAGS_POINT = 500

@dataclass
class Session:
    program: Program
    analyzer: Analyzer
    endpoints: Endpoints
    warnings: list[str]
    lbs: LoadBalancers
    #: which engine scans a query's packet space: "point" (pyDatalog, packet by packet), "set" (DuckDB,
    #: set-at-a-time) or "auto" (the set engine above search.SET_THRESHOLD packets). REASON_ENGINE sets it.
    engine: str = field(default_factory=lambda: os.environ.get("REASON_ENGINE", "auto"))
    _set_backend: object = field(default=None, repr=False)
    #: the snapshot's manifest (accounts, regions, content hash when read from a facts directory)
    manifest: dict = field(default_factory=dict)
    _target_enis: dict = field(default_factory=dict, repr=False)  # target_enis, per target group

    @classmethod
    def open(cls, facts: Path, extra_rules: list[Path] | None = None, cache: bool = True) -> "Session":
        """Loads a snapshot and the rules.  The garbage collector is paused meanwhile and the loaded
        objects are then frozen (``gc.freeze``): hundreds of thousands of long-lived objects, which
        every later collection would otherwise walk again.  ``cache=False``: nothing is read from or written to the
        cache folder (parsed rules, symmetry classes: reasoner/engine/disk_cache.py), as ``reason recheck`` needs."""
        enabled = gc.isenabled()
        gc.disable()
        try:
            session = cls._open(facts, extra_rules, cache)
            gc.freeze()  # the loaded snapshot lives as long as the session: keep later collections off it
            return session
        finally:
            if enabled:
                gc.enable()

    @classmethod
    def _open(cls, facts: Path, extra_rules: list[Path] | None = None, cache: bool = True) -> "Session":
        from reasoner.facts.importer import PARENTLESS, load_snapshot

        snap = load_snapshot(facts)
        program = Program(load_rules(list(extra_rules or []), cache=cache))  # extra rules only read shipped predicates
        for rel, rows in snap.relations.items():  # before any Python code reads the rows (derive_nodes)
            if rel in program.decls and rel not in program.rules_by_head:
                _check_rows(rel, rows, program.decls[rel], facts)
        extra_rows, node_warnings = derive_nodes(snap.relations, snap.names)
        for rel, rows in extra_rows.items():
            snap.relations[rel] = list(snap.relations.get(rel, [])) + rows
        prefix_rows, pieces, prefix_warnings = prefix_addresses(snap.relations, program.checked)  # IPv6 prefixes' addresses
        if prefix_rows:
            snap.relations["eni_ip"] = sorted(set(snap.relations.get("eni_ip", [])) | set(prefix_rows))
        for rel, rows in snap.relations.items():  # rows checked above; derived nodes are built from checked rows
            if rel in program.decls and rel not in program.rules_by_head:
                program.add_facts(rel, rows, source=f"{facts}/{rel}")
        warnings = list(node_warnings) + prefix_warnings
        for item in snap.manifest.get("incomplete", []) or []:
            warnings.append(f"the snapshot is incomplete: {_incomplete_text(item)}")
        skipped = snap.manifest.get("skipped_ipv6")
        if isinstance(skipped, int) and skipped > 0:  # (reasoner/facts/importer.py "Not handled")
            warnings.append(f"the import skipped {skipped} IPv6 item(s) this version does not model (IPv6 addresses of "
                            "load balancer nodes, IPv6 targets of target groups, IPv6 transit gateway routes): no answer "
                            "covers traffic to or from their addresses")
        unread = sorted({u.get("key") for u in snap.manifest.get("unmodelled", []) or [] if isinstance(u, dict)} - {None})
        if unread:  # kept by the import, read by no rule: said on every answer, never silently ignored
            warnings.append(f"the snapshot holds {len(unread)} answer(s) this version does not read ("
                            f"{', '.join(unread[:5])}{', ...' if len(unread) > 5 else ''}): no answer takes what they say "
                            "into account")
            warnings.extend(f"{key}: {PARENTLESS[key]}" for key in unread if key in PARENTLESS)
        folder = facts if facts.is_dir() else facts.parent
        analyzer = Analyzer(program, snap.relations, snap.names, address_pieces=pieces)
        analyzer.factoring.cache = cache
        endpoints = Endpoints(snap.relations, snap.names, load_aliases(folder), str(folder / "reason.toml"))
        session = cls(program, analyzer, endpoints, warnings, LoadBalancers(analyzer, endpoints), manifest=dict(snap.manifest))
        endpoints.tagged = session.eni_tags  # tag:KEY=VALUE
        endpoints.located = session.target_enis  # a target's ENI, as the rules place it
        return session

    def index(self) -> int | None:
        """Computes the snapshot's symmetry classes (reasoner/engine/symmetry_cache.py) and keeps them in the cache
        folder, as the first set question would: ``reason import`` and ``reason collect`` call it, so that the first
        question after them reads the classes instead of computing them (about 0.3 s at 20k ENIs).  Returns how
        many classes there are, or None when the cache is off (``REASON_NO_CACHE``, ``cache=False``) or the rules
        refuse factoring.  Nothing here changes an answer: a question computes the classes itself on a miss."""
        from reasoner.engine import disk_cache

        factoring = self.analyzer.factoring
        folder = disk_cache.cache_dir()
        if not factoring.cache or folder is None:
            return None
        classes = factoring.classes
        # (a folder that cannot be written means no cache, never an error: then nothing was kept, and none is said)
        return None if classes is None or not folder.is_dir() else len(classes)

    def target_enis(self, tg: str) -> dict[int, str]:
        """{address: ENI} for the targets of ``tg`` that rules/load_balancers.dl ``target_eni`` places on exactly one ENI
        (pyDatalog; kept per group)."""
        if tg not in self._target_enis:
            ips = {t: ip for g, t, ip, _, _ in self.analyzer.rel.get("tg_target", ()) if g == tg and ip}
            enis: dict[int, set[str]] = {}
            for _, t, eni in self.program.query("target_eni", (tg, None, None)):
                if t in ips:
                    enis.setdefault(ips[t], set()).add(eni)
            self._target_enis[tg] = {ip: next(iter(e)) for ip, e in enis.items() if len(e) == 1}
        return self._target_enis[tg]

    def eni_tags(self, key: str) -> list[tuple[str, str]]:
        """``(eni, value)`` for every ENI ``eni_tag`` (rules/tags.dl) tags with ``key``: asked of pyDatalog when the
        snapshot has a few such tags, of the set engine when it has many (``TAGS_POINT``) or is told to (``engine``).
        The two agree (tests/engine/test_tags.py)."""
        many = sum(1 for r in self.analyzer.rel.get("tag", ()) if r[1] == key) > TAGS_POINT
        if self.engine == "set" or (self.engine == "auto" and many):
            self.set_backend()
            rows = self.analyzer.derived("eni_tag")  # type: ignore[misc]  (set by set_backend)
        else:
            rows = self.program.query("eni_tag", (None, key, None))
        return [(e, v) for e, k, v in rows if k == key]

    def query(self, text: str, depth: int = 3, detail: bool = True) -> Result:
        """Answers one query.  ``depth`` bounds the derivation tree (0: none); ``detail=False`` gives the
        verdict, the packet and the blocking hops only (the fast form for many questions)."""
        q = parse_query(text)
        ep = self.endpoints
        src_lb = ep.resolve_lb(ep.target(q.src))
        if src_lb is not None:  # from a load balancer's nodes, as it sends to its targets
            res = self.lbs.analyze_from(str(q), src_lb, ep.resolve(q.dst, q.family), q.proto_number, q.port_lo, q.port_hi, depth=depth)
            res.warnings.extend(w for w in self.warnings if w not in res.warnings)
            return res
        src = ep.resolve(q.src, q.family)
        lb = ep.resolve_lb(ep.target(q.dst))
        if lb is not None:
            res = self.lbs.analyze(str(q), src, lb, q.proto_number, q.port_lo, q.port_hi, depth=depth)
        else:
            dst = ep.resolve(q.dst, q.family)
            if any(ep.lb_of_node(d.eni) for d in dst):  # load-balancer nodes: through them (README, "Load balancers")
                res = self.lbs.analyze_destinations(
                    str(q), src, dst, q.proto_number, q.port_lo, q.port_hi, depth=depth, detail=detail,
                    plain=lambda s, d: self._analyze(str(q), s, d, q.proto_number, q.port_lo, q.port_hi, depth, detail))
            else:
                res = self._analyze(str(q), src, dst, q.proto_number, q.port_lo, q.port_hi, depth, detail)
        res.warnings.extend(w for w in self.warnings if w not in res.warnings)
        for h in res.forward_path:  # a gateway endpoint's policy may deny what the network lets through
            if res.reachable and h.ref[:1] == ("route",) and len(h.ref) > 5 and h.ref[4] == "vpce":
                note = (f"the policy of {h.ref[5]} is not evaluated (vpc-endpoints-access.html): it may deny what the "
                        "network lets through")
                if note not in res.warnings:
                    res.warnings.append(note)
        return res

    def query_all(self, text: str, undecided: list | None = None) -> tuple[list, int, list[tuple[str, list[str], str]]]:
        """Every class of the query's packet space that gets through and back (``reason query --all``), how
        many classes were evaluated, and for the destinations that are load-balancer nodes, per load balancer:
        its id, the nodes and the verdict through it (as ``query`` answers them: no classes).  Load balancers
        named as endpoints are not supported here (one leg at a time).  ``undecided``, when given, receives the
        groups of endpoint pairs with a class whose fate depends on missing data (reasoner/explain/factor.py
        ``PairGroup``)."""
        from reasoner.explain import search

        q = parse_query(text)
        for name in (q.src, q.dst):
            if self.endpoints.names_load_balancer(name):
                raise QueryError("query.all_load_balancer", f"--all does not go through load balancers ({name})",
                                 hint="ask for the load balancer's nodes or targets (tg:NAME) instead")
        src = self.endpoints.resolve(q.src, q.family)
        dst, by_lb = self.endpoints.split_nodes(self.endpoints.resolve(q.dst, q.family))
        through = [(lb, sorted(d.eni for d in nodes),
                    self.lbs.analyze_destinations(str(q), src, nodes, q.proto_number, q.port_lo, q.port_hi, depth=0,
                                                  detail=False).verdict) for lb, nodes in by_lb.items()]
        if not dst:
            return [], 0, through
        backend = self.set_backend() if self.engine != "point" else PointBackend(self.program)
        found, evaluated = search.every_reachable(self.analyzer, backend, src, dst, q.proto_number, q.port_lo, q.port_hi,
                                                  undecided)
        if not evaluated and not through:  # no pair at all: the error `query` gives, never a verdict of nothing
            from reasoner.explain.paths import empty_query
            raise empty_query(dst)
        return found, evaluated, through

    def _analyze(self, text: str, src: list, dst: list, proto: str, lo: int, hi: int, depth: int, detail: bool) -> Result:
        """Scans the packet space with pyDatalog, or with the set engine when it is large (``engine``)."""
        from reasoner.explain import search

        if self.engine == "set" or (self.engine == "auto" and search.is_large(self.analyzer, src, dst, proto, lo, hi)):
            return self.analyzer.analyze(text, src, dst, proto, lo, hi, depth=depth, detail=detail, backend=self.set_backend())
        return self.analyzer.analyze(text, src, dst, proto, lo, hi, depth=depth, detail=detail)

    def set_backend(self):
        """The set-at-a-time engine over this snapshot (DuckDB), built on first use and kept."""
        if self._set_backend is None:
            from reasoner.engine.backend import SetBackend
            from reasoner.engine.screen import screen_views, screenable
            from reasoner.engine.separable import SeparableBackend, side_of, split
            from reasoner.explain.scan import SCREEN_HOPS

            shipped = shipped_only(self.program.checked)  # the policies are pyDatalog's (reasoner/explain/policy_facts.py)
            sides = split(shipped, HOP_KEYED)  # no hop reads both ports: evaluate a sum, not a product
            # the audits look at the hops of SCREEN_HOPS first (reasoner/engine/screen.py): those reading no source port
            screen = [] if sides is None else screenable(SCREEN_HOPS, lambda h: side_of(sides, h))
            backend = SetBackend(shipped, self.analyzer.rel, views=screen_views(screen, HOP_KEYED) if screen else None)
            self._set_backend = backend if sides is None else SeparableBackend(backend, sides, HOP_KEYED, screen=screen)
            self.analyzer.derived = backend.rows  # the packet space's subnet lookups: no pyDatalog needed for them
        return self._set_backend

    def is_set_query(self, text: str) -> bool:
        """Whether a side of the query names a set (several ENIs, or the internet's every public address):
        answered existentially, so a derivation of one member pair is rarely what the reader wants."""
        q = parse_query(text)
        return self.endpoints.is_set(q.src) or self.endpoints.is_set(q.dst)

    def health(self, names: list[str] | None = None) -> list[HealthCheck]:
        """Target health as the network sees it: every target of the named target groups (``tg:NAME``) or of
        the named load balancers (``alb:NAME``/``nlb:NAME``: the groups its listeners and rules name, whatever the
        weight, and those naming it, rules/load_balancers.dl ``tg_user``); all target groups when none is named.
        A load balancer whose groups are not all known (``lb_tgs_unknown``) adds one NOT DECIDED entry saying so;
        one that uses no group adds none (never "every group" instead)."""
        if not names:
            return self.lbs.health(None)
        tgs: list[str] = []
        lbs: list[str] = []
        for name in names:
            lb = self.endpoints.resolve_lb(self.endpoints.target(name))
            if lb is not None:
                tgs.extend(sorted({r[0] for r in self.program.query("tg_user", (None, lb))}))
                lbs.append(lb)
            else:
                tgs.append(self.endpoints.resolve_tg(name))
        # a group named twice (tg:X tg:X, or tg:X alb:Y) once
        return self.lbs.health(list(dict.fromkeys(tgs)), list(dict.fromkeys(lbs)))


def _check_rows(rel: str, rows: list[tuple], decl, facts: Path) -> None:
    """Every row has the declared arity and column types (number: int, symbol: str): a hand-edited
    relation file that does not is an error, never rows that silently match nothing."""
    types = tuple(int if ctype == "number" else str for _, ctype in decl.columns)
    n = len(types)
    # column by column first, in C loops (at 100k ENIs, about 0.06 s instead of 0.18 s; a column taken by itemgetter,
    # not zip(*rows), which builds every column at once: 0.025 -> 0.009 s at 20k); a file that fails is read row by
    # row for the message
    if not rows or (set(map(len, rows)) == {n} and all(set(map(type, map(itemgetter(i), rows))) == {t}
                                                      for i, t in enumerate(types))):
        return
    for i, row in enumerate(rows):
        if len(row) != n or not all(type(v) is t for v, t in zip(row, types)):
            cols = ", ".join(f"{name}: {ctype}" for name, ctype in decl.columns)
            raise FactsError("facts.bad_row", f"relation {rel} expects ({cols}); found {list(row)!r}",
                             location=f"{facts}/{rel}.jsonl", hint="re-import the snapshot, or fix the row")


def _incomplete_text(item: object) -> str:
    """``ec2 DescribeNatGateways in 123456789012/eu-west-1: AccessDenied`` for a `reason collect` item."""
    keys = ("service", "operation", "account", "region", "error_code")
    if isinstance(item, dict) and all(k in item for k in keys):
        return f"{item['service']} {item['operation']} in {item['account']}/{item['region']}: {item['error_code']}"
    return str(item)
