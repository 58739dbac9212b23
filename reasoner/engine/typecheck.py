"""Static types of comparisons and arithmetic, from the declared column types.

A rule that passes ``reason check`` must not fail or compute garbage at run time.  Checked here,
per rule, with the types of variables taken from the columns they occupy and carried through
``X = expr`` bindings:

- ``type_mismatch``: arithmetic (``+ - * / %``) on a symbol; a comparison between a symbol and a
  number (``N < 5`` on a symbol column, ``S = 1``); an expression in a symbol column; a head
  variable bound by ``=`` to a value of the other type than its column;
- ``expression_in_fact``: a fact holds values, not expressions (``e(1 + 1).``);
- ``division_by_zero``: a divisor that is the constant zero (``X / 0``, ``X % (2 - 2)``).

A divisor that is zero only at run time is handled by the engine (``program``): an
EvaluationError naming the rule.  Columns of inferred (relaxed-mode) declarations have no type
and are not checked.
"""

from __future__ import annotations

from typing import Callable

from reasoner.engine.syntax import Atom, BinOp, Comparison, Const, Decl, Loc, Module, Rule, Term, Var, subterms

_HINTS = {
    "arith": "arithmetic applies to number columns only; compare symbols with = or !=",
    "compare": "compare a symbol with a \"quoted\" symbol, and a number with a number",
}

_APPLY: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a // b, "%": lambda a, b: a % b,  # the engine's integer division
}

Report = Callable[[Loc, str, str, "str | None"], None]


def fold(term: Term) -> int | None:
    """The value of a constant integer expression (None when it holds a variable or a symbol, or
    divides by zero).  Post-order on an explicit stack, so any depth works."""
    values: dict[int, int | None] = {}
    stack: list[tuple[Term, bool]] = [(term, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, BinOp) and not done:
            stack += [(node, True), (node.right, False), (node.left, False)]
            continue
        if isinstance(node, BinOp):
            a, b = values[id(node.left)], values[id(node.right)]
            if a is None or b is None or (node.op in "/%" and b == 0):
                values[id(node)] = None
            else:
                big = max(abs(a), abs(b)) > 10**1000  # not worth folding (and no huge products)
                values[id(node)] = None if big else _APPLY[node.op](a, b)
        else:
            values[id(node)] = node.value if isinstance(node, Const) and isinstance(node.value, int) else None
    return values[id(term)]


def check_types(module: Module, decls: dict[str, Decl], report: Report) -> None:
    """Reports every type problem of ``module`` through ``report(loc, code, message, hint)``."""
    for rule in module.rules:
        if rule.is_fact:
            if any(isinstance(a, BinOp) for a in rule.head.args):
                report(rule.head.loc, "expression_in_fact", f"a fact of '{rule.head.pred}' holds an expression",
                       "a fact holds values: write the result, or compute it in a rule with  X = expr")
            continue
        _check_rule(rule, decls, report)


#: the column types a value is checked against (``any`` columns take either)
_TYPED = ("number", "symbol")


def _check_rule(rule: Rule, decls: dict[str, Decl], report: Report) -> None:
    types: dict[str, tuple[str, str]] = {}  # variable -> (type, where it got it)
    atoms = [*(l for l in rule.body if isinstance(l, Atom)), rule.head]  # where the body binds it, first
    columns = [(atom, _columns(atom, decls)) for atom in atoms]
    for atom, cols in columns:  # a variable used at columns of two types is reported by check
        for (col, typ), arg in zip(cols, atom.args):
            if typ in _TYPED and isinstance(arg, Var) and arg.name not in types:
                types[arg.name] = (typ, f"{atom.pred}.{col}")
    from_columns = set(types)
    comparisons = [l for l in rule.body if isinstance(l, Comparison)]
    changed = True
    while changed:  # X = expr gives X the type of expr (either side)
        changed = False
        for c in comparisons:
            for var, other in ((c.left, c.right), (c.right, c.left)):
                if c.op == "=" and isinstance(var, Var) and var.name not in types:
                    t = _type_of(other, types)
                    if t:
                        types[var.name] = (t, f"'=' at {c.loc.line}:{c.loc.column}")
                        changed = True

    def arith(term: Term, loc: Loc) -> None:
        if not isinstance(term, BinOp):  # (a variable or a constant holds no arithmetic)
            return
        for node in subterms(term):
            if not isinstance(node, BinOp):
                continue
            for side in (node.left, node.right):
                if _type_of(side, types) == "symbol":
                    report(loc, "type_mismatch", f"arithmetic '{node.op}' on a symbol: {_show(side, types)}", _HINTS["arith"])
            if node.op in "/%" and fold(node.right) == 0:
                report(loc, "division_by_zero", f"'{node.op}' by a divisor that is always zero", "divide by a non-zero number")

    for lit in comparisons:
        arith(lit.left, lit.loc)
        arith(lit.right, lit.loc)
        lt, rt = _type_of(lit.left, types), _type_of(lit.right, types)
        if lt and rt and lt != rt:
            report(lit.loc, "type_mismatch", f"'{lit.op}' compares a {lt} ({_show(lit.left, types)}) with a {rt} "
                   f"({_show(lit.right, types)})", _HINTS["compare"])
    for atom, cols in columns:
        for (col, typ), arg in zip(cols, atom.args):
            arith(arg, atom.loc)
            if typ not in _TYPED:
                continue
            t = _type_of(arg, types)
            if t and t != typ and not isinstance(arg, Const) and not (isinstance(arg, Var) and arg.name in from_columns):
                report(atom.loc, "type_mismatch", f"column '{col}' of '{atom.pred}' is a {typ}, got a {t} ({_show(arg, types)})",
                       _HINTS["compare"] if typ == "symbol" else None)
        if len(cols) != len(atom.args):
            for arg in atom.args:
                arith(arg, atom.loc)


def _columns(atom: Atom, decls: dict[str, Decl]) -> tuple[tuple[str, str], ...]:
    d = decls.get(atom.pred)
    return d.columns if d is not None and d.arity == len(atom.args) else ()


def _type_of(term: Term, types: dict[str, tuple[str, str]]) -> str | None:
    if isinstance(term, Const):
        return "number" if isinstance(term.value, int) else "symbol"
    if isinstance(term, Var):
        return types[term.name][0] if term.name in types else None
    if isinstance(term, BinOp):
        return "number"
    return None


def _show(term: Term, types: dict[str, tuple[str, str]]) -> str:
    if isinstance(term, Var) and term.name in types:
        return f"{term.name}, from {types[term.name][1]}"
    if isinstance(term, Const):
        return repr(term.value)
    return "an expression" if isinstance(term, BinOp) else "_"
