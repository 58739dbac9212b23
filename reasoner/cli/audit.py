"""``reason audit exposure`` and ``reason audit pairs``: estate-wide questions, answered set-at-a-time."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from reasoner.cli.shell import _bounded, _emit, _fail, _timeout_option, app, err, out
from reasoner.errors import ReasonError
from reasoner.terminal import csv_text, markup as m, plain

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
    from reasoner.explain import wording
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
            ports = "; ".join((f"{wording.protocol(p['protocol'])} {', '.join(p['ranges']) if p['protocol'] in ('tcp', 'udp') else ''}".strip()
                               if "icmp" not in p else f"{p['protocol']} {', '.join(p['icmp'])}")  # ("icmp every type")
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
                           help="group ENIs by subnet, security group, VPC, or the value of a tag (the ENI's, else that "
                                "of its owner (ECS task or service, load balancer, VPC endpoint), else its instance's: "
                                "eni_tag, rules/tags.dl)"),
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
        seg = segmentation(session.analyzer, session.set_backend(), by, q.proto_number, q.port_lo, q.port_hi,
                           session.eni_tags)
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
