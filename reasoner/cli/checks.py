"""``reason verify`` (assertions and policies), ``reason recheck`` (a kept proof), ``reason diff`` (reachability
between two snapshots), ``reason test`` (policies against fixtures) and ``reason check`` (rule files)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Optional

import typer

from reasoner.cli.shell import Format, _bounded, _check_format, _emit, _fail, _timeout_option, app, err, out
from reasoner.errors import Diagnostic, ReasonError, RuleError
from reasoner.terminal import markup as m


def _families_text(r) -> str:
    """``, IPv4 and IPv6,`` : which address families an "unreachable" was proved over."""
    names = {"ipv4": "IPv4", "ipv6": "IPv6"}
    fams = [names[f] for f in getattr(r, "families", []) if f in names]
    return f", {' and '.join(fams)}," if fams else ""


def _pairs_text(r) -> str:
    """", N endpoint pairs (alike pairs evaluated once)" when a question covered several pairs."""
    if r.endpoint_pairs <= 1:
        return ""
    return f", {r.endpoint_pairs} endpoint pairs" + (" (alike pairs evaluated once)" if r.factored else "")


@app.command()
def verify(
    paths: Optional[list[Path]] = typer.Argument(None, help="assertion (*.reason) and policy (*.dl) files or folders "
                                                 "(default: ./queries)"),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json|sarif|junit]",
                               help="text, json (reason.verify/v1), sarif (SARIF 2.1.0) or junit"),
    proof_file: Optional[Path] = typer.Option(None, "--proof", help="also write a proof file (reason.proof/v2): hashes, "
                                         "and every packet class of each assertion with its fate; re-check it with "
                                         "reason recheck"),
    timeout: float = _timeout_option(),
) -> None:
    """Check saved assertions (assert reachable|unreachable QUERY) and policy rules (every row of
    violation(resource, message) fails).

    A passing "unreachable" is a proof of isolation over the whole packet space of its query; an
    inconclusive answer never passes.

    \b
    Examples:
      reason verify
      reason verify --facts facts/examples/seed-fixed queries/alb-health-check.reason
      reason verify --format sarif > reason.sarif
      reason verify --proof isolation.proof.json && reason recheck isolation.proof.json

    Exit codes: 0 all hold, 1 one fails, 2 usage or input error, 3 none fails but one is inconclusive."""
    _bounded(timeout)
    from reasoner import __version__
    from reasoner.explain import policy_outcome, wording
    from reasoner.explain.checks import AssertionCheck, VerifyReport, policy_rules
    from reasoner.session import Session

    _check_format("verify", fmt)
    try:
        if proof_file is not None:
            from reasoner.explain.proof_file import check_target

            check_target(proof_file)  # a --proof that cannot be written is refused before the work, not after it
        files, skipped = _assertion_files(list(paths or [Path("queries")]))
        policies = [f for f in files if f.suffix.lower() == ".dl"]
        assertions = _parse_assertion_files([f for f in files if f.suffix.lower() != ".dl"])
        if not assertions and not policies:  # "0/0 assertions hold" would pass a run that checked nothing
            _nothing_to_check(files)
        session = Session.open(facts, extra_rules=policies)
        own = {str(p) for p in policies}
        if not assertions and not policy_rules(session.program, policies, []) and not any(
                r.loc.file in own for r in session.program.rules_by_head.get("undecided", [])):
            _nothing_to_check(files)
        # a file given (or found in a folder) that checks nothing is said, never passed over in silence
        checking = {r.loc.file for h in ("violation", "undecided") for r in session.program.rules_by_head.get(h, [])}
        asserting = {a.file for a in assertions}
        skipped = skipped + [f"policy file {p} has no violation or undecided rule: it checks nothing" for p in policies
                             if str(p) not in checking] + [
            f"assertion file {f} holds no assertion (only blank or comment lines)" for f in files
            if f.suffix.lower() != ".dl" and str(f) not in asserting]
        outcome = policy_outcome.run(session, policies)
        policy_errors, name_warnings = outcome.errors, outcome.warnings
        violations, undecided = outcome.violations, outcome.undecided
        checks = []
        for a in assertions:
            try:
                checks.append(AssertionCheck(a, session.query(str(a.query), depth=3)))
            except ReasonError as e:  # an unknown name in one assertion: that assertion fails, the others run
                checks.append(AssertionCheck(a, None, e))
        if proof_file is not None:
            from reasoner.explain.proof_file import write_proof

            write_proof(proof_file, session, checks, facts, policies, outcome)
    except ReasonError as e:
        _fail(e, fmt)
        return
    warnings = list(dict.fromkeys(session.warnings + [w for c in checks if c.result is not None for w in c.result.warnings]
                                  + [f"policies not decided: {u}" for u in undecided] + name_warnings + skipped))
    report = VerifyReport(checks, policy_rules(session.program, policies, violations, policy_errors), warnings, undecided)
    in_error = [p for p in report.policies if p.errors]
    meta = {str(r.loc): r.annotations for r in session.program.rules_by_head.get("violation", [])}  # @id, @severity, ...
    exit_code = report.exit_code
    if fmt == Format.sarif:
        from reasoner.explain.sarif import render_sarif

        print(json.dumps(render_sarif(report, __version__, session.analyzer.label), indent=2))
        raise typer.Exit(exit_code)
    if fmt == Format.junit:
        from reasoner.explain.junit import render_junit

        print(render_junit(report, __version__), end="")
        raise typer.Exit(exit_code)
    results = [(c.assertion, c.result, c.error) for c in checks]
    # An inconclusive answer never holds: neither a proof of isolation nor a path was found.
    holds = [c.status == "pass" for c in checks]
    unknown = [c.status == "inconclusive" for c in checks]
    ok = exit_code == 0
    if fmt != Format.text:
        _emit(json.dumps({"schema": "reason.verify/v1", "tool_version": __version__, "ok": ok, "warnings": warnings, "violations": [
            {"row": list(row), "rule": rule, "proof": proof.to_json(), "metadata": meta.get(rule or "", {})}
            for row, rule, proof in violations]} | ({"policy_errors": [
            {"rule": p.location, "errors": p.errors} for p in in_error]} if in_error else {}) | {"assertions": [
            {"file": a.file, "line": a.line, "assertion": a.text, "expect": "reachable" if a.expect_reachable else "unreachable",
             "holds": held, "verdict": r.verdict if r else None, "error": e.render() if e else None,
             "result": r.to_json() if r else None}
            for (a, r, e), held in zip(results, holds)]}, indent=2))
        raise typer.Exit(exit_code)
    for w in warnings:
        err.print(f"[yellow]warning:[/] {m(w)}", highlight=False)
    for (a, r, e), held in zip(results, holds):
        where = f"{a.file}:{a.line}"
        if e is not None:
            rendered = "\n".join(m(x) for x in e.render().split("\n"))
            out.print(f"[red]ERROR[/] {m(where)}  {m(a.text)}\n  {rendered}", highlight=False)
            continue
        if r.inconclusive:
            out.print(f"[yellow]INCONCLUSIVE[/]  {m(where)}  {m(a.text)}", highlight=False)
            out.print("  counted as failed: the snapshot lacks what the answer depends on", highlight=False)
            for text in dict.fromkeys(miss.message for miss in r.missing):  # (one line for the hops that share one)
                out.print(f"  missing: {m(text)}", highlight=False)
            continue
        out.print(f"{'[green]PASS[/]' if held else '[red]FAIL[/]'}  {m(where)}  {m(a.text)}", highlight=False)
        if held and not r.reachable:
            # (decided before any packet, e.g. by a load balancer with no listener on the query's ports: say by what)
            if not r.packets_checked and r.explanations:
                covered = "no packet needs evaluating: " + m("; ".join(f"{x.code}: {x.message}" for x in r.explanations))
            else:
                covered = (f"{r.packets_checked} representative packets{_families_text(r)} cover its whole packet space"
                           f"{_pairs_text(r)}")
            out.print(f"  proof of isolation: none of the query's packets gets through and back ({covered})",
                      highlight=False)
        elif not held and r.reachable:
            pk = r.packet.get("client", r.packet)
            out.print(m(f"  counterexample: {wording.packet_text(pk)} gets through; run  reason query "
                        f"{shlex.quote(str(a.query))}  for the path"), highlight=False)
        elif not held:
            for x in r.explanations:
                out.print(f"  blocked: [red]{m(x.code)}[/] {m(x.component)}: {m(x.message)}", highlight=False)
    for p in in_error:
        out.print(f"[red]ERROR[/] policy {m(p.location)}  cannot be checked: it names what the snapshot does not hold",
                  highlight=False)
        for text in p.errors:
            out.print(f"  {m(text)}", highlight=False)
    for row, rule, _ in violations:
        notes = meta.get(rule or "", {})
        tag = " ".join(notes[k] for k in ("id", "severity") if k in notes)
        out.print(f"[red]FAIL[/]  policy {m(f'[{tag}] ') if tag else ''}{m(rule or '')}  {m(f'violation{tuple(row)!r}')}",
                  highlight=False)
        for k in ("title", "remediation"):
            if k in notes:
                out.print(f"  {k}: {m(notes[k])}", highlight=False)
    out.print(f"{sum(holds)}/{len(results)} assertions hold" + (f"; {sum(unknown)} inconclusive" if any(unknown) else "")
              + (f"; {len(violations)} policy violation(s)" if policies else "")
              + (f"; {len(in_error)} policy rule(s) in error" if in_error else "")
              + ("; the policies are not decided where data is missing (see the warnings)" if undecided else ""))
    raise typer.Exit(exit_code)


def _assertion_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The files a verify run reads, and a warning for each file of a folder it does not read.

    A folder gives its assertion files (``*.reason``, any case: ``FAIL2.REASON`` too) in it and in its sub-folders,
    recursively (``queries/<team>/``), and its policy files (``*.dl``, any case) in it only: a policy pack's
    sub-folders hold ``reason test`` fixtures (``POLICY_DIR/tests/CASE/``), and ``reason test`` runs the folder's
    own ``*.dl``, so verify reads the same pack.  A ``*.dl`` file in a sub-folder is named in a warning, never
    silently left out (it used to be, and so were ``*.reason`` files in sub-folders and ``*.REASON`` ones: a CI
    gate passed while a failing assertion sat in ``queries/<team>/``).  Each folder's files are sorted by path."""
    from reasoner.errors import QueryError

    files: list[Path] = []
    skipped: list[Path] = []
    for p in paths:
        if p.is_dir():
            # (not f.is_file(): a named pipe is kept, and refused where it is read, never silently left out)
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in (".reason", ".dl") and not f.is_dir())
            files.extend(f for f in found if f.suffix.lower() == ".reason")
            files.extend(f for f in found if f.suffix.lower() == ".dl" and f.parent == p)
            skipped.extend(f for f in found if f.suffix.lower() == ".dl" and f.parent != p)
        elif p.exists():  # (a named pipe too: refused where it is read, never waited on)
            files.append(p)
        else:
            raise QueryError("query.no_file", f"{p}: no such assertion file or folder")
    if not files:
        raise QueryError("query.no_file", f"no *.reason assertion or *.dl policy files in {', '.join(map(str, paths))}"
                         + (f" (policy files in sub-folders are not read: {', '.join(map(str, skipped))})"
                            if skipped else ""))
    warnings = [f"policy file {f} not read: a folder's policies are its own *.dl files, not its sub-folders' "
                f"(name the file or its folder to verify it)" for f in skipped]
    return files, warnings


