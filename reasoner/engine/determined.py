"""Columns the packet id determines: stored once, in the packet relation, not in every lifted table (a step of lifting).

Lifting (``reasoner/engine/lift.py``) gives each lifted predicate a packet id, and the hop predicates keep the whole
packet besides: ``fwd_route(Pid, S, D, SIp, DIp, P, SP, DP)`` holds, for packet ``Pid``, exactly its own seven
fields (rules/reachability.dl: every rule heads them from ``packet(S, D, SIp, DIp, P, SP, DP)``).  Those seven
columns are a function of ``Pid``; storing them costs a copy per statement, and ``fwd_blocked("fwd_route") :-
packet(...), !fwd_route(...)`` anti-joins on eight columns where one would do (at 20k ENIs, 50,000 packets: 14 ms
against 3 ms for that statement alone).

**Determined columns.**  Column i of a lifted predicate ``p`` is *determined* (to packet column j) when, in every
rule of ``p``, the head holds at i a variable that a positive body atom binds, with the rule's own packet id, at
packet column j: the packet relation's own column j, or a column of another predicate determined to j (in
dependency order; recursive predicates are left alone).  Then every row of ``p`` holds at i the value of field j of
its packet.

**The rewrite.**  Such a ``p`` is computed as ``p__det``, without its determined columns, and each rule that read
``p`` reads ``p__det``; where a positive atom dropped an argument the rule still needs (a constant, a variable the
rewritten rule uses, or one two dropped places constrain) and no packet atom of the rule holds it at that column,
one packet atom per packet id puts it back (``reach(S, D, ...) :- fwd_sg_egress(S, D, ...), ...`` joins ten
hop relations on eight columns; rewritten, it joins them on the packet id and reads the fields once).  A negated
``!p(...)`` drops only wildcards and variables a positive packet atom of the rule holds at that column
(``fwd_blocked``'s ``packet(S, D, ...)`` beside ``!fwd_route(S, D, ...)``), and a reader's packet id must be a
variable (a keyed predicate's key relation reads ``nacl_demand(_, ...)``); a reader that is not so leaves ``p``
whole.  ``p`` itself stays in the program as the view ``p(Pid, ...) :- p__det(Pid, ...), packet(Pid, ...)``:
computed only when a question asks it.

**Why it is sound.**  For one packet id, the rows of ``p`` and of ``p__det`` are in one-to-one correspondence
(drop, or restore from the packet, the determined columns).  A reader's atom matches a row of ``p`` exactly when
it matches that row of ``p__det`` and each dropped argument equals its packet's field: true of a wildcard, true of
a variable the reader's packet atom already holds there, and, for a variable used nowhere else, a binding the
rest of the rule never sees.  So positive readers derive the same rows, and a negated reader (wildcards and held
variables only) asks "no row of ``p`` with these other columns", which is "no row of ``p__det``".

``REASON_DETERMINED=off`` in the environment turns the pass off (the tests compare both).
"""

from __future__ import annotations

import os

from reasoner.engine.check import fresh_name
from reasoner.engine.syntax import Atom, Decl, Literal, Rule, Var, Wildcard, literal_vars

#: predicate -> {its determined column: the packet column (of the lifted packet relation, pid at 0) it holds}
Determined = dict[str, dict[int, int]]


def enabled() -> bool:
    return os.environ.get("REASON_DETERMINED", "on").lower() not in ("off", "0", "no", "false")


def determined(rules: list[Rule], lifted: frozenset[str], domain: str, order: list[frozenset[str]],
               skip: frozenset[str] = frozenset()) -> Determined:
    """The determined columns of each lifted predicate (module doc), over the lifted ``rules``; ``order``: the
    strongly connected components, callees first; ``skip``: predicates to leave alone (the base relations)."""
    by: dict[str, list[Rule]] = {}
    for rule in rules:
        by.setdefault(rule.head.pred, []).append(rule)
    out: Determined = {}
    for comp in order:
        if len(comp) != 1:
            continue
        (p,) = comp
        if p not in lifted or p in skip or p == domain or p not in by:
            continue
        found: dict[int, set[int]] | None = None
        for rule in by[p]:
            head = rule.head.args
            if not head or not isinstance(head[0], Var) or any(isinstance(lit, Atom) and lit.pred == p for lit in rule.body):
                found = None
                break
            binds = _binds(rule.body, head[0].name, domain, out)
            mine = {i: set(binds.get(a.name, ())) for i, a in enumerate(head) if i and isinstance(a, Var)}
            found = mine if found is None else {i: found[i] & mine[i] for i in found if i in mine}
            if not any(found.values()):
                break
        cols = {i: min(s) for i, s in (found or {}).items() if s}
        if cols:
            out[p] = cols
    return out


def _binds(body: tuple[Literal, ...], pid: str, domain: str, det: Determined, only_domain: bool = False) -> dict[str, set[int]]:
    """Variable -> the packet columns positive atoms of ``body`` (with packet id ``pid``) hold it at."""
    out: dict[str, set[int]] = {}
    for lit in body:
        if not isinstance(lit, Atom) or lit.negated or not lit.args or not (isinstance(lit.args[0], Var) and lit.args[0].name == pid):
            continue
        if lit.pred == domain:
            cols = {j: j for j in range(1, len(lit.args))}
        elif not only_domain and lit.pred in det:
            cols = det[lit.pred]
        else:
            continue
        for i, j in cols.items():
            a = lit.args[i]
            if isinstance(a, Var):
                out.setdefault(a.name, set()).add(j)
    return out


