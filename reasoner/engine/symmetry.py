"""Factoring by symmetry: endpoints the rules cannot tell apart are evaluated once.

A set question (``* -> X``, ``sg-A -> sg-B any``, the audits) asks the same thing of thousands of ENIs, most
of which look alike to every rule: same subnet, same security groups, addresses in the same piece of every
CIDR the snapshot holds.  If swapping two ENIs a and b (and the values only they own: their addresses,
their instance ids, ...) maps the snapshot onto itself, the swap is an automorphism of the database, and a
Datalog program's answers are invariant under automorphisms that fix its constants and preserve every
comparison it makes.  So the answer for a packet of ``a`` is the answer for the swapped packet of ``b``:
one representative per class decides for every member.  This module computes the classes from the data
and checks, from the rules, that the argument holds; the question layer (reasoner/explain/paths.py) uses
them.  Nothing here knows a relation name except ``eni`` (which ENIs there are).

**Owned values** (``classes``).  ENI ``e`` owns ``e`` itself and every value (symbol or number) that
co-occurs in rows with ``e`` and with no other ENI, and is not a constant of the rules.  A number is owned
only when every row holding it names ``e``, and only when it is outside the cut set ``C`` (every number of
the snapshot that is not owned and every number constant of the rules) and is no value the question layer
may put in a packet by itself (a representative internet address: the first value of an address piece).
The signature of ``e`` is the multiset of rows holding a value ``e`` owns, each owned value replaced by a
label: its type, the piece of ``C`` it lies in (numbers) and the columns it occurs in.  Two ENIs with equal
signatures are swapped by a bijection that maps the snapshot onto itself.  An ENI is a class of its own
(never swapped) when two of its owned values have the same label (the bijection would be ambiguous) or a
row holds values owned by two ENIs.  Which values are owned is a heuristic for large classes; the soundness
argument rests on the signatures only.

**The gate** (``gate``).  The swap changes owned values, so every comparison the rules make must give the
same result after it.  Equality is preserved by any bijection.  An order comparison (``<``, ``<=``, ``>``,
``>=``) is preserved when one side may hold owned values and the other holds only values of the cut set
(a snapshot column that never holds owned values, or a constant): owned numbers lie strictly inside pieces
of ``C``.  A dataflow over the rules tracks which columns may hold owned values (from the snapshot columns
where they occur, and the per-query columns naming endpoints and their addresses) and which may hold values
outside the snapshot (arithmetic, per-query values such as ports); it refuses an order comparison between
two owned-valued sides, or between an owned-valued side and a computed one, and arithmetic on an owned
value.  A refusal names the rule; the caller then evaluates every endpoint (correct, slower).

Not handled: an ENI whose addresses the query names one by one (the question layer keeps those apart),
and load balancer nodes as *query endpoints* (they go through reasoner/explain/loadbalancers.py).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from reasoner.engine.check import Checked
from reasoner.engine.syntax import Atom, BinOp, Comparison, Const, Loc, Rule, Var, subterms, term_vars

ORDER = frozenset({"<", "<=", ">", ">="})
_MANY = "\0many"  # co-occurs with more than one ENI


@dataclass(frozen=True)
class Refusal:
    """Why the rules do not allow factoring: the rule and what it does."""

    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


@dataclass
class Classes:
    """ENIs grouped by signature: ``of[eni]`` is a class id; ``members[cid]`` the ENIs of the class, sorted."""

    of: dict[str, int] = field(default_factory=dict)
    members: dict[int, list[str]] = field(default_factory=dict)
    owned_columns: frozenset[tuple[str, int]] = frozenset()
    #: per ENI, its owned numbers (the bijection of a class maps them in this order: sorted by label)
    numbers: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.members)


def program_constants(checked: Checked) -> set:
    """Every constant written in the rules (heads, bodies, comparisons, facts)."""
    out: set = set()
    for rule in checked.module.rules:
        for lit in (rule.head, *rule.body):
            terms = lit.args if isinstance(lit, Atom) else (lit.left, lit.right)
            for t in terms:
                out.update(s.value for s in subterms(t) if isinstance(s, Const))
    return out


def classes(relations: Mapping[str, Sequence[tuple]], constants: set, starts: Iterable[int] = ()) -> Classes:
    """The symmetry classes of the snapshot's ENIs (see the module doc).  ``relations``: every base relation
    the rules read (the per-query ones excluded); ``constants``: values the rules or the question layer write
    (never owned); ``starts``: numbers the question layer may put in a packet that it did not take from an
    endpoint (the first value of each address piece it cuts: representative internet addresses)."""
    enis = {r[0] for r in relations.get("eni", ())}
    columns = {rel: list(zip(*rows)) for rel, rows in relations.items() if rows}  # column-wise, for set tests
    co: dict[object, object] = {}  # value -> its only co-occurring ENI, or _MANY
    for rel, rows in relations.items():
        cols = columns.get(rel, [])
        named = [i for i, c in enumerate(cols) if not enis.isdisjoint(c)]
        if not named:  # no row names an ENI: a number here is never owned
            for c in cols:
                if c and type(c[0]) is int:
                    co.update(dict.fromkeys(c, _MANY))
            continue
        if len(named) == 1 and enis.issuperset(cols[named[0]]):
            # each row names exactly one ENI, in one column, and no other column holds one (eni, eni_sg, eni_ip
            # ...): the loop below, column by column (the same co, since co's end does not depend on the order)
            ecol = cols[named[0]]
            for j, c in enumerate(cols):
                if j == named[0]:
                    continue
                for v, e in zip(c, ecol):
                    prev = co.get(v, e)
                    co[v] = e if prev == e else _MANY
            continue
        for row in rows:
            es = [v for v in row if type(v) is str and v in enis]
            if not es:
                for v in row:  # a number also held by a row of no ENI is never owned
                    if type(v) is int:
                        co[v] = _MANY
                continue
            e = es[0] if all(x == es[0] for x in es) else _MANY
            for v in row:
                if v in enis:
                    continue
                prev = co.get(v)
                co[v] = e if prev is None or prev == e else _MANY
    owner: dict[object, str] = {v: e for v, e in co.items() if e != _MANY and v not in constants  # type: ignore[misc]
                                and type(v) in (str, int)}
    owner.update({e: e for e in enis})
    # numbers outside the cut set, and never a value the caller may pick as a representative (``starts``)
    cut: set = set()
    for cols in columns.values():
        for c in cols:
            if c and type(c[0]) is int:
                cut.update(c)
    cut = {v for v in cut if v not in owner} | {c for c in constants if type(c) is int}
    starts = set(starts)
    # (numbers up to 65535 may be ports or protocol numbers the question layer writes: never owned)
    for v in [v for v in owner if type(v) is int and (v in cut or v in starts or v <= 65535)]:
        del owner[v]
        cut.add(v)
    bounds = sorted(cut)
    rows_of: dict[str, list[tuple[str, tuple]]] = {e: [] for e in enis}
    alone: set[str] = set()  # ENIs that are a class of their own
    occurs: dict[object, set[tuple[str, int]]] = {}
    owned = owner.keys()
    mine_of: dict[str, set] = {e: set() for e in enis}  # the owned values of each ENI's rows
    for rel, rows in relations.items():
        cols = columns.get(rel, [])
        held = [i for i, c in enumerate(cols) if not owned.isdisjoint(c)]  # the columns holding owned values
        if not held:
            continue  # no row holds an owned value
        if len(held) == 1:  # each row has at most one owned value, so at most one owner: column by column
            i = held[0]
            get = owner.get
            for row, v in zip(rows, cols[i]):
                e = get(v)
                if e is not None:
                    rows_of[e].append((rel, row))
            for v in owned & set(cols[i]):
                occurs.setdefault(v, set()).add((rel, i))
                mine_of[owner[v]].add(v)
            continue
        for row in rows:
            owners = {owner[row[i]] for i in held if row[i] in owner}
            if not owners:
                continue
            if len(owners) > 1:
                alone.update(owners)
                continue
            e = owners.pop()
            rows_of[e].append((rel, row))
            for i in held:
                v = row[i]
                if v in owner:
                    occurs.setdefault(v, set()).add((rel, i))
                    mine_of[e].add(v)
    out = Classes(owned_columns=frozenset().union(*occurs.values()))
    label = {v: (("eni",) if v in enis else ("n", bisect_right(bounds, v)) if type(v) is int else ("s",))
             + (tuple(cols) if len(cols) == 1 else tuple(sorted(cols))) for v, cols in occurs.items()}
    by_sig: dict[object, list[str]] = {}
    for e in sorted(enis):
        mine = mine_of[e]
        labels = {v: label[v] for v in mine}
        if e in alone or len(set(labels.values())) != len(labels):
            sig: object = ("alone", e)
        else:  # labels are one-to-one on e's values, so e's rows map to distinct abstract rows: a set suffices
            # (a value with no label stands for itself: a string or a number, never equal to a label, a tuple)
            get = labels.get
            sig = frozenset([(rel, tuple(map(get, row, row))) for rel, row in rows_of[e]])
        by_sig.setdefault(sig, []).append(e)
        ints = [v for v in labels if type(v) is int]
        out.numbers[e] = tuple(ints) if len(ints) < 2 else tuple(  # (one number: nothing to order)
            v for v, _ in sorted(((v, labels[v]) for v in ints), key=lambda x: repr(x[1])))
    for cid, members in enumerate(by_sig.values()):
        out.members[cid] = members
        for e in members:
            out.of[e] = cid
    return out


def gate(checked: Checked, owned: Iterable[tuple[str, int]], computed: Iterable[tuple[str, int]]) -> list[Refusal]:
    """The rules' comparisons and arithmetic that a swap of owned values could change (see the module doc);
    empty when factoring is sound.  ``owned``: columns that may hold owned values (snapshot and per-query
    ones); ``computed``: per-query columns holding values from outside the snapshot (ports, protocols)."""
    own, comp = set(owned), set(computed)
    rules = [r for r in checked.module.rules if not r.is_fact]
    changed = True
    while changed:
        changed = False
        for rule in rules:
            ov, cv = _flags(rule, own, comp)
            for i, t in enumerate(rule.head.args):
                col = (rule.head.pred, i)
                vs = term_vars(t)
                if col not in own and any(v in ov for v in vs):
                    own.add(col)
                    changed = True
                if col not in comp and (isinstance(t, BinOp) or any(v in cv for v in vs)):
                    comp.add(col)
                    changed = True
    out: list[Refusal] = []
    for rule in rules:
        ov, cv = _flags(rule, own, comp)

        def is_own(t) -> bool:
            return any(v in ov for v in term_vars(t))

        def is_comp(t) -> bool:
            return isinstance(t, BinOp) or any(v in cv for v in term_vars(t))

        terms = [t for lit in (rule.head, *rule.body) for t in (lit.args if isinstance(lit, Atom) else (lit.left, lit.right))]
        for t in terms:
            for s in subterms(t):
                if isinstance(s, BinOp) and (is_own(s.left) or is_own(s.right)):
                    out.append(Refusal(rule.loc, "arithmetic on a value that identifies an endpoint (an address or an id)"))
        for lit in rule.body:
            if isinstance(lit, Comparison) and lit.op in ORDER:
                lo, ro = is_own(lit.left), is_own(lit.right)
                if (lo and ro) or (lo and is_comp(lit.right)) or (ro and is_comp(lit.left)):
                    out.append(Refusal(lit.loc, "orders a value that identifies an endpoint against a value that is not a "
                                                "snapshot constant"))
    return out


def _flags(rule: Rule, own: set[tuple[str, int]], comp: set[tuple[str, int]]) -> tuple[set[str], set[str]]:
    """Variables of ``rule`` that may hold owned values, and that may hold computed ones."""
    ov: set[str] = set()
    cv: set[str] = set()
    for lit in rule.body:
        if isinstance(lit, Atom) and not lit.negated:
            for i, t in enumerate(lit.args):
                if isinstance(t, Var):
                    if (lit.pred, i) in own:
                        ov.add(t.name)
                    if (lit.pred, i) in comp:
                        cv.add(t.name)
    changed = True
    while changed:  # X = Y and X = expr carry the flags
        changed = False
        for lit in rule.body:
            if isinstance(lit, Comparison) and lit.op == "=":
                for a, b in ((lit.left, lit.right), (lit.right, lit.left)):
                    if not isinstance(a, Var):
                        continue
                    if a.name not in ov and any(v in ov for v in term_vars(b)):
                        ov.add(a.name)
                        changed = True
                    if a.name not in cv and (isinstance(b, BinOp) or any(v in cv for v in term_vars(b))):
                        cv.add(a.name)
                        changed = True
    return ov, cv
