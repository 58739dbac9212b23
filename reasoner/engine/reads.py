"""Which fields of the packet each hop reads, derived from the rules (a step of factoring by hop).

A question's packet space is a product: for each pair and protocol, every destination-port piece times every
source-port piece.  If no hop reads both ports, a packet's fate is the union of what the hops reading the
destination port say of ``(dp, any sp)`` and what the hops reading the source port say of ``(any dp, sp)``: the
space costs ``|dp| + |sp|`` evaluations instead of ``|dp| x |sp|`` (reasoner/explain/separable.py).  Whether
that holds is computed here from the checked program, never assumed:

- a column of a derived predicate *carries* packet column k when every rule for it puts there a variable bound
  to the packet's column k (from the ``packet`` atom, or from a column of another predicate that carries k);
  joining such a column with the packet's own field is an identity (one packet per evaluation), not a read;
- a rule *reads* packet column k when a variable bound to it occurs anywhere else: in a comparison or an
  expression, or in a column that does not carry k (a join with configuration, e.g. a NACL entry's port range);
  a predicate reads what its rules read and what every predicate in their bodies reads (negated ones too);
- a hop reads what the rules deriving the answer rows for it read (``fwd_blocked("fwd_nacl_in") :- ...``); a rule
  whose hop is a variable counts for every hop.

The analysis over-approximates reads (any mention counts), so a rule that would make the split unsound can only
turn it off.
"""

from __future__ import annotations

from typing import Iterable

from reasoner.engine.check import Checked
from reasoner.engine.syntax import Atom, Comparison, Const, Var, term_vars

ANY_HOP = "*"
_TOP = "top"  # not yet known (greatest fixpoint of carried columns)


def hop_reads(checked: Checked, answers: Iterable[str], domain: str = "packet") -> dict[str, frozenset[int]]:
    """For each hop named in the rules of ``answers`` (relations whose first column is a hop), the packet columns
    its rows depend on; ``ANY_HOP`` for rules whose hop is a variable."""
    rules = [r for r in checked.module.rules if not r.is_fact]
    derived = {r.head.pred for r in checked.module.rules}
    carried: dict[str, list] = {p: [_TOP] * checked.decls[p].arity for p in derived if p in checked.decls}
    for p in {r.head.pred for r in checked.module.rules if r.is_fact} & carried.keys():
        carried[p] = [None] * checked.decls[p].arity  # facts written in rule files hold constants: they carry nothing
    _carry(rules, carried, domain)
    if any(v == _TOP for cols in carried.values() for v in cols):
        # never settled (bound only through each other, in a cycle): they carry nothing, and the columns computed
        # while they were pending are computed again without them
        for p, cols in carried.items():
            carried[p] = [None if v == _TOP else v for v in cols]
        _carry(rules, carried, domain)
    reads: dict[str, set[int]] = {p: set() for p in derived}
    direct = {id(r): _direct_reads(r, carried, domain) for r in rules}
    changed = True
    while changed:
        changed = False
        for rule in rules:
            got = set(direct[id(rule)])
            for lit in rule.body:
                if isinstance(lit, Atom) and lit.pred in reads:
                    got |= reads[lit.pred]
            if not got <= reads[rule.head.pred]:
                reads[rule.head.pred] |= got
                changed = True
    answers = set(answers)
    per: dict[tuple[str, str], set[int]] = {}  # (answer relation, hop) -> packet columns its rows read
    changed = True
    while changed:
        changed = False
        for rule in rules:
            if rule.head.pred not in answers or not rule.head.args:
                continue
            h = rule.head.args[0]
            linked = [lit for lit in rule.body if isinstance(lit, Atom) and lit.pred in answers and isinstance(h, Var)
                      and lit.args and lit.args[0] == h]  # rows of another answer relation, for the same hop
            base = set(direct[id(rule)])
            for lit in rule.body:
                if isinstance(lit, Atom) and lit.pred in reads and not any(lit is x for x in linked):
                    base |= reads[lit.pred]
            if isinstance(h, Const):
                targets = {str(h.value): base}
            elif linked:
                hops = {hop for (rel, hop) in per if any(rel == x.pred for x in linked)} | {ANY_HOP}
                targets = {hop: base.union(*(per.get((x.pred, hop), set()) | per.get((x.pred, ANY_HOP), set())
                                             for x in linked)) for hop in hops}
            else:
                targets = {ANY_HOP: base}
            for hop, got in targets.items():
                cur = per.setdefault((rule.head.pred, hop), set())
                if not got <= cur:
                    cur |= got
                    changed = True
    every = set().union(*(v for (_, hop), v in per.items() if hop == ANY_HOP))
    out: dict[str, frozenset[int]] = {}
    for (_, hop), v in per.items():
        if hop != ANY_HOP:
            out[hop] = frozenset(out.get(hop, frozenset()) | v | every)
    out[ANY_HOP] = frozenset(every)
    return out


