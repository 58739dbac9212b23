"""Port ranges in policies: ``exposed(E, "6", 22, 22)`` asks whether port 22 is exposed.

``exposed(eni, proto, port_lo, port_hi)`` and ``can_reach(src, dst, proto, port_lo, port_hi)``
(rules/policy_relations.dl) hold "on every destination port of port_lo..port_hi", but their rows are the
maximal ranges (reasoner/explain/policy_facts.py merges the classes): an ENI exposed on tcp 0-65535 has the
one row ``(E, "6", 0, 65535)``.  A rule that reads the columns through variables gets those rows; a rule that
writes both ports as constants means the documented reading, and matched nothing unless one row was exactly
that range (``exposed(E, "6", 22, 22)`` passed over an ENI open on every port: found by an adversarial test
session).  So, before the program is checked (``load_rules``), each positive atom of a user's rule over one
of these relations with both port columns constant, ``c1`` and ``c2``, reads them through fresh variables
and the comparisons ``Lo <= c1, c2 <= Hi``: it holds when one row covers ``c1..c2``, which is when every port
of it is reached (adjacent ranges are merged, so a covered range lies within one row).

A port written as an expression of constants (``79 + 1``) is its value.  Not rewritten, and refused by ``check``
(``port_constant``): one port column constant and the other not, a constant in a negated atom
(``!exposed(E, "6", 22, 22)``: a negation cannot hold the comparisons), and two constants that are no range of
ports (reversed, ``90, 70``, which the comparisons would read as "overlaps 70..90"; or outside 0-65535).  The
shipped rules are never rewritten; a rule's location and annotations are kept.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Collection

from reasoner.engine.check import fresh_name
from reasoner.engine.syntax import Atom, Comparison, Const, Module, Rule, Var, literal_vars
from reasoner.engine.typecheck import fold

#: The relations whose rows hold maximal port ranges, and their port columns (``port_lo``, ``port_hi``).
COVERED = {"exposed": (2, 3), "can_reach": (3, 4)}

#: the hint of ``port_constant``
HINT = ('the rows hold each maximal range: ask for port 22 as exposed(E, "6", Lo, Hi), Lo <= 22, 22 <= Hi, or write '
        'both ports as constants in a positive atom (exposed(E, "6", 22, 22) holds when every port of 22..22 is reached)')


def constant_ports(atom: Atom) -> tuple[int | None, int | None] | None:
    """The value of each port column of ``atom`` when it is a constant integer, or an expression of constants
    (``79 + 1``), else None; None for all when ``atom`` is over no covered relation."""
    cols = COVERED.get(atom.pred)
    if cols is None or len(atom.args) <= max(cols):
        return None
    return tuple(fold(atom.args[i]) for i in cols)  # type: ignore[return-value]


def bad_range(ports: tuple[int | None, int | None]) -> str | None:
    """Why two constant ports ask about no range of ports (reversed, or outside 0-65535), or None."""
    lo, hi = ports
    if lo is None or hi is None:
        return None
    if not (0 <= lo <= 65535 and 0 <= hi <= 65535):
        return f"{lo}..{hi} is not within 0..65535"
    return f"{lo}..{hi} is reversed (no port is in it)" if lo > hi else None


def with_containment(module: Module, shipped: Collection[str]) -> Module:
    """``module`` with each positive atom of a user's rule over a covered relation, both ports constant, read as
    containment (see the module doc)."""
    rules = [rule if rule.head.loc.file in shipped else _rule(rule) for rule in module.rules]
    return replace(module, decls=list(module.decls), rules=rules, sources=dict(module.sources))


def _rule(rule: Rule) -> Rule:
    taken = {v for lit in (rule.head, *rule.body) for v in literal_vars(lit)}
    body: list = []
    added: list = []
    for lit in rule.body:
        ports = constant_ports(lit) if isinstance(lit, Atom) and not lit.negated else None
        if ports is not None and None not in ports and bad_range(ports) is None:
            lo_col, hi_col = COVERED[lit.pred]
            lo, hi = Var(fresh_name("PortLo", taken)), Var(fresh_name("PortHi", taken))
            args = list(lit.args)
            c1, c2 = Const(ports[0]), Const(ports[1])
            args[lo_col], args[hi_col] = lo, hi
            body.append(replace(lit, args=tuple(args)))
            added += [Comparison("<=", lo, c1, lit.loc), Comparison("<=", c2, hi, lit.loc)]
        else:
            body.append(lit)
    return rule if not added else replace(rule, body=tuple(body + added))
