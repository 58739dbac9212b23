"""Static checks run on a Module before anything reaches pyDatalog.

pyDatalog has none of these: a misspelt body predicate is silently empty, an unbound
variable in a negation silently yields nothing, and non-stratified negation loops forever.
Checked here, all problems collected and sorted:

- ``undeclared``: a predicate used but not declared (strict mode; relaxed mode infers);
- ``duplicate_decl``; ``arity_mismatch``; ``type_mismatch`` for constants and for a variable
  used at columns of different types;
- ``unbound_variable``: a head variable, or a variable in a negation or comparison, not bound
  by a positive atom of the body (``X = expr`` binds X when expr is bound); ``_`` in a head;
- types of comparisons and arithmetic, expressions in facts, constant zero divisors: see ``typecheck``;
- ``cyclic_negation``: negation through recursion (not stratifiable);
- ``redefines_shipped``: a file other than the shipped rules declares a shipped predicate or adds a
  rule or fact to one (base relations included): user files read the shipped predicates, never extend
  them, so a policy cannot turn a failing assertion into a pass; except ``OPEN_HEADS`` (``violation``, ``undecided``),
  which every policy file derives and no shipped rule reads;
- ``per_query_in_policy``: a file other than the shipped rules reads ``packet``, ``reach`` or any shipped
  predicate that depends on the per-query facts (``PER_QUERY``): they hold only for the packet one query
  asks about, so in a policy they are always empty; the hint names ``exposed`` / ``can_reach``
  (rules/policy_relations.dl), computed over the whole snapshot;
- ``never_matches``: in a user file, a constant in a protocol column (``proto``, ``rule_proto``: IANA
  numbers as text, ``"-1"`` for all) that no row can hold, such as ``"tpc"``, ``"06"`` or ``"256"`` (rows hold
  0-255 without leading zeros); the hint gives the number;
- ``port_constant``: in a user file, a port constant of ``exposed``/``can_reach`` in a negated atom or beside a
  variable port (both constants in a positive atom read as containment: reasoner/engine/ranges.py);
- ``bad_annotation``: rule metadata (``@id``, ``@severity``, ``@title``, ``@remediation``) on a rule whose head
  is not ``violation``, another key, an empty value, or a severity other than low, medium, high, critical (metadata
  that belongs to no rule, and ``duplicate_annotation``, an annotation given twice, are refused by the parser:
  reasoner/engine/parse.py);
  in a user file, any annotation of a declaration (``@code``, ``@message``: read for the shipped hops only);
- ``dead_rule``: in a user file, a rule or facts whose predicate ``violation`` never reads (``violations``):
  nothing consumes what it derives, so it can never fail a check (a misspelt ``Violation("a", "b").`` passed).

Returns the strata (a topological order of predicate SCCs) for evaluation and explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Collection, Iterable

from reasoner.errors import Diagnostic, RuleError
from reasoner.engine.protocols import protocol_columns, protocol_vars
from reasoner.protocols import is_number
from reasoner.engine.typecheck import check_types
from reasoner.engine.syntax import (Atom, BinOp, Comparison, Const, Decl, Loc, Module, Rule, Var, Wildcard, literal_vars,
                                   source_lines, subterms, term_vars)


@dataclass
class Checked:
    """A module that passed every check, with its declarations (given or inferred)."""

    module: Module
    decls: dict[str, Decl]
    idb: set[str] = field(default_factory=set)
    edges: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._scc: dict[str, frozenset[str]] = {}
        for comp in strongly_connected(self.edges):
            for pred in comp:
                self._scc[pred] = comp

    def recursive_with(self, pred: str) -> frozenset[str]:
        """Gets the predicates mutually recursive with ``pred`` (its SCC, when it is recursive).
        The SCCs are computed once, when the module is checked (linear in the rules)."""
        comp = self._scc.get(pred, frozenset())
        return comp if len(comp) > 1 or pred in self.edges.get(pred, ()) else frozenset()


def trusted(module: Module) -> Checked:
    """The Checked form of a module known to pass :func:`check` (strict, no declaration inferred), built without
    checking it again: the shipped rules, whose parse records the verdict of this code on them when it is written
    (reasoner/engine/parse_cache.py ``check_stamp``).  The same declarations, heads and edges ``check`` returns."""
    decls: dict[str, Decl] = {}
    for d in module.decls:
        decls.setdefault(d.name, d)
    idb = {r.head.pred for r in module.rules if not r.is_fact}
    return Checked(module, decls, idb, dependency_edges(module.rules))


def dependency_edges(rules: Iterable[Rule]) -> dict[str, set[str]]:
    """Each head predicate and the predicates its rules' bodies read (positively or not)."""
    edges: dict[str, set[str]] = {}
    for rule in rules:
        for lit in rule.body:
            if isinstance(lit, Atom):
                edges.setdefault(rule.head.pred, set()).add(lit.pred)
    return edges


