"""The ``reason`` command line: the only place that turns errors into messages and exit codes.

Exit codes: 0 reachable / check passed, 1 unreachable / check failed, 2 usage or input error,
3 inconclusive (the snapshot lacks, or the model does not follow, what the verdict depends on).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

from reasoner.errors import ReasonError

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_show_locals=False, pretty_exceptions_enable=False,
                  help="Offline, explainable reasoner for AWS network reachability.\n\n"
                       "Exit codes: 0 reachable / all hold, 1 unreachable / a check fails, 2 usage or input error, "
                       "3 inconclusive (the snapshot lacks what the answer depends on).")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    text = "text"
    json = "json"
    aws = "aws"
    sarif = "sarif"
    junit = "junit"
    mermaid = "mermaid"
    dot = "dot"


#: the formats each command answers in; another is refused (exit 2), never answered in a different shape
FORMATS = {"query": ("text", "json", "aws", "mermaid", "dot"), "health": ("text", "json"),
           "verify": ("text", "json", "sarif", "junit")}
EXIT_CODES = "Exit codes: 0 reachable / holds, 1 unreachable / fails, 2 usage or input error, 3 inconclusive."
QUERY_HELP = f"""Is DST reachable from SRC? Verdict, hop-by-hop path, blockers with codes, derivation.

\b
Query:  SRC -> DST \\[tcp | udp | icmp | any | proto N] \\[PORT | LO-HI]
  SRC, DST: eni-..., i-..., subnet-..., sg-..., vpc-..., an address, internet, *, ecs:CLUSTER/SERVICE,
  alb:NAME, nlb:NAME, tg:NAME, a Name tag or an alias; keywords are case-insensitive.

\b
Examples:
  reason query "alb-eni -> task-eni tcp 8000"
  reason query --format aws "internet -> alb:web tcp 80"
  reason query --format mermaid "subnet-pub-a -> sg-0task any"

