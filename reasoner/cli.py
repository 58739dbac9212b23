"""The ``reason`` command line: the only place that turns errors into messages and exit codes.

Exit codes: 0 reachable / check passed, 1 unreachable / check failed, 2 usage or input error,
3 inconclusive (the snapshot lacks, or the model does not follow, what the verdict depends on).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from reasoner.errors import ReasonError
from reasoner.terminal import block, markup as m, plain

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False, pretty_exceptions_enable=False,
                  help="Offline, explainable reasoner for AWS network reachability.")


def _stream_closed(stream) -> None:
    """The reader went away (``reason query ... | head -1``): send the rest to /dev/null, keep the exit code."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class _Console(Console):
    """rich's Console, except that a closed pipe does not turn the answer into exit 1 (rich's default)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _stream_closed(sys.stderr if self.stderr else sys.stdout)


def _emit(text: str) -> None:
    """Prints ``text`` (JSON) to stdout; a closed pipe is not an error."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _stream_closed(sys.stdout)


out = _Console(soft_wrap=True)
err = _Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    text = "text"
    json = "json"
    aws = "aws"


class Explain(str, Enum):
    brief = "brief"
    full = "full"


def _fail(e: ReasonError) -> None:
    err.print(block(e.render()), markup=False, highlight=False)
    raise typer.Exit(2)


@app.command()
def query(
    text: str = typer.Argument(..., help='e.g. "alb-eni -> task-eni tcp 8000"'),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: Format = typer.Option(Format.text, "--format"),
    explain: Explain = typer.Option(Explain.brief, "--explain"),
    rules: Optional[list[Path]] = typer.Option(None, "--rules", help="extra rule files (policies) to load"),
) -> None:
    """Is DST reachable from SRC? Verdict, hop-by-hop path, blockers with codes, derivation."""
    from reasoner.explain.render import render_json, render_text
    from reasoner.session import Session

    try:
        session = Session.open(facts, extra_rules=rules or [])
        res = session.query(text, depth=12 if explain == Explain.full else 3)
    except ReasonError as e:
        _fail(e)
        return
    if fmt == Format.json:
        _emit(render_json(res.to_json()))
    elif fmt == Format.aws:
        _emit(render_json(res.to_aws()))
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
    out.print(plain(f"wrote {sum(counts.values()) if isinstance(counts, dict) else '?'} facts in {len(snap.relations)} relations "
                    f"to {out_dir}"), markup=False, highlight=False)
    for item in snap.manifest.get("unmodelled", []):
        out.print(f"[yellow]kept, not modelled yet:[/] {m(item)}", highlight=False)


