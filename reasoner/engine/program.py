"""A checked rule program evaluated by pyDatalog's compiled engine.

Rules are compiled straight to ``pyEngine`` clauses; no text ever goes through
``pyDatalog.load`` (which executes Python), so names and tags in facts can never become code.

Isolation: pyDatalog keeps one knowledge base per thread.  Each ``Program`` prefixes its
predicates with a unique namespace, so two programs in one process never see each other's
facts or rules.  Programs are not thread-safe.

Known engine limit (pyDatalog 0.22.4, measured): a right-recursive rule such as
``path(X,Y) :- edge(X,Z), path(Z,Y).`` queried with both arguments free over a *cyclic*
graph never terminates; left recursion (``path(X,Z), edge(Z,Y)``) terminates.  The AWS rules
are non-recursive.
"""

from __future__ import annotations

import gc
import itertools
import weakref
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from pyDatalog import Logic, pyEngine as E  # the compiled engine (see tests/engine/test_program.py)
from pyDatalog.util import DatalogError

from reasoner.errors import Diagnostic, EvaluationError, RuleError
from reasoner.engine import disk_cache, parse_cache
from reasoner.engine.check import Checked, bound_order, check, trusted
from reasoner.engine.parse import parse_files, parse_text, read_texts
from reasoner.engine.protocols import with_numbers
from reasoner.engine.ranges import with_containment
from reasoner.engine.resolved import Rows
from reasoner.engine.syntax import Atom, BinOp, Comparison, Const, Decl, Module, Rule, Var, Wildcard, subterms
from reasoner.engine.typecheck import fold