{EXIT_CODES}"""


def _version(value: bool) -> None:
    if value:
        from reasoner import __version__

        print(f"reason {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version and exit")) -> None:
    """Offline, explainable reasoner for AWS network reachability."""


class Explain(str, Enum):
    none = "none"
    brief = "brief"
    full = "full"


def _fail(e: ReasonError, fmt: "Format | None" = None) -> None:
    """An error, exit 2: one JSON object on stdout (reason.error/v1) with --format json, else text on stderr."""
    if fmt == Format.json:
        from reasoner import __version__

        error = {"code": e.code, "message": e.message, "location": e.location, "hint": e.hint}
        if getattr(e, "diagnostics", None):
            error["diagnostics"] = [{"file": d.file, "line": d.line, "column": d.column, "code": d.code, "message": d.message,
                                     "hint": d.hint} for d in e.diagnostics]
        print(json.dumps({"schema": "reason.error/v1", "tool_version": __version__, "error": error}, indent=2))
        raise typer.Exit(2)
    err.print(e.render(), markup=False, highlight=False)
    raise typer.Exit(2)


def _check_format(command: str, fmt: "Format") -> None:
    """Refuses a format the command does not answer in (exit 2), instead of printing another shape."""
    from reasoner.errors import QueryError

    if fmt.value not in FORMATS[command]:
        why = {"aws": "Reachability Analyzer's analysis shape describes one path question: use it with reason query"}.get(
            fmt.value, f"--format {fmt.value} is for reason " + " and ".join(c for c, f in FORMATS.items() if fmt.value in f))
        _fail(QueryError("usage.format", f"reason {command} does not answer in --format {fmt.value}: {why}",
                         hint=f"reason {command} answers in: {', '.join(FORMATS[command])}"),
              Format.json if fmt == Format.json else None)


@app.command(help=QUERY_HELP)
def query(
    text: str = typer.Argument(..., help='e.g. "alb-eni -> task-eni tcp 8000"'),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json|aws|mermaid|dot]",
                               help="text, json (reason.query/v1), aws (Reachability Analyzer's "
                               "NetworkInsightsAnalysis), mermaid or dot (path diagram)"),
    explain: Optional[Explain] = typer.Option(None, "--explain", help="derivation tree: none, brief or full "
                                              "(default: brief; none when a side is a set: subnet, group, VPC, internet, *)"),
    rules: Optional[list[Path]] = typer.Option(None, "--rules", help="extra rule files (policies) to load"),
) -> None:
    from reasoner.explain.render import render_json, render_text
    from reasoner.session import Session

    _check_format("query", fmt)
    try:
        session = Session.open(facts, extra_rules=rules or [])
        if explain is None:
            explain = Explain.none if session.is_set_query(text) else Explain.brief
        res = session.query(text, depth={Explain.full: 12, Explain.brief: 3, Explain.none: 0}[explain])
    except ReasonError as e:
        _fail(e, fmt)
        return
    if fmt in (Format.mermaid, Format.dot):
        from reasoner.explain.diagram import passing_pairs, render_diagram

        try:
            pairs, unchecked = passing_pairs(session, text)
        except ReasonError as e:
            _fail(e, fmt)
            return
        print(render_diagram(res, fmt.value, session.analyzer.label, pairs, unchecked), end="")
    elif fmt == Format.json:
        print(render_json(res.to_json()))
    elif fmt == Format.aws:
        from reasoner import __version__
        from reasoner.explain.aws import AwsRenderer

        print(render_json(AwsRenderer(session.analyzer, session.manifest, __version__).document(res)))
    else:
        render_text(res, out, explain.value)
    raise typer.Exit(_verdict_exit(res))


def _verdict_exit(res) -> int:
    """0 reachable, 1 unreachable, 3 inconclusive."""
    return 0 if res.reachable else 3 if res.inconclusive else 1


@app.command("import")
def import_(src: Path = typer.Argument(..., help="folder with aws_configs/ (Batfish layout)"),
            out_dir: Path = typer.Option(..., "--out", help="facts directory to write")) -> None:
    """Import AWS describe-* JSON into a facts directory (one file per relation + manifest)."""
    from reasoner.facts.importer import import_aws_configs, write_facts

    try:
        snap = import_aws_configs(src)
        write_facts(snap, out_dir)
    except ReasonError as e:
        _fail(e)
        return
    counts = snap.manifest.get("counts", {})
    out.print(f"wrote {sum(counts.values()) if isinstance(counts, dict) else '?'} facts in {len(snap.relations)} relations to {out_dir}")
    for item in snap.manifest.get("unmodelled", []):
        out.print(f"[yellow]kept, not modelled yet:[/] {item}")


@app.command()
def health(
    names: Optional[list[str]] = typer.Argument(None, help="tg:NAME or alb:NAME / nlb:NAME (default: every target group)"),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json]", help="text or json (reason.health/v1)"),
) -> None:
    """Why is my target group unhealthy? Health checks from every load balancer node to every target.

    \b
    Examples:
      reason health
      reason health tg:task-tg
      reason health --format json alb:web

    Exit codes: 0 every target open and healthy, 1 otherwise, 2 usage or input error."""
    from reasoner import __version__
    from reasoner.session import Session

    _check_format("health", fmt)
    try:
        session = Session.open(facts)
        checks = session.health(list(names or []))
    except ReasonError as e:
        _fail(e, fmt)
        return
    label = session.analyzer.label
    ok = bool(checks) and all(c.open and c.collected_state in (None, "healthy") for c in checks)
    if fmt != Format.text:
        print(json.dumps({"schema": "reason.health/v1", "tool_version": __version__, "ok": ok, "warnings": session.warnings,
                          "targets": [c.to_json(label) for c in checks]}, indent=2))
        raise typer.Exit(0 if ok else 1)
    for w in session.warnings:
        err.print(f"[yellow]warning:[/] {w}")
    if not checks:
        out.print("no target group with IP or instance targets and enabled health checks in the snapshot")
    for c in checks:
        mark = "[green]OPEN[/]" if c.open else "[red]BLOCKED[/]"
        state = f"  AWS says: {c.collected_state}" + (f" ({c.collected_reason})" if c.collected_reason else "") if c.collected_state else ""
        where = f" ({c.runs_on})" if c.runs_on else ""
        out.print(f"{mark}  tg:{session.analyzer.names.get(c.tg, c.tg)} -> {c.target}{where} {c.protocol}:{c.port}{state}",
                  highlight=False)
        out.print(f"  verdict: {c.verdict}", highlight=False)
        for node, res in c.blocked_from:
            for e in res.explanations:
                out.print(f"  from {label(node)}: [red]{e.code}[/] {e.component}\n    {e.message}", highlight=False)
                fix = _fix(e, c)
                if fix:
                    out.print(f"    fix: {fix}", highlight=False)
        if c.reachable_from:
            out.print(f"  open from: {', '.join(label(n) for n in c.reachable_from)}", highlight=False)
    raise typer.Exit(0 if ok else 1)


def _fix(e, c) -> str:
    """The change that would open the blocked hop, in plain words."""
    from reasoner.explain.paths import ip_text

    proto = c.transport
    if e.code == "ENI_SG_RULES_MISMATCH" and e.direction == "egress":
        return f"add an outbound rule to {e.component} allowing {proto}/{c.port} to the target (its security group or {ip_text(c.ip)}/32)"
    if e.code == "ENI_SG_RULES_MISMATCH":
        return f"add an inbound rule to {e.component} allowing {proto}/{c.port} from the load balancer's security group"
    if e.code == "SUBNET_ACL_RESTRICTION":
        return f"allow the health check ({proto}/{c.port} and the ephemeral reply ports 1024-65535) in network ACL {e.component}"
    if e.code in ("NO_ROUTE_TO_DESTINATION", "BAD_STATE_ROUTE", "MORE_SPECIFIC_ROUTE"):
        return f"give {e.component} an active route to the target"
    return ""


@app.command()
def verify(
    paths: Optional[list[Path]] = typer.Argument(None, help="assertion (*.reason) and policy (*.dl) files or folders "
                                                 "(default: ./queries)"),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json|sarif|junit]",
                               help="text, json (reason.verify/v1), sarif (SARIF 2.1.0) or junit"),
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

    Exit codes: 0 all hold, 1 one fails, 2 usage or input error, 3 none fails but one is inconclusive."""
    from reasoner import __version__
    from reasoner.engine.provenance import why
    from reasoner.explain.checks import AssertionCheck, VerifyReport, policy_rules
    from reasoner.query.language import parse_assertions
    from reasoner.session import Session

    _check_format("verify", fmt)
    try:
        files = _assertion_files(list(paths or [Path("queries")]))
        policies = [f for f in files if f.suffix == ".dl"]
        assertions = [a for f in files if f.suffix != ".dl" for a in parse_assertions(_read(f), str(f))]
        session = Session.open(facts, extra_rules=policies)
        violations = []
        if "violation" in session.program.decls:
            for row in session.program.query("violation", (None,) * session.program.decls["violation"].arity):
                proof = why(session.program, "violation", row, depth=2)
                rule = next((c.rule for c in proof.children if c.rule), proof.rule)
                violations.append((row, rule, proof))
        checks = []
        for a in assertions:
            try:
                checks.append(AssertionCheck(a, session.query(str(a.query), depth=3)))
            except ReasonError as e:  # an unknown name in one assertion: that assertion fails, the others run
                checks.append(AssertionCheck(a, None, e))
    except ReasonError as e:
        _fail(e, fmt)
        return
    warnings = list(dict.fromkeys(session.warnings + [w for c in checks if c.result is not None for w in c.result.warnings]))
    report = VerifyReport(checks, policy_rules(session.program, policies, violations), warnings)
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
        print(json.dumps({"schema": "reason.verify/v1", "tool_version": __version__, "ok": ok, "warnings": warnings, "violations": [
            {"row": list(row), "rule": rule, "proof": proof.to_json()} for row, rule, proof in violations], "assertions": [
            {"file": a.file, "line": a.line, "assertion": a.text, "expect": "reachable" if a.expect_reachable else "unreachable",
             "holds": held, "verdict": r.verdict if r else None, "error": e.render() if e else None,
             "result": r.to_json() if r else None}
            for (a, r, e), held in zip(results, holds)]}, indent=2))
        raise typer.Exit(exit_code)
    for w in warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    for (a, r, e), held in zip(results, holds):
        where = f"{a.file}:{a.line}"
        if e is not None:
            out.print(f"[red]ERROR[/] {where}  {a.text}\n  {e.render()}", highlight=False)
            continue
        if r.inconclusive:
            out.print(f"[yellow]INCONCLUSIVE[/]  {where}  {a.text}", highlight=False)
            out.print("  counted as failed: the snapshot lacks what the answer depends on", highlight=False)
            for m in r.missing:
                out.print(f"  missing: {escape(m.message)}", highlight=False)
            continue
        out.print(f"{'[green]PASS[/]' if held else '[red]FAIL[/]'}  {where}  {a.text}", highlight=False)
        if held and not r.reachable:
            out.print(f"  proof of isolation: none of the query's packets gets through and back "
                      f"({r.packets_checked} representative packets cover its whole packet space)", highlight=False)
        elif not held and r.reachable:
            pk = r.packet.get("client", r.packet)
            out.print(f"  counterexample: {pk.get('src_ip')}:{pk.get('src_port')} -> {pk.get('dst_ip')}:{pk.get('dst_port')} "
                      f"{pk.get('protocol')} gets through; run  reason query \"{a.query}\"  for the path", highlight=False)
        elif not held:
            for x in r.explanations:
                out.print(f"  blocked: [red]{x.code}[/] {x.component}: {x.message}", highlight=False)
    for row, rule, _ in violations:
        out.print(f"[red]FAIL[/]  policy {rule or ''}  violation{tuple(row)!r}", highlight=False)
    out.print(f"{sum(holds)}/{len(results)} assertions hold" + (f"; {sum(unknown)} inconclusive" if any(unknown) else "")
              + (f"; {len(violations)} policy violation(s)" if policies else ""))
    raise typer.Exit(exit_code)


