"""Demand specialisation: a reader that keeps only some constants of a column gets a copy without the other rules.

The set engine computes every predicate a wanted relation reads, whole.  Some readers keep only a few of its rows:
``hop_unknown(H, M, C) :- hop_problem(H, Code, C, _), unknown_kind(Code, M)`` reads the ``hop_problem`` rows
whose code is one of the two ``unknown_kind`` facts, yet ``hop_problem`` has some sixty rules, most of them naming
another code in their head (``"MORE_SPECIFIC_ROUTE"``, ``"BAD_STATE"``: rules/route_explanations.dl), each a join
over the packet, its ENIs and route tables.  This pass gives such a reader a copy of the predicate with only the
rules whose head can hold a value the reader keeps, and the copy's own readers the same treatment, down the
dependency graph.  It reads the checked program only, never a predicate name.

**Demands.**  A positive body atom ``p(a0, ..., an)`` of an intensional, non-recursive ``p`` *demands* at column i,
when ``ai`` is a variable ``X``, the intersection of: the values of column j of every positive atom ``q(..., X at
  j, ...)`` of the same body whose predicate is *finite* (all its rules are ground facts, and the snapshot loads
  no row of it: ``loaded``); ``{c}`` for a comparison ``X == c``; and, inside a copy, the demand its head puts on
  ``X``;
and nothing (any value) otherwise.  A constant argument demands nothing, on purpose: constants partition a family
its readers read whole (``nacl_allows(A, 0, ...)`` and ``nacl_allows(A, 1, ...)``, ``tgw_ok("fwd")`` and
``tgw_ok("ret")``), and a copy per constant would compute, in overlapping pieces, what the keyed pass
(reasoner/engine/keyed.py) computes once.  Filters (a finite relation, an equality) keep a few values of many.

An atom with no demand reads ``p`` itself.  Otherwise it reads ``p``'s copy for that demand: ``p``'s rules without
those whose head holds at a demanded column a constant outside the demand, or a variable that a filter of the body
(a finite atom, an equality with a constant) keeps only outside the demand, each body atom specialised in turn (a
head variable's demand flows to the body atoms that hold it); a rule reading a copy that has no rule is dropped
too.  A copy equal to the original (no rule dropped, all the way down) is not made.

**Why it is sound.**  Write ``p|d`` for the rows of ``p`` whose demanded columns hold demanded values, and ``p_d`` for
the copy.  Claim: ``p|d ⊆ p_d ⊆ p``.  ``p_d ⊆ p``: each rule of the copy is a rule of ``p`` whose positive atoms read
subsets (copies) and whose negated atoms read the originals (never a copy: a smaller relation under negation would
admit more).  ``p|d ⊆ p_d``, by induction in dependency order: a row of ``p|d`` is derived by some rule of ``p``;
its head holds demanded values at demanded columns, so the rule is not one the copy drops (a head variable's
value is both demanded and one its body's filters admit); each positive body atom
``q(y)`` of the derivation holds, at each column the copy demands, a value of that demand (a constant of it, a
finite relation's value it joins, or the value of a head variable the row holds), so ``y`` is in ``q|d'`` and,
by induction, in ``q_d'``.  A reader joins the atom with exactly the conditions that make its demand (the same
constants, finite atoms and comparisons), so it keeps from ``p_d`` exactly the rows it kept from ``p``: the reader's
rows are unchanged.

Recursive predicates are never copied.  ``REASON_DEMAND=off`` in the environment turns the pass off (the tests
compare both).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator
from itertools import count

from reasoner.engine.check import Checked, dependency_edges, fresh_name, unique_decls
from reasoner.engine.syntax import Atom, Comparison, Const, Decl, Literal, Module, Rule, Var

#: a demand: per column, the values kept, or None for any
Demand = tuple[frozenset | None, ...]


def enabled() -> bool:
    return os.environ.get("REASON_DEMAND", "on").lower() not in ("off", "0", "no", "false")


def specialise(checked: Checked, loaded: Collection[str] = ()) -> tuple[Checked, dict[str, tuple[str, Demand]]]:
    """The program with demanded copies (see the module doc), and each copy's original and demand.
    ``loaded``: the relations whose rows the engine loads from the snapshot (never finite).  Returns ``checked``
    itself when no copy is made."""
    rules: dict[str, list[Rule]] = {}
    for rule in checked.module.rules:
        rules.setdefault(rule.head.pred, []).append(rule)
    loaded = frozenset(loaded)
    finite = {p: rs for p, rs in rules.items() if p not in loaded and all(_ground(r) for r in rs)}
    copyable = {p for p in rules if p not in finite and not checked.recursive_with(p)}
    spec = _Specialiser(checked, rules, finite, copyable)
    body_rules = [spec.rewrite(r) for r in checked.module.rules]
    if not spec.copies:
        return checked, {}
    module = Module(sources=dict(checked.module.sources))
    module.decls.extend(unique_decls(checked.module.decls))
    module.decls.extend(spec.decls)
    module.rules.extend(body_rules)
    module.rules.extend(spec.new_rules)
    # Not re-checked here: every copy is a subset of checked rules under a checked declaration, and lift checks the
    # whole lifted program, copies included (a second check of this intermediate program cost 0.08 s at 20k ENIs).
    decls = {**checked.decls, **{d.name: d for d in spec.decls}}
    idb = {r.head.pred for r in module.rules if not r.is_fact}
    return Checked(module, decls, idb, dependency_edges(module.rules)), dict(spec.copies)


def _ground(rule: Rule) -> bool:
    return rule.is_fact and all(isinstance(a, Const) for a in rule.head.args)


class _Specialiser:
    def __init__(self, checked: Checked, rules: dict[str, list[Rule]], finite: dict[str, list[Rule]],
                 copyable: set[str]) -> None:
        self.checked = checked
        self.rules = rules
        self.finite = {p: [tuple(a.value for a in r.head.args) for r in rs] for p, rs in finite.items()}  # type: ignore[union-attr]
        self.copyable = copyable
        self.taken = set(checked.decls)
        self.fresh = count(1)
        self.memo: dict[tuple[str, Demand], str | None] = {}  # (pred, demand) -> the name read (None: no rule)
        self.copies: dict[str, tuple[str, Demand]] = {}
        self.decls: list[Decl] = []
        self.new_rules: list[Rule] = []

    def rewrite(self, rule: Rule) -> Rule:
        """A rule of the program, its atoms reading demanded copies (as it is when one reads a copy without rows:
        it derives nothing either way)."""
        try:
            body = self.body(rule, {})
        except _Dead:
            return rule
        return rule if body == rule.body else Rule(rule.head, body, rule.loc, rule.annotations)

    def body(self, rule: Rule, head_demand: dict[str, frozenset]) -> tuple[Literal, ...]:
        """``rule``'s body with each positive atom of a copyable predicate reading its demanded copy; raises
        _Dead when an atom reads a copy without rows."""
        out: list[Literal] = []
        for lit in rule.body:
            if isinstance(lit, Atom) and not lit.negated and lit.pred in self.copyable:
                demand = self._demand(lit, rule, head_demand)
                if any(d is not None for d in demand):
                    name = self.copy(lit.pred, demand)
                    if name is None:
                        raise _Dead
                    lit = Atom(name, lit.args, lit.loc)
            out.append(lit)
        return tuple(out)

    def _demand(self, atom: Atom, rule: Rule, head_demand: dict[str, frozenset]) -> Demand:
        out: list[frozenset | None] = []
        for arg in atom.args:
            if not isinstance(arg, Var):  # a constant demands nothing (see the module doc)
                out.append(None)
                continue
            got: frozenset | None = head_demand.get(arg.name)
            for vals in self._filters(rule, arg.name):
                got = vals if got is None else got & vals
            out.append(got)
        return tuple(out)

    def _filters(self, rule: Rule, name: str) -> Iterator[frozenset]:
        """The values each filter of ``rule``'s body admits for variable ``name``: a positive atom of a finite
        relation holding it (the rows that agree with the atom's constants and repeated variables), an equality
        with a constant."""
        for lit in rule.body:
            if isinstance(lit, Atom) and not lit.negated and lit.pred in self.finite:
                cols = [j for j, a in enumerate(lit.args) if isinstance(a, Var) and a.name == name]
                if cols:
                    yield frozenset(row[cols[0]] for row in self.finite[lit.pred] if _fits(lit, row))
            elif isinstance(lit, Comparison) and lit.op in ("=", "=="):
                for a, b in ((lit.left, lit.right), (lit.right, lit.left)):
                    if isinstance(a, Var) and a.name == name and isinstance(b, Const):
                        yield frozenset({b.value})
                        break

    def _excluded(self, rule: Rule, head_demand: dict[str, frozenset]) -> bool:
        """Whether a filter of the body admits none of the values the demand keeps for a head variable: then the rule
        derives no row the copy must hold."""
        return any(vals.isdisjoint(d) for name, d in head_demand.items() for vals in self._filters(rule, name))

    def copy(self, pred: str, demand: Demand) -> str | None:
        """The name that reads ``pred`` under ``demand``: ``pred`` itself, a copy, or None (no rule can hold)."""
        key = (pred, demand)
        if key in self.memo:
            return self.memo[key]
        kept: list[Rule] = []
        same = True
        for rule in self.rules[pred]:
            head_demand: dict[str, frozenset] = {}
            drop = False
            for arg, d in zip(rule.head.args, demand):
                if d is None:
                    continue
                if isinstance(arg, Const) and arg.value not in d:
                    drop = True
                elif isinstance(arg, Var):
                    head_demand[arg.name] = head_demand[arg.name] & d if arg.name in head_demand else d
            if drop or self._excluded(rule, head_demand):
                same = False
                continue
            try:
                body = self.body(rule, head_demand)
            except _Dead:
                same = False
                continue
            same = same and body == rule.body
            kept.append(Rule(rule.head, body, rule.loc, rule.annotations))
        if not kept:
            name: str | None = None
        elif same:
            name = pred
        else:
            name = fresh_name(f"{pred}__only{next(self.fresh)}", self.taken)
            d = self.checked.decls[pred]
            self.decls.append(Decl(name, d.columns, {}, d.loc))
            self.new_rules.extend(Rule(Atom(name, r.head.args, r.head.loc), r.body, r.loc, r.annotations) for r in kept)
            self.copies[name] = (pred, demand)
        self.memo[key] = name
        return name


def _fits(atom: Atom, row: tuple) -> bool:
    """Whether a ground row matches the atom's constants and repeated variables."""
    seen: dict[str, object] = {}
    for a, v in zip(atom.args, row):
        if isinstance(a, Const) and a.value != v:
            return False
        if isinstance(a, Var) and seen.setdefault(a.name, v) != v:
            return False
    return True


class _Dead(Exception):
    """A rule reads a copy no rule defines: it derives nothing."""
