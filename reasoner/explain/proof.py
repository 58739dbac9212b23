"""Proofs that can be kept and re-checked: ``reason verify --proof FILE`` and ``reason recheck FILE``.

A proof file (``reason.proof/v2``) holds, for each assertion of a verify run: the query, the expected and the
found verdict, and the packet space it was decided on, as classes.  A class is one representative packet and
the ranges it stands for (``reasoner/explain/space.py``), with the endpoint pairs it covers (several when alike
pairs were evaluated once: ``reasoner/explain/factor.py``), and its fate: ``passes``, ``blocked`` (with each
blocking hop, explanation code and component, as ``reason query`` names them: reasoner/explain/hops.py
``blockers``) or ``unknown`` (with what is missing).  A ``reason.proof/v1`` file (written before 2026-12-05) is
re-checked as it was written: its ``blocked_by`` lists only the ``hop_problem`` rows (rules/route_explanations.dl),
so a class blocked by a security group or a network ACL names no blocker there.  The file also names the
snapshot's content hash (every row of every relation the rules read, canonical JSON, SHA-256), the rules' hash
(every rule file's text, shipped and the user's), the tool version and the time.

``recheck`` recomputes everything from the snapshot given (by default the one the proof names): the hashes,
the packet space (same classes, same pairs) and every class's fate; any difference fails (exit 1).  A proof is
self-contained evidence: the classes together cover the query's whole packet space, so an auditor can see
what "unreachable" was proved over.

Load balancers: an assertion that names one (``alb:NAME``) is kept with its verdict only and ``classes: null``
(its legs are separate questions, reasoner/explain/loadbalancers.py); recheck recomputes the verdict.  When
some destinations of a set are load-balancer nodes, the session answers them through the load balancer (README
"Load balancers"), not as plain packets, so the proof does too: their group carries ``load_balancer`` and the
``verdict`` of that part, and no classes (a plain class to a node would say "passes" where the request goes
no further).  The other destinations' classes are recorded as usual; the assertion's verdict is read off both
(``verdict_of``), and recheck compares both.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Iterator

from reasoner import __version__, addresses
from reasoner.engine.separable import products
from reasoner.errors import QueryError
from reasoner.explain import wording
from reasoner.explain.checks import holds
from reasoner.explain.paths import group_facts, ip_text
from reasoner.files import NotRegularFile, read_regular

SCHEMA = "reason.proof/v2"
#: The proofs ``recheck`` reads: v1 is re-checked as v1 wrote its classes (``query_classes(..., legacy=True)``).
SCHEMAS = (SCHEMA, "reason.proof/v1")
PROOF_RELATIONS = ["fwd_blocked", "ret_blocked", "hop_unknown", "hop_problem"]


def snapshot_hash(session) -> str:
    """SHA-256 of every row of every relation the rules read (sorted, canonical JSON)."""
    checked = session.program.checked
    defined = {r.head.pred for r in checked.module.rules}
    h = hashlib.sha256()
    for rel in sorted(k for k in session.analyzer.rel if k in checked.decls and k not in defined):
        h.update(json.dumps([rel, sorted(json.dumps(list(r)) for r in session.analyzer.rel[rel])]).encode())
    return "sha256:" + h.hexdigest()


def rules_hash(session) -> str:
    """SHA-256 of every rule file's text (shipped and the user's), by file name."""
    h = hashlib.sha256()
    for name, text in sorted(session.program.checked.module.sources.items()):
        h.update(json.dumps([Path(name).name, text]).encode())
    return "sha256:" + h.hexdigest()


def query_classes(session, query_text: str, legacy: bool = False) -> list[dict[str, Any]] | None:
    """Every class of the query's packet space with its fate, grouped by the endpoint pairs it covers; None for a
    query through a load balancer (not recorded).  ``legacy``: the blockers as ``reason.proof/v1`` wrote them."""
    from reasoner.query.language import parse_query

    q = parse_query(query_text)
    if session.endpoints.names_load_balancer(q.src, q.dst):  # verdict only
        return None
    an = session.analyzer
    srcs, dsts = session.endpoints.resolve(q.src, q.family), session.endpoints.resolve(q.dst, q.family)
    an.check_query(srcs, dsts)
    plain, by_lb = session.endpoints.split_nodes(dsts)
    through = [_through(session, query_text, q, srcs, lb, eps) for lb, eps in by_lb.items()]
    return _plain_classes(session, q, srcs, plain, legacy) + through


def _through(session, query_text: str, q, srcs: list, lb: str, nodes: list) -> dict[str, Any]:
    """The group of a load balancer's nodes among the destinations: the session's verdict for them, answered
    through the load balancer (reasoner/explain/loadbalancers.py ``analyze_destinations``); no classes."""
    res = session.lbs.analyze_destinations(query_text, srcs, nodes, q.proto_number, q.port_lo, q.port_hi, depth=0, detail=False)
    return {"srcs": sorted({s.eni for s in srcs}), "dsts": sorted({d.eni for d in nodes}),
            "pairs": sum(1 for s in srcs for d in nodes if s.eni != d.eni) or 1,
            "load_balancer": lb, "verdict": res.verdict, "classes": []}


def _plain_classes(session, q, srcs: list, dsts: list, legacy: bool = False) -> list[dict[str, Any]]:
    """Every class of the packet space between ``srcs`` and ``dsts`` (no load-balancer node among them)."""
    if not dsts:
        return []
    an = session.analyzer
    space = an.factoring.port_groups(an.factoring.every_group(srcs, dsts), q.proto_number, q.port_lo, q.port_hi)
    prods = products(session.set_backend(), space, group_facts, PROOF_RELATIONS, early=False)
    # per group, keyed by its id and holding the group itself: a group whose port groups are done may be freed,
    # and a new one may then get its id (CPython reuses the memory), which merged two groups' classes into one
    # entry, at random (a proof at 20k ENIs failed its own recheck one run in two)
    out: dict[int, tuple[Any, dict[str, Any]]] = {}
    why = None if legacy else an.blockers
    for pg, prod in prods:
        g = pg.pair
        _, entry = out.setdefault(id(g), (g, {"srcs": sorted(s.eni for s in g.srcs), "dsts": sorted(d.eni for d in g.dsts),
                                               "pairs": g.size(), "classes": []}))
        span = [min(r[0] for r in pg.spiece.values()), max(r[1] for r in pg.spiece.values())]  # (the pieces tile it)
        for i, dp in enumerate(pg.dps):
            if prod.uniform:  # every source-port piece has (dp, sps[0])'s answer: one class over the adjacent pieces,
                c = _class(pg.row(dp, pg.sps[0]), pg.piece(dp, pg.sps[0]), prod.answer(i, 0), why)  # as _merge joins them
                c["src_ports"] = list(span)
                entry["classes"].append(c)
            else:  # a run of adjacent source-port pieces with the same rows is one class, as _merge would join them
                entry["classes"].extend(_source_runs(pg, prod, i, dp, why))
    for _, entry in out.values():
        entry["classes"] = _merge(_merge(entry["classes"], "src_ports"), "dst_ports")
    return [entry for _, entry in out.values()]


def _source_runs(pg, prod, i: int, dp: int, why) -> Iterator[dict[str, Any]]:
    """The classes of destination-port piece ``i`` of port group ``pg``: one per run of adjacent source-port pieces
    (in the space's order) whose rows are the same (``Product.same_source_rows``), with the first piece's packet
    and the run's range; what ``_merge`` makes of one class per piece, at a fraction of the work."""
    sps, spiece = pg.sps, pg.spiece
    j = 0
    while j < len(sps):
        k = j + 1
        while k < len(sps) and spiece[sps[k]][0] == spiece[sps[k - 1]][1] + 1 and prod.same_source_rows(j, k):
            k += 1
        c = _class(pg.row(dp, sps[j]), pg.piece(dp, sps[j]), prod.answer(i, j), why)
        c["src_ports"] = [spiece[sps[j]][0], spiece[sps[k - 1]][1]]
        yield c
        j = k


def _merge(classes: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    """Joins classes that differ only in adjacent ``field`` ranges (and so in their representative packet): one
    class of the proof then stands for several pieces with the same fate and the same blockers.  A class joins the
    one that ends just before it and the one that starts just after it (source ports come ephemeral pieces first,
    then those below 1024: reasoner/explain/space.py ``source_pieces``); the joined class keeps the packet of the one
    met first.  Deterministic, so ``recheck`` merges what it recomputes the same way; order: by each merged class's
    first piece."""
    ends: dict[tuple, dict[int, dict[str, Any]]] = {}  # per key, the classes by the last value of their range
    starts: dict[tuple, dict[int, dict[str, Any]]] = {}  # ... and by the first
    order: list[dict[str, Any] | None] = []
    for c in classes:
        key = _class_key(c, field)
        end, start = ends.setdefault(key, {}), starts.setdefault(key, {})
        lo, hi = c[field]
        parts = [e for e in (end.get(lo - 1), start.get(hi + 1)) if e is not None]
        for e in parts:
            del end[e[field][1]], start[e[field][0]]
            order[e["_at"]] = None
        if parts:
            first = min(parts, key=lambda e: e["_at"])
            c = {**first, field: [min([lo] + [e[field][0] for e in parts]), max([hi] + [e[field][1] for e in parts])]}
        else:
            c = {**c, "_at": len(order)}
            order.append(None)
        order[c["_at"]] = c
        end[c[field][1]], start[c[field][0]] = c, c
    return [{k: v for k, v in c.items() if k != "_at"} for c in order if c is not None]


#: The fields of a class as ``_class`` writes them (``_class_key`` reads them directly).
CLASS_FIELDS = frozenset({"src", "dst", "protocol", "family", "src_ips", "dst_ips", "src_ports", "dst_ports", "packet",
                          "fate", "blocked_by", "unknown"})
_SCALARS = ("src", "dst", "protocol", "family", "fate")


def _class_key(c: dict[str, Any], field: str) -> tuple:
    """What two classes must share to be merged along ``field``: every field but ``field`` and ``packet``, as a
    hashable value that is equal exactly when their JSON is (``_frozen``).  A class as ``_class`` writes it is
    keyed directly (a proof at 20k ENIs merges tens of thousands); anything else through ``_frozen``."""
    if c.keys() != CLASS_FIELDS or any(type(c[k]) is not str for k in _SCALARS):
        return _json_key(c, field)
    try:
        ranges = tuple(_pair(c[k]) if k != field else None for k in ("src_ips", "dst_ips", "src_ports", "dst_ports"))
        blocked = tuple(_blocker(b) for b in c["blocked_by"])
        unknown = tuple(tuple(_text3(u)) for u in c["unknown"])
    except (TypeError, ValueError):
        return _json_key(c, field)
    return tuple(c[k] for k in _SCALARS) + ranges + (blocked, unknown)


def _json_key(c: dict[str, Any], field: str) -> tuple:
    """``_class_key`` for any JSON object: every field but ``field`` and ``packet``, through ``_frozen``."""
    return tuple((k, _frozen(v)) for k, v in sorted(c.items()) if k not in (field, "packet"))


def _pair(v: Any) -> tuple:
    if type(v) is not list or len(v) != 2 or not all(type(x) in (int, str) for x in v):
        raise TypeError
    return (type(v[0]) is int, v[0], type(v[1]) is int, v[1])


def _blocker(b: Any) -> tuple:
    if type(b) is not dict or b.keys() != {"hop", "code", "component"} or not all(type(x) is str for x in b.values()):
        raise TypeError
    return (b["hop"], b["code"], b["component"])


def _text3(u: Any) -> list:
    if type(u) is not list or len(u) != 3 or not all(type(x) is str for x in u):
        raise TypeError
    return u


def _frozen(v: Any) -> Any:
    """A JSON value as a hashable one that compares as the JSON text would (types kept apart: ``1`` is not ``true``)."""
    if isinstance(v, dict):
        return ("{", tuple((k, _frozen(x)) for k, x in sorted(v.items())))
    if isinstance(v, list):
        return ("[", tuple(_frozen(x) for x in v))
    return (type(v).__name__, v)


def _class(row: tuple, piece, ans: dict, why=None) -> dict[str, Any]:
    """One class as the proof writes it.  ``why``: the analyzer's ``blockers`` (reasoner/explain/hops.py), naming each
    blocking hop as a query does; None: only the ``hop_problem`` rows, as ``reason.proof/v1`` named them."""
    unknown = sorted(ans["hop_unknown"])
    fwd = sorted(r[0] for r in ans["fwd_blocked"])
    ret = sorted(r[0] for r in ans["ret_blocked"])
    failing = set(fwd) | set(ret)
    known_block = failing - {r[0] for r in unknown}
    fate = "passes" if not failing else "blocked" if known_block else "unknown"
    if why is None:
        blocked = [{"hop": h, "code": c, "component": comp} for h, c, comp, _ in sorted(ans["hop_problem"]) if h in known_block]
    else:
        blocked = [{"hop": h, "code": c, "component": comp} for h in sorted(known_block)
                   for c, comp in why(h, row, [p for p in ans["hop_problem"] if p[0] == h])]
    return {"src": row[0], "dst": row[1], "protocol": row[4], "family": addresses.family(row[2]),
            "src_ips": [ip_text(piece.src_ips[0]), ip_text(piece.src_ips[1])],
            "dst_ips": [ip_text(piece.dst_ips[0]), ip_text(piece.dst_ips[1])],
            "src_ports": list(piece.src_ports), "dst_ports": list(piece.dst_ports),
            "packet": {"src_ip": ip_text(row[2]), "dst_ip": ip_text(row[3]), "src_port": row[5], "dst_port": row[6]},
            "fate": fate,
            "blocked_by": blocked,
            "unknown": [list(r) for r in unknown if r[0] in failing]}


def build(session, checks, facts: Path) -> dict[str, Any]:
    """The proof of a verify run (``checks``: reasoner/explain/checks.py ``AssertionCheck``)."""
    items = []
    for c in checks:
        a, r = c.assertion, c.result
        items.append({"file": a.file, "line": a.line, "assertion": a.text, "query": str(a.query),
                      "expect": "reachable" if a.expect_reachable else "unreachable",
                      "verdict": r.verdict if r else None, "holds": c.status == "pass",
                      "error": c.error.render() if c.error else None,
                      "classes": query_classes(session, str(a.query)) if r is not None else None})
    return {"schema": SCHEMA, "tool_version": __version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "facts": str(facts), "snapshot_hash": snapshot_hash(session), "rules_hash": rules_hash(session),
            "assertions": items}


FATE = {"reachable": "passes", "unreachable": "blocked", "inconclusive": "unknown"}


def verdict_of(groups: list[dict[str, Any]] | None) -> str | None:
    """The verdict the classes give, as the analyzer gives it (reasoner/explain/scan.py ``classify``): some class
    passes -> reachable; else some class is undecided -> inconclusive; else unreachable.  A group through a load
    balancer counts with its own verdict, as ``analyze_destinations`` combines the parts.  None when there is
    nothing to read (a query naming a load balancer, or an empty packet space: the analyzer answers those)."""
    fates = {c["fate"] for g in groups or [] for c in g["classes"]}
    fates |= {FATE[g["verdict"]] for g in groups or [] if g.get("load_balancer")}
    if not fates:
        return None
    return "reachable" if "passes" in fates else "inconclusive" if "unknown" in fates else "unreachable"


def recheck(proof: dict[str, Any], session) -> list[str]:
    """Every difference between the proof and what the snapshot gives now; empty when the proof still holds.

    Nothing the file says is taken on trust: each assertion is parsed again from its text, which must be the
    recorded query and expectation; its verdict is recomputed, and so is whether it holds (as ``reason verify``
    decides it: an inconclusive verdict never holds).  A proof with no assertion proves nothing and fails.  What
    a file cannot show is an assertion deleted from it: the proof attests the assertions it lists, which
    ``reason recheck`` prints."""
    diffs = []
    for key, now in (("snapshot_hash", snapshot_hash(session)), ("rules_hash", rules_hash(session))):
        if proof.get(key) != now:
            diffs.append(f"{key.replace('_', ' ')} differs: the proof has {proof.get(key)}, now {now}")
    if not proof.get("assertions"):
        diffs.append("the proof lists no assertion: it proves nothing")
    for n, item in enumerate(proof.get("assertions", []), 1):
        problem = _statement_problem(item)
        if problem is not None:
            diffs.append(f"assertion {n}: {problem}")
            continue
        where = f"{item.get('file')}:{item.get('line')}  {item['assertion']}"
        try:
            now_classes = query_classes(session, item["query"], legacy=proof.get("schema") == "reason.proof/v1")
            verdict = verdict_of(now_classes) or session.query(item["query"], depth=0).verdict
        except QueryError as e:
            diffs.append(f"{where}: {e.message}")
            continue
        if verdict != item.get("verdict"):
            diffs.append(f"{where}: verdict was {item.get('verdict')}, now {verdict}")
        if item.get("holds") is not holds(item["expect"], verdict):
            diffs.append(f"{where}: the proof says it {'holds' if item.get('holds') is True else 'does not hold'}; "
                         f"with the verdict {verdict} it {'holds' if holds(item['expect'], verdict) else 'does not hold'}")
        if item.get("error") is not None:
            diffs.append(f"{where}: the proof records an error, but the assertion is answered now")
        old = item.get("classes")
        if old is None and now_classes is None:  # a query through a load balancer: its verdict only
            continue
        if old is None or now_classes is None:
            diffs.append(f"{where}: the proof records {'no' if old is None else 'its'} packet classes, but the query "
                         f"{'has' if old is None else 'has none'} now")
            continue
        try:
            diffs.extend(f"{where}: {d}" for d in _compare(old, now_classes))
        except (KeyError, TypeError, AttributeError, IndexError):
            diffs.append(f"{where}: the proof's packet classes are not as reason verify writes them")
    return diffs


def not_holding(proof: dict[str, Any]) -> list[str]:
    """The assertions the proof records as not holding (an ``assert`` that failed, was inconclusive or could not be
    answered when it was written): a file that re-checks exactly still proves nothing about them, so ``reason
    recheck`` names them and fails (a recheck that only compared would say HOLDS for a failed isolation)."""
    return [f"{a.get('file')}:{a.get('line')}  {a['assertion']} (verdict {a.get('verdict')}, expected {a.get('expect')})"
            for a in proof.get("assertions", []) if isinstance(a, dict) and "assertion" in a and a.get("holds") is not True]


def listed(proof: dict[str, Any]) -> list[str]:
    """The assertions a proof lists (their text), for the reader of a recheck: what it attests."""
    return [str(a["assertion"]) for a in proof.get("assertions", []) if isinstance(a, dict) and "assertion" in a]


def _groups(proof: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The groups of endpoint pairs a proof's assertions record (entries not as ``build`` writes them are skipped)."""
    for a in proof.get("assertions", []):
        if isinstance(a, dict) and isinstance(a.get("classes"), list):
            yield from (g for g in a["classes"] if isinstance(g, dict))


def class_count(proof: dict[str, Any]) -> int:
    """How many packet classes a proof records (entries not as ``build`` writes them count for nothing)."""
    return sum(len(g["classes"]) for g in _groups(proof) if isinstance(g.get("classes"), list))


def load_balancer_count(proof: dict[str, Any]) -> int:
    """How many verdicts through a load balancer a proof records (a group naming its ``load_balancer``: a request
    to a node, answered by the load balancer's listeners, with no packet class of its own when none passes them)."""
    return sum(1 for g in _groups(proof) if g.get("load_balancer"))


def _statement_problem(item: Any) -> str | None:
    """Why a proof's assertion entry is not the statement it claims to be, or None: its text must parse as one
    assertion whose query and expectation are the recorded ``query`` and ``expect``."""
    from reasoner.query.language import parse_assertions

    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("assertion", "query", "expect")):
        return "not an assertion entry (it needs the strings assertion, query and expect)"
    try:
        parsed = parse_assertions(item["assertion"], str(item.get("file")))
    except QueryError as e:
        return f"its text does not parse as an assertion: {e.message.splitlines()[0]}"
    if len(parsed) != 1:
        return f"its text holds {len(parsed)} assertions, not one"
    a = parsed[0]
    expect = "reachable" if a.expect_reachable else "unreachable"
    if str(a.query) != item["query"] or expect != item["expect"]:
        return (f"its text ({item['assertion']}) is not the recorded statement "
                f"(assert {item['expect']} {item['query']})")
    return None


def _compare(old: list[dict], now: list[dict]) -> list[str]:
    out = []
    if len(old) != len(now):
        out.append(f"the packet space has {len(now)} groups of endpoint pairs, the proof {len(old)}")
    for i, (a, b) in enumerate(zip(old, now)):
        if (a["srcs"], a["dsts"], a.get("load_balancer")) != (b["srcs"], b["dsts"], b.get("load_balancer")):
            out.append(f"group {i + 1}: the endpoint pairs differ")
            continue
        if a.get("pairs") != b.get("pairs"):  # (the count a proof reports as covered: never taken on trust)
            out.append(f"group {i + 1}: {b.get('pairs')} endpoint pairs now, {a.get('pairs')!r} in the proof")
        if a.get("load_balancer") and a.get("verdict") != b.get("verdict"):
            out.append(f"group {i + 1} (through {a['load_balancer']} to {', '.join(a['dsts'])}): "
                       f"{a.get('verdict')} in the proof, {b.get('verdict')} now")
        if len(a["classes"]) != len(b["classes"]):
            out.append(f"group {i + 1} ({a['classes'][0]['src'] if a['classes'] else '?'} -> ...): "
                       f"{len(b['classes'])} packet classes now, {len(a['classes'])} in the proof")
            pairs, gone, new = _align(a["classes"], b["classes"])
        else:
            pairs, gone, new = list(zip(a["classes"], b["classes"])), [], []
        for x, y in pairs:
            if x != y:
                out.append(f"class {_class_text(x)}: {x['fate']} in the proof, {y['fate']} now"
                           + ("" if x["fate"] != y["fate"] else _what_differs(x, y)))
        out.extend(f"class {_class_text(x)}: {x['fate']} in the proof, not in the packet space now" for x in gone)
        out.extend(f"class {_class_text(y)}: not in the proof, {y['fate']} now" for y in new)
    return out


def _class_text(c: dict[str, Any]) -> str:
    return f"{c['src']} -> {c['dst']} {_traffic_of(c)} from {c['src_ips']}"


def _align(old: list[dict], now: list[dict]) -> tuple[list[tuple[dict, dict]], list[dict], list[dict]]:
    """A group's classes in the proof and now, when there are not as many: matched by what they are (ends,
    protocol, destination ports, addresses; in order among those alike, which differ in source ports), so that a class
    the packet space gained (or lost) is said as such instead of shifting every later comparison by one.  Returns
    the matched pairs, the proof's classes left over and the new ones."""
    def key(c: dict) -> str:
        return json.dumps([c.get(k) for k in ("src", "dst", "protocol", "dst_ports", "src_ips", "dst_ips")], default=repr)

    waiting: dict[str, list[dict]] = {}
    for c in now:
        waiting.setdefault(key(c), []).append(c)
    pairs, gone = [], []
    for c in old:
        alike = waiting.get(key(c))
        if alike:
            pairs.append((c, alike.pop(0)))
        else:
            gone.append(c)
    matched = {id(y) for _, y in pairs}
    return pairs, gone, [c for c in now if id(c) not in matched]


def _what_differs(x: dict[str, Any], y: dict[str, Any]) -> str:
    """Of two classes with one fate, the first field that differs, as recheck says it (`` (its blockers differ)``);
    a proof written when clients were taken to send from ports 1024-65535 only (before 2026-12-06) covers fewer
    source ports than the packet space now has: that is said, not taken for a change of blockers."""
    for field, what in (("src_ports", "source ports"), ("dst_ports", "destination ports"), ("src_ips", "source addresses"),
                        ("dst_ips", "destination addresses")):
        if x.get(field) != y.get(field):
            return f" (its {what} differ: {_span(x.get(field))} in the proof, {_span(y.get(field))} now)"
    return " (its blockers differ)" if x.get("blocked_by") != y.get("blocked_by") else " (it differs)"


def _span(v: Any) -> str:
    """A class's range as ``1024-65535``; as recorded when the proof holds something else there."""
    return f"{v[0]}-{v[1]}" if isinstance(v, list) and len(v) == 2 else repr(v)


def _traffic_of(c: dict[str, Any]) -> str:
    """A proof class's protocol and destination ports as the answers write them (``tcp 8000``, ``icmp type 3``);
    as recorded when the proof file holds something else there (it is the user's file)."""
    ports = c.get("dst_ports")
    proto = c.get("protocol")
    if (isinstance(proto, str) and isinstance(ports, list) and len(ports) == 2
            and all(type(v) is int and 0 <= v <= 65535 for v in ports) and ports[0] <= ports[1]):
        return wording.traffic(proto, ports[0], ports[1])
    return f"{proto} ports {ports}"


def located(recorded: str, proof: Path) -> Path:
    """A path a proof records (its ``facts``, a policy file), for recheck: as written when absolute (proofs since
    2026-12-07) or found from the working directory; else, for an older proof (relative to the folder verify ran in),
    next to the proof file when it is there.  Where it is found decides nothing: the snapshot's and the rules'
    hashes must still match the proof's."""
    path = Path(recorded)
    if path.is_absolute() or path.exists() or path.is_symlink():
        return path
    beside = proof.parent / path
    return beside if beside.exists() else path


def load(path: Path) -> dict[str, Any]:
    """A proof file; QueryError (exit 2) when it is not one."""
    try:
        data = json.loads(read_regular(path).decode("utf-8"))  # (a named pipe is refused, never waited on)
    except NotRegularFile as e:
        raise QueryError("proof.unreadable", f"cannot read the proof {path}: {e.what}",
                         hint="give the proof file written by reason verify --proof") from None
    except (OSError, UnicodeDecodeError, ValueError) as e:  # (ValueError: malformed JSON, a number of thousands of digits)
        raise QueryError("proof.unreadable", f"cannot read the proof {path}: {e}") from None
    except RecursionError:
        raise QueryError("proof.unreadable", f"cannot read the proof {path}: nested too deep") from None
    if not isinstance(data, dict) or data.get("schema") not in SCHEMAS or not isinstance(data.get("assertions"), list):
        raise QueryError("proof.bad_schema", f"{path} is not a proof file (schema {' or '.join(SCHEMAS)})",
                         hint="write one with  reason verify --proof FILE")
    return data
