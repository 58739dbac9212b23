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
from reasoner.progress import PROGRESS, on_terminal
from reasoner.terminal import block, csv_text, markup as m, plain

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_show_locals=False, pretty_exceptions_enable=False,
                  help="Offline, explainable reasoner for AWS network reachability.\n\n"
                       "Exit codes: 0 reachable / all hold, 1 unreachable / a check fails, 2 usage or input error, "
                       "3 inconclusive (the snapshot lacks what the answer depends on).")


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


def _reply(src_ports: tuple[int, int]) -> str | None:
    """An ICMP class's reply, from its source port (reasoner/explain/space.py): the reply's message (``type 0 code
    0``, the echo reply), or None when the messages get no reply (one-way)."""
    from reasoner.explain import wording
    from reasoner.explain.space import NO_REPLY

    return None if src_ports[0] == NO_REPLY else wording.icmp_text(*src_ports)


def _emit(text: str) -> None:
    """Prints ``text`` (JSON) to stdout; a closed pipe is not an error."""
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        _stream_closed(sys.stdout)


out = _Console(soft_wrap=True, emoji=False)  # data is never markup, nor an emoji code (":100:" in a rule location)
err = _Console(stderr=True, soft_wrap=True, emoji=False)


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
           "verify": ("text", "json", "sarif", "junit"), "recheck": ("text", "json"), "diff": ("text", "json")}
