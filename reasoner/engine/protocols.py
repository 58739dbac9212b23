"""Protocols by name in policy rules: ``"tcp"`` where a protocol column holds ``"6"``.

The shipped relations hold IANA protocol numbers as text (``"6"`` tcp, ``"17"`` udp, ``"1"`` icmp, ``"58"`` icmpv6).
A user's rule may write those four names instead (any case); each is read as its number before the program is
checked (``load_rules``), wherever it is compared with a **protocol column**:

- a shipped relation's column named ``proto`` or ``rule_proto`` (``PROTO_COLUMNS``);
- a column of the user's own predicate that a rule fills from, or joins with, a protocol column (a fixpoint over
  the user's rules: ``web(E, P) :- exposed(E, P, _, _)`` makes ``web``'s second column one, so does
  ``exposed(E, P, _, _), carries(P)`` for ``carries``; ``=`` between variables carries it too).

A name is rewritten as an argument of an atom (negated or not) or of a rule's head (a fact ``carries("tcp")``) at
such a column, and on one side of ``=`` or ``!=`` whose other side is a variable some atom of the rule has at such
a column.  Shipped predicates' own columns other than these (``violation``'s message) are never protocol columns.

``"all"``/``"any"`` are not rewritten: ``"-1"`` means "a rule for all traffic" in the security group and network
ACL relations (as EC2 writes it) but "a protocol no rule names" in ``exposed`` and ``can_reach``
(rules/policy_relations.dl), so no one number is right; such a constant stays a ``never_matches`` error whose hint
says which to write (reasoner/engine/check.py).  Any other non-number left at a protocol column is that error
too.  The shipped rules are never rewritten; a rule's location and annotations are kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Collection

from reasoner.engine.syntax import Atom, Comparison, Const, Module, Rule, Var
from reasoner.protocols import NUMBERS  # protocol names -> the IANA numbers the shipped relations hold

#: Columns of the shipped relations that hold IANA protocol numbers as text, "-1" meaning every protocol.
PROTO_COLUMNS = frozenset({"proto", "rule_proto"})

Column = tuple[str, int]


def protocol_columns(module: Module, shipped: Collection[str], file: str) -> set[Column]:
    """Every (predicate, position) holding protocols for the rules of the user's ``file``: the shipped
    ``PROTO_COLUMNS`` and the columns of ``file``'s own predicates its rules connect to them (see the module doc).
    Each policy file is its own module (reasoner/engine/modules.py): another file's helper of the same name is
    another predicate."""
    cols = {(d.name, i) for d in module.decls if d.loc.file in shipped
            for i, (col, _) in enumerate(d.columns) if col in PROTO_COLUMNS}
    own = {d.name for d in module.decls if d.loc.file == file}
    rules = [r for r in module.rules if r.head.loc.file == file]
    changed = True
    while changed:
        changed = False
        for rule in rules:
            pv = protocol_vars(rule, cols)
            for atom in (rule.head, *(l for l in rule.body if isinstance(l, Atom))):
                if atom.pred not in own:
                    continue
                for i, a in enumerate(atom.args):
                    if isinstance(a, Var) and a.name in pv and (atom.pred, i) not in cols:
                        cols.add((atom.pred, i))
                        changed = True
    return cols


def protocol_vars(rule: Rule, cols: Collection[Column]) -> set[str]:
    """The variables of ``rule`` that stand at a protocol column of its head or of a body atom, or equal one (``=``)."""
    out = {a.name for atom in (rule.head, *(l for l in rule.body if isinstance(l, Atom)))
           for i, a in enumerate(atom.args) if isinstance(a, Var) and (atom.pred, i) in cols}
    changed = True
    while changed:
        changed = False
        for lit in rule.body:
            if isinstance(lit, Comparison) and lit.op == "=" and isinstance(lit.left, Var) and isinstance(lit.right, Var):
                names = {lit.left.name, lit.right.name}
                if names & out and not names <= out:
                    out |= names
                    changed = True
    return out


def with_numbers(module: Module, shipped: Collection[str]) -> Module:
    """``module`` with every protocol name of a user rule, where a protocol column is compared, as its number."""
    files = {r.head.loc.file for r in module.rules if r.head.loc.file not in shipped}
    cols = {f: protocol_columns(module, shipped, f) for f in files}
    rules = [rule if rule.head.loc.file in shipped else _rule(rule, cols[rule.head.loc.file]) for rule in module.rules]
    return replace(module, decls=list(module.decls), rules=rules, sources=dict(module.sources))


def _number(term):
    if isinstance(term, Const) and isinstance(term.value, str) and term.value.lower() in NUMBERS:
        return Const(NUMBERS[term.value.lower()])
    return term


def _atom(atom: Atom, cols: Collection[Column]) -> Atom:
    args = tuple(_number(a) if (atom.pred, i) in cols else a for i, a in enumerate(atom.args))
    return atom if args == atom.args else replace(atom, args=args)


def _rule(rule: Rule, cols: Collection[Column]) -> Rule:
    pv = protocol_vars(rule, cols)
    body = []
    for lit in rule.body:
        if isinstance(lit, Atom):
            lit = _atom(lit, cols)
        elif isinstance(lit, Comparison) and lit.op in ("=", "!="):
            if isinstance(lit.left, Var) and lit.left.name in pv:
                lit = replace(lit, right=_number(lit.right))
            if isinstance(lit.right, Var) and lit.right.name in pv:
                lit = replace(lit, left=_number(lit.left))
        body.append(lit)
    return replace(rule, head=_atom(rule.head, cols), body=tuple(body))
