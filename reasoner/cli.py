"""The ``reason`` command line: the only place that turns errors into messages and exit codes.

Exit codes: 0 reachable / check passed, 1 unreachable / check failed, 2 usage or input error.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from reasoner.errors import ReasonError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False, pretty_exceptions_enable=False,
                  help="Offline, explainable reasoner for AWS network reachability.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class Format(str, Enum):
    text = "text"
    json = "json"
    aws = "aws"


class Explain(str, Enum):
    brief = "brief"
    full = "full"


def _fail(e: ReasonError) -> None:
    err.print(e.render(), markup=False, highlight=False)
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
        print(render_json(res.to_json()))
    elif fmt == Format.aws:
        print(render_json(res.to_aws()))
    else:
        render_text(res, out, explain.value)
    raise typer.Exit(0 if res.reachable else 1)


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
def check(files: list[Path] = typer.Argument(..., help="rule files to check with the shipped rules")) -> None:
    """Check rule files (syntax, declarations, arity, types, safety, stratification)."""
    from reasoner.engine.check import check as run_check
    from reasoner.engine.parse import parse_files
    from reasoner.engine.program import bundled_rules

    try:
        run_check(parse_files(bundled_rules() + list(files)))
    except ReasonError as e:
        _fail(e)
        return
    out.print(f"ok: {len(files)} file(s) checked")


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
