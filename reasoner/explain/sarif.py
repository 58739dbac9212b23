"""``reason verify --format sarif``: SARIF 2.1.0 (OASIS) for GitHub code scanning and other SARIF readers.

One ``reportingDescriptor`` (rule) per assertion and per policy rule: id (``assert/queries/a.reason:5``,
``policy/queries/policy.dl:20``: the file's path as its URI gives it, so files of one name in two folders are two
rules), name, help text, default level; policy rules sharing an ``@id`` share one (the first's), as rule ids are
unique in a run.
One result per check that does not pass: a failure is ``error``, an inconclusive assertion ``warning``
with its own message (it is never a pass), an assertion that could not be asked ``error``.  The location
is the assertion's or the policy rule's line (URI relative to the working directory when it is inside it,
as GitHub needs); the AWS resources the outcome is about are ``logicalLocations``.  Passing checks
produce no result (their rules are still listed).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from reasoner.explain.checks import AssertionCheck, PolicyRule, VerifyReport, source_path
from reasoner.terminal import block

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"fail": "error", "error": "error", "inconclusive": "warning"}
#: GitHub code scanning ranks alerts by this (0.1-10, a string): broken reachability is a high finding
SECURITY_SEVERITY = {"fail": "7.5", "error": "5.0", "inconclusive": "5.0"}


def _clean(text: str) -> str:
    """Control characters (terminal escapes; most cannot be in XML 1.0) from snapshot strings, shown as the visible
    escapes the text output uses (``\\x1b``), never dropped: two ids that differ only by one stay apart."""
    return block(text)


def _uri(file: str) -> dict[str, str]:
    path, relative = source_path(file)
    return {"uri": path, "uriBaseId": "%SRCROOT%"} if relative else {"uri": Path(path).as_uri()}


def _rule(rule_id: str, name: str, short: str, help_text: str, level: str, tags: list[str]) -> dict[str, Any]:
    short, help_text = _clean(short), _clean(help_text)
    return {"id": rule_id, "name": name, "shortDescription": {"text": short}, "fullDescription": {"text": help_text},
            "help": {"text": help_text}, "defaultConfiguration": {"level": level},
            "properties": {"tags": tags, "precision": "very-high", "security-severity": SECURITY_SEVERITY["fail"]}}


def _assertion_rule(c: AssertionCheck) -> dict[str, Any]:
    a = c.assertion
    text = (f"{a.text} (in {a.file} line {a.line}). "
            + ("A path must exist: some packet of the query gets through and its reply gets back."
               if a.expect_reachable else
               "A proof of isolation: no packet of the query's whole packet space gets through and back.")
            + " An inconclusive answer (the snapshot lacks what it depends on) never passes.")
    name = "AssertReachable" if a.expect_reachable else "AssertUnreachable"
    return _rule(c.rule_id, name, a.text, text, "error", ["reachability", "network", f"assert-{c.expect}"])


def _policy_rule(p: PolicyRule) -> dict[str, Any]:
    short = f"policy {p.location}" + (f": {p.message}" if p.message else "")
    help_text = (p.help or "A policy rule: every row of violation(resource, message) it derives fails the check.") + \
        f" (rule at {p.location})"
    return _rule(p.rule_id, "PolicyViolation", short, help_text, "error", ["policy", "network"])


def _logical(resource: str, label) -> dict[str, str]:
    out = {"name": _clean(label(resource)), "fullyQualifiedName": _clean(resource), "kind": "resource"}
    return out


def _result(rule_id: str, index: int, status: str, message: str, file: str, line: int, column: int,
            resources: list[str], label) -> dict[str, Any]:
    region = {"startLine": max(line, 1)}
    if column > 0:
        region["startColumn"] = column
    loc: dict[str, Any] = {"physicalLocation": {"artifactLocation": _uri(file), "region": region}}
    if resources:
        loc["logicalLocations"] = [_logical(r, label) for r in resources]
    fingerprint = hashlib.sha256(f"{rule_id}\0{'|'.join(resources)}\0{status}".encode()).hexdigest()[:32]
    return {"ruleId": rule_id, "ruleIndex": index, "kind": "fail", "level": LEVEL[status], "message": {"text": _clean(message)},
            "locations": [loc], "partialFingerprints": {"reasonCheck/v1": fingerprint},
            "properties": {"status": status}}


def render_sarif(report: VerifyReport, tool_version: str, label=lambda r: r) -> dict[str, Any]:
    rules: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    index: dict[str, int] = {}  # rule id -> its descriptor: rules sharing an @id (one concern in several rules) are one

    def rule(rule_id: str, make) -> int:
        if rule_id not in index:  # SARIF 2.1.0 3.49.3: a rule's id is unique in the run's rules
            index[rule_id] = len(rules)
            rules.append(make())
        return index[rule_id]

    for c in report.assertions:
        i = rule(c.rule_id, lambda: _assertion_rule(c))
        if c.status != "pass":
            results.append(_result(c.rule_id, i, c.status, c.message(), c.assertion.file, c.assertion.line, 0,
                                   c.resources(), label))
    for p in report.policies:
        i = rule(p.rule_id, lambda: _policy_rule(p))
        if p.errors:  # it names what the snapshot does not hold (reasoner/explain/policy_names.py): not checked
            results.append(_result(p.rule_id, i, "error", "; ".join(p.errors), p.file, p.line, p.column, [], label))
        for row, _ in p.violations:
            resource = str(row[0]) if row else ""
            text = f"violation{tuple(row)!r} derived by the policy rule at {p.location}"
            results.append(_result(p.rule_id, i, "fail", text, p.file, p.line, p.column,
                                   [resource] if resource else [], label))
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "reason", "version": tool_version, "semanticVersion": tool_version, "rules": rules}},
            "automationDetails": {"id": "reason/verify/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}},
            "invocations": [{"executionSuccessful": True, "exitCode": report.exit_code,
                             "toolExecutionNotifications": [{"level": "warning", "message": {"text": w}}
                                                            for w in report.warnings]}],
            "results": results,
            "properties": {"schema": "reason.sarif/v1"},
        }],
    }
