"""Protocols by name in policy rules: ``"tcp"`` where a shipped relation's protocol column holds ``"6"``.

The shipped relations hold IANA protocol numbers as text (``"6"`` tcp, ``"17"`` udp, ``"1"`` icmp, ``"58"`` icmpv6,
``"-1"`` every protocol, as the EC2 API writes a rule for all traffic).  A user's rule may write the name instead,
in two places, and it is read as the number before the program is checked (``load_rules``):

- an argument of an atom of a shipped predicate at a protocol column (``check.PROTO_COLUMNS``), negated or not:
  ``exposed(E, "tcp", Lo, Hi)``, ``!sg_ingress_cidr(G, "all", _, _, _, _, _)``;
- one side of ``=`` or ``!=`` whose other side is a variable that a positive atom of the same rule binds at such a
  column: ``sg_ingress_cidr(G, P, _, _, _, _, _), P != "tcp"``.

Names are case-insensitive; ``all`` and ``any`` read as ``"-1"``.  Anything else is left as written, so a name
the columns never hold (``"tpc"``) is still a dead policy (``never_matches``, reasoner/engine/check.py).  The shipped
rules are never rewritten, and a rule's location and annotations are kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Collection

from reasoner.engine.check import PROTO_COLUMNS
from reasoner.engine.syntax import Atom, Comparison, Const, Module, Rule, Var

#: protocol names -> the IANA numbers the shipped relations hold
NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1", "any": "-1"}


def with_numbers(module: Module, shipped: Collection[str]) -> Module:
    """``module`` with every protocol name of a user rule, where a shipped protocol column is compared, as its number."""
    columns = {d.name: frozenset(i for i, (col, _) in enumerate(d.columns) if col in PROTO_COLUMNS)
               for d in module.decls if d.loc.file in shipped}
    columns = {name: cols for name, cols in columns.items() if cols}
    rules = [rule if rule.head.loc.file in shipped else _rule(rule, columns) for rule in module.rules]
    return replace(module, decls=list(module.decls), rules=rules, sources=dict(module.sources))


def _number(term):
    if isinstance(term, Const) and isinstance(term.value, str) and term.value.lower() in NUMBERS:
        return Const(NUMBERS[term.value.lower()])
    return term


def _rule(rule: Rule, columns: dict[str, frozenset[int]]) -> Rule:
    bound = {a.name for lit in rule.body if isinstance(lit, Atom) and not lit.negated
             for i, a in enumerate(lit.args) if i in columns.get(lit.pred, ()) and isinstance(a, Var)}
    body = []
    for lit in rule.body:
        if isinstance(lit, Atom) and lit.pred in columns:
            lit = replace(lit, args=tuple(_number(a) if i in columns[lit.pred] else a for i, a in enumerate(lit.args)))
        elif isinstance(lit, Comparison) and lit.op in ("=", "!="):
            if isinstance(lit.left, Var) and lit.left.name in bound:
                lit = replace(lit, right=_number(lit.right))
            if isinstance(lit.right, Var) and lit.right.name in bound:
                lit = replace(lit, left=_number(lit.left))
        body.append(lit)
    return replace(rule, body=tuple(body))
