"""Adapter for the ``datalog-conformance`` suite (PyPI): ``reasoner.engine.conformance.Evaluator``.

    pytest --pyargs datalog_conformance --datalog-evaluator=reasoner.engine.conformance.Evaluator \\
           --datalog-tags=basic

The suite gives rules as text and facts as data.  Rules are parsed by our grammar (a missing final
'.' is added, as the suite's Crepe/Nemo sources omit it); facts become fact clauses built as
syntax trees (never text); declarations are inferred (relaxed mode).  Our stable error codes are
mapped to the names the suite expects; the table below is the whole mapping.
"""

from __future__ import annotations

import json

from datalog_conformance.schema import Model, Program as SuiteProgram

from reasoner.engine.check import check
from reasoner.engine.parse import parse_text
from reasoner.engine.program import Program
from reasoner.engine.syntax import Atom, Const, Loc, Module, Rule
from reasoner.errors import RuleError


class SafetyViolationError(Exception):
    """Raised for our safety codes; ``code`` is ours (unbound_variable, unsafe_negation, safety_violations)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ConformanceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_MODELS: dict[str, dict[str, set]] = {}
_SAFETY = {"unbound_variable", "unsafe_negation", "safety_violations"}


class Evaluator:
    """Evaluates a suite program with our parser, checks and pyDatalog."""

    def evaluate(self, program: SuiteProgram) -> Model:
        # The suite asks the same program once per output relation (lubm: 20 times); the model
        # of a program is a function of its rules and facts, so it is computed once.
        key = json.dumps([program.rules, {k: [list(r) for r in v] for k, v in sorted(program.facts.items())}], default=str)
        if key not in _MODELS:
            _MODELS[key] = self._evaluate(program)
        return Model(facts={k: set(v) for k, v in _MODELS[key].items()})

    def _evaluate(self, program: SuiteProgram) -> dict[str, set]:
        module = Module()
        for i, text in enumerate(program.rules):
            text = text.strip()
            if not text.endswith("."):
                text += "."
            try:
                module.extend(parse_text(text, f"rule[{i}]"))
            except RuleError as err:
                raise ConformanceError(err.code, err.render()) from None
        for pred, rows in program.facts.items():
            for j, row in enumerate(rows):
                loc = Loc(f"facts.{pred}", j + 1, 1)
                module.rules.append(Rule(Atom(pred, tuple(Const(_scalar(v)) for v in row), loc), (), loc))
        try:
            prog = Program(check(module, strict=False))
        except RuleError as err:
            cls = SafetyViolationError if err.code in _SAFETY else ConformanceError
            raise cls(err.code, err.render()) from None
        facts = {}
        for pred, decl in prog.decls.items():
            facts[pred] = set(prog.query(pred, (None,) * decl.arity))
        return facts


def _scalar(v: object) -> int | str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, str)):
        return v
    return str(v)
