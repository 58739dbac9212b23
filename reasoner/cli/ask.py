"""``reason query`` (one question, or ``--all`` of its classes) and ``reason health`` (target health as the network
sees it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from reasoner.cli.shell import (EXIT_CODES, Explain, Format, _bounded, _check_format, _emit, _fail, _timeout_option, app,
                                err, out)
from reasoner.errors import ReasonError
from reasoner.terminal import markup as m, plain

QUERY_HELP = f"""Is DST reachable from SRC? Verdict, hop-by-hop path, blockers with codes, derivation.

\b
Query:  SRC -> DST \\[tcp | udp | icmp | any | proto N] \\[PORT | LO-HI] \\[ipv4 | ipv6]
  SRC, DST: eni-..., i-..., subnet-..., sg-..., vpc-..., an address, internet, *, ecs:CLUSTER/SERVICE,
  alb:NAME, nlb:NAME, tg:NAME, tag:KEY=VALUE, a Name tag or an alias; keywords are case-insensitive;
  a name with a space, comma or quote in double quotes: 'tag:Team="Data Eng" -> "web server" tcp 443'.

\b
Examples:
  reason query "alb-eni -> task-eni tcp 8000"
  reason query --format aws "internet -> alb:web tcp 80"
  reason query --format mermaid "subnet-pub-a -> sg-0task any"

{EXIT_CODES}"""


def _reply(src_ports: tuple[int, int]) -> str | None:
    """An ICMP class's reply, from its source port (reasoner/explain/space.py): the reply's message (``type 0 code
    0``, the echo reply), or None when the messages get no reply (one-way)."""
    from reasoner.explain import wording
    from reasoner.explain.space import NO_REPLY

    return None if src_ports[0] == NO_REPLY else wording.icmp_text(*src_ports)


@app.command(help=QUERY_HELP)
def query(
    text: str = typer.Argument(..., help='e.g. "alb-eni -> task-eni tcp 8000"'),
    facts: Path = typer.Option(Path("facts"), "--facts", help="facts directory or a folder with aws_configs/"),
    fmt: Format = typer.Option(Format.text, "--format", metavar="[text|json|aws|mermaid|dot|csv]",
                               help="text, json (reason.query/v1), aws (Reachability Analyzer's "
                               "NetworkInsightsAnalysis), mermaid or dot (path diagram); with --all: text, json "
                               "(reason.query-all/v1) or csv"),
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

    _check_format("query --all" if every else "query", fmt)
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
    if fmt == Format.json:
        print(json.dumps({"schema": "reason.query-all/v1", "query": text, "reachable": reachable,
                          "classes_evaluated": evaluated, "classes": rows, "through_load_balancers": lbs,
                          "undecided_pairs": [{"src_eni": s, "dst_eni": d} for s, d in open_pairs]}, indent=2))
    elif fmt == Format.csv:  # one row per class that gets through, per load balancer answered, per pair not decided
        from reasoner.terminal import csv_text

        cols = ["src_eni", "dst_eni", "protocol", "dst_ports", "src_ports", "src_ips", "dst_ips", "icmp", "reply"]
        rest = [""] * (len(cols) - 2)  # the columns after src_eni and dst_eni, empty for a row that is no class
        _emit(csv_text(["kind", *cols, "load_balancer", "verdict"],
                       [["class", *(r.get(c) or "" for c in cols), "", "reachable"] for r in rows]
                       + [["through_load_balancer", "", " ".join(x["nodes"]), *rest, x["load_balancer"], x["verdict"]]
                          for x in lbs]
                       + [["undecided", s, d, *rest, "", "inconclusive"] for s, d in open_pairs]))
    else:
        head = ("[bold green]REACHABLE[/]" if reachable else "[bold yellow]INCONCLUSIVE[/]" if open_
                else "[bold red]UNREACHABLE[/]")
        # the classes listed are per member pair, the classes evaluated per group of pairs no rule tells apart
        # (reasoner/explain/factor.py): more may be listed than were evaluated, so the two are not "N of M"
        through = (f"{len(rows)} packet class{'' if len(rows) == 1 else 'es'} get{'s' if len(rows) == 1 else ''} through"
                   if rows or not reachable else "through a load balancer only, no packet class directly")
        out.print(f"{head}  {through} ({evaluated} evaluated: endpoint pairs no rule tells apart share one)", highlight=False)
        for r in rows:
            ports = (f" {r['dst_ports']} (from port{'s' if '-' in r['src_ports'] else ''} {r['src_ports']})"
                     if r["protocol"] in ("tcp", "udp")
                     else f" {r['icmp']}" + (f" (reply {r['reply']})" if r["reply"] else " (one-way, no reply)")
                     if "icmp" in r else "")
            out.print(f"  {r['src_eni']} -> {r['dst_eni']}  {wording.protocol(r['protocol'])}{ports}  {r['src_ips']} -> {r['dst_ips']}",
                      markup=False, highlight=False)
        for x in lbs:  # answered as `reason query` answers them (README "Load balancers")
            out.print(f"  {', '.join(x['nodes'])}: nodes of {session.endpoints.lb_label(x['load_balancer'])}, answered through "
                      f"it as reason query answers them: {x['verdict'].upper()}", markup=False, highlight=False)
        if open_pairs:
            shown = ", ".join(f"{s} -> {d}" for s, d in open_pairs[:5]) + (" ..." if len(open_pairs) > 5 else "")
            out.print(plain(f"  {len(open_pairs)} endpoint pair(s) not decided (the snapshot lacks data their answer depends "
                            f"on; ask reason query for what): {shown}"), markup=False, highlight=False)
    raise typer.Exit(0 if reachable else 3 if open_ else 1)


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
        mark = ("[green]OPEN[/]" if c.open else "[red]UNUSED[/]" if c.unused else "[yellow]DRAINING[/]"
                if c.collected_state == "draining" and c.decided else "[red]BLOCKED[/]" if c.decided
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