def _sources(rule, carried: dict[str, list], domain: str) -> dict[str, int | None]:
    """Each variable bound to one packet column: the column (None when bound to several)."""
    return {v: next(iter(k)) if len(k) == 1 else None for v, k in _source_sets(rule, carried, domain).items()}


def _carry(rules: list, carried: dict[str, list], domain: str) -> None:
    """Refines ``carried`` (each derived predicate's columns: the packet column each carries, None, or ``_TOP`` when
    not known yet) to the greatest fixpoint: a column keeps k while every rule puts there a variable bound to packet
    column k; a rule whose variable is bound only through columns not known yet gives no verdict until they are."""
    # a rule's verdicts depend only on what its positive body atoms carry: kept from the pass before unless one of
    # those predicates changed in it (the same passes, without recomputing the rules nothing new reaches)
    reads = [{lit.pred for lit in rule.body if isinstance(lit, Atom) and not lit.negated and lit.pred in carried}
             for rule in rules]
    verdicts: list[list[tuple[int, int | None]]] = [[] for _ in rules]
    moved: set[str] | None = None  # the predicates changed by the last pass (None: the first pass)
    while moved is None or moved:
        now: dict[str, list] = {p: [_TOP] * len(cols) for p, cols in carried.items()}
        for n, rule in enumerate(rules):
            if moved is None or not reads[n].isdisjoint(moved):
                src = _sources(rule, carried, domain)
                pending = _pending(rule, carried)
                verdicts[n] = [(i, src.get(t.name) if isinstance(t, Var) else None) for i, t in enumerate(rule.head.args)
                               # bound through a column not known yet (a predicate later in the order): no verdict yet
                               if not (isinstance(t, Var) and src.get(t.name) is None and t.name in pending)]
            head = now[rule.head.pred]
            for i, k in verdicts[n]:
                cur = head[i]
                head[i] = k if cur == _TOP else (cur if cur == k else None)
        moved = set()
        for p in carried:
            for i, v in enumerate(now[p]):
                if v != _TOP and carried[p][i] != v and (carried[p][i] == _TOP or v is None):
                    carried[p][i] = v
                    moved.add(p)


def _pending(rule, carried: dict[str, list]) -> set[str]:
    """The variables of ``rule`` bound in a positive atom's column whose carried packet column is not known yet."""
    return {t.name for lit in rule.body if isinstance(lit, Atom) and not lit.negated and lit.pred in carried
            for i, t in enumerate(lit.args) if isinstance(t, Var) and carried[lit.pred][i] == _TOP}


def _source_sets(rule, carried: dict[str, list], domain: str) -> dict[str, set[int]]:
    """Each variable bound to packet columns: which."""
    src: dict[str, set[int]] = {}
    for lit in rule.body:
        if not isinstance(lit, Atom) or lit.negated:
            continue
        for i, t in enumerate(lit.args):
            if not isinstance(t, Var):
                continue
            if lit.pred == domain:
                src.setdefault(t.name, set()).add(i)
            elif lit.pred in carried and isinstance(carried[lit.pred][i], int):
                src.setdefault(t.name, set()).add(carried[lit.pred][i])
    return src


def _direct_reads(rule, carried: dict[str, list], domain: str) -> set[int]:
    """Packet columns the rule's own literals read (see the module doc)."""
    sets = _source_sets(rule, carried, domain)
    src = {v: next(iter(k)) for v, k in sets.items() if len(k) == 1}
    out: set[int] = {k for ks in sets.values() if len(ks) > 1 for k in ks}  # two packet fields equated: both read
    for lit in rule.body:
        if isinstance(lit, Comparison):
            out |= {src[v] for v in term_vars(lit.left) + term_vars(lit.right) if v in src}
            continue
        for i, t in enumerate(lit.args):
            names = term_vars(t)
            for v in names:
                if v not in src:
                    continue
                k = src[v]
                identity = isinstance(t, Var) and (lit.pred == domain and i == k or
                                                   lit.pred in carried and carried[lit.pred][i] == k)
                if not identity:
                    out.add(k)
    for t in rule.head.args:
        if not isinstance(t, Var):
            out |= {src[v] for v in term_vars(t) if v in src}  # an expression over a packet field
    return out