def rewrite(rules: list[Rule], decls: dict[str, Decl], det: Determined, domain: str,
            taken: set[str]) -> tuple[list[Decl], list[Rule], dict[str, str]]:
    """The rules with each projectable predicate computed as its ``__det`` copy (module doc): returns the new
    declarations, every rule (rewritten, with the views), and predicate -> its copy."""
    ok = dict(det)
    for rule in rules:
        for lit in rule.body:
            if isinstance(lit, Atom) and lit.pred in ok and not _fits(lit, rule, ok[lit.pred], domain):
                del ok[lit.pred]
    names = {p: fresh_name(f"{p}__det", taken) for p in sorted(ok)}
    new_decls = [Decl(names[p], _kept(decls[p].columns, ok[p]), {}, decls[p].loc) for p in sorted(ok)]
    out = [_rewrite_rule(rule, ok, names, domain, decls[domain].arity) for rule in rules]
    for p in sorted(ok):  # the view: p whole, for a question that asks it
        d = decls[p]
        pid = Var("Pid")
        at = {j: Var(f"F{j}") for j in set(ok[p].values())}
        args = tuple(pid if i == 0 else at[ok[p][i]] if i in ok[p] else Var(f"X{i}") for i in range(d.arity))
        packet = Atom(domain, (pid,) + tuple(at.get(j, Wildcard()) for j in range(1, decls[domain].arity)), d.loc)
        out.append(Rule(Atom(p, args, d.loc), (Atom(names[p], _kept(args, ok[p]), d.loc), packet), d.loc))
    return new_decls, out, names


def _kept(args: tuple, cols: dict[int, int]) -> tuple:
    return tuple(a for i, a in enumerate(args) if i not in cols)


def _fits(atom: Atom, rule: Rule, cols: dict[int, int], domain: str) -> bool:
    """Whether a reader's atom can read the copy: its packet id is a variable and, when it is negated, each dropped
    argument is a wildcard or a variable a positive packet atom of the rule holds at that packet column."""
    pid = atom.args[0]
    if not isinstance(pid, Var):
        return False
    if not atom.negated:
        return True
    held = _binds(rule.body, pid.name, domain, {}, only_domain=True)
    return all(isinstance(atom.args[i], Wildcard) or (isinstance(atom.args[i], Var) and j in held.get(atom.args[i].name, ()))
               for i, j in cols.items())


def _rewrite_rule(rule: Rule, ok: Determined, names: dict[str, str], domain: str, arity: int) -> Rule:
    """``rule`` with its head and the atoms of projected predicates without their determined columns, and a packet
    atom per packet id putting back each dropped argument the rule still needs: a constant, or a variable the
    rewritten rule uses, or that two dropped places constrain, and that no packet atom of the rule holds there."""
    head = rule.head
    dropped: list[tuple[Atom, dict[int, int]]] = []
    if head.pred in ok:  # (what the head drops, its body holds at those packet columns: that is what determined means)
        head = Atom(names[head.pred], _kept(head.args, ok[head.pred]), head.loc)
    body: list[Literal] = []
    for lit in rule.body:
        if isinstance(lit, Atom) and lit.pred in ok:
            if not lit.negated:  # (a negated one drops only wildcards and held variables: _fits)
                dropped.append((lit, ok[lit.pred]))
            lit = Atom(names[lit.pred], _kept(lit.args, ok[lit.pred]), lit.loc, lit.negated)
        body.append(lit)
    used = set(literal_vars(head)).union(*(literal_vars(lit) for lit in body))
    places: dict[object, set[tuple[str, int]]] = {}  # a dropped argument -> (packet id, packet column) it must equal
    for atom, cols in dropped:
        pid = atom.args[0].name  # type: ignore[union-attr]
        held = _binds(rule.body, pid, domain, {}, only_domain=True)
        for i, j in cols.items():
            a = atom.args[i]
            if isinstance(a, Wildcard) or (isinstance(a, Var) and j in held.get(a.name, ())):
                continue
            places.setdefault(a, set()).add((pid, j))
    restore: dict[str, list[dict[int, object]]] = {}
    for a, where in places.items():
        if isinstance(a, Var) and a.name not in used and len(where) == 1:
            continue  # a variable only this dropped place held: nothing else reads it
        for pid, j in sorted(where):
            atoms = restore.setdefault(pid, [])
            slot = next((m for m in atoms if j not in m), None)
            if slot is None:
                slot = {}
                atoms.append(slot)
            slot[j] = a
    for pid, atoms in sorted(restore.items()):
        for m in atoms:
            body.append(Atom(domain, (Var(pid),) + tuple(m.get(j, Wildcard()) for j in range(1, arity)), rule.loc))  # type: ignore[arg-type]
    return Rule(head, tuple(body), rule.loc, rule.annotations)
