"""What the policies of a run give on a snapshot: the ``violation`` rows, what they leave undecided, the rules in
error; run by `reason verify`, recorded in its proof, and run again by `reason recheck`.

A proof records the outcome of its policies as it records each assertion's verdict (``"policies"`` in
``reason.proof/v2``), and for the same reason: a proof of a run that did not pass proves nothing.  `reason recheck`
takes nothing of it on trust: it runs the policies again on the snapshot, names every difference from the record,
and fails when either holds a violation, an undecided row or a rule in error (as ``not_holding`` does for a failed
assertion).  A proof written before outcomes were recorded has none to compare: only the outcome now counts.  This
module does not print; the CLI (reasoner/cli/checks.py) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class PolicyOutcome:
    #: (row, location of the ``violation`` rule that derived it, its derivation)
    violations: list[tuple[tuple, str | None, Any]] = field(default_factory=list)
    #: what missing data leaves open in the relations the policies read, and the ``undecided`` rows
    undecided: list[str] = field(default_factory=list)
    #: rule location -> why it cannot be checked (a constant naming no resource of the snapshot)
    errors: dict[str, list[str]] = field(default_factory=dict)
    #: tag keys and values, and listed ids, the snapshot does not hold
    warnings: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The outcome as a proof keeps it (``"policies"``)."""
        return {"violations": [{"row": list(row), "rule": rule} for row, rule, _ in
                               sorted(self.violations, key=lambda v: (str(v[0]), str(v[1])))],
                "undecided": sorted(self.undecided),
                "errors": [f"{where}: {text}" for where, texts in sorted(self.errors.items()) for text in texts]}


def run(session, policies: list[Path]) -> PolicyOutcome:
    """Every ``violation`` row the policy files of ``session`` derive (with the rule and derivation of each), what
    they cannot decide, and the rules naming what the snapshot does not hold."""
    from reasoner.engine.provenance import why
    from reasoner.explain.policy_facts import fill
    from reasoner.explain.policy_names import absent_names

    outcome = PolicyOutcome()
    rules = session.program.checked.module.rules  # (facts too: rules_by_head holds the rules with a body)
    for a in absent_names(rules, policies, session.analyzer.rel, session.endpoints.resolver.aliases):
        if a.error:
            outcome.errors.setdefault(a.rule, []).append(a.text())
        else:
            outcome.warnings.append(f"policy {a.text()}")
    program = session.program
    if "violation" in program.decls:
        outcome.undecided = fill(session)[1]  # exposed / can_reach, when a policy reads them; what data leaves open
        for row in program.query("violation", (None,) * program.decls["violation"].arity):
            proof = why(program, "violation", row, depth=2)
            rule = proof.rule or next((c.rule for c in proof.children if c.rule), None)  # the violation rule
            outcome.violations.append((row, rule, proof))
    if "undecided" in program.decls:  # what a policy says it cannot decide (rules/policy_relations.dl)
        outcome.undecided += [f"{message} ({resource})" for resource, message in
                              sorted(program.query("undecided", (None, None)), key=str)]
    return outcome


def _row_text(row: Any) -> str:
    return f"violation{tuple(row)!r}" if isinstance(row, list) else f"violation {row!r}"


def not_holding(recorded: Any, now: PolicyOutcome | None = None) -> list[str]:
    """What a proof's policy record says did not pass: each violation, undecided row and rule in error (as the file
    states them).  A proof without a record (written before 2026-12-07) says nothing of its policies: what does not
    pass ``now`` stands for it."""
    if not isinstance(recorded, dict):
        if now is None:
            return []
        recorded = now.record()
        return [f"{text} (derived now: the proof, written before policy outcomes were recorded, does not say)"
                for text in not_holding(recorded)]
    out = []
    for v in recorded.get("violations") or []:
        row, rule = (v.get("row"), v.get("rule")) if isinstance(v, dict) else (v, None)
        out.append(f"policy {rule}  {_row_text(row)}" if rule else f"policy {_row_text(row)}")
    out += [f"policy not decided: {u}" for u in recorded.get("undecided") or []]
    out += [f"policy rule in error: {e}" for e in recorded.get("errors") or []]
    return out


def differences(recorded: Any, now: PolicyOutcome) -> list[str]:
    """How the outcome now differs from a proof's record of it (none without a record: :func:`not_holding`)."""
    if not isinstance(recorded, dict):
        return []
    rows_now = {_row_text(list(row)) for row, _, _ in now.violations}
    rows_then = {_row_text(v.get("row") if isinstance(v, dict) else v) for v in recorded.get("violations") or []}
    undecided_then = {str(u) for u in recorded.get("undecided") or []}
    errors_then = {str(e) for e in recorded.get("errors") or []}
    errors_now = set(now.record()["errors"])
    return ([f"policy {v}: derived now, not in the proof" for v in sorted(rows_now - rows_then)]
            + [f"policy {v}: in the proof, not derived now" for v in sorted(rows_then - rows_now)]
            + [f"policy not decided now, decided in the proof: {u}" for u in sorted(set(now.undecided) - undecided_then)]
            + [f"policy not decided in the proof, decided now: {u}" for u in sorted(undecided_then - set(now.undecided))]
            + ([f"policy rules in error differ: {len(errors_then)} in the proof, {len(errors_now)} now"]
               if len(errors_then) != len(errors_now) else []))
