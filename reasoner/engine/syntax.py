"""Abstract syntax of rule programs: declarations, atoms, comparisons, terms, rules.

Plain frozen dataclasses; every node that a message may point at carries a ``Loc``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterator, Union


@dataclass(frozen=True)
class Loc:
    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Const:
    value: int | str


@dataclass(frozen=True)
class Wildcard:
    pass


@dataclass(frozen=True)
class BinOp:
    op: str
    left: "Term"
    right: "Term"


Term = Union[Var, Const, Wildcard, BinOp]


@dataclass(frozen=True)
class Atom:
    pred: str
    args: tuple[Term, ...]
    loc: Loc = field(compare=False)
    negated: bool = False


@dataclass(frozen=True)
class Comparison:
    op: str
    left: Term
    right: Term
    loc: Loc = field(compare=False)


Literal = Union[Atom, Comparison]


@dataclass(frozen=True)
class Rule:
    head: Atom
    body: tuple[Literal, ...]
    loc: Loc = field(compare=False)
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # @id, @severity, ...
    #: where each annotation is written (a diagnostic about one points at it, not at the rule's head)
    annotation_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_fact(self) -> bool:
        return not self.body


@dataclass(frozen=True)
class Decl:
    """``.decl name(col: type, ...) @code("...") @message("...")``."""

    name: str
    columns: tuple[tuple[str, str], ...]
    annotations: dict[str, str] = field(compare=False, hash=False)
    loc: Loc = field(compare=False)
    #: where each annotation is written (a diagnostic about one points at it, not at the ``.decl``)
    annotation_locs: dict[str, Loc] = field(default_factory=dict, compare=False, hash=False)

    @property
    def arity(self) -> int:
        return len(self.columns)


@dataclass
class Module:
    """The statements of one or more rule files, in source order."""

    decls: list[Decl] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    def extend(self, other: "Module") -> None:
        self.decls.extend(other.decls)
        self.rules.extend(other.rules)
        self.sources.update(other.sources)


def source_lines(text: str) -> list[str]:
    """The lines of a rule file as the parser counts them (a line ends at \\n, \\r\\n or \\r), so that a diagnostic's
    line number finds its text: ``str.splitlines`` also ends a line at a form feed, \\x1c-\\x1e, \\x85 or \\u2028,
    which the parser reads as blanks or as characters of a comment or a string."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines[:-1] if lines[-1] == "" else lines  # (a last line break ends the last line, as splitlines has it)


def subterms(term: Term) -> Iterator[Term]:
    """Yields ``term`` and every term inside it, left to right (pre-order, no recursion)."""
    stack = [term]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, BinOp):
            stack += [node.right, node.left]


def term_vars(term: Term) -> list[str]:
    """Gets the variable names in ``term``, in order."""
    return [t.name for t in subterms(term) if isinstance(t, Var)]


def literal_vars(lit: Literal) -> list[str]:
    if isinstance(lit, Atom):
        return [v for a in lit.args for v in term_vars(a)]
    return term_vars(lit.left) + term_vars(lit.right)


def show_term(term: Term) -> str:
    if isinstance(term, Var):
        return term.name
    if isinstance(term, Const):
        return json.dumps(term.value, ensure_ascii=False) if isinstance(term.value, str) else str(term.value)
    if isinstance(term, Wildcard):
        return "_"
    left, right = (f"({show_term(t)})" if isinstance(t, BinOp) else show_term(t) for t in (term.left, term.right))
    return f"{left} {term.op} {right}"


def show_literal(lit: Literal) -> str:
    if isinstance(lit, Atom):
        return ("!" if lit.negated else "") + f"{lit.pred}({', '.join(show_term(a) for a in lit.args)})"
    return f"{show_term(lit.left)} {lit.op} {show_term(lit.right)}"
