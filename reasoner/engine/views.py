"""Views: a relation's rows whose one column holds one of a few values, as a predicate of their own.

A caller that needs only some rows of a relation (``fwd_blocked`` rows of two hops, not of all ten) asks the set
engine for a view instead of the relation: ``add_views`` adds, for each view, a relation of the kept values (ground
facts) and one rule

    view(X0, ..., Xn) :- relation(X0, ..., Xn), view__keep(Xc).

so the view's rows are exactly the relation's rows whose column ``c`` holds a kept value (the rule is a filter, and
nothing else defines the view).  A view of a relation whose every rule holds another constant there has no rule.  What makes it cheaper is the demand pass (reasoner/engine/demand.py), which runs
after it: the rule reads ``relation`` through the finite ``view__keep``, so the view reads a copy of ``relation``
without the rules whose head holds another value at ``c``, and those rules' bodies are never evaluated for it.

Names: each view and keep relation gets a name no predicate of the program has (``fresh_name``); the caller reads
the view under the name returned.  The new rules and declarations carry the location of the relation's declaration
(they are the relation's, filtered).  The program is not re-checked here: the view's declaration is the relation's,
its rule is safe (every variable occurs in the positive atom), and lift checks the whole lifted program.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from reasoner.engine.check import Checked, dependency_edges, fresh_name, unique_decls
from reasoner.engine.syntax import Atom, Const, Decl, Module, Rule, Var


@dataclass(frozen=True)
class View:
    """The rows of ``relation`` whose column ``column`` holds one of ``values``."""

    relation: str
    column: int
    values: frozenset


def add_views(checked: Checked, views: Mapping[str, View]) -> tuple[Checked, dict[str, str]]:
    """The program with each view's predicate (see the module doc), and each view's predicate name, by the caller's
    name for it.  An unknown relation or a column out of range is a ValueError (a caller's mistake, not a user's)."""
    if not views:
        return checked, {}
    taken = set(checked.decls)
    module = Module(sources=dict(checked.module.sources))
    module.decls.extend(unique_decls(checked.module.decls))
    module.rules.extend(checked.module.rules)
    names: dict[str, str] = {}
    decls = dict(checked.decls)
    for label, view in views.items():
        decl = checked.decls.get(view.relation)
        if decl is None or not 0 <= view.column < decl.arity:
            raise ValueError(f"view {label!r}: no column {view.column} of {view.relation!r}")
        loc = decl.loc
        name = fresh_name(f"{view.relation}__view", taken)
        keep = fresh_name(f"{name}__keep", taken)
        new = [Decl(name, decl.columns, {}, loc), Decl(keep, (decl.columns[view.column],), {}, loc)]
        module.decls.extend(new)
        decls.update((d.name, d) for d in new)
        for v in sorted(view.values, key=lambda v: (type(v).__name__, v)):
            module.rules.append(Rule(Atom(keep, (Const(v),), loc), (), loc))
        args = tuple(Var(f"X{i}") for i in range(decl.arity))
        if not _may_hold(checked, view):
            names[label] = name  # declared, no rule: no row of the relation is kept
            continue
        module.rules.append(Rule(Atom(name, args, loc), (Atom(view.relation, args, loc), Atom(keep, (args[view.column],), loc)), loc))
        names[label] = name
    idb = {r.head.pred for r in module.rules if not r.is_fact}
    return Checked(module, decls, idb, dependency_edges(module.rules)), names


def _may_hold(checked: Checked, view: View) -> bool:
    """Whether some row of the relation may hold a kept value in the view's column: it may be loaded from the
    snapshot (no rule but ground facts defines it: the snapshot's rows are then read too), or one of its rules'
    heads holds a variable or a kept constant there."""
    if view.relation not in checked.idb:
        return True
    heads = [r.head.args[view.column] for r in checked.module.rules if r.head.pred == view.relation]
    return any(not isinstance(a, Const) or a.value in view.values for a in heads)