def unique_decls(decls: Iterable[Decl]) -> list[Decl]:
    """The declarations, the first of each name only: check lets a policy file repeat a shipped declaration
    (``OPEN_HEADS``), and the compiler passes that build a new program (lift, demand, views) keep it once."""
    seen: set[str] = set()
    out = []
    for decl in decls:
        if decl.name not in seen:
            seen.add(decl.name)
            out.append(decl)
    return out


def fresh_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name`` followed by underscores, whichever is not in ``taken`` first; added to ``taken``.  (The
    names the compiler passes give their new predicates: keyed, demand, determined.)"""
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def strongly_connected(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Tarjan's strongly connected components of a predicate graph, iteratively (no recursion, so a
    10,000-rule chain needs no deep stack); callees come before their callers."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    nodes = list(dict.fromkeys([*edges, *(m for ms in edges.values() for m in ms)]))
    for root in nodes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(edges.get(root, ()))))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        comp.append(member)
                        if member == node:
                            break
                    out.append(frozenset(comp))
    return out


@lru_cache(maxsize=8)
def _lines(text: str) -> list[str]:
    return source_lines(text)  # once per file, not once per diagnostic (a file may have thousands)


def _diag(module: Module, loc: Loc, code: str, message: str, hint: str | None = None) -> Diagnostic:
    lines = _lines(module.sources.get(loc.file, ""))
    src = lines[loc.line - 1] if 0 < loc.line <= len(lines) else ""
    return Diagnostic(loc.file, loc.line, loc.column, code, message, src, hint)


def _close(name: str, names: list[str]) -> str | None:
    import difflib

    near = difflib.get_close_matches(name, names, n=3)
    return f"did you mean {', '.join(near)}?" if near else None


def bound_order(rule: Rule, recursive: frozenset[str] = frozenset()) -> tuple[list, set[str]]:
    """Orders the body for top-down evaluation: positive atoms in source order, each negation or
    comparison as soon as its variables are bound.  Returns (ordered literals, unbound leftovers).

    Atoms of predicates in ``recursive`` (mutually recursive with the head) go first: pyDatalog
    0.22.4 loops forever, uninterruptibly, on right recursion over a cyclic relation
    (``path(X,Y) :- edge(X,Z), path(Z,Y).``) but terminates on the left-recursive order."""
    bound: set[str] = set()
    first = [l for l in rule.body if isinstance(l, Atom) and not l.negated and l.pred in recursive]
    pending = first + [l for l in rule.body if l not in first]
    ordered: list = []

    def ready(lit) -> bool:
        if isinstance(lit, Atom) and not lit.negated:
            # an argument expression needs its variables bound first
            return all(set(term_vars(a)) <= bound for a in lit.args if isinstance(a, BinOp))
        if isinstance(lit, Comparison) and lit.op == "=":
            lv, rv = set(term_vars(lit.left)), set(term_vars(lit.right))
            return (isinstance(lit.left, Var) and rv <= bound) or (isinstance(lit.right, Var) and lv <= bound)
        return set(literal_vars(lit)) <= bound

    progress = True
    while pending and progress:
        progress = False
        for i, lit in enumerate(pending):
            if ready(lit):
                ordered.append(lit)
                del pending[i]  # (by position: removing by equality compared whole literals)
                if isinstance(lit, Atom) and not lit.negated:
                    bound.update(v for a in lit.args if isinstance(a, Var) for v in [a.name])
                elif isinstance(lit, Comparison) and lit.op == "=":
                    bound.update(literal_vars(lit))
                progress = True
                break
    leftovers = {v for lit in pending for v in literal_vars(lit)} - bound
    ordered.extend(pending)
    return ordered, leftovers


#: Shipped predicates that user files add rules to (declared once, in rules/policy_relations.dl): every
#: policy file derives ``violation``; no shipped rule reads it, so it cannot change a verdict.
OPEN_HEADS = frozenset({"violation", "undecided"})

_READ_ONLY_HINT = "define your own predicate; shipped predicates are read-only"


def check(module: Module, strict: bool = True, shipped: Collection[str] = ()) -> Checked:
    """Checks ``module``; raises RuleError listing every problem, or returns a Checked module.

    ``shipped`` names the files (as in the module's locations) whose predicates are read-only to
    every other file of the module."""
    diags: list[Diagnostic] = []
    decls: dict[str, Decl] = {}
    readonly = {d.name: d for d in module.decls if d.loc.file in shipped}
    for d in module.decls:
        if d.loc.file not in shipped and d.name in OPEN_HEADS and d.name in readonly and d.columns == readonly[d.name].columns:
            continue  # the shipped declaration, repeated (as policy files did before it was shipped): harmless
        if d.loc.file not in shipped and d.name in readonly:
            diags.append(_diag(module, d.loc, "redefines_shipped", f"'{d.name}' is a shipped predicate "
                               f"(declared at {readonly[d.name].loc}); it cannot be declared again", _READ_ONLY_HINT))
        elif d.name in decls:
            diags.append(_diag(module, d.loc, "duplicate_decl", f"predicate '{d.name}' is declared twice", f"first declared at {decls[d.name].loc}"))
        else:
            decls[d.name] = d
    for rule in module.rules:
        if rule.head.loc.file not in shipped and rule.head.pred in readonly and rule.head.pred not in OPEN_HEADS:
            what = "a fact" if rule.is_fact else "a rule"
            diags.append(_diag(module, rule.head.loc, "redefines_shipped", f"{what} for '{rule.head.pred}', a shipped "
                               f"predicate (declared at {readonly[rule.head.pred].loc}); other files may only read it",
                               _READ_ONLY_HINT))
    # relaxed mode: infer declarations (symbol columns are untyped) from first use
    arity_seen: dict[str, tuple[int, Loc]] = {}
    idb = {r.head.pred for r in module.rules if not r.is_fact}
    for rule in module.rules:
        for atom in [rule.head, *[l for l in rule.body if isinstance(l, Atom)]]:
            if atom.pred in decls:
                d = decls[atom.pred]
                if len(atom.args) != d.arity:
                    diags.append(_diag(module, atom.loc, "arity_mismatch",
                                       f"'{atom.pred}' takes {d.arity} argument(s) ({', '.join(c for c, _ in d.columns)}), got {len(atom.args)}"))
                    continue
                for (col, typ), arg in zip(d.columns, atom.args):
                    if isinstance(arg, Const) and (typ == "number") != isinstance(arg.value, int):
                        diags.append(_diag(module, atom.loc, "type_mismatch",
                                           f"column '{col}' of '{atom.pred}' is a {typ}, got {arg.value!r}"))
            elif strict:
                diags.append(_diag(module, atom.loc, "undeclared", f"predicate '{atom.pred}' is not declared",
                                   _close(atom.pred, list(decls)) or "add a .decl for it"))
            else:
                seen = arity_seen.get(atom.pred)
                if seen is None:
                    arity_seen[atom.pred] = (len(atom.args), atom.loc)
                elif seen[0] != len(atom.args):
                    diags.append(_diag(module, atom.loc, "arity_mismatch",
                                       f"'{atom.pred}' is used with {len(atom.args)} argument(s) here and {seen[0]} at {seen[1]}"))
    if not strict:
        for name, (arity, loc) in arity_seen.items():
            decls.setdefault(name, Decl(name, tuple((f"c{i}", "any") for i in range(arity)), {}, loc))
    check_types(module, decls, lambda loc, code, msg, hint: diags.append(_diag(module, loc, code, msg, hint)))
    # variable types across columns
    for rule in module.rules:
        var_types: dict[str, tuple[str, str]] = {}
        for atom in [rule.head, *[l for l in rule.body if isinstance(l, Atom)]]:
            d = decls.get(atom.pred)
            if d is None or d.arity != len(atom.args):
                continue
            for (col, typ), arg in zip(d.columns, atom.args):
                if isinstance(arg, Var) and typ != "any":
                    prev = var_types.setdefault(arg.name, (typ, f"{atom.pred}.{col}"))
                    if prev[0] != typ:
                        diags.append(_diag(module, atom.loc, "type_mismatch",
                                           f"variable {arg.name} is a {typ} at {atom.pred}.{col} but a {prev[0]} at {prev[1]}"))
    # safety
    for rule in module.rules:
        for arg in rule.head.args:
            if isinstance(arg, Wildcard):
                diags.append(_diag(module, rule.head.loc, "safety_violations", "'_' cannot appear in a rule head",
                                   "name the variable and bind it in the body"))
        for lit in [rule.head, *rule.body]:  # `_ != _`, `X + _`: a value that nothing binds
            terms = [lit.left, lit.right] if isinstance(lit, Comparison) else [a for a in lit.args if isinstance(a, BinOp)]
            if any(isinstance(t, Wildcard) for term in terms for t in subterms(term)):
                diags.append(_diag(module, lit.loc, "safety_violations", "'_' cannot appear in a comparison or an expression",
                                   "name the variable and bind it in a positive atom of the body"))
        ordered, leftovers = bound_order(rule)
        positive = {a.name for l in rule.body if isinstance(l, Atom) and not l.negated for a in l.args if isinstance(a, Var)}
        eq_bound = set()
        for lit in ordered:
            if isinstance(lit, Comparison) and lit.op == "=" and not (set(literal_vars(lit)) & leftovers):
                eq_bound.update(literal_vars(lit))
        bound = positive | eq_bound
        for lit in rule.body:
            missing = sorted(set(literal_vars(lit)) - bound) if not (isinstance(lit, Atom) and not lit.negated) else sorted(
                {v for a in lit.args if isinstance(a, BinOp) for v in term_vars(a)} - bound)
            for v in missing:
                kind = "negation" if isinstance(lit, Atom) else "comparison" if isinstance(lit, Comparison) else "expression"
                if isinstance(lit, Atom) and not lit.negated:
                    kind = "argument expression"
                diags.append(_diag(module, lit.loc, "unsafe_negation" if kind == "negation" else "unbound_variable",
                                   f"variable {v} in this {kind} is not bound by a positive atom of the body",
                                   "use _ for a column that may hold anything" if kind == "negation" else None))
        for v in sorted({v for a in rule.head.args for v in term_vars(a)} - bound):
            diags.append(_diag(module, rule.head.loc, "unbound_variable",
                               f"head variable {v} is not bound by a positive atom of the body"))
    # stratification
    edges = dependency_edges(module.rules)
    diags.extend(_check_strata(module, edges))
    if shipped:
        diags.extend(_check_per_query(module, edges, shipped))
        diags.extend(_check_proto_constants(module, shipped))
        diags.extend(_check_port_constants(module, shipped))
        diags.extend(_check_dead_rules(module, edges, shipped))
        diags.extend(_check_rule_metadata(module, shipped))
    if diags:
        raise RuleError(diags)
    return Checked(module, decls, idb, edges)


def _check_strata(module: Module, edges: dict[str, set[str]]) -> list[Diagnostic]:
    """A negation is stratifiable unless the negated predicate is in the head's own SCC."""
    scc: dict[str, frozenset[str]] = {}
    for comp in strongly_connected(edges):
        for pred in comp:
            scc[pred] = comp
    out = []
    for rule in module.rules:
        head = rule.head.pred
        for lit in rule.body:
            if isinstance(lit, Atom) and lit.negated and lit.pred in scc.get(head, ()):
                out.append(_diag(module, lit.loc, "cyclic_negation",
                                 f"'{head}' depends negatively on '{lit.pred}', which depends on '{head}': the program is not stratifiable"))
    return out


#: The facts asserted for one query's packet (reasoner/explain/paths.py ``packet_facts``), not part of a snapshot.
PER_QUERY = frozenset({"packet", "addressed_privately"})
_PER_QUERY_HINT = ("a policy sees the whole snapshot, not one packet: use exposed(eni, proto, port_lo, port_hi) for "
                   "what the internet reaches, or can_reach(src, dst, proto, port_lo, port_hi) between ENIs "
                   "(rules/policy_relations.dl)")


def per_query_predicates(edges: dict[str, set[str]]) -> set[str]:
    """The predicates that read, directly or not, a per-query fact (``PER_QUERY``), those included."""
    readers: dict[str, set[str]] = {}
    for head, body in edges.items():
        for pred in body:
            readers.setdefault(pred, set()).add(head)
    out, stack = set(PER_QUERY), list(PER_QUERY)
    while stack:
        for head in readers.get(stack.pop(), ()):
            if head not in out:
                out.add(head)
                stack.append(head)
    return out


def _check_per_query(module: Module, edges: dict[str, set[str]], shipped: Collection[str]) -> list[Diagnostic]:
    """A user file's body atom that reads a shipped per-query predicate: always empty outside a query."""
    tainted = per_query_predicates(edges)
    shipped_preds = {d.name for d in module.decls if d.loc.file in shipped}
    out = []
    for rule in module.rules:
        if rule.head.loc.file in shipped:
            continue
        for lit in rule.body:
            if isinstance(lit, Atom) and lit.pred in tainted and lit.pred in shipped_preds:
                what = "is a fact of the packet" if lit.pred in PER_QUERY else "depends on the packet"
                out.append(_diag(module, lit.loc, "per_query_in_policy",
                                 f"'{lit.pred}' {what} one query asks about: outside a query it is always empty, "
                                 f"so this rule can never hold", _PER_QUERY_HINT))
    return out


#: the hint of ``never_matches`` (names are numbers by now: reasoner/engine/protocols.py)
_PROTO_HINT = ('protocol columns hold IANA numbers as text ("6" tcp, "17" udp, "1" icmp, "58" icmpv6) or those names; '
               '"-1" is a security group or network ACL rule for all traffic, and in exposed/can_reach a protocol no '
               'rule names; for any protocol, write a variable or _')


def _check_proto_constants(module: Module, shipped: Collection[str]) -> list[Diagnostic]:
    """A user file's constant that can never match a protocol column (a dead policy, not an empty one): in an atom or
    a rule's head at a protocol column, or compared (``=``, ``!=``) with a variable standing at one (reasoner/engine/
    protocols.py ``protocol_columns``).  Protocol names are numbers by now (``with_numbers``, before ``check``)."""
    def dead(term) -> bool:  # rows hold "-1" or a protocol number as str(int) writes it: never "06", "047", "256"
        v = term.value if isinstance(term, Const) else None
        return isinstance(v, str) and v != "-1" and not is_number(v)

    out = []
    cols_of: dict[str, set] = {}
    shipped_preds = {d.name for d in module.decls if d.loc.file in shipped}  # a head of one: redefines_shipped
    for rule in module.rules:
        if rule.head.loc.file in shipped:
            continue
        cols = cols_of.get(rule.head.loc.file)
        if cols is None:  # once per file (setdefault would compute it again for every rule)
            cols = cols_of[rule.head.loc.file] = protocol_columns(module, shipped, rule.head.loc.file)
        heads = [] if rule.head.pred in shipped_preds else [rule.head]
        for atom in heads + [l for l in rule.body if isinstance(l, Atom)]:
            for i, arg in enumerate(atom.args):
                if (atom.pred, i) in cols and dead(arg):
                    out.append(_diag(module, atom.loc, "never_matches", f"column {i + 1} of '{atom.pred}' holds protocols, "
                                     f"never {arg.value!r}: this atom can never match", _PROTO_HINT))
        pv = protocol_vars(rule, cols)
        for lit in rule.body:
            if isinstance(lit, Comparison) and lit.op in ("=", "!="):
                for var, other in ((lit.left, lit.right), (lit.right, lit.left)):
                    if isinstance(var, Var) and var.name in pv and dead(other):
                        holds = "never holds" if lit.op == "=" else "always holds"
                        out.append(_diag(module, lit.loc, "never_matches", f"{var.name} holds a protocol, never "
                                         f"{other.value!r}: this comparison {holds}", _PROTO_HINT))
    return out


def _check_port_constants(module: Module, shipped: Collection[str]) -> list[Diagnostic]:
    """A user rule's port constant in ``exposed`` or ``can_reach`` that ``ranges.with_containment`` did not read as
    containment (one port constant, or a negated atom): it would match only a row of exactly that range."""
    from reasoner.engine.ranges import HINT, bad_range, constant_ports

    out = []
    for rule in module.rules:
        if rule.head.loc.file in shipped:
            continue
        for lit in rule.body:
            ports = constant_ports(lit) if isinstance(lit, Atom) else None
            if ports is None or ports == (None, None):
                continue
            if (why := bad_range(ports)) is not None:
                out.append(_diag(module, lit.loc, "port_constant", f"the ports of this '{lit.pred}' atom are no range of "
                                 f"ports: {why}", HINT))
            elif lit.negated or None in ports:
                what = "a negated atom" if lit.negated else "only one of the two port columns"
                out.append(_diag(module, lit.loc, "port_constant", f"a port constant in {what} of '{lit.pred}' would "
                                 "match only a row of exactly that range", HINT))
    return out


def _check_dead_rules(module: Module, edges: dict[str, set[str]], shipped: Collection[str]) -> list[Diagnostic]:
    """A user file's rule that no ``violation`` (or ``undecided``) rule reads, directly or not: a policy that can
    never fail."""
    live, stack = set(OPEN_HEADS), list(OPEN_HEADS)
    while stack:
        for pred in edges.get(stack.pop(), ()):
            if pred not in live:
                live.add(pred)
                stack.append(pred)
    out = []
    shipped_preds = {d.name for d in module.decls if d.loc.file in shipped}  # a rule for one: redefines_shipped
    dead_facts: set[str] = set()  # (a table of facts nothing reads: said once, at its first fact)
    for rule in module.rules:
        if rule.head.loc.file in shipped or rule.head.pred in live | shipped_preds:
            continue
        if rule.is_fact:
            if rule.head.pred in dead_facts:
                continue
            dead_facts.add(rule.head.pred)
        hint = _close(rule.head.pred, sorted(OPEN_HEADS)) or "derive violation(resource, message) from it, or remove it"
        what = "its facts" if rule.is_fact else "a rule for it"
        out.append(_diag(module, rule.head.loc, "dead_rule", f"nothing reads '{rule.head.pred}' ({what}): only "
                         f"violation fails a check, and no violation rule depends on it", hint))
    return out


SEVERITIES = ("low", "medium", "high", "critical")


def _check_rule_metadata(module: Module, shipped: Collection[str]) -> list[Diagnostic]:
    """A user rule's annotations: only on violation rules, only the known keys, a known severity.  A user
    declaration's: none (``@code``, ``@message``, ... are read for the shipped hop predicates only: on a policy's
    predicate they were kept and never read)."""
    from reasoner.engine.parse import RULE_METADATA

    out = []
    for decl in module.decls:
        if decl.loc.file not in shipped:
            out.extend(_diag(module, decl.annotation_locs.get(key, decl.loc), "bad_annotation",
                             f"@{key} on the declaration of '{decl.name}' would be "
                             "ignored: annotations of a declaration are read for the shipped rules' hops only",
                             "remove it (a // comment documents a predicate); a violation rule carries @id, @severity, "
                             "@title, @remediation, written right before the rule") for key in decl.annotations)
    for rule in module.rules:
        notes = getattr(rule, "annotations", {}) or {}
        if rule.head.loc.file in shipped or not notes:
            continue
        if rule.head.pred not in OPEN_HEADS:
            out.append(_diag(module, rule.head.loc, "bad_annotation", f"metadata on a rule for '{rule.head.pred}'",
                             "only violation rules carry @id, @severity, @title, @remediation"))
            continue
        for key, value in notes.items():
            at = rule.annotation_locs.get(key, rule.head.loc)
            if key not in RULE_METADATA:
                out.append(_diag(module, at, "bad_annotation", f"unknown rule annotation @{key}",
                                 "a violation rule carries @id, @severity, @title, @remediation"))
            elif not value.strip():  # (an empty @id was dropped: the SARIF rule was named by the location instead)
                out.append(_diag(module, at, "bad_annotation", f"@{key} is empty",
                                 f"give @{key} a value, or remove it"))
            elif key == "severity" and value not in SEVERITIES:
                out.append(_diag(module, at, "bad_annotation", f"unknown severity {value!r}",
                                 "one of " + ", ".join(SEVERITIES)))
    return out
