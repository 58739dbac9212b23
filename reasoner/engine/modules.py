"""Policy files as modules: each user rule file's own predicates are private to it.

Two policy files may each define a helper ``open_port`` and both add rules to ``violation``: each file is
first checked alone with the shipped rules (so its messages name its own predicates as written), then the
predicates it declares are renamed ``NAME#FILE`` (``#`` is never part of a name a user can write) and the
files are combined.  What stays shared: the shipped predicates (read-only) and ``OPEN_HEADS``
(``violation``, declared by rules/policy_relations.dl).  A file cannot read another file's helpers (its
own ``undeclared``).  Not handled: an explicit import of another file's predicates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Collection

from reasoner.engine.check import OPEN_HEADS, check
from reasoner.engine.syntax import Atom, Decl, Module, Rule
from reasoner.errors import RuleError


def check_each(module: Module, shipped: Collection[str], files: list[str]) -> None:
    """Checks every user file alone with the shipped rules; raises one RuleError with all their problems."""
    diags = []
    for name in files:
        keep = set(shipped) | {name}
        sub = Module(decls=[d for d in module.decls if d.loc.file in keep],
                     rules=[r for r in module.rules if r.loc.file in keep], sources=module.sources)
        try:
            check(sub, shipped=frozenset(shipped))
        except RuleError as err:
            diags += err.diagnostics
    if diags:
        raise RuleError(list(dict.fromkeys(diags)))


def namespaced(module: Module, shipped: Collection[str], files: list[str]) -> Module:
    """The module with each user file's own predicates renamed ``NAME#FILE`` (unique per file)."""
    tags, used = {}, set()
    for i, name in enumerate(files):
        stem = "".join(c if c.isalnum() or c == "_" else "_" for c in Path(name).stem) or "file"
        tag, n = stem, i
        while tag in used:  # (z/a.dl, z/a2.dl, w/a.dl: w's "a2" was z/a2.dl's tag, and their predicates one)
            tag, n = f"{stem}{n}", n + 1
        tags[name] = tag
        used.add(tag)
    own: dict[str, set[str]] = {f: set() for f in files}
    shipped_preds = {d.name for d in module.decls if d.loc.file in shipped}
    for d in module.decls:
        if d.loc.file in own and d.name not in OPEN_HEADS and d.name not in shipped_preds:
            own[d.loc.file].add(d.name)

    def rename(pred: str, file: str) -> str:
        return f"{pred}#{tags[file]}" if pred in own.get(file, ()) else pred

    def atom(a: Atom, file: str) -> Atom:
        return Atom(rename(a.pred, file), a.args, a.loc, a.negated)

    decls = [Decl(rename(d.name, d.loc.file), d.columns, d.annotations, d.loc) for d in module.decls
             if not (d.loc.file in own and d.name in OPEN_HEADS)]  # violation: the shipped declaration
    rules = [Rule(atom(r.head, r.loc.file), tuple(atom(l, r.loc.file) if isinstance(l, Atom) else l for l in r.body), r.loc, r.annotations)
             for r in module.rules]
    return Module(decls=decls, rules=rules, sources=module.sources)
