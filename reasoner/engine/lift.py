"""Packet-key lifting: a compiler pass that lets one rule program hold many packets at once.

The shipped rules describe *one* packet: the query layer asserts ``packet(...)`` (and, when the
destination was named by its private address, ``addressed_privately(...)``), asks the hop
predicates, and retracts them.  To evaluate many packets in one pass (set-at-a-time, see
``reasoner/engine/sql.py``) every predicate whose value depends on those per-query relations
gets a leading packet-id column ``pid`` (type number), and every rule joins on it:

- a predicate is *lifted* if it is a per-query base relation or depends on one, transitively,
  positively or through negation (the dependency graph of ``check``); the others are computed
  once and shared by every packet;
- in a rule of a lifted predicate, ``pid`` is prepended to the head and to every lifted body atom,
  negated ones included (``!fwd_sg_egress(S, ...)`` becomes ``!fwd_sg_egress(Pid, S, ...)``: "not
  for this packet"); constants in heads, wildcards and comparisons are kept as written;
- a rule of a lifted predicate with no positive lifted atom in its body (a fact such as
  ``modelled_target("local").`` next to rules that read the packet, or a body reading only
  packet-free predicates) holds for every packet: it is joined with the packet domain
  (``packet(Pid, _, ...)``), so ``pid`` is bound.  Without that join the rule would be unsafe.

A lifted predicate whose rows depend on the packet only through a key its own rows carry (the network ACL
and route table families, asked by ``nacl_demand`` and ``route_demand``) is *keyed*: its rules are computed once
over the keys of every packet of a chunk, and the lifted predicate becomes a view joining each packet's keys
with them (``reasoner/engine/keyed.py``, which gives the conditions and why they are sound).

Columns of a lifted predicate that its packet id determines (``fwd_route(Pid, S, D, SIp, DIp, P, SP, DP)`` holds its
packet's own fields) are dropped from its table and read back from the packet relation where a rule needs them
(``reasoner/engine/determined.py``): the hop relations are then joined, and anti-joined, on the packet id alone.

The result is a new syntax tree checked by the ordinary ``check()``: the lifted program is a
rule program like any other.  Nothing here knows a predicate name except the base relations
it is given.  Aggregates do not exist in the language, so there are none to lift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reasoner.engine import determined as determined_pass
from reasoner.engine import keyed as keyed_pass
from reasoner.engine.check import Checked, check, dependency_edges, strongly_connected, unique_decls
from reasoner.engine.syntax import Atom, Decl, Literal, Module, Rule, Var, Wildcard, literal_vars

#: The relations the query layer asserts per question (reasoner/explain/paths.py ``Analyzer._assert``).
PER_QUERY = ("packet", "addressed_privately")
#: The relation whose pid column enumerates the packets (every packet has exactly one row).
DOMAIN = "packet"
PID_COLUMN = "pid"


@dataclass
class Lifted:
    """A lifted program: the checked result, which predicates were lifted, and the pid variable used."""

    checked: Checked
    lifted: frozenset[str]
    base: tuple[str, ...]
    domain: str
    #: every predicate whose rows depend on the chunk's packets: the lifted ones, and the free copies and key
    #: relations of keyed predicates (reasoner/engine/keyed.py), which have no pid; the set engine empties them
    #: between chunks
    per_chunk: frozenset[str] = frozenset()
    #: the keyed predicates: root -> head columns of its key (reasoner/engine/keyed.py)
    keys: dict = field(default_factory=dict)


def dependents(checked: Checked, base: tuple[str, ...]) -> frozenset[str]:
    """Gets the base relations and every predicate that depends on one of them (the lifted set)."""
    rev: dict[str, set[str]] = {}
    for head, bodies in checked.edges.items():
        for b in bodies:
            rev.setdefault(b, set()).add(head)
    out, stack = set(), [b for b in base if b in checked.decls]
    while stack:
        n = stack.pop()
        if n in out:
            continue
        out.add(n)
        stack.extend(rev.get(n, ()))
    return frozenset(out)


def _fresh_pid(rule: Rule) -> str:
    used = {v for lit in (rule.head, *rule.body) for v in literal_vars(lit)}
    name = "Pid"
    while name in used:
        name += "_"
    return name


def lift(checked: Checked, base: tuple[str, ...] = PER_QUERY, domain: str = DOMAIN) -> Lifted:
    """Lifts ``checked`` by a packet id on every predicate depending on ``base`` (see module doc)."""
    if domain not in base or domain not in checked.decls:
        raise ValueError(f"the packet domain {domain!r} must be a declared base relation")
    lifted = dependents(checked, base)
    keys = keyed_pass.keyed(checked, lifted, base, checked.decls[domain].arity) if keyed_pass.enabled() else {}
    decls, keyed_rules, extra = keyed_pass.rewrite(checked, keys)
    module = Module(sources=dict(checked.module.sources))
    for decl in unique_decls(checked.module.decls):
        if decl.name in lifted:
            decl = Decl(decl.name, ((PID_COLUMN, "number"), *decl.columns), decl.annotations, decl.loc)
        module.decls.append(decl)
    module.decls.extend(decls)
    module.rules.extend(keyed_rules)
    domain_arity = checked.decls[domain].arity
    for rule in checked.module.rules:
        if rule.head.pred not in lifted:
            module.rules.append(rule)
            continue
        if rule.head.pred in keys:  # keyed: its view rule (keyed_rules) joins its free copy with the packets' keys
            continue
        pid = Var(_fresh_pid(rule))

        def key(lit: Literal, pid: Var = pid) -> Literal:  # (pid bound now: the loop's variable changes)
            if isinstance(lit, Atom) and lit.pred in lifted:
                return Atom(lit.pred, (pid, *lit.args), lit.loc, lit.negated)
            return lit

        body = [key(lit) for lit in rule.body]
        if not any(isinstance(lit, Atom) and lit.pred in lifted and not lit.negated for lit in rule.body):
            loc = rule.loc
            body.insert(0, Atom(domain, (pid, *[Wildcard()] * domain_arity), loc))
        head = Atom(rule.head.pred, (pid, *rule.head.args), rule.head.loc)
        module.rules.append(Rule(head, tuple(body), rule.loc))
    if determined_pass.enabled():  # columns the packet id determines are kept once, in the packet relation
        decls_by = {d.name: d for d in module.decls}
        order = strongly_connected(dependency_edges(module.rules))
        det = determined_pass.determined(module.rules, lifted, domain, order, frozenset(base))
        new_decls, module.rules, copies = determined_pass.rewrite(module.rules, decls_by, det, domain, set(decls_by))
        module.decls.extend(new_decls)
        extra |= set(copies.values())
    # relaxed programs (declarations inferred from use: columns typed "any") are re-checked relaxed
    strict = all(typ != "any" for d in checked.decls.values() for _, typ in d.columns)
    return Lifted(check(module, strict=strict), lifted, tuple(base), domain, lifted | extra, keys)
