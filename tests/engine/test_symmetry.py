"""Symmetry classes (reasoner/engine/symmetry.py): ``classes`` computes what its row-by-row reading computed.

The reading below is ``classes`` as it was at fdd4460 (kept here as the reference); the column-by-column one must
give the same classes, owned columns and numbers on any relations: ENIs named once or several times per row,
rows naming no ENI, numbers shared or owned, constants and starts."""

from __future__ import annotations

from bisect import bisect_right

from hypothesis import given, settings
from hypothesis import strategies as st

from reasoner.engine import symmetry
from reasoner.engine.symmetry import _MANY, Classes

ENIS = [f"eni-{i}" for i in range(6)]
OTHER = ["subnet-a", "subnet-b", "sg-1", "sg-2", "vpc-1", "i-1", "i-2"]
NUMBERS = [22, 443, 65535, 167772161, 167772162, 167772163, 167772200, 3232235777, 1 << 100]


@st.composite
def snapshots(draw):
    """Relations as a snapshot has them: each column of one type (strings, ENIs among them, or numbers)."""
    enis = draw(st.lists(st.sampled_from(ENIS), min_size=1, max_size=6, unique=True))
    rel = {"eni": [(e, draw(st.sampled_from(["subnet-a", "subnet-b"])), "vpc-1") for e in enis]}
    for name in ("r1", "r2", "r3"):
        # "eni": ENIs only (the column-by-column path); "str": ENIs (of the snapshot or not) and other strings
        kinds = draw(st.lists(st.sampled_from(["eni", "str", "str", "int", "int"]), min_size=1, max_size=4))
        pools = {"eni": enis, "str": ENIS + OTHER, "int": NUMBERS}
        rows = [tuple(draw(st.sampled_from(pools[k])) for k in kinds) for _ in range(draw(st.integers(0, 8)))]
        if "eni" in kinds and draw(st.booleans()):  # sorted by ENI, as a snapshot's rows come (``classes`` uses the order)
            rows.sort(key=lambda r: r[kinds.index("eni")])
        rel[name] = rows
    constants = set(draw(st.lists(st.sampled_from(OTHER + NUMBERS), max_size=3)))
    starts = draw(st.lists(st.sampled_from(NUMBERS), max_size=2))
    return rel, constants, starts


@settings(max_examples=500, deadline=None)
@given(snapshots())
def test_classes_are_what_the_row_by_row_reading_gave(snapshot):
    rel, constants, starts = snapshot
    new, old = symmetry.classes(rel, constants, starts), _reference_classes(rel, constants, starts)
    assert new.of == old.of and new.members == old.members and new.owned_columns == old.owned_columns
    alone = {e for e, c in new.of.items() if len(new.members[c]) == 1}
    # an ENI in a class with others has its numbers in label order (one-to-one); alone, in any order
    assert {e: ns for e, ns in new.numbers.items() if e not in alone} == {e: ns for e, ns in old.numbers.items() if e not in alone}
    assert {e: sorted(ns) for e, ns in new.numbers.items()} == {e: sorted(ns) for e, ns in old.numbers.items()}


def test_an_eni_with_two_numbers_of_one_label_is_a_class_of_its_own():
    """eni-0 owns two addresses no cut tells apart (one label): no bijection maps its rows onto eni-1's one row, so
    it is never grouped with eni-1 (the property above rarely draws this snapshot)."""
    rel = {"eni": [("eni-0", "subnet-a", "vpc-1"), ("eni-1", "subnet-a", "vpc-1")],
           "eni_ip": [("eni-0", 167772161), ("eni-0", 167772162), ("eni-1", 167772163)]}
    new, old = symmetry.classes(rel, set()), _reference_classes(rel, set())
    assert new.of["eni-0"] != new.of["eni-1"]
    assert new.of == old.of and new.members == old.members


def test_a_value_whose_rows_name_one_eni_first_and_last_and_another_between_is_shared():
    """Rows not sorted by ENI: i-1 is named with eni-0, eni-1, eni-0.  It is not eni-0's own value (its first and last
    rows agreeing says so only when the rows come sorted by ENI), so eni-0 and eni-1 stay swappable, as the row-by-row
    reading says."""
    rel = {"eni": [("eni-0", "subnet-a", "vpc-1"), ("eni-1", "subnet-a", "vpc-1"), ("eni-2", "subnet-a", "vpc-1")],
           "r1": [("eni-0", "i-1"), ("eni-1", "i-1"), ("eni-0", "i-1"), ("eni-2", "i-2")]}
    new, old = symmetry.classes(rel, set()), _reference_classes(rel, set())
    assert new.members == old.members == {0: ["eni-0", "eni-1"], 1: ["eni-2"]}


def _reference_classes(relations, constants, starts=()):
    """symmetry.classes as it was at fdd4460, before its loops went column by column."""
    enis = {r[0] for r in relations.get("eni", ())}
    columns = {rel: list(zip(*rows)) for rel, rows in relations.items() if rows}  # column-wise, for set tests
    co: dict[object, object] = {}  # value -> its only co-occurring ENI, or _MANY
    for rel, rows in relations.items():
        cols = columns.get(rel, [])
        if all(enis.isdisjoint(c) for c in cols):  # no row names an ENI: a number here is never owned
            for c in cols:
                if c and type(c[0]) is int:
                    co.update(dict.fromkeys(c, _MANY))
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
    for rel, rows in relations.items():
        if all(owned.isdisjoint(c) for c in columns.get(rel, [])):
            continue  # no row holds an owned value
        for row in rows:
            owners = {owner[v] for v in row if v in owner}
            if not owners:
                continue
            if len(owners) > 1:
                alone.update(owners)
                continue
            e = owners.pop()
            rows_of[e].append((rel, row))
            for i, v in enumerate(row):
                if v in owner:
                    occurs.setdefault(v, set()).add((rel, i))
    out = Classes(owned_columns=frozenset(c for cols in occurs.values() for c in cols))
    label = {v: (("eni",) if v in enis else ("n", bisect_right(bounds, v)) if type(v) is int else ("s",))
             + tuple(sorted(cols)) for v, cols in occurs.items()}
    by_sig: dict[object, list[str]] = {}
    for e in sorted(enis):
        mine = {v for _, row in rows_of[e] for v in row if v in owner}
        labels = {v: label[v] for v in mine}
        if e in alone or len(set(labels.values())) != len(labels):
            sig: object = ("alone", e)
        else:  # labels are one-to-one on e's values, so e's rows map to distinct abstract rows: a set suffices
            sig = frozenset((rel, tuple(labels[v] if v in labels else ("=", v) for v in row)) for rel, row in rows_of[e])
        by_sig.setdefault(sig, []).append(e)
        out.numbers[e] = tuple(v for v, _ in sorted(((v, lab) for v, lab in labels.items() if type(v) is int),
                                                    key=lambda x: repr(x[1])))
    for cid, members in enumerate(by_sig.values()):
        out.members[cid] = members
        for e in members:
            out.of[e] = cid
    return out

