"""The symmetry classes of a snapshot, kept on disk between processes: the costly, pure part of a set question.

``symmetry.classes`` walks every row of the snapshot (about 0.45 s at 20k ENIs, several seconds at 100k) and its
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
        h.update(repr(relations[rel]).encode())
    h.update(repr(sorted(constants, key=lambda v: (type(v).__name__, v))).encode())
    h.update(repr(sorted(starts)).encode())
    return h.hexdigest()[:40]


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
    exactly (see the module doc); else None."""
    if not isinstance(doc, dict) or set(doc) != {"format", "version", "key", "members", "owned_columns", "numbers"}:
        return None
    if doc["format"] != FORMAT or doc["version"] != VERSION or doc["key"] != k:
        return None
    members, owned, numbers = doc["members"], doc["owned_columns"], doc["numbers"]
    enis = {r[0] for r in relations.get("eni", ())}
    if not isinstance(members, list) or not isinstance(owned, list) or not isinstance(numbers, dict):
        return None
    out = Classes()
    for cid, group in enumerate(members):
        if (not isinstance(group, list) or not group or not all(type(e) is str for e in group)
                or group != sorted(set(group))):
            return None
        out.members[cid] = group
        for e in group:
            if e in out.of or e not in enis:
                return None
            out.of[e] = cid
    if len(out.of) != len(enis):
        return None
    arity = {rel: len(rows[0]) for rel, rows in relations.items() if rows}
    cols = set()
    for c in owned:
        if (not isinstance(c, list) or len(c) != 2 or type(c[0]) is not str or type(c[1]) is not int
                or not 0 <= c[1] < arity.get(c[0], 0)):
            return None
        cols.add((c[0], c[1]))
    out.owned_columns = frozenset(cols)
    if set(numbers) != enis:
        return None
    mine: dict[str, set[int]] = {}  # each ENI's numbers: those of the rows naming it
    for rows in relations.values():
        for row in rows:
            named = [v for v in row if type(v) is str and v in enis]
            if named:
                ints = {v for v in row if type(v) is int}
                for e in named:
                    mine.setdefault(e, set()).update(ints)
    taken: set[int] = set()
    for e, ns in numbers.items():
        if not isinstance(ns, list) or not all(type(n) is int for n in ns) or not set(ns) <= mine.get(e, set()):
            return None
        if len(set(ns)) != len(ns) or not taken.isdisjoint(ns):
            return None
        taken.update(ns)
        out.numbers[e] = tuple(ns)
    for group in members:  # the bijection of a class maps its members' numbers position by position
        if len({len(out.numbers[e]) for e in group}) != 1:
            return None
    return out