EXIT_CODES = "Exit codes: 0 reachable / holds, 1 unreachable / fails, 2 usage or input error, 3 inconclusive."
QUERY_HELP = f"""Is DST reachable from SRC? Verdict, hop-by-hop path, blockers with codes, derivation.

\b
Query:  SRC -> DST \\[tcp | udp | icmp | any | proto N] \\[PORT | LO-HI] \\[ipv4 | ipv6]
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


_supervised = [False]  # set by main(): only a real `reason` process forks a supervised child


def _timeout_option() -> typer.models.OptionInfo:
    return typer.Option(600.0, "--timeout", min=0, metavar="SECONDS",
                        help="stop with exit 2 when loading and evaluating take longer (0: no limit)")


def _bounded(timeout: float) -> None:
    """Runs the rest of the command in a child process, stopped after ``timeout`` s (exit 2) or at once on
    Ctrl-C (exit 130); see ``reasoner.supervise``."""
    if not _supervised[0]:
        return
    _supervised[0] = False  # the child does not supervise again
    from reasoner.supervise import supervise

    code = supervise(timeout, lambda text: err.print(text, markup=False, highlight=False))
    if code is not None:  # the parent: the child has ended
        raise typer.Exit(code)


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
    err.print(block(e.render()), markup=False, highlight=False)
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
    timeout: float = _timeout_option(),
    every: bool = typer.Option(False, "--all", help="every member pair and packet class that gets through, not only one"),
) -> None:
    """Is DST reachable from SRC? Verdict, hop-by-hop path, blockers with codes, derivation."""
    _bounded(timeout)
    from reasoner.explain.render import render_json, render_text
    from reasoner.session import Session

    _check_format("query", fmt)
    try:
        session = Session.open(facts, extra_rules=rules or [])
        if every:
            _query_all(session, text, fmt)
            return
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
        _emit(render_diagram(res, fmt.value, session.analyzer.label, pairs, unchecked).rstrip("\n"))
    elif fmt == Format.json:
        _emit(render_json(res.to_json()))
    elif fmt == Format.aws:
        from reasoner import __version__
        from reasoner.explain.aws import AwsRenderer

        _emit(render_json(AwsRenderer(session.analyzer, session.manifest, __version__).document(res)))
    else:
        render_text(res, out, explain.value)
    raise typer.Exit(_verdict_exit(res))


def _verdict_exit(res) -> int:
    """0 reachable, 1 unreachable, 3 inconclusive."""
    return 0 if res.reachable else 3 if res.inconclusive else 1


def _query_all(session, text: str, fmt: "Format") -> None:
    """``query --all``: every class that gets through (exit 0 when there is one, else 1)."""
    from reasoner.explain import wording
    from reasoner.explain.paths import PROTO_NAMES, ip_text
    from reasoner.explain.search import merge

    undecided: list = []  # groups of pairs a class of which depends on missing data: not known to be blocked
    found, evaluated, through = session.query_all(text, undecided)
    classes = merge(found)
    open_pairs = sorted({(s.eni, d.eni) for g in undecided for s, d in g.members()})

    def rng(r: tuple[int, int], show=str) -> str:
        return show(r[0]) if r[0] == r[1] else f"{show(r[0])}-{show(r[1])}"

    rows = [{"src_eni": c.src_eni, "dst_eni": c.dst_eni, "protocol": PROTO_NAMES.get(c.proto, c.proto),
             "dst_ports": rng(c.dst_ports), "src_ports": rng(c.src_ports),
             "src_ips": rng(c.src_ips, ip_text), "dst_ips": rng(c.dst_ips, ip_text)}
            | ({"icmp": wording.icmp_text(*c.dst_ports), "reply": _reply(c.src_ports)} if c.proto in wording.ICMP else {})
            for c in classes]
    lbs = [{"load_balancer": lb, "nodes": nodes, "verdict": verdict} for lb, nodes, verdict in through]
    reachable = bool(rows) or any(x["verdict"] == "reachable" for x in lbs)
    # nothing gets through, but missing data leaves some classes open: not decided, never "unreachable" (exit 3)
    open_ = not reachable and (bool(open_pairs) or any(x["verdict"] == "inconclusive" for x in lbs))
    if fmt != Format.text:
        print(json.dumps({"schema": "reason.query-all/v1", "query": text, "reachable": reachable,
                          "classes_evaluated": evaluated, "classes": rows, "through_load_balancers": lbs,
                          "undecided_pairs": [{"src_eni": s, "dst_eni": d} for s, d in open_pairs]}, indent=2))
    else:
        head = ("[bold green]REACHABLE[/]" if reachable else "[bold yellow]INCONCLUSIVE[/]" if open_
                else "[bold red]UNREACHABLE[/]")
        out.print(f"{head}  {len(found)} of {evaluated} packet classes get through", highlight=False)
        for r in rows:
            ports = (f" {r['dst_ports']} (from ports {r['src_ports']})" if r["protocol"] in ("tcp", "udp")
                     else f" {r['icmp']}" + (f" (reply {r['reply']})" if r["reply"] else " (one-way, no reply)")
                     if "icmp" in r else "")
            out.print(f"  {r['src_eni']} -> {r['dst_eni']}  {r['protocol']}{ports}  {r['src_ips']} -> {r['dst_ips']}",
                      markup=False, highlight=False)
        for x in lbs:  # answered as `reason query` answers them (README "Load balancers")
            out.print(f"  {', '.join(x['nodes'])}: nodes of {session.endpoints.lb_label(x['load_balancer'])}, answered through "
                      f"it as reason query answers them: {x['verdict'].upper()}", markup=False, highlight=False)
        if open_pairs:
            shown = ", ".join(f"{s} -> {d}" for s, d in open_pairs[:5]) + (" ..." if len(open_pairs) > 5 else "")
            out.print(plain(f"  {len(open_pairs)} endpoint pair(s) not decided (the snapshot lacks data their answer depends "
                            f"on; ask reason query for what): {shown}"), markup=False, highlight=False)
    raise typer.Exit(0 if reachable else 3 if open_ else 1)


@app.command("import")
def import_(src: Path = typer.Argument(..., help="folder with aws_configs/ (Batfish layout)"),
            out_dir: Path = typer.Option(..., "--out", help="facts directory to write")) -> None:
    """Import AWS describe-* JSON into a facts directory (one file per relation + manifest)."""
    from reasoner.facts.importer import import_aws_configs, write_facts

    try:
        snap = import_aws_configs(src, require_answers=True)  # no describe-* answer at all: an error, not "wrote 0 facts"
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
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json]", help="text or json (reason.health/v1)"),
    timeout: float = _timeout_option(),
) -> None:
    """Why is my target group unhealthy? Health checks from every load balancer node to every target.

    \b
    Examples:
      reason health
      reason health tg:task-tg
      reason health --format json alb:web

    Exit codes: 0 every target open and healthy, 1 some target blocked or unhealthy (or none to check), 2 usage or
    input error, 3 only targets the snapshot lacks data for (NOT DECIDED, naming what is missing)."""
    _bounded(timeout)
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
    # 0 all open and healthy, 1 some target blocked or unhealthy, 3 only undecided ones (the snapshot lacks data)
    bad = [c for c in checks if c.decided and not (c.open and c.collected_state in (None, "healthy"))]
    code = 0 if ok else 1 if bad or not checks else 3
    if fmt != Format.text:
        _emit(json.dumps({"schema": "reason.health/v1", "tool_version": __version__, "ok": ok, "warnings": session.warnings,
                          "targets": [c.to_json(label) for c in checks]}, indent=2))
        raise typer.Exit(code)
    for w in session.warnings:
        err.print(f"[yellow]warning:[/] {m(w)}", highlight=False)
    if not checks:
        out.print("no target group with IP or instance targets and enabled health checks in the snapshot")
    for c in checks:
        mark = ("[green]OPEN[/]" if c.open else "[red]UNUSED[/]" if c.unused else "[red]BLOCKED[/]" if c.decided
                else "[yellow]NOT DECIDED[/]")
        state = f"  AWS says: {c.collected_state}" + (f" ({c.collected_reason})" if c.collected_reason else "") if c.collected_state else ""
        where = f" ({c.runs_on})" if c.runs_on else ""
        # a load balancer named whose groups are not all known: "alb:web -> (its target groups)"
        group = (session.endpoints.lb_label(c.tg) if c.tg in session.endpoints.lbs
                 else f"tg:{session.analyzer.names.get(c.tg, c.tg)}")
        check = f" {c.protocol}:{c.port}" if c.port else ""  # "(its targets)": no port when the targets are unknown
        out.print(f"{mark}  " + m(f"{group} -> {c.target}{where}{check}{state}"),
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
    raise typer.Exit(code)


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
    proof_file: Optional[Path] = typer.Option(None, "--proof", help="also write a proof file (reason.proof/v1): hashes, "
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
    from reasoner.engine.provenance import why
    from reasoner.explain import wording
    from reasoner.explain.checks import AssertionCheck, VerifyReport, policy_rules
    from reasoner.query.language import parse_assertions
    from reasoner.session import Session

    _check_format("verify", fmt)
    try:
        if proof_file is not None:
            from reasoner.explain.proof_file import check_target

            check_target(proof_file)  # a --proof that cannot be written is refused before the work, not after it
        files = _assertion_files(list(paths or [Path("queries")]))
        policies = [f for f in files if f.suffix == ".dl"]
        assertions = [a for f in files if f.suffix != ".dl" for a in parse_assertions(_read(f), str(f))]
        if not assertions and not policies:  # "0/0 assertions hold" would pass a run that checked nothing
            _nothing_to_check(files)
        session = Session.open(facts, extra_rules=policies)
        if not assertions and not policy_rules(session.program, policies, []):
            _nothing_to_check(files)
        violations = []
        if "violation" in session.program.decls:
            from reasoner.explain.policy_facts import fill

            fill(session)  # exposed / can_reach, when a policy reads them
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
        if proof_file is not None:
            from reasoner.explain.proof_file import write_proof

            write_proof(proof_file, session, checks, facts, policies)
    except ReasonError as e:
        _fail(e, fmt)
        return
    warnings = list(dict.fromkeys(session.warnings + [w for c in checks if c.result is not None for w in c.result.warnings]))
    report = VerifyReport(checks, policy_rules(session.program, policies, violations), warnings)
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
            for row, rule, proof in violations], "assertions": [
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
                      f"({r.packets_checked} representative packets{_families_text(r)} cover its whole packet space"
                      f"{_pairs_text(r)})", highlight=False)
        elif not held and r.reachable:
            pk = r.packet.get("client", r.packet)
            out.print(m(f"  counterexample: {wording.packet_text(pk)} gets through; run  reason query \"{a.query}\"  for the "
                        f"path"), highlight=False)
        elif not held:
            for x in r.explanations:
                out.print(f"  blocked: [red]{m(x.code)}[/] {m(x.component)}: {m(x.message)}", highlight=False)
    for row, rule, _ in violations:
        notes = meta.get(rule or "", {})
        tag = " ".join(notes[k] for k in ("id", "severity") if k in notes)
        out.print(f"[red]FAIL[/]  policy {m(f'[{tag}] ') if tag else ''}{m(rule or '')}  {m(f'violation{tuple(row)!r}')}",
                  highlight=False)
        for k in ("title", "remediation"):
            if k in notes:
                out.print(f"  {k}: {m(notes[k])}", highlight=False)
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
    from reasoner.errors import QueryError

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise QueryError("query.no_file", f"cannot read {path}: {err}") from None


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

    Exit codes: 0 the proof still holds, 1 something differs, 2 usage or input error."""
    _bounded(timeout)
    from reasoner import __version__
    from reasoner.explain import proof as proofs
    from reasoner.session import Session

    _check_format("recheck", fmt)
    try:
        data = proofs.load(proof)
        folder = facts if facts is not None else Path(str(data.get("facts") or "facts"))
        rules = [Path(f) for f in data.get("policy_files", [])]
        session = Session.open(folder, extra_rules=rules)
        session.analyzer.factoring.cache = False  # an auditor's re-check computes every class again
        diffs = proofs.recheck(data, session)
    except ReasonError as e:
        _fail(e, fmt)
        return
    classes = proofs.class_count(data)
    if fmt == Format.json:
        _emit(json.dumps({"schema": "reason.recheck/v1", "tool_version": __version__, "proof": str(proof), "facts": str(folder),
                          "holds": not diffs, "classes": classes, "assertions": proofs.listed(data),
                          "differences": diffs}, indent=2))
    else:
        for text in proofs.listed(data):  # what the proof attests, as its file states it
            out.print(f"  {m(text)}", highlight=False)
        for d in diffs[:30]:
            out.print(f"[red]DIFFERS[/]  {m(d)}", highlight=False)
        if len(diffs) > 30:
            out.print(f"... and {len(diffs) - 30} more difference(s) (all of them: --format json)", highlight=False)
        verdict = "[green]HOLDS[/]" if not diffs else f"[red]FAILS[/] ({len(diffs)} difference(s))"
        out.print(f"{verdict}  {m(str(proof))}: {len(data['assertions'])} assertion(s), {classes} packet classes "
                  f"re-checked against {m(str(folder))}", highlight=False)
    raise typer.Exit(0 if not diffs else 1)


