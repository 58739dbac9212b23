"""The outcome of ``reason verify`` as data: one check per assertion and one per policy rule.

The CLI builds a :class:`VerifyReport`; the SARIF and JUnit renderers (sarif.py, junit.py) read it.
Statuses: ``pass``; ``fail`` (the assertion does not hold, or the policy rule derives a violation);
``inconclusive`` (the answer depends on what the snapshot lacks: never a pass); ``error`` (a name in the
assertion is unknown, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoner.explain import wording
from reasoner.errors import ReasonError
from reasoner.explain.paths import INTERNET, Result
from reasoner.query.language import Assertion


def source_path(file: str) -> tuple[str, bool]:
    """A check's file as SARIF names it, and whether that is relative: relative to the working directory (POSIX
    separators) when the file is below it, else absolute.  Two files of one name in different folders stay apart
    (a rule id of the name alone made two ``a.reason`` one rule, sharing fingerprints), and the same file gets the
    same path on every run from the same folder, however it was written on the command line (``./q/a.reason``)."""
    p = Path(file).resolve()
    try:
        return p.relative_to(Path.cwd().resolve()).as_posix(), True
    except ValueError:
        return p.as_posix(), False


def holds(expect: str, verdict: str | None) -> bool:
    """Whether an assertion expecting ``expect`` ("reachable" or "unreachable") holds with ``verdict``: the one
    decision of ``reason verify`` (``AssertionCheck.status``) and ``reason recheck`` (proof.py).  An inconclusive
    verdict never holds."""
    return verdict in ("reachable", "unreachable") and verdict == expect


@dataclass
class AssertionCheck:
    assertion: Assertion
    result: Result | None
    error: ReasonError | None = None

    @property
    def status(self) -> str:
        if self.error is not None or self.result is None:
            return "error"
        if self.result.inconclusive and not self.result.reachable:
            return "inconclusive"
        return "pass" if holds(self.expect, self.result.verdict) else "fail"

    @property
    def rule_id(self) -> str:
        return f"assert/{source_path(self.assertion.file)[0]}:{self.assertion.line}"

    @property
    def expect(self) -> str:
        return "reachable" if self.assertion.expect_reachable else "unreachable"

    def message(self) -> str:
        """One paragraph: what was expected, what the answer is, and why."""
        a, r = self.assertion, self.result
        if self.error is not None:
            return f"{a.text}: error: {self.error.render()}"
        assert r is not None
        if self.status == "pass":
            return f"{a.text}: holds ({r.verdict})"
        if self.status == "inconclusive":
            return (f"{a.text}: INCONCLUSIVE, counted as failed: the snapshot lacks what the answer depends on: "
                    + "; ".join(m.message for m in r.missing))
        if r.reachable:
            pk = r.packet.get("client", r.packet)
            return f"{a.text}: does not hold: REACHABLE, counterexample {wording.packet_text(pk)} gets through and back"
        return f"{a.text}: does not hold: UNREACHABLE, blocked by " + "; ".join(
            f"{e.code} {e.component}: {e.message}" for e in r.explanations)

    def resources(self) -> list[str]:
        """The AWS resources the outcome is about: blockers, the missing pieces, or the counterexample's ends."""
        r = self.result
        if r is None:
            return []
        if self.status == "inconclusive":
            ids = [m.component for m in r.missing]
        elif r.reachable:
            pk = r.packet.get("client", r.packet)
            ids = [pk.get("src_eni", ""), r.packet.get("to_target", pk).get("dst_eni", "")]
        else:
            ids = [e.component for e in r.explanations]
        return [i for i in dict.fromkeys(x.strip() for c in ids for x in str(c).split(",")) if i and i != INTERNET]


@dataclass
class PolicyRule:
    """One rule of a policy file whose head is ``violation``; every row it derives fails it."""

    file: str
    line: int
    column: int
    message: str = ""
    help: str = ""
    violations: list[tuple[tuple, Any]] = field(default_factory=list)  # (row, proof)
    metadata: dict[str, str] = field(default_factory=dict)  # the rule's @id, @severity, @title, @remediation
    #: why the rule cannot be checked: a constant naming no resource of the snapshot (reasoner/explain/policy_names.py)
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "error" if self.errors else "fail" if self.violations else "pass"

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"

    @property
    def rule_id(self) -> str:
        return self.metadata.get("id") or f"policy/{source_path(self.file)[0]}:{self.line}"


@dataclass
class VerifyReport:
    assertions: list[AssertionCheck]
    policies: list[PolicyRule]
    warnings: list[str] = field(default_factory=list)
    #: what missing data leaves open in the relations the policies read (reasoner/explain/policy_facts.py ``fill``):
    #: a policy that finds nothing there is not decided
    undecided: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all hold, 1 one fails, 2 one is an error, 3 none fails but one is inconclusive (an assertion, or the
        policies over relations missing data leaves open)."""
        statuses = [c.status for c in self.assertions] + [p.status for p in self.policies]
        if "error" in statuses:
            return 2
        if "fail" in statuses:
            return 1
        return 3 if "inconclusive" in statuses or self.undecided else 0


def policy_rules(program, policy_files: list[Path], violations: list[tuple[tuple, str | None, Any]],
                 errors: dict[str, list[str]] | None = None) -> list[PolicyRule]:
    """The ``violation`` rules written in the policy files, with the rows each derived (matched by location), and
    ``errors`` (rule location -> why it cannot be checked): a helper rule in error is listed too, as a rule of its
    own, since the violation rules reading it cannot be trusted."""
    files = {str(p) for p in policy_files}
    rules: list[PolicyRule] = []
    for rule in program.rules_by_head.get("violation", []):
        loc = rule.loc
        if loc.file not in files:
            continue
        msg = next((getattr(a, "value", "") for a in rule.head.args[1:2] if hasattr(a, "value")), "")
        rules.append(PolicyRule(loc.file, loc.line, loc.column, str(msg), rule.annotations.get("remediation")
                                or _comment_above(Path(loc.file), loc.line), metadata=dict(rule.annotations)))
    by_loc = {r.location: r for r in rules}
    for where, texts in (errors or {}).items():
        target = by_loc.get(where)
        if target is None:
            file, line, column = where.rsplit(":", 2)
            target = by_loc[where] = PolicyRule(file, int(line), int(column), "a helper rule of the policies", "")
            rules.append(target)
        target.errors.extend(texts)
    for row, where, proof in violations:
        target = by_loc.get(where or "")
        if target is None:  # derived by a rule we cannot place: keep it, at the first policy file
            target = PolicyRule(str(policy_files[0]) if policy_files else "<policy>", 1, 1, "", "")
            rules.append(target)
            by_loc[where or ""] = target
        target.violations.append((row, proof))
    return rules


def _comment_above(path: Path, line: int) -> str:
    """The ``//`` comments of the paragraph (lines up to the previous blank line) a rule ends: its help text."""
    from reasoner.engine.syntax import source_lines

    try:
        lines = source_lines(path.read_text(encoding="utf-8-sig"))  # (numbered as the parser numbers them)
    except (OSError, UnicodeDecodeError):
        return ""
    out: list[str] = []
    i = line - 2
    while i >= 0 and lines[i].strip():
        if lines[i].strip().startswith("//"):
            out.insert(0, lines[i].strip()[2:].strip())
        i -= 1
    return " ".join(out)