def _assertion_files(paths: list[Path]) -> list[Path]:
    from reasoner.errors import QueryError

    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(p.glob("*.reason")) + sorted(p.glob("*.dl")))
        elif p.is_file():
            files.append(p)
        else:
            raise QueryError("query.no_file", f"{p}: no such assertion file or folder")
    if not files:
        raise QueryError("query.no_file", f"no *.reason assertion or *.dl policy files in {', '.join(map(str, paths))}")
    return files


def _read(path: Path) -> str:
    from reasoner.errors import QueryError

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise QueryError("query.no_file", f"cannot read {path}: {err}") from None


@app.command()
def check(files: list[Path] = typer.Argument(..., help="rule files to check with the shipped rules")) -> None:
    """Check rule files (syntax, declarations, arity, types, safety, stratification)."""
    from reasoner.engine.check import check as run_check
    from reasoner.engine.parse import parse_files
    from reasoner.engine.program import bundled_rules

    try:
        shipped = bundled_rules()
        own = {p.resolve() for p in shipped}
        run_check(parse_files(shipped + [f for f in files if f.resolve() not in own]))  # a shipped file counts once
    except ReasonError as e:
        _fail(e)
        return
    out.print(f"ok: {len(files)} file(s) checked")


@app.command()
def collect(
    profile: Optional[str] = typer.Option(None, "--profile", help="AWS profile (default: AWS_PROFILE, else the default chain)"),
    region: Optional[list[str]] = typer.Option(None, "--region", help="region to collect, repeatable "
                                               "(default: AWS_REGION, AWS_DEFAULT_REGION or the profile's)"),
    all_regions: bool = typer.Option(False, "--all-regions", help="every region enabled in each account"),
    role_arn: Optional[list[str]] = typer.Option(None, "--role-arn", help="also collect this role's account "
                                                 "(sts:AssumeRole), repeatable"),
    out_dir: Path = typer.Option(Path("snapshot"), "--out", help="snapshot folder, replaced atomically"),
    workers: int = typer.Option(8, "--workers", min=1, max=64, help="API requests in flight at once"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress display (also off when stderr is not a terminal)"),
) -> None:
    """Collect the network configuration from AWS into OUT: raw JSON (aws_configs/) and facts (facts/)."""
    from reasoner.collect import CollectOptions
    from reasoner.collect import collect as run_collect

    options = CollectOptions(out=out_dir, profile=profile, regions=list(region or []), all_regions=all_regions,
                             role_arns=list(role_arn or []), workers=workers, progress=not quiet and sys.stderr.isatty())
    try:
        res = run_collect(options)
    except ReasonError as e:
        _fail(e)
        return
    out.print(f"collected {len(res.accounts)} account(s) x {len(res.regions)} region(s) "
              f"({', '.join(res.accounts)}; {', '.join(res.regions)}): {res.files} files, {res.requests} requests "
              f"in {res.seconds:.1f} s -> {res.out / 'aws_configs'}", markup=False, highlight=False)
    out.print(f"wrote {res.facts_count} facts in {res.relations} relations to {res.facts}", markup=False, highlight=False)
    for item in res.incomplete:
        out.print(f"incomplete: {item} ({item.message})", style="yellow", markup=False, highlight=False)
    out.print(f'query it: reason query --facts {res.facts} "SRC -> DST tcp PORT"', markup=False, highlight=False)


def main() -> None:
    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # last resort: never a traceback
        err.print(f"internal error: {type(e).__name__}: {e}\nplease report it with the command you ran", markup=False)
        sys.exit(2)
