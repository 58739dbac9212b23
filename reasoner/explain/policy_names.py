"""Constants of policy rules that name nothing the snapshot holds.

A policy rule reading ``can_reach("eni-0tsak01", D, "tcp", Lo, Hi)`` (a typo of eni-0task01) matches no row, and
the policy passes whatever the estate does: a check that cannot fail. A query naming an unknown resource is an
error with the close matches; a policy rule is treated the same way, per rule, as an assertion is:

- **resource ids**: a string constant where a missing value makes the rule match nothing (a positive atom's
  argument, a side of ``=`` with a variable an atom binds) that reads as an AWS resource id (``eni-``, ``sg-``,
  ``subnet-``, ``vpc-``, ... or an ARN, any case: ``RESOURCE_ID``) and that no row of the snapshot holds, in any
  relation: the rule is an error (``reason verify`` exits 2, the other rules and assertions still run), with the
  close matches among the snapshot's ids of the same kind (case aside);
- **excluded ids**: the same in a negated atom or ``!=`` (``E != "eni-0bastion"``): the rule still matches, it only
  excludes nothing by it (an exemption for a resource not made yet): a warning;
- **ids listed in facts** of a policy file (``admin_sg("sg-0abc").``): a warning with the close matches, since a
  list shared by accounts holds other accounts' ids;
- **tag keys and values**: a constant at the key or value column of ``tag`` or ``eni_tag`` (rules/tags.dl) that
  no tag of the snapshot holds but that is close to one that some tag holds (``teir`` where ``tier`` is a key): a
  warning with the close matches. A tag absent from an estate is a state a policy may rightly find (the baseline
  pack's ``tier=db`` in an estate without databases), so only a likely misspelling is said, and never refused.

- **aliases** (``[aliases]`` of ``reason.toml``, which queries and assertions read in place of an id): a string
  constant anywhere in a rule's body or a policy's facts that is an alias and that no row of the snapshot holds is an
  error, the hint naming the id it stands for: policies are Datalog over ids, so ``can_reach("alb-eni", ...)``
  matched nothing and passed.

Not handled: tag keys reaching a column through a helper predicate of the policy file (``db("tier")`` with
``db(K) :- eni_tag(_, K, _)``), ids in message texts (the head's arguments are what a rule derives, not what it
matches), and names (``Name`` tags) in place of ids: policies match ids.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from reasoner.engine.syntax import Atom, Comparison, Const, Rule, Var

#: what reads as an AWS resource id: a known prefix, a dash, then letters, digits and dashes (the shipped example's
#: ``eni-0task01``, ``subnet-pub-a``), or an ARN
RESOURCE_ID = re.compile(r"^(?:(?:eni|sg|subnet|vpc|rtb|acl|igw|eigw|nat|pcx|tgw|tgw-attach|tgw-rtb|vpce|pl|i|"
                         r"eipalloc|vgw|cgw|vpn|dxgw|lt)-[0-9a-z][0-9a-z-]*|arn:aws[a-z-]*:.+)$", re.IGNORECASE)
#: the tag relations, with the columns of the key and of the value
TAG_COLUMNS = {"tag": (1, 2), "eni_tag": (1, 2)}


@dataclass(frozen=True)
class Absent:
    """A constant of a policy rule that names nothing the snapshot holds."""

    rule: str  # the rule's location (file:line:column), as PolicyRule.location
    where: str  # the constant's: its atom or comparison
    value: str
    kind: str  # "resource" or "alias" (an error) or "tag key" / "tag value" (a warning)
    matches: tuple[str, ...] = ()

    @property
    def error(self) -> bool:
        return self.kind in ("resource", "alias")

    def text(self) -> str:
        if self.kind == "alias":
            return (f"{self.where}: {self.value!r} is an alias of reason.toml, which policies do not read (they match "
                    f"ids): the rule matches no row there (write {self.matches[0]!r}, the id it stands for)")
        what = ("names no resource of the snapshot" if self.kind.endswith("resource") else
                f"is no {self.kind} of the snapshot's tags")
        hint = f" (did you mean {', '.join(repr(m) for m in self.matches)}?)" if self.matches else ""
        tail = {"resource": "", "listed resource": ": the fact names nothing here",
                "excluded resource": ": the rule excludes nothing by it"}.get(self.kind, ": the rule matches no row there")
        return f"{self.where}: {self.value!r} {what}{hint}{tail}"


def absent_names(rules: Iterable[Rule], policy_files: list[Path], relations: dict[str, list[tuple]],
                 aliases: dict[str, str] | None = None) -> list[Absent]:
    """The constants of the ``violation`` rules (and their files' helper rules) in ``policy_files`` that name
    nothing ``relations`` (the snapshot's rows) holds, in source order; ``aliases`` (``reason.toml``, name -> id):
    a constant that is one of them is an error naming its id."""
    aliases = aliases or {}
    files = {str(p) for p in policy_files}
    own = [r for r in rules if r.loc.file in files]
    found: list[tuple[Rule, str, str, str]] = []  # (rule, where, value, kind)
    for rule in own:
        if rule.is_fact:
            found.extend((rule, f"{rule.head.loc}", a.value, "listed resource") for a in rule.head.args
                         if isinstance(a, Const) and isinstance(a.value, str)
                         and (RESOURCE_ID.match(a.value) or a.value in aliases))
            continue
        found.extend(_constants(rule, aliases))
    if not found:
        return []
    held = _strings(relations)
    tags = relations.get("tag", [])
    keys = {str(r[1]) for r in tags}
    values = {str(r[2]) for r in tags}
    out: list[Absent] = []
    for rule, where, value, kind in found:
        if value in aliases and value not in held and not kind.startswith("tag"):
            out.append(Absent(str(rule.loc), where, value, "alias", (aliases[value],)))
            continue
        if not RESOURCE_ID.match(value) and not kind.startswith("tag"):
            continue  # (an alias the snapshot also holds as a value: not one)
        if kind.startswith("tag"):
            pool_set = keys if kind == "tag key" else values
            if value in pool_set:
                continue
            matches = _close(value, pool_set)
            if not matches:  # absent, and no misspelling of a tag the snapshot holds
                continue
        else:
            if value in held:
                continue
            prefix = "arn:" if value.lower().startswith("arn:") else value.split("-", 1)[0].lower() + "-"
            matches = _close(value, [v for v in held if v.lower().startswith(prefix)])
        out.append(Absent(str(rule.loc), where, value, kind, matches))
    return list(dict.fromkeys(out))


def _constants(rule: Rule, aliases: dict[str, str] | frozenset = frozenset()) -> list[tuple[Rule, str, str, str]]:
    """The text constants of ``rule``'s body worth looking up, each with its kind: where a missing value would make
    the rule match nothing (a positive atom, ``=``: "resource", or a tag key or value), or only match more (a
    negated atom, ``!=``: "excluded resource"; a tag there is not looked up). A comparison is read only for a
    variable a positive atom binds (a head's message is no id)."""
    out: list[tuple[Rule, str, str, str]] = []
    tag_vars: dict[str, str] = {}  # variable -> "tag key" / "tag value" (a positive atom's)
    bound: set[str] = set()  # variables a positive atom binds
    for lit in rule.body:
        if not isinstance(lit, Atom):
            continue
        cols = TAG_COLUMNS.get(lit.pred) if len(lit.args) == 3 else None
        for i, arg in enumerate(lit.args):
            tag = ("tag key" if i == cols[0] else "tag value" if i == cols[1] else None) if cols else None
            if isinstance(arg, Var) and not lit.negated:
                bound.add(arg.name)
                if tag:
                    tag_vars.setdefault(arg.name, tag)
            elif isinstance(arg, Const) and isinstance(arg.value, str):
                if tag:  # (a tag value may look like an id: "nat-instance")
                    if not lit.negated:
                        out.append((rule, f"{lit.loc}", arg.value, tag))
                elif RESOURCE_ID.match(arg.value) or arg.value in aliases:
                    out.append((rule, f"{lit.loc}", arg.value, "excluded resource" if lit.negated else "resource"))
    for lit in rule.body:
        if not isinstance(lit, Comparison) or lit.op not in ("=", "!="):
            continue
        for var, other in ((lit.left, lit.right), (lit.right, lit.left)):
            if not (isinstance(var, Var) and var.name in bound and isinstance(other, Const) and isinstance(other.value, str)):
                continue
            if var.name in tag_vars:
                if lit.op == "=":
                    out.append((rule, f"{lit.loc}", other.value, tag_vars[var.name]))
            elif RESOURCE_ID.match(other.value) or other.value in aliases:
                out.append((rule, f"{lit.loc}", other.value, "resource" if lit.op == "=" else "excluded resource"))
    return out


def _close(value: str, pool) -> tuple[str, ...]:
    """Up to three values of ``pool`` close to ``value``, case aside (AWS ids are lower case)."""
    by_lower: dict[str, str] = {}
    for v in sorted(pool):
        by_lower.setdefault(v.lower(), v)
    return tuple(by_lower[m] for m in difflib.get_close_matches(value.lower(), list(by_lower), n=3, cutoff=0.75))


def _strings(relations: dict[str, list[tuple]]) -> set[str]:
    """Every text value of the snapshot's rows."""
    held: set[str] = set()
    for rows in relations.values():
        for row in rows:
            held.update(v for v in row if isinstance(v, str))
    return held