def _parse_assertion_files(files: list[Path]) -> list:
    """The assertions of ``files``; AssertionFileError naming every bad line of every file (a user with three broken
    lines fixed one, ran again and found the next), and then nothing runs, as when one line was reported."""
    from reasoner.errors import AssertionFileError
    from reasoner.query.language import parse_assertions

    out, bad = [], []
    for f in files:
        try:
            out.extend(parse_assertions(_read(f), str(f)))
        except AssertionFileError as e:
            bad.append(e)
    if bad:
        raise AssertionFileError.merge(bad)
    return out


def _nothing_to_check(files: list[Path]) -> None:
    """Raises the error for a verify run with no assertion and no ``violation`` rule (only blank or comment lines)."""
    from reasoner.errors import QueryError

    listed = ", ".join(map(str, files[:5])) + (", ..." if len(files) > 5 else "")
    raise QueryError("query.no_assertion",
                     "nothing to check: no assertion (only blank or comment lines) and no policy violation rule",
                     location=listed, hint="write one assertion per line, e.g.  assert unreachable internet -> task-eni "
                                           "tcp 22  (# starts a comment), or give *.dl policy files with "
                                           "violation(resource, message) rules")


def _read(path: Path) -> str:
    """An assertion file's text: a regular file only (a named pipe would block until --timeout)."""
    from reasoner.errors import QueryError
    from reasoner.files import NotRegularFile, read_regular

    try:
        text = read_regular(path).decode("utf-8-sig")  # (a byte order mark, as Windows editors write, is no text)
    except NotRegularFile as err:
        raise QueryError("query.no_file", f"cannot read {path}: {err.what}", location=str(path),
                         hint="an assertion file is a regular *.reason file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise QueryError("query.no_file", f"cannot read {path}: {err}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # (as a text-mode read gives it: universal newlines)


@app.command()
def recheck(
    proof: Path = typer.Argument(..., help="a proof file written by reason verify --proof"),
    facts: Optional[Path] = typer.Option(None, "--facts", help="the snapshot to re-check against (default: the one the "
                                         "proof names)"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json]", help="text or json (reason.recheck/v1)"),
    timeout: float = _timeout_option(),
) -> None:
    """Re-check a kept proof: the snapshot's and the rules' hashes, the packet space of each assertion (the same
    classes over the same endpoint pairs) and every class's fate (blocked, with the same blockers, or passing).

    \b
    Examples:
      reason verify --proof isolation.proof.json queries/
      reason recheck isolation.proof.json
      reason recheck isolation.proof.json --facts facts-after-change/

    Exit codes: 0 the proof still holds, 1 something differs or an assertion it records does not hold, 2 usage or
    input error."""
    _bounded(timeout)
    from reasoner import __version__
    from reasoner.explain import policy_outcome
    from reasoner.explain import proof as proofs
    from reasoner.session import Session

    _check_format("recheck", fmt)
    try:
        data = proofs.load(proof)
        folder = facts if facts is not None else proofs.located(str(data.get("facts") or "facts"), proof)
        rules = [proofs.located(str(f), proof) for f in data.get("policy_files", [])]
        # an auditor's re-check parses the rules and computes every class again: no cache folder (parsed rules, classes)
        try:
            session = Session.open(folder, extra_rules=rules, cache=False)
        except RuleError as e:
            raise _untold(e, rules) from None
        diffs = proofs.recheck(data, session)
        # the policies are run again, as verify ran them: their record is not taken on trust
        now = policy_outcome.run(session, rules) if rules else policy_outcome.PolicyOutcome()
        diffs += policy_outcome.differences(data.get("policies"), now)
    except ReasonError as e:
        _fail(e, fmt)
        return
    classes = proofs.class_count(data)
    # recorded as not holding: re-checked exactly, still no proof of them (assertions, and the policies' violations,
    # undecided rows and rules in error: a verify run that did not pass)
    failed_policies = policy_outcome.not_holding(data.get("policies"), now)
    failed = proofs.not_holding(data) + failed_policies
    ok = not diffs and not failed
    if fmt == Format.json:
        _emit(json.dumps({"schema": "reason.recheck/v1", "tool_version": __version__, "proof": str(proof), "facts": str(folder),
                          "holds": ok, "classes": classes, "assertions": proofs.listed(data), "not_holding": failed,
                          "differences": diffs}, indent=2))
    else:
        for text in proofs.listed(data):  # what the proof attests, as its file states it
            out.print(f"  {m(text)}", highlight=False)
        for text in failed:
            out.print(f"[red]DOES NOT HOLD[/]  {m(text)}", highlight=False)
        for d in diffs[:30]:
            out.print(f"[red]DIFFERS[/]  {m(d)}", highlight=False)
        if len(diffs) > 30:
            out.print(f"... and {len(diffs) - 30} more difference(s) (all of them: --format json)", highlight=False)
        # (the differences include any assertion that no longer holds; ``failed`` are those the proof itself records
        # as not holding, which no re-check makes a proof)
        parts = [f"{len(diffs)} difference(s) from the proof"] if diffs else []
        if len(failed) > len(failed_policies):
            parts.append(f"{len(failed) - len(failed_policies)} assertion(s) the proof records as not holding")
        if failed_policies:
            parts.append(f"{len(failed_policies)} policy violation(s), undecided row(s) or rule(s) in error: the "
                         "verify run that wrote it did not pass")
        verdict = "[green]HOLDS[/]" if ok else f"[red]FAILS[/] ({'; '.join(parts)})"
        lbs = proofs.load_balancer_count(data)
        through = f" and {lbs} verdict(s) through a load balancer" if lbs else ""
        out.print(f"{verdict}  {m(str(proof))}: {len(data['assertions'])} assertion(s), {classes} packet classes{through} "
                  f"re-checked against {m(str(folder))}", highlight=False)
    raise typer.Exit(0 if ok else 1)


def _untold(err: RuleError, files: list[Path]) -> RuleError:
    """``err`` without the text of the files the proof names: a proof someone else wrote may name any file of this
    machine as a policy file (``/etc/passwd``), and a re-check must not print a line of it, in its own words or in a
    parser's message.  Where and what kind of error stay; the files' own text is the proof's concern only through
    its rules hash."""
    named = {str(f) for f in files}

    def told(d: Diagnostic) -> Diagnostic:
        if d.file not in named or d.code == "io":
            return d
        return Diagnostic(d.file, d.line, d.column, d.code, "this policy file, named by the proof, is not the rule file "
                          "the proof was made with (it does not check as rules; its text is not shown)",
                          hint="re-check with the policy files the proof was written with, at the paths it names")
    return RuleError([told(d) for d in err.diagnostics])


@app.command()
def diff(
    old: Path = typer.Argument(..., help="the snapshot before (facts directory or a folder with aws_configs/)"),
    new: Path = typer.Argument(..., help="the snapshot after"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json]", help="text or json (reason.diff/v1)"),
    timeout: float = _timeout_option(),
) -> None:
    """What changed in reachability between two snapshots: ports newly exposed to the internet (or no longer),
    ENI pairs that gained or lost connectivity (per address family: "over IPv4" when one family's changed alone), each
    with the configuration rows on its path that differ.

    \b
    Examples:
      reason diff facts facts/examples/seed-fixed
      reason diff --format json before/ after/

    Exit codes: 0 no new exposure, 1 new exposure to the internet, 2 usage or input error, 3 the new snapshot leaves
    some exposure or pair undecided (missing data) and no exposure is new for certain."""
    _bounded(timeout)
    from reasoner import __version__
    from reasoner.explain.diff import diff as reach_diff
    from reasoner.session import Session

    _check_format("diff", fmt)
    try:
        before, after = Session.open(old), Session.open(new)
        changes, rows, undecided = reach_diff(before, after)
    except ReasonError as e:
        _fail(e, fmt)
        return
    exposed = any(c.kind == "exposed" for c in changes)
    # missing data in the new snapshot: exposure not decided (exit 3 unless an exposure is new for certain)
    code = 1 if exposed else 3 if undecided["exposure"] or undecided["pairs"] else 0
    if fmt == Format.json:
        _emit(json.dumps({"schema": "reason.diff/v1", "tool_version": __version__, "old": str(old), "new": str(new),
                          "new_exposure": exposed, "changes": [c.to_json() for c in changes], "configuration": rows,
                          "undecided": undecided}, indent=2))
        raise typer.Exit(code)
    titles = {"exposed": "[red]NEWLY EXPOSED[/]", "unexposed": "no longer exposed", "gained": "[yellow]NOW REACHES[/]",
              "lost": "no longer reaches", "undecided": "[yellow]NOT DECIDED[/]"}
    for c in changes:
        out.print(f"{titles[c.kind]}  {m(c.text())}", highlight=False)
        for cause in c.causes:
            out.print(f"  because {m(cause)}", highlight=False)
        if not c.causes:
            out.print("  (no configuration row on its path differs)", highlight=False)
    open_ = len(undecided["exposure"]) + len(undecided["pairs"])
    out.print(f"{len(changes)} change(s) in reachability, {len(rows)} configuration row(s) differ"
              + ("; new exposure to the internet" if exposed else "")
              + (f"; the new snapshot leaves {len(undecided['exposure'])} ENI(s)' exposure and {len(undecided['pairs'])} "
                 "pair(s) undecided (missing data: not read as a loss)" if open_ else ""), highlight=False)
    raise typer.Exit(code)


@app.command("test")
def test_(policy_dir: Path = typer.Argument(..., help="folder of *.dl policies with tests/CASE/ snapshots and tests/CASE.expected"),
          timeout: float = _timeout_option()) -> None:
    """Run policies against fixture snapshots: each tests/CASE/ folder (Batfish layout) must yield exactly the
    violations listed in tests/CASE.expected ('resource | message' per line; 'undecided: resource | message' for
    what a policy says it cannot decide; 'not decided: ENI | exposed' and 'not decided: SRC -> DST | can_reach' for
    what missing data leaves open in those relations, where `reason verify` says "policies not decided": a case
    on which the policies are not decided fails unless its .expected file lists it).

    Exit codes: 0 every case passes, 1 one fails, 2 usage or input error."""
    _bounded(timeout)
    from reasoner.explain.policy_test import run

    try:
        results = run(policy_dir)
    except ReasonError as e:
        _fail(e)
        return
    for r in results:
        status = "[green]PASS[/]" if r.passed else "[red]FAIL[/]"
        out.print(f"{status}  {m(r.name)}", highlight=False)
        if r.error is not None:
            out.print("  " + "\n  ".join(m(x) for x in r.error.render().split("\n")), highlight=False)
        for row in r.missing:
            out.print(f"  missing:    {m(' | '.join(row))}", highlight=False)
        for row in r.unexpected:
            out.print(f"  unexpected: {m(' | '.join(row))}", highlight=False)
    failed = sum(not r.passed for r in results)
    out.print(f"{len(results) - failed}/{len(results)} cases pass")
    raise typer.Exit(2 if any(r.error for r in results) else 1 if failed else 0)


@app.command()
def check(files: list[Path] = typer.Argument(..., help="rule files to check with the shipped rules"),
          timeout: float = _timeout_option()) -> None:
    """Check rule files (syntax, declarations, arity, types, safety, stratification)."""
    _bounded(timeout)
    from reasoner.engine.program import load_rules

    try:
        load_rules(files)  # with the shipped rules, which the files may read but not redefine
    except ReasonError as e:
        _fail(e)
        return
    out.print(f"ok: {len(files)} file(s) checked", markup=False)
