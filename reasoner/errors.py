"""The error tree of `reason`.

Every error is data: a stable ``code``, a ``message``, an optional ``location``
(``file:line:col`` or ``file:$.json.path``) and an optional ``hint``.  Library code
raises these; only ``reasoner.cli`` turns them into messages and exit codes (2).

    ReasonError
    ├── RuleError        rule files: syntax, declarations, safety, strata (carries a list of Diagnostics)
    ├── FactsError       snapshots: malformed JSON, missing fields, unknown folder
    ├── QueryError       query text and names (unknown name with close matches)
    │   └── AssertionFileError  every error of the assertion files read, together
    └── EvaluationError  the engine refused or failed a question
"""

from __future__ import annotations

from dataclasses import dataclass, field


class ReasonError(Exception):
    """Root of all errors `reason` reports to a user."""

    def __init__(self, code: str, message: str, location: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint

    def render(self) -> str:
        """One block of text: ``location: error[code]: message`` then the hint."""
        head = f"{self.location}: " if self.location else ""
        text = f"{head}error[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem found in a rule file, with enough to draw a caret under it."""

    file: str
    line: int
    column: int
    code: str
    message: str
    source_line: str = field(default="", compare=False)
    hint: str | None = field(default=None, compare=False)

    def render(self) -> str:
        text = f"{self.file}:{self.line}:{self.column}: error[{self.code}]: {self.message}"
        if self.source_line:  # shown with its control characters escaped (\\x1b): the caret counts what is shown
            from reasoner.terminal import plain

            before = plain(self.source_line[: max(self.column - 1, 0)])
            text += f"\n    {plain(self.source_line)}\n    {' ' * len(before)}^"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class RuleError(ReasonError):
    """A rule program was rejected; ``diagnostics`` holds every problem found, sorted."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics)
        first = self.diagnostics[0]
        super().__init__(first.code, "\n".join(d.render() for d in self.diagnostics))

    def render(self) -> str:
        n = len(self.diagnostics)
        return self.message + f"\n{n} error{'s' if n != 1 else ''} in rule files; nothing was loaded."


class FactsError(ReasonError):
    """A snapshot could not be read or imported."""


class QueryError(ReasonError):
    """A query could not be parsed or one of its names is unknown."""


class AssertionFileError(QueryError):
    """Every error of one or more assertion files (each line is an assertion of its own, parsed apart), reported
    together: a user with three broken lines sees all three in one run.  The first error's code, message, location
    and hint are this error's own; ``errors`` holds each as a QueryError (rendered as it always was) and
    ``diagnostics`` as data (file, line, column, code, message, hint: ``--format json``)."""

    def __init__(self, errors: list[QueryError], diagnostics: list[Diagnostic]) -> None:
        first = errors[0]
        super().__init__(first.code, first.message, first.location, first.hint)
        self.errors = list(errors)
        self.diagnostics = list(diagnostics)

    @classmethod
    def merge(cls, parts: list["AssertionFileError"]) -> "AssertionFileError":
        return cls([e for p in parts for e in p.errors], [d for p in parts for d in p.diagnostics])

    def render(self) -> str:
        if len(self.errors) == 1:
            return self.errors[0].render()
        return "\n".join(e.render() for e in self.errors) + f"\n{len(self.errors)} errors in assertion files; nothing was run."


class EvaluationError(ReasonError):
    """The engine could not answer."""
