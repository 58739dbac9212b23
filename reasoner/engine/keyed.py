"""Keyed predicates: lifted predicates computed once per key, not once per packet (a step of lifting).

Lifting (``reasoner/engine/lift.py``) gives every predicate that depends on the packet a packet id, so the set engine
computes it once per packet.  Many of them depend on the packet only through a few values that their own rows
carry.  A network ACL's ordered evaluation (rules/network_acls.dl) is asked by ``nacl_demand(acl, egress, proto,
port, ip)``, and ``nacl_matches``, ``nacl_shadowed``, ``nacl_decides`` and ``nacl_allows`` each keep those five
values in their heads: their rows for one demand are the same whichever packet asked it.  Thousands of packets
of a set question ask the same few thousand demands, so those predicates are computed once per distinct key of
the chunk, and each packet reads its rows back by joining on its key.

**Roots and keys.**  An atom of a lifted predicate that is not keyed (``nacl_demand``, ``packet``) is a *root*
when it is positive and its arguments are distinct variables or wildcards; its variables are the root's *key*
(``Root``: the predicate and the key's columns).  A predicate ``p`` is *keyed* when it is lifted, not a base
relation, not recursive, and every rule of ``p``:
- reads lifted predicates only through roots and keyed predicates, and at least one of them positively;
- names, for each root, its key with the same variables in every lifted atom of the rule (a keyed atom's key
  columns for that root hold variables), and all of them in the head;
- has the same set of roots as every other rule of ``p``, with each key variable at one head column shared by
  all rules (``keys(p)[root]``: those head columns);
- reads a root or keyed predicate negatively only if a positive atom of the rule has all its roots.

**Why it is sound.**  Write ``q_t`` for the rows of ``q`` when the program holds packet ``t`` alone (what pyDatalog
computes), and ``q_U`` for the rows of the *free* copy of ``q`` computed over a whole chunk: each root ``r`` read
as the distinct keys of every packet of the chunk (``r__keys``), each keyed predicate as its free copy.
Claim: for every keyed ``p``, ``p_t = {x in p_U : for each root r of p, key_r(x) is a key of r_t}``.  By induction
in dependency order: take a rule of ``p`` and a packet ``t`` whose root keys of ``x`` hold.  Each positive root
atom holds for ``t`` exactly when its key does (the other columns are wildcards); each keyed atom ``q(y)`` has the
same key variables as ``x`` for each of its roots, so ``q_t(y) = q_U(y)`` by induction, positively and, since
its roots are among the rule's positive ones, negatively too; static atoms and comparisons do not depend on the
packet.  So the rule derives ``x`` for ``t`` exactly when it derives it in the free copy.  Every rule of ``p`` has
the same roots with the same key columns, so one filter serves them all.  The lifted ``p`` is then the view
``p(Pid, X) :- r(Pid, key_r(X)) for each root r, p__free(X)``, and every rule outside the family reads it as
before: its rows per packet are exactly those of ``p_t``.

The analysis reads the checked program only, never a predicate name; a rule that does not fit leaves its
predicate lifted per packet (correct, slower).  ``REASON_KEYED=off`` in the environment turns the pass off
(the tests compare both).  The free copies and key relations depend on the chunk's packets: the set engine
empties them with the lifted tables (``Lifted.per_chunk``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from reasoner.engine.check import Checked, fresh_name, strongly_connected
from reasoner.engine.syntax import Atom, Comparison, Decl, Literal, Rule, Var, Wildcard


@dataclass(frozen=True)
class Root:
    """A lifted predicate read through its key: the columns (of the unlifted predicate) that hold variables."""

    pred: str
    cols: tuple[int, ...]


#: keyed predicate -> root -> the head column of each key variable (in the order of ``Root.cols``)
Keys = dict[str, dict[Root, tuple[int, ...]]]


def enabled() -> bool:
    return os.environ.get("REASON_KEYED", "on").lower() not in ("off", "0", "no", "false")


def keyed(checked: Checked, lifted: frozenset[str], base: Iterable[str], widest: int | None = None) -> Keys:
    """The keyed predicates of ``checked`` (see the module doc), given the lifted set and the base relations.
    ``widest``: a predicate with a root key of this many columns or more is left lifted per packet (a key as wide
    as the packet shares nothing and costs a join; it is a choice of speed, not of soundness)."""
    base = frozenset(base)
    rules: dict[str, list[Rule]] = {}
    for rule in checked.module.rules:
        rules.setdefault(rule.head.pred, []).append(rule)
    keys: Keys = {}
    for comp in strongly_connected(checked.edges):  # callees before callers
        if len(comp) != 1:
            continue
        (p,) = comp
        if p not in lifted or p in base or p in checked.edges.get(p, ()) or p not in rules:
            continue
        if any(r.is_fact for r in rules[p]):  # a fact holds for every packet: no key binds it
            continue
        found: dict[Root, list[set[int]]] | None = None
        for rule in rules[p]:
            got = _rule_roots(rule, keys, lifted)
            if got is None or (found is not None and set(got) != set(found)):
                found = None
                break
            if found is None:
                found = got
            else:
                for root, sets in got.items():
                    found[root] = [a & b for a, b in zip(found[root], sets)]
        if widest is not None and found and any(len(root.cols) >= widest for root in found):
            continue
        if found and all(s for sets in found.values() for s in sets):
            keys[p] = {root: tuple(min(s) for s in sets) for root, sets in found.items()}
    return keys


def _rule_roots(rule: Rule, keys: Keys, lifted: frozenset[str]) -> dict[Root, list[set[int]]] | None:
    """The rule's roots, each with the head columns that may hold each key variable; None when the rule breaks a
    condition of the module doc."""
    pos: dict[Root, tuple[str, ...]] = {}
    neg: list[dict[Root, tuple[str, ...]]] = []
    for lit in rule.body:
        if isinstance(lit, Comparison) or not isinstance(lit, Atom) or lit.pred not in lifted:
            continue
        got = _atom_roots(lit, keys)
        if got is None:
            return None
        if lit.negated:
            neg.append(got)
            continue
        for root, names in got.items():
            if pos.setdefault(root, names) != names:  # one root, two keys in one rule: no single filter
                return None
    if not pos:
        return None
    for got in neg:
        if any(pos.get(root) != names for root, names in got.items()):
            return None
    head = rule.head.args
    out: dict[Root, list[set[int]]] = {}
    for root, names in pos.items():
        out[root] = [{i for i, a in enumerate(head) if isinstance(a, Var) and a.name == n} for n in names]
        if not all(out[root]):
            return None  # a key variable the head drops: rows of two packets could not be told apart
    return out


def _atom_roots(atom: Atom, keys: Keys) -> dict[Root, tuple[str, ...]] | None:
    """The roots an atom reads and their key variables: a keyed predicate's own, or the atom itself as a root."""
    if atom.pred in keys:
        out: dict[Root, tuple[str, ...]] = {}
        for root, cols in keys[atom.pred].items():
            args = [atom.args[c] for c in cols]
            if not all(isinstance(a, Var) for a in args):
                return None
            out[root] = tuple(a.name for a in args)  # type: ignore[union-attr]
        return out
    if atom.negated or not all(isinstance(a, (Var, Wildcard)) for a in atom.args):
        return None
    names = [a.name for a in atom.args if isinstance(a, Var)]
    if len(set(names)) != len(names) or not names:
        return None
    return {_root(atom): tuple(names)}


