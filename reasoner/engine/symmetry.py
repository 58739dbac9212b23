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
from itertools import repeat
from operator import itemgetter
from typing import Iterable, Mapping, Sequence

from reasoner.engine.check import Checked
from reasoner.engine.syntax import Atom, BinOp, Comparison, Const, Loc, Rule, Var, subterms, term_vars

ORDER = frozenset({"<", "<=", ">", ">="})
_MANY = "\0many"  # co-occurs with more than one ENI


class _Label:
    """An owned value's label in a signature: equal only to itself (never to a snapshot value), hashed by identity;
    ``key`` is what it stands for (its kind, the piece of the cut set a number lies in, its columns)."""

    __slots__ = ("key",)

    def __init__(self, key: tuple) -> None:
        self.key = key


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
            # ...): column by column, with dicts and sets (the same co as row by row: co's end does not depend on
            # the order)
            ecol = cols[named[0]]
            ordered_enis = None  # whether the rows come sorted by ENI (as a snapshot has them), when first asked
            for j, c in enumerate(cols):
                if j == named[0]:
                    continue
                last = dict(zip(c, ecol))  # each value's ENI (the last row's), then _MANY for those with two
                if len(last) < len(c):  # (a value in several rows)
                    if ordered_enis is None:
                        ordered_enis = list(ecol) == sorted(ecol)
                    if ordered_enis:  # a value's rows between its first and its last name ENIs between theirs
                        first = dict(zip(reversed(c), reversed(ecol)))
                        last.update(dict.fromkeys([v for v, e in last.items() if first[v] != e], _MANY))
                    else:
                        last.update(dict.fromkeys(map(itemgetter(0), set(zip(c, ecol)).difference(last.items())), _MANY))
                for v in last.keys() & co.keys():
                    if co[v] != last[v]:
                        last[v] = _MANY
                co.update(last)
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

    # Which rows are whose, and where each owned value is recorded (its columns).  A row with values of two owners
    # makes both a class of their own and records nothing.
    owned = set(owner)  # (a set: intersections with it run in C over the smaller side)
    get = owner.get
    alone: set[str] = set()
    recorded: dict[tuple[str, int], set] = {}  # column -> the owned values recorded in it
    owned_rows: list[tuple[str, list, list]] = []  # (relation, its columns, each row's owner or None)
    for rel, rows in relations.items():
        cols = columns.get(rel, [])
        held = [i for i, c in enumerate(cols) if not owned.isdisjoint(c)]
        if not held:
            continue
        if len(held) == 1:  # one owned value a row at most: its owner's row
            i = held[0]
            row_owner = list(map(get, cols[i]))
            recorded[(rel, i)] = owned.intersection(cols[i])
            owned_rows.append((rel, cols, row_owner))
            continue
        row_owner = list(map(get, cols[held[0]]))
        if None not in row_owner and all(list(map(get, cols[i], row_owner)) == row_owner for i in held[1:]):
            # every row's first held value is owned, and each other one is its owner's or not owned (a value not
            # owned reads as the row's owner): one owner a row
            for i in held:
                recorded[(rel, i)] = owned.intersection(cols[i])
            owned_rows.append((rel, cols, row_owner))
            continue
        lists = [list(map(get, cols[i])) for i in held]
        row_owner = []
        two = []  # rows with values of two owners
        for r, os_ in enumerate(zip(*lists)):
            e = None
            for o in os_:
                if o is not None:
                    if e is None:
                        e = o
                    elif o != e:
                        e = _MANY
                        break
            if e is _MANY:
                alone.update(o for o in os_ if o is not None)
                two.append(r)
                row_owner.append(None)
            else:
                row_owner.append(e)
        skip = set(two)
        for i in held:
            col = cols[i]
            values = {v for r, v in enumerate(col) if r not in skip} if skip else set(col)
            found = owned.intersection(values)
            if found:
                recorded[(rel, i)] = found
        owned_rows.append((rel, cols, row_owner))
    recorded = {c: vs for c, vs in recorded.items() if vs}
    out = Classes(owned_columns=frozenset(recorded))
    # each recorded value's label: its kind (ENI, the piece of the cut set a number lies in, string) and the
    # columns it is recorded in (sorted): the values recorded in the same columns are found by set algebra
    regions: list[tuple[tuple, set]] = [((), set().union(*recorded.values()))]
    for c in sorted(recorded):
        here = recorded[c]
        split: list[tuple[tuple, set]] = []
        for key, vs in regions:
            inside = vs & here
            if inside:
                split.append((key + (c,), inside))
                vs = vs - inside
            if vs:
                split.append((key, vs))
        regions = split
    label: dict[object, _Label] = {}
    numbered: list[int] = []  # every recorded number
    repeated = False  # some ENI has two recorded values with one label
    for key, vs in regions:
        ids = vs & enis
        ints = [v for v in vs if type(v) is int]
        strs = vs - ids - set(ints)
        pieces = list(map(bisect_right, repeat(bounds), ints))
        label.update(dict.fromkeys(ids, _Label(("eni",) + key)))  # (an ENI owns one ENI: itself)
        label.update(dict.fromkeys(strs, _Label(("s",) + key)))
        of_piece = {p: _Label(("n", p) + key) for p in set(pieces)}
        label.update(zip(ints, map(of_piece.__getitem__, pieces)))
        numbered.extend(ints)
        owners = list(map(get, strs))
        repeated = (repeated or len(set(owners)) != len(owners)
                    or len(set(zip(map(get, ints), pieces))) != len(ints))
    if repeated:  # an ENI with two recorded values of one label is a class of its own
        mine: dict[str, list] = {}
        for v in label:
            mine.setdefault(owner[v], []).append(v)
        for e, vs in mine.items():
            if len(set(map(label.__getitem__, vs))) != len(vs):
                alone.add(e)
    # each ENI's rows, relation by relation, with its values replaced by their labels (a value with none stands for
    # itself): the signature is a tuple with, per relation, the ENI's row (a relation where no ENI has two rows) or
    # the set of its rows; two signatures are equal when the sets of (relation, row) pairs are
    lget = label.get
    ordered = sorted(enis)
    parts: list[list] = []
    for rel, cols, row_owner in owned_rows:
        abstract = list(zip(*[map(lget, c, c) if (rel, i) in recorded else c for i, c in enumerate(cols)]))
        one = dict(zip(row_owner, abstract))
        one.pop(None, None)
        if len(one) == len(row_owner) - row_owner.count(None):  # no ENI has two rows here
            parts.append(list(map(one.get, ordered)))
            continue
        many: dict[str, list] = {}
        for e, a in zip(row_owner, abstract):
            if e is not None:
                many.setdefault(e, []).append(a)
        parts.append([frozenset(many.get(e, ())) for e in ordered])
    by_sig: dict[object, list[str]] = {}
    for e, sig in zip(ordered, zip(*parts) if parts else ((),) * len(ordered)):
        by_sig.setdefault(("alone", e) if e in alone else sig, []).append(e)
    # each ENI's recorded numbers, in the order of their labels (the bijection of a class maps them so)
    nums: dict[str, list[int]] = {}
    for v in numbered:
        nums.setdefault(owner[v], []).append(v)
    out.numbers = dict.fromkeys(ordered, ())
    for e, ns in nums.items():
        out.numbers[e] = tuple(ns) if len(ns) < 2 else tuple(sorted(ns, key=lambda v: repr(label[v].key)))
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
