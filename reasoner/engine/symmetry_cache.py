"""The symmetry classes of a snapshot, kept on disk between processes: the costly, pure part of a set question.

``symmetry.classes`` walks every row of the snapshot (about 0.17 s at 20k ENIs, 1.3 s at 100k) and its
answer depends on nothing but its inputs: the snapshot's base relations, the rules' constants, the question
layer's representative addresses, and the code of ``reasoner/engine/symmetry.py``.  So the answer is kept,
as Batfish keeps a parsed snapshot between questions: the next ``reason`` process that asks a set question of
the same snapshot and rules reads it back (about 0.03 s) instead of computing it again.

**The key** is a sha256 of exactly those inputs: every row of every relation given to ``classes`` (in order),
the constants and starts (sorted), this cache's format version, Python's version and the bytes of
``symmetry.py``.  A changed row, rule constant or version of the code gives another key: a miss, never an old
answer.  The key is computed from the rows themselves, not from a file date or a manifest that could be stale.

**Reading** validates the document's shape and its fit to this snapshot (the classes partition exactly the
snapshot's ENIs, each class sorted; owned columns name declared columns; each ENI's owned numbers are numbers of
rows naming it, distinct, never another ENI's, and as many as each other member of its class has): anything
else is a miss and the classes are computed again.  The file is JSON, never pickle; nothing in it is code.

**What it does not protect against**: someone who can write the cache folder can put well-formed, wrong
classes under a key (the key is a hash of the snapshot, which they may know).  Keep the folder as private as
the snapshot (it is created with mode 0700), or turn the cache off (``REASON_NO_CACHE=1``).  ``reason recheck``
never reads or writes the cache folder: an auditor's re-check parses the rules and computes every class again
(``Session.open(..., cache=False)``).
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
import operator
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from reasoner.engine import disk_cache, symmetry
from reasoner.engine.symmetry import Classes

FORMAT = "reason.symmetry-cache"
VERSION = 1
KIND = "classes"
#: How many snapshots' classes are kept (the most recent ones).
KEEP = 16
#: A cached document larger than this is not read (20k ENIs: about 2 MB).
MAX_BYTES = 512 * 1024 * 1024


def key(relations: Mapping[str, Sequence[tuple]], constants: Iterable, starts: Iterable[int]) -> str:
    """The sha256 of everything ``symmetry.classes`` reads (see the module doc)."""
    h = hashlib.sha256()
    h.update(repr((FORMAT, VERSION, sys.version)).encode())
    h.update(Path(symmetry.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())  # how the classes are written and read back
    for rel in sorted(relations):
        h.update(repr((rel, len(relations[rel]))).encode())
        h.update(_bytes(relations[rel]))
    h.update(repr(sorted(constants, key=lambda v: (type(v).__name__, v))).encode())
    h.update(repr(sorted(starts)).encode())
    return h.hexdigest()[:40]


def _bytes(rows: Sequence[tuple]) -> bytes:
    """The rows, exactly (a different list gives different bytes): ``marshal`` format 2, which writes every value
    in full (from format 3 on, a value seen twice may be written as a reference to the first, depending on how the
    objects are shared, and the same rows would give other bytes), about 3.5 times faster than ``repr`` (at 20k
    ENIs, 0.009 s against 0.032 s for the snapshot's 97,000 rows).  Values marshal cannot write: ``repr``, tagged."""
    try:
        return b"m" + marshal.dumps(rows if type(rows) is list else list(rows), 2)
    except ValueError:
        return b"r" + repr(list(rows)).encode()


def classes(relations: Mapping[str, Sequence[tuple]], constants: set, starts: Iterable[int],
            use_cache: bool = True) -> tuple[Classes, bool]:
    """``symmetry.classes(relations, constants, starts)``, read from the cache folder when a valid answer for the
    same inputs is there, else computed (and kept).  Returns the classes and whether they came from the cache."""
    starts = list(starts)
    folder = disk_cache.cache_dir() if use_cache else None
    if folder is None:
        return symmetry.classes(relations, constants, starts), False
    k = key(relations, constants, starts)
    cached = decode(disk_cache.read_json(folder, KIND, k, MAX_BYTES), k, relations)
    if cached is not None:
        return cached, True
    out = symmetry.classes(relations, constants, starts)
    disk_cache.write_json(folder, KIND, k, encode(out, k), KEEP)
    return out, False


def encode(cls: Classes, k: str) -> dict[str, Any]:
    members = [cls.members[cid] for cid in sorted(cls.members)]
    return {"format": FORMAT, "version": VERSION, "key": k, "members": members,
            "owned_columns": sorted([rel, i] for rel, i in cls.owned_columns),
            "numbers": {e: list(ns) for e, ns in cls.numbers.items()}}


def decode(doc: Any, k: str, relations: Mapping[str, Sequence[tuple]]) -> Classes | None:
    """The classes ``doc`` holds, when it is a document of this format for key ``k`` that fits ``relations``
    exactly (see the module doc); else None.

    The checks run over whole lists at once (sets of types, ``zip``), not ENI by ENI: at 100k ENIs reading the
    classes took 0.8 s, most of it these checks.  What they accept is what the ENI-by-ENI reading accepted
    (``tests/engine/test_symmetry_cache.py`` keeps that reading and compares the two on damaged documents)."""
    if not isinstance(doc, dict) or set(doc) != {"format", "version", "key", "members", "owned_columns", "numbers"}:
        return None
    if doc["format"] != FORMAT or doc["version"] != VERSION or doc["key"] != k:
        return None
    members, owned, numbers = doc["members"], doc["owned_columns"], doc["numbers"]
    enis = {r[0] for r in relations.get("eni", ())}
    if not isinstance(members, list) or not isinstance(owned, list) or not isinstance(numbers, dict):
        return None
    # members: non-empty sorted lists of distinct strings that partition the snapshot's ENIs
    if not all(type(g) is list and g for g in members):
        return None
    flat = list(itertools.chain.from_iterable(members))
    if not set(map(type, flat)) <= {str} or any(g != sorted(set(g)) for g in members):
        return None
    every = set(flat)
    if len(every) != len(flat) or every != enis:
        return None
    out = Classes()
    out.members = dict(enumerate(members))
    out.of = dict(zip(flat, itertools.chain.from_iterable(itertools.repeat(cid, len(g)) for cid, g in enumerate(members))))
    owned_columns = _owned_columns(owned, relations)
    if owned_columns is None:
        return None
    out.owned_columns = owned_columns
    # numbers: per ENI a list of integers, all distinct across ENIs, each in a row naming that ENI
    if set(numbers) != enis:
        return None
    lists = list(numbers.values())
    if not set(map(type, lists)) <= {list}:
        return None
    flat_numbers = list(itertools.chain.from_iterable(lists))
    if not set(map(type, flat_numbers)) <= {int} or len(set(flat_numbers)) != len(flat_numbers):
        return None
    if not _named_with(relations, enis, numbers):
        return None
    out.numbers = {e: tuple(ns) for e, ns in numbers.items()}
    sizes = {e: len(ns) for e, ns in numbers.items()}
    for group in members:  # the bijection of a class maps its members' numbers position by position
        if len(set(map(sizes.__getitem__, group))) != 1:
            return None
    return out


def _owned_columns(owned: list, relations: Mapping[str, Sequence[tuple]]) -> frozenset[tuple[str, int]] | None:
    """The owned columns a document lists, when each is a [relation, column] pair naming a column of a relation
    with rows; else None."""
    arity = {rel: len(rows[0]) for rel, rows in relations.items() if rows}
    cols = set()
    for c in owned:
        if (not isinstance(c, list) or len(c) != 2 or type(c[0]) is not str or type(c[1]) is not int
                or not 0 <= c[1] < arity.get(c[0], 0)):
            return None
        cols.add((c[0], c[1]))
    return frozenset(cols)


def _named_with(relations: Mapping[str, Sequence[tuple]], enis: set[str], numbers: dict[str, list[int]]) -> bool:
    """Whether each number ``numbers`` gives an ENI occurs in some row that names that ENI (a string equal to it)
    and holds the number (an integer).  A relation whose rows have one length is read by columns: the (string,
    integer) pairs of each column naming an ENI with each column of integers (``zip``); any other relation row by
    row.  The relations are read until every (ENI, number) claimed is found: at 20k ENIs the ENIs' own address
    relations settle them all, and reading every relation took 0.03 s."""
    claims = {(e, n) for e, ns in numbers.items() for n in ns}
    for rows in relations.values():
        if not claims:
            break
        if not rows:
            continue
        lengths = set(map(len, rows))
        if len(lengths) == 1:
            columns = [operator.itemgetter(i) for i in range(lengths.pop())]
            types = [set(map(type, map(c, rows))) for c in columns]
            if all(t <= {str} or t <= {int} for t in types):
                ints = [c for c, t in zip(columns, types) if t <= {int}]
                if not ints:
                    continue
                for a, t in zip(columns, types):
                    if t <= {str} and not enis.isdisjoint(map(a, rows)):
                        named = list(map(a, rows))
                        for b in ints:
                            claims.difference_update(zip(named, map(b, rows)))
                continue
        for row in rows:
            here = [v for v in row if type(v) is str and v in enis]
            if here:
                claims.difference_update((e, v) for v in row if type(v) is int for e in here)
    return not claims