def _root(atom: Atom) -> Root:
    """The atom read as a root: its predicate and the columns that hold variables."""
    return Root(atom.pred, tuple(i for i, a in enumerate(atom.args) if isinstance(a, Var)))


def rewrite(checked: Checked, keys: Keys) -> tuple[list[Decl], list[Rule], set[str]]:
    """The declarations and rules of the free copies and key relations, and for each keyed predicate its lifted
    view rule (which replaces the predicate's own lifted rules).  Returns (decls, rules, the new predicate names)."""
    taken = set(checked.decls)
    free = {p: fresh_name(f"{p}__free", taken) for p in keys}
    roots = sorted({root for per in keys.values() for root in per}, key=lambda r: (r.pred, r.cols))
    key_rel = {root: fresh_name(f"{root.pred}__keys_" + "_".join(map(str, root.cols)), taken) for root in roots}
    decls: list[Decl] = []
    rules: list[Rule] = []
    for root, name in key_rel.items():
        d = checked.decls[root.pred]
        decls.append(Decl(name, tuple(d.columns[c] for c in root.cols), {}, d.loc))
        args = tuple(Var(f"K{c}") for c in root.cols)
        # the lifted root: pid first, then its columns
        body = Atom(root.pred, (Wildcard(),) + tuple(Var(f"K{c}") if c in root.cols else Wildcard()
                                                        for c in range(d.arity)), d.loc)
        rules.append(Rule(Atom(name, args, d.loc), (body,), d.loc))
    for rule in checked.module.rules:
        if rule.head.pred in keys:
            body = tuple(_free_literal(lit, keys, free, key_rel) for lit in rule.body)
            rules.append(Rule(Atom(free[rule.head.pred], rule.head.args, rule.head.loc), body, rule.loc))
    for p, per in keys.items():
        d = checked.decls[p]
        decls.append(Decl(free[p], d.columns, {}, d.loc))
        pid = Var("Pid")  # (the view's other variables are X0, X1, ...)
        xs = tuple(Var(f"X{i}") for i in range(d.arity))
        body_v: list[Literal] = []
        for root, cols in per.items():
            rd = checked.decls[root.pred]
            at = dict(zip(root.cols, cols))
            body_v.append(Atom(root.pred, (pid,) + tuple(xs[at[c]] if c in at else Wildcard() for c in range(rd.arity)), d.loc))
        body_v.append(Atom(free[p], xs, d.loc))
        rules.append(Rule(Atom(p, (pid,) + xs, d.loc), tuple(body_v), d.loc))
    return decls, rules, set(free.values()) | set(key_rel.values())


def _free_literal(lit: Literal, keys: Keys, free: dict[str, str], key_rel: dict[Root, str]) -> Literal:
    """A body literal of a keyed predicate's rule, as its free copy reads it."""
    if not isinstance(lit, Atom):
        return lit
    if lit.pred in keys:
        return Atom(free[lit.pred], lit.args, lit.loc, lit.negated)
    root = _root(lit)
    if root in key_rel:
        return Atom(key_rel[root], tuple(lit.args[c] for c in root.cols), lit.loc)
    return lit  # a predicate that does not depend on the packet