@app.command()
def diff(
    old: Path = typer.Argument(..., help="the snapshot before (facts directory or a folder with aws_configs/)"),
    new: Path = typer.Argument(..., help="the snapshot after"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json]", help="text or json (reason.diff/v1)"),
    timeout: float = _timeout_option(),
) -> None:
    """What changed in reachability between two snapshots: ports newly exposed to the internet (or no longer),
    ENI pairs that gained or lost connectivity, each with the configuration rows on its path that differ.

    \b
    Examples:
      reason diff facts facts/examples/seed-fixed
      reason diff --format json before/ after/

    Exit codes: 0 no new exposure, 1 new exposure to the internet, 2 usage or input error."""
    _bounded(timeout)
    from reasoner import __version__
    from reasoner.explain.diff import diff as reach_diff
    from reasoner.session import Session

    _check_format("diff", fmt)
    try:
        before, after = Session.open(old), Session.open(new)
        changes, rows = reach_diff(before, after)
    except ReasonError as e:
        _fail(e, fmt)
        return
    exposed = any(c.kind == "exposed" for c in changes)
    if fmt == Format.json:
        _emit(json.dumps({"schema": "reason.diff/v1", "tool_version": __version__, "old": str(old), "new": str(new),
                          "new_exposure": exposed, "changes": [c.to_json() for c in changes], "configuration": rows},
                         indent=2))
        raise typer.Exit(1 if exposed else 0)
    titles = {"exposed": "[red]NEWLY EXPOSED[/]", "unexposed": "no longer exposed", "gained": "[yellow]NOW REACHES[/]",
              "lost": "no longer reaches"}
    for c in changes:
        out.print(f"{titles[c.kind]}  {m(c.text())}", highlight=False)
        for cause in c.causes:
            out.print(f"  because {m(cause)}", highlight=False)
        if not c.causes:
            out.print("  (no configuration row on its path differs)", highlight=False)
    out.print(f"{len(changes)} change(s) in reachability, {len(rows)} configuration row(s) differ"
              + ("; new exposure to the internet" if exposed else ""), highlight=False)
    raise typer.Exit(1 if exposed else 0)