_ids = itertools.count(1)
_OPS = {"=": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_ARITH = {"+": "+", "-": "-", "*": "*", "/": "//", "%": "%"}

if not hasattr(Logic.tl if hasattr(Logic, "tl") else object(), "logic"):
    Logic()


def _ensure_logic() -> None:
    try:
        E.Logic.tl.logic  # noqa: B018 - probe the thread-local knowledge base
    except AttributeError:
        Logic()


#: rows from which a flush of ``add_facts`` rows is frozen out of the garbage collector's walks (a snapshot)
FREEZE_ROWS = 10_000


@dataclass
class Program:
    """Rules + facts, evaluated on demand (top-down) by pyDatalog."""

    checked: Checked
    ns: str = field(default_factory=lambda: f"r{next(_ids)}__")
    sources: dict[tuple, str] = field(default_factory=dict)  # fact -> where it came from

    def __post_init__(self) -> None:
        _ensure_logic()
        self._fresh = itertools.count()
        self._aux: list[Rule] = []
        self._divzero: dict[str, list[tuple[str, Rule]]] = {}  # head -> (detector, rule) for variable divisors
        self._below: dict[str, set[str]] = {}
        self.rules_by_head: dict[str, list[Rule]] = {}
        self._pending: dict[str, list[list[tuple]]] = {}  # add_facts rows not yet given to pyDatalog, by predicate (_flush)
        #: relations answered by a resolver (reasoner/engine/resolved.py), and those whose rows pyDatalog holds as
        #: asserted facts: a relation's rows are all in one of the two places (``_flush``)
        self._resolved: dict[str, Rows] = {}
        self._asserted: set[str] = set()
        for rule in self.checked.module.rules:
            if rule.is_fact:
                self.add_fact(rule.head.pred, tuple(a.value for a in rule.head.args), source=str(rule.loc))
            else:
                self.rules_by_head.setdefault(rule.head.pred, []).append(rule)
                E.assert_(self._compile(rule))
        # pyDatalog raises on a predicate it has never seen; make every declared one known (empty).
        for name, decl in self.decls.items():
            if name not in self.rules_by_head:
                sentinel = E.Clause(E.Literal(self._name(name), [E.Const(f"\0{name}") for _ in range(decl.arity)]), [])
                E.assert_(sentinel)
                E.retract(sentinel)
        self._tmp = itertools.count()

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str, file: str = "<text>", strict: bool = True) -> "Program":
        return cls(check(parse_text(text, file), strict=strict))

    @classmethod
    def from_files(cls, paths: Iterable[Path], strict: bool = True) -> "Program":
        return cls(check(parse_files(list(paths)), strict=strict))

    @property
    def decls(self) -> dict[str, Decl]:
        return self.checked.decls

    def _name(self, pred: str) -> str:
        return self.ns + pred

    def _term(self, t, env: dict) -> Any:
        if isinstance(t, Var):
            return E.Var(t.name)
        if isinstance(t, Const):
            return E.Const(t.value)
        if isinstance(t, Wildcard):
            return E.Var(f"#W{next(self._fresh)}")  # "#": never a user's name
        done: dict[int, Any] = {}
        stack: list[tuple[Any, bool]] = [(t, False)]
        while stack:  # post-order without recursion
            node, ready = stack.pop()
            if isinstance(node, BinOp) and not ready:
                stack += [(node, True), (node.right, False), (node.left, False)]
            elif isinstance(node, BinOp):
                done[id(node)] = E.Operation(done[id(node.left)], _ARITH[node.op], done[id(node.right)])
            else:
                done[id(node)] = self._term(node, env)
        return done[id(t)]

    def order(self, rule: Rule) -> list:
        """The body in evaluation order (see ``check.bound_order``)."""
        return bound_order(rule, self.checked.recursive_with(rule.head.pred))[0]

    def _guard(self, terms: Iterable[Any], body: list, rule: Rule, detect: bool) -> None:
        """Before a literal that divides by a variable expression D, adds ``D != 0`` to the body, so
        pyDatalog never computes ``x // 0`` (it would store the ZeroDivisionError as a value).  With
        ``detect``, also asserts a detector clause ``#divzero_k() :- <body so far>, D == 0`` that
        ``query`` asks afterwards, to report the division by zero with the rule's location."""
        for term in terms:
            for node in reversed([n for n in subterms(term) if isinstance(n, BinOp)]):  # inner ones first
                if node.op not in "/%" or fold(node.right) is not None:
                    continue  # a constant divisor is never zero (check refuses a zero one)
                divisor = self._term(node.right, {})
                if detect:
                    name = f"#divzero{next(self._fresh)}"
                    E.assert_(E.Clause(E.Literal(self._name(name), []), [*body, E.Literal("==", [divisor, E.Const(0)])]))
                    self._divzero.setdefault(rule.head.pred, []).append((name, rule))
                body.append(E.Literal("!=", [divisor, E.Const(0)]))

    def _compile(self, rule: Rule, detect: bool = True) -> Any:
        ordered = self.order(rule)
        body: list = []
        bound: set[str] = set()
        for lit in ordered:
            self._guard([lit.left, lit.right] if isinstance(lit, Comparison) else lit.args, body, rule, detect)
            if isinstance(lit, Comparison):
                op = _OPS[lit.op]
                left, right = lit.left, lit.right
                if op == "==" and isinstance(right, Var) and right.name not in bound:
                    left, right = right, left
                body.append(E.Literal(op, [self._term(left, {}), self._term(right, {})]))
                if op == "==" and isinstance(left, Var):
                    bound.add(left.name)
                continue
            args = []
            for a in lit.args:
                if isinstance(a, BinOp):
                    v = E.Var(f"#X{next(self._fresh)}")
                    body.append(E.Literal("==", [v, self._term(a, {})]))
                    args.append(v)
                else:
                    args.append(self._term(a, {}))
            if lit.negated:
                if any(isinstance(a, Wildcard) for a in lit.args):
                    lit = self._project(lit)
                    args = [self._term(a, {}) for a in lit.args]
                body.append(E.Literal("~" + self._name(lit.pred), args))
            else:
                body.append(E.Literal(self._name(lit.pred), args))
                bound.update(a.name for a in lit.args if isinstance(a, Var))
        head_args = []
        self._guard(rule.head.args, body, rule, detect)
        for a in rule.head.args:
            if isinstance(a, (BinOp, Const)) and not (isinstance(a, Const)):
                v = E.Var(f"#H{next(self._fresh)}")
                body.append(E.Literal("==", [v, self._term(a, {})]))
                head_args.append(v)
            else:
                head_args.append(self._term(a, {}))
        return E.Clause(E.Literal(self._name(rule.head.pred), head_args), body)

    def _project(self, lit: Atom) -> Atom:
        """``!p(X, _)`` means "no p(X, anything)": compile via an auxiliary projection
        (pyDatalog silently fails a negation with an unbound variable)."""
        keep = [a for a in lit.args if not isinstance(a, Wildcard)]
        aux = f"{lit.pred}#proj{next(self._fresh)}"
        # head arguments: the kept columns, renamed positionally
        names, k = [], 0
        body_args = []
        for a in lit.args:
            if isinstance(a, Wildcard):
                body_args.append(Var(f"#P{len(body_args)}"))
            else:
                body_args.append(Var(f"#K{k}"))
                names.append(Var(f"#K{k}"))
                k += 1
        rule = Rule(Atom(aux, tuple(names), lit.loc), (Atom(lit.pred, tuple(body_args), lit.loc),), lit.loc)
        E.assert_(self._compile(rule))
        self._aux.append(rule)
        return Atom(aux, tuple(keep), lit.loc, negated=True)

    # -- facts ----------------------------------------------------------------------------
    def add_fact(self, pred: str, row: tuple, source: str | None = None) -> None:
        self._flush({pred})
        if pred in self._resolved:
            self._resolved[pred].add([row])
        else:
            self._asserted.add(pred)
            E.assert_(E.Clause(E.Literal(self._name(pred), [E.Const(v) for v in row]), []))
        if source:
            self.sources[(pred, row)] = source

    def add_facts(self, pred: str, rows: Iterable[tuple], source: str | None = None) -> int:
        """Adds ``rows`` to ``pred``; returns how many.  They reach pyDatalog when it is first asked something
        (``_flush``): a question the set engine answers alone (``reason recheck``, the audits) never pays for
        them.  (Asserted, 97,000 rows took about 0.6 s at 20k ENIs; a snapshot relation now goes to a resolver,
        which costs next to nothing up front.)"""
        rows = list(rows)  # a copy: rows may wait here long (_flush), and the caller keeps its list
        self._pending.setdefault(pred, []).append(rows)
        if source:
            self.sources[(pred, "*")] = source
        return len(rows)

    def _flush(self, preds: set[str] | None = None) -> None:
        """Gives the rows ``add_facts`` kept to pyDatalog: those of ``preds`` (all when None).

        A relation no rule defines and whose rows were never asserted one by one (``add_fact``: a rule file's
        facts, a packet) is answered by a resolver over its rows (reasoner/engine/resolved.py): nothing is asserted,
        and pyDatalog looks up only the rows a question reaches.  At 20k ENIs a set question's witness reads about
        80,000 rows of ``eni``, ``eni_sg`` and ``eni_ip``; asserting them took 0.29 s.  Any other relation's rows
        are asserted, bulk, through the engine's clause API, with the GC paused (17x faster than assert_fact).

        A question gives pyDatalog only the rows of the predicates it reads (``_ask``: ``_depends``), which is
        sound because pyDatalog keeps nothing between asks (each ``ask`` starts fresh subgoal tables, and facts
        take effect on the next ask: ../shared/reference/pydatalog-notes.md), and an answer depends only on the
        rows of the predicates its rules read."""
        if not self._pending:
            return
        if preds is None:
            pending, self._pending = self._pending, {}
        else:
            pending = {p: self._pending.pop(p) for p in preds if p in self._pending}
            if not pending:
                return
        assert_ = {}
        for pred, chunks in pending.items():
            if pred not in self._resolved and (pred in self._asserted or pred in self.rules_by_head or pred not in self.decls):
                assert_[pred] = chunks
                continue
            rows = self._resolved.get(pred)
            if rows is None:
                rows = self._resolved[pred] = Rows(self.decls[pred].arity)
                key = f"{self._name(pred)}/{rows.arity}"
                E.Python_resolvers[key] = rows
                weakref.finalize(self, E.Python_resolvers.pop, key, None)  # the table is global: not kept past us
            for chunk in chunks:
                rows.add(chunk)
        if not assert_:
            return
        big = sum(len(rows) for chunks in assert_.values() for rows in chunks) >= FREEZE_ROWS
        A, Cl, Lit, C = E.assert_, E.Clause, E.Literal, E.Const
        enabled = gc.isenabled()
        gc.disable()
        try:
            for pred, chunks in assert_.items():
                self._asserted.add(pred)
                name = self._name(pred)
                for rows in chunks:
                    for row in rows:
                        A(Cl(Lit(name, [C(v) for v in row]), []))
            if big:
                gc.freeze()
        finally:
            if enabled:
                gc.enable()

    def retract_fact(self, pred: str, row: tuple) -> None:
        self._flush({pred})  # a row still pending is retracted too
        if pred in self._resolved:
            self._resolved[pred].remove(row)
        else:
            E.retract(E.Clause(E.Literal(self._name(pred), [E.Const(v) for v in row]), []))

    # -- questions ----------------------------------------------------------------------
    def query(self, pred: str, pattern: tuple) -> list[tuple]:
        """Gets the tuples of ``pred`` matching ``pattern`` (None = free), sorted."""
        if pred not in self.decls:
            raise EvaluationError("engine.unknown_predicate", f"unknown predicate '{pred}'")
        if len(pattern) != self.decls[pred].arity:
            raise EvaluationError("engine.arity", f"'{pred}' takes {self.decls[pred].arity} arguments, got {len(pattern)}")
        terms = [E.Var(f"Q{i}") if v is None else E.Const(v) for i, v in enumerate(pattern)]
        enabled = gc.isenabled()
        gc.disable()
        try:
            result = self._ask(E.Literal(self._name(pred), terms), [pred])
        finally:
            if enabled:
                gc.enable()
        if result is True:
            return [tuple(pattern)]
        return sorted(set(result or ()), key=_sort_key)

    def _ask(self, literal: Any, preds: list[str]) -> Any:
        """Asks the engine; a failure inside it (a division by zero, a comparison of a symbol with a number
        in an untyped program) becomes an EvaluationError naming the rule, never a Python exception or an
        exception object returned as a value (which is what pyDatalog does with a failed operation).
        ``preds``: every predicate the literal reads directly (their rows, and those of what they read, are
        flushed first)."""
        self._flush(set().union(*(self._depends(p) for p in preds)))
        try:
            result = literal.ask()
        except (ArithmeticError, TypeError, ValueError, DatalogError) as err:  # DatalogError: a safety net, check prevents it
            raise EvaluationError("engine.evaluation", f"evaluating {', '.join(preds)} failed: {type(err).__name__}: {err}",
                                  hint="a comparison or arithmetic on values of different types, in a rule this "
                                       "program reads; declare the columns' types so that check finds it") from None
        bad = [v for row in (result if isinstance(result, list) else ()) for v in row if isinstance(v, BaseException)]
        read = set().union(*(self._depends(p) for p in preds)) if self._divzero else set()
        for name, rule in (d for p in sorted(read) for d in self._divzero.get(p, ())):
            if E.Literal(self._name(name), []).ask():
                raise EvaluationError("engine.division_by_zero", f"division by zero in the rule for '{rule.head.pred}'",
                                      location=str(rule.loc), hint="guard the divisor in the rule, e.g.  Y != 0")
        if bad:
            raise EvaluationError("engine.evaluation", f"evaluating {', '.join(preds)} failed: {type(bad[0]).__name__}: {bad[0]}")
        return result

    def _depends(self, pred: str) -> set[str]:
        """The predicates ``pred`` reads, itself included (cached)."""
        if pred not in self._below:
            seen, stack = {pred}, [pred]
            while stack:
                for m in self.checked.edges.get(stack.pop(), ()):
                    if m not in seen:
                        seen.add(m)
                        stack.append(m)
            self._below[pred] = seen
        return self._below[pred]

    def holds(self, pred: str, row: tuple) -> bool:
        return bool(self.query(pred, row))

    def solve(self, literals: list, env: dict[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
        """Gets the bindings that satisfy a conjunction (in the given order) under ``env``."""
        if not literals:
            return [dict(env)]
        names = sorted({v for l in literals for v in _vars_of(l)} - set(env))
        subst = {k: Const(v) for k, v in env.items()}
        body = tuple(_substitute(l, subst) for l in literals)
        head = Atom(f"#q{next(self._tmp)}", tuple(Var(n) for n in names), literals[0].loc)
        rule = Rule(head, body, head.loc)
        clause = self._compile(rule, detect=False)
        read = [l.pred for l in literals if isinstance(l, Atom)]
        E.assert_(clause)
        try:
            if not names:
                res = self._ask(E.Literal(self._name(head.pred), []), read)
                rows = [()] if res else []
            else:
                rows = self._ask(E.Literal(self._name(head.pred), [E.Var(f"Q{i}") for i in range(len(names))]), read) or []
        finally:
            E.retract(clause)
        out = [dict(env, **dict(zip(names, r))) for r in sorted(set(rows), key=_sort_key)]
        return out[:limit] if limit else out


def _sort_key(row: tuple) -> tuple:
    return tuple((0, v, "") if isinstance(v, int) else (1, 0, str(v)) for v in row)


def _vars_of(lit) -> list[str]:
    from reasoner.engine.syntax import literal_vars

    return literal_vars(lit)


def _substitute(lit, subst: dict):
    def t(x):
        if isinstance(x, Var) and x.name in subst:
            return subst[x.name]
        if isinstance(x, BinOp):
            return BinOp(x.op, t(x.left), t(x.right))
        return x

    if isinstance(lit, Atom):
        return Atom(lit.pred, tuple(t(a) for a in lit.args), lit.loc, lit.negated)
    return Comparison(lit.op, t(lit.left), t(lit.right), lit.loc)


def load_rules(extra: Iterable[Path] = (), cache: bool = True) -> Checked:
    """Parses and checks the shipped rules with extra (user) rule files, which may read the shipped
    predicates but not declare or extend them (``redefines_shipped``).  Shipped files are named
    ``rules/NAME.dl``; a user file that would be named the same is named by its full path instead,
    and a shipped file given again counts once."""
    shipped, names = bundled_names()
    own = {p.resolve() for p in shipped}
    users = [p for p in extra if p.resolve() not in own]
    user_names = [str(p.resolve()) if str(p) in names else str(p) for p in users]
    if not users and cache and disk_cache.cache_dir() is not None:
        # the shipped rules alone, as their shipped parse was checked by this code when it was written
        # (reasoner/engine/parse_cache.py check_stamp): not checked again (REASON_NO_CACHE, recheck: checked)
        checked = parse_cache.shipped(read_texts(shipped, names), checked=True)
        if checked is not None:
            return trusted(with_numbers(checked, names))
    module = parse_files(shipped, names, cache=cache)  # (parsed apart: the shipped parse answers for them)
    if users:
        try:
            module.extend(parse_files(users, user_names, cache=cache))
        except UnicodeDecodeError:
            raise RuleError([d for p, n in zip(users, user_names) for d in _not_utf8(p, n)]) from None
    module = with_numbers(module, names)  # "tcp" where a shipped protocol column holds "6" (reasoner/engine/protocols.py)
    module = with_containment(module, names)  # exposed(E, "6", 22, 22): port 22 is reached (reasoner/engine/ranges.py)
    if len(users) > 1:  # each policy file is a module: its helpers are private to it (reasoner/engine/modules.py)
        from reasoner.engine.modules import check_each, namespaced

        check_each(module, names, user_names)
        module = namespaced(module, names, user_names)
    return check(module, shipped=frozenset(names))


def shipped_only(checked: Checked) -> Checked:
    """The shipped rules of ``checked`` alone, its user (policy) files' declarations and rules left out: what the set
    engine evaluates.  No shipped rule reads a user's predicate (the shipped files pass ``check`` alone, and a user file
    may not declare or extend a shipped predicate: ``redefines_shipped``; ``violation`` and ``undecided``, which user
    files extend, no shipped rule reads), so every shipped predicate has the same rows; a policy's constants (a number
    below 0 beside IPv6 addresses: reasoner/engine/sql.py ``number_type``) then never reach the SQL program.  The
    policies themselves are run by pyDatalog over what the set engine computes (reasoner/explain/policy_facts.py)."""
    names = set(bundled_names()[1])
    module = checked.module
    if all(d.loc.file in names for d in module.decls) and all(r.head.loc.file in names for r in module.rules):
        return checked
    return trusted(Module([d for d in module.decls if d.loc.file in names],
                          [r for r in module.rules if r.head.loc.file in names],
                          {k: v for k, v in module.sources.items() if k in names}))


def _not_utf8(path: Path, name: str) -> list[Diagnostic]:
    """A located error for a rule file that is not UTF-8 text, or is no regular file (a named pipe is never waited
    on: reasoner/files.py); none when it is UTF-8 text."""
    from reasoner.engine.parse import MAX_RULE_BYTES
    from reasoner.files import NotRegularFile, read_regular

    try:
        data = read_regular(path, MAX_RULE_BYTES + 1)
        data.decode("utf-8")
        return []
    except NotRegularFile as err:
        return [Diagnostic(name, 0, 0, "io", f"cannot read rule file: {err.what}")]
    except OSError:
        return []
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        return [Diagnostic(name, line, column, "io", f"rule file is not UTF-8 text (byte 0x{data[err.start]:02x})",
                           hint="save the file as UTF-8")]


def bundled_names() -> tuple[list[Path], list[str]]:
    """The shipped rule files and the names diagnostics give them (``rules/NAME.dl``)."""
    shipped = bundled_rules()
    return shipped, [f"rules/{p.name}" for p in shipped]


def bundled_rules() -> list[Path]:
    """The rule files shipped in ``rules/`` (package data), in name order."""
    root = resources.files("reasoner.rules")
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".dl"))