@app.command()
def health(
    names: Optional[list[str]] = typer.Argument(None, help="tg:NAME or alb:NAME / nlb:NAME (default: every target group)"),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: Format = typer.Option(Format.text, "--format"),
) -> None:
    """Why is my target group unhealthy? Health checks from every load balancer node to every target."""
    from reasoner.session import Session

    try:
        session = Session.open(facts)
        checks = session.health(list(names or []))
    except ReasonError as e:
        _fail(e)
        return
    label = session.analyzer.label
    ok = bool(checks) and all(c.open and c.collected_state in (None, "healthy") for c in checks)
    if fmt != Format.text:
        _emit(json.dumps({"schema": "reason.health/v1", "ok": ok, "warnings": session.warnings,
                          "targets": [c.to_json(label) for c in checks]}, indent=2))
        raise typer.Exit(0 if ok else 1)
    for w in session.warnings:
        err.print(f"[yellow]warning:[/] {m(w)}", highlight=False)
    if not checks:
        out.print("no target group with IP or instance targets and enabled health checks in the snapshot")
    for c in checks:
        mark = "[green]OPEN[/]" if c.open else "[red]BLOCKED[/]"
        state = f"  AWS says: {c.collected_state}" + (f" ({c.collected_reason})" if c.collected_reason else "") if c.collected_state else ""
        where = f" ({c.runs_on})" if c.runs_on else ""
        tg = session.analyzer.names.get(c.tg, c.tg)
        out.print(f"{mark}  " + m(f"tg:{tg} -> {c.target}{where} {c.protocol}:{c.port}{state}"),
                  highlight=False)
        out.print(f"  verdict: {m(c.verdict)}", highlight=False)
        for node, res in c.blocked_from:
            for e in res.explanations:
                out.print(f"  from {m(label(node))}: [red]{m(e.code)}[/] {m(e.component)}\n    {m(e.message)}", highlight=False)
                fix = _fix(e, c)
                if fix:
                    out.print(f"    fix: {m(fix)}", highlight=False)
        if c.reachable_from:
            out.print(f"  open from: {m(', '.join(label(n) for n in c.reachable_from))}", highlight=False)
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
    fmt: Format = typer.Option(Format.text, "--format"),
) -> None:
    """Check saved assertions (assert reachable|unreachable QUERY) and policy rules (every row of
    violation(resource, message) fails): exit 0 when all hold, 1 otherwise.

    A passing "unreachable" is a proof of isolation over the whole packet space of its query."""
    from reasoner.query.language import parse_assertions
    from reasoner.session import Session

    from reasoner.engine.provenance import why

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
        results = []
        for a in assertions:
            try:
                results.append((a, session.query(str(a.query), depth=3), None))
            except ReasonError as e:  # an unknown name in one assertion: that assertion fails, the others run
                results.append((a, None, e))
    except ReasonError as e:
        _fail(e)
        return
    # An inconclusive answer never holds: neither a proof of isolation nor a path was found.
    holds = [r is not None and not r.inconclusive and r.reachable == a.expect_reachable for a, r, _ in results]
    unknown = [r is not None and r.inconclusive for _, r, _ in results]
    ok = all(holds) and not violations
    failed = any(not h and not u for h, u in zip(holds, unknown)) or bool(violations)
    exit_code = 2 if any(e for _, _, e in results) else 0 if ok else 1 if failed else 3
    warnings = list(dict.fromkeys(session.warnings + [w for _, r, _ in results if r is not None for w in r.warnings]))
    if fmt != Format.text:
        _emit(json.dumps({"schema": "reason.verify/v1", "ok": ok, "warnings": warnings, "violations": [
            {"row": list(row), "rule": rule, "proof": proof.to_json()} for row, rule, proof in violations], "assertions": [
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
            for miss in r.missing:
                out.print(f"  missing: {m(miss.message)}", highlight=False)
            continue
        out.print(f"{'[green]PASS[/]' if held else '[red]FAIL[/]'}  {m(where)}  {m(a.text)}", highlight=False)
        if held and not r.reachable:
            out.print(f"  proof of isolation: none of the query's packets gets through and back "
                      f"({r.packets_checked} representative packets cover its whole packet space)", highlight=False)
        elif not held and r.reachable:
            pk = r.packet.get("client", r.packet)
            out.print(m(f"  counterexample: {pk.get('src_ip')}:{pk.get('src_port')} -> {pk.get('dst_ip')}:{pk.get('dst_port')} "
                        f"{pk.get('protocol')} gets through; run  reason query \"{a.query}\"  for the path"), highlight=False)
        elif not held:
            for x in r.explanations:
                out.print(f"  blocked: [red]{m(x.code)}[/] {m(x.component)}: {m(x.message)}", highlight=False)
    for row, rule, _ in violations:
        out.print(f"[red]FAIL[/]  policy {m(rule or '')}  {m(f'violation{tuple(row)!r}')}", highlight=False)
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
    out.print(f"ok: {len(files)} file(s) checked", markup=False)


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
    out.print(plain(f"collected {len(res.accounts)} account(s) x {len(res.regions)} region(s) "
                    f"({', '.join(res.accounts)}; {', '.join(res.regions)}): {res.files} files, {res.requests} requests "
                    f"in {res.seconds:.1f} s -> {res.out / 'aws_configs'}"), markup=False, highlight=False)
    out.print(plain(f"wrote {res.facts_count} facts in {res.relations} relations to {res.facts}"), markup=False, highlight=False)
    for item in res.incomplete:
        out.print(plain(f"incomplete: {item} ({item.message})"), style="yellow", markup=False, highlight=False)
    out.print(plain(f'query it: reason query --facts {res.facts} "SRC -> DST tcp PORT"'), markup=False, highlight=False)


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so every ``finally`` (staging folders) runs before the exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code = 128 + signum


def _on_signal(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def _exit_now(code: int) -> None:
    """Exits at once after cleanup already ran (worker threads blocked on the network are not waited for)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def main() -> None:
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        app(standalone_mode=True)
    except Terminated as t:
        _exit_now(t.code)
    except KeyboardInterrupt:  # pragma: no cover
        _exit_now(130)
    except SystemExit:
        raise
    except Exception as e:  # last resort: never a traceback
        err.print(f"internal error: {type(e).__name__}: {plain(e)}\nplease report it with the command you ran", markup=False)
        sys.exit(2)