@app.command("test")
def test_(policy_dir: Path = typer.Argument(..., help="folder of *.dl policies with tests/CASE/ snapshots and tests/CASE.expected"),
          timeout: float = _timeout_option()) -> None:
    """Run policies against fixture snapshots: each tests/CASE/ folder (Batfish layout) must yield exactly the
    violations listed in tests/CASE.expected ('resource | message' per line).

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
    """Raised in the main thread on SIGTERM or SIGINT, so every ``finally`` (staging folders) runs before the exit."""

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


audit_app = typer.Typer(no_args_is_help=True, help="Estate-wide questions, answered set-at-a-time.")
app.add_typer(audit_app, name="audit")


class AuditFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


@audit_app.command("exposure")
def audit_exposure(
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: AuditFormat = typer.Option(AuditFormat.text, "--format"),
    timeout: float = _timeout_option(),
) -> None:
    """Every ENI and load balancer node the internet can reach: protocols, port ranges, gateway; riskiest first.
    Exit 0 when nothing is exposed, 1 when something is, 3 when nothing is known to be exposed but missing data
    leaves some ENI undecided (named), or the snapshot has no list of ENIs at all (no NetworkInterfaces answer)."""
    _bounded(timeout)
    from reasoner.explain.audit import estate_unknown, exposure
    from reasoner.session import Session

    try:
        session = Session.open(facts)
        undecided: set[str] = set()
        found, evaluated = exposure(session.analyzer, session.set_backend(), undecided)
    except ReasonError as e:
        _fail(e)
        return
    unseen = estate_unknown(session.analyzer)  # no ENI list at all: "nothing exposed" is not decided
    session.warnings.extend(unseen)
    rows = [e.to_json() for e in found]
    if fmt == AuditFormat.json:
        print(json.dumps({"schema": "reason.audit-exposure/v1", "exposed": rows, "undecided": sorted(undecided),
                          "warnings": session.warnings, "classes_evaluated": evaluated}, indent=2))
    elif fmt == AuditFormat.csv:
        _emit(csv_text(["eni", "address", "load_balancer", "gateway", "protocol", "ports", "admin_ports", "one_way"],
                       [[r["eni"], r["address"], r["load_balancer"] or "", r["gateway"], p["protocol"],
                         " ".join(p["ranges"]) if "icmp" not in p else "; ".join(p["icmp"]),
                         " ".join(r["admin_ports"]), "; ".join(p.get("one_way", []))] for r in rows for p in r["ports"]]))
    else:
        out.print(f"{len(rows)} exposed to the internet ({evaluated} packet classes evaluated)", highlight=False)
        for r in rows:
            lb = f" (node of {session.analyzer.names.get(r['load_balancer']) or r['load_balancer']})" if r["load_balancer"] else ""
            ports = "; ".join((f"{p['protocol']} {', '.join(p['ranges']) if p['protocol'] in ('tcp', 'udp') else ''}".strip()
                               if "icmp" not in p or p["icmp"] == ["every type"] else f"{p['protocol']} {', '.join(p['icmp'])}")
                              + (f" (one-way, no reply: {', '.join(p['one_way'])})" if p.get("one_way") else "")
                              for p in r["ports"])
            admin = f"  admin: {', '.join(r['admin_ports'])}" if r["admin_ports"] else ""
            out.print(plain(f"  {r['eni']}{lb} {r['address']} via {r['gateway']}: {ports}{admin}"), markup=False, highlight=False)
        if undecided:
            out.print(plain(f"{len(undecided)} not decided (the snapshot lacks data their answer depends on; "
                      f"ask `reason query \"internet -> ENI any\"` for what): {', '.join(sorted(undecided))}"),
                      markup=False, highlight=False)
        for w in session.warnings:
            err.print(plain(f"warning: {w}"), markup=False, highlight=False)
    raise typer.Exit(1 if rows else 3 if undecided or unseen else 0)


@audit_app.command("pairs")
def audit_pairs(
    traffic: Optional[list[str]] = typer.Argument(None, help='"tcp 22", "udp 53", "any" (default: any)'),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    by: str = typer.Option("subnet", "--by", metavar="[subnet|sg|vpc|tag:KEY]",
                           help="group ENIs by subnet, security group, VPC, or the value of a tag (the ENI's, else its "
                                "instance's)"),
    fmt: AuditFormat = typer.Option(AuditFormat.text, "--format"),
    timeout: float = _timeout_option(),
) -> None:
    """The segmentation matrix: which groups of ENIs can open connections to which (and get the answer back).
    Exit 0 when no two distinct groups connect, 1 when some do, 3 when none is known to but missing data leaves
    some pair of groups undecided (listed), or the snapshot has no list of ENIs (no NetworkInterfaces answer)."""
    _bounded(timeout)
    from reasoner.explain.audit import estate_unknown, segmentation
    from reasoner.query.language import parse_query
    from reasoner.session import Session

    try:
        if by not in ("subnet", "sg", "vpc") and not (by.startswith("tag:") and len(by) > 4):
            from reasoner.errors import QueryError

            raise QueryError("usage.by", f"--by {by!r}: group by subnet, sg, vpc or tag:KEY (e.g. tag:tier)")
        q = parse_query("* -> * " + " ".join(traffic or ["any"]))
        session = Session.open(facts)
        seg = segmentation(session.analyzer, session.set_backend(), by, q.proto_number, q.port_lo, q.port_hi)
    except ReasonError as e:
        _fail(e)
        return
    data = seg.to_json()
    crossing = [c for c in data["cells"] if c["from"] != c["to"]]
    open_crossing = [c for c in data["undecided"] if c["from"] != c["to"]]
    unseen = estate_unknown(session.analyzer)  # no ENI list at all: "no two groups connect" is not decided
    if fmt == AuditFormat.json:
        print(json.dumps({"schema": "reason.audit-pairs/v1", "traffic": " ".join(traffic or ["any"]), **data}, indent=2))
    elif fmt == AuditFormat.csv:
        _emit(csv_text(["from", "to", "eni_pairs", "example", "one_way"],
                       [[c["from"], c["to"], c["eni_pairs"], c["example"], str(c["one_way"]).lower()] for c in data["cells"]]))
    else:
        out.print(m(f"{len(data['cells'])} of {len(seg.groups) ** 2} {by} pairs connect on "
                    f"{' '.join(traffic or ['any'])} ({seg.evaluated} packet classes evaluated)"), highlight=False)
        for c in data["cells"]:
            one_way = " (one-way ICMP messages only, no reply)" if c["one_way"] else ""
            out.print(plain(f"  {c['from']} -> {c['to']}: {c['eni_pairs']} ENI pair(s), e.g. {c['example']}{one_way}"),
                      markup=False, highlight=False)
        if data["undecided"]:
            out.print(plain(f"{len(data['undecided'])} {by} pair(s) not decided (the snapshot lacks data their answer "
                            "depends on; ask `reason query` about the example pair for what):"), markup=False, highlight=False)
            for c in data["undecided"]:
                out.print(plain(f"  {c['from']} -> {c['to']}: {c['eni_pairs']} ENI pair(s), e.g. {c['example']}"),
                          markup=False, highlight=False)
    for w in session.warnings + unseen:
        err.print(plain(f"warning: {w}"), markup=False, highlight=False)
    raise typer.Exit(1 if crossing else 3 if open_crossing or unseen else 0)


def main() -> None:
    signal.signal(signal.SIGTERM, _on_signal)
    # Ctrl-C: exit 130 after cleanup (click would print "Aborted!" and exit 1); a supervised command's parent
    # process turns it back into KeyboardInterrupt while it waits (reasoner/supervise.py)
    signal.signal(signal.SIGINT, _on_signal)
    _supervised[0] = True
    PROGRESS.set(on_terminal())  # long set questions: a spinner on stderr when it is a terminal (reasoner/progress.py)
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
