"""``reason import`` (AWS describe-* JSON into a facts directory) and ``reason collect`` (from AWS itself)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional

import typer

from reasoner.cli.shell import _fail, app, out
from reasoner.errors import ReasonError
from reasoner.terminal import markup as m, plain


@app.command("import")
def import_(src: Path = typer.Argument(..., help="folder with aws_configs/ (Batfish layout)"),
            out_dir: Path = typer.Option(..., "--out", help="facts directory to write")) -> None:
    """Import AWS describe-* JSON into a facts directory (one file per relation + manifest)."""
    from reasoner.facts.folders import ALIASES
    from reasoner.facts.importer import PARENTLESS, import_aws_configs, write_facts

    # the aliases next to the imported folder (what `--facts SRC` reads) go along, unless OUT keeps its own
    aliases = src / ALIASES if src.is_dir() and (src / ALIASES).is_file() else None
    kept = (out_dir / ALIASES).is_file()
    try:
        snap = import_aws_configs(src, require_answers=True)  # no describe-* answer at all: an error, not "wrote 0 facts"
        write_facts(snap, out_dir, aliases=aliases)
    except ReasonError as e:
        _fail(e)
        return
    counts = snap.manifest.get("counts", {})
    out.print(plain(f"wrote {sum(counts.values()) if isinstance(counts, dict) else '?'} facts in {len(snap.relations)} relations "
                    f"to {out_dir}"), markup=False, highlight=False)
    if aliases is not None:
        if not kept:
            out.print(plain(f"aliases: copied {aliases}"), markup=False, highlight=False)
        elif _differ(aliases, out_dir / ALIASES):
            out.print(plain(f"aliases: kept {out_dir / ALIASES}; {aliases} differs and was not copied"),
                      markup=False, highlight=False)
    for item in snap.manifest.get("unmodelled", []):
        out.print(f"[yellow]kept, not modelled yet:[/] {m(item)}", highlight=False)
        if isinstance(item, dict) and item.get("key") in PARENTLESS:
            out.print(plain(f"  hint: {PARENTLESS[item['key']]}"), markup=False, highlight=False)
    _index(out_dir)


def _index(facts: Path) -> None:
    """The new snapshot's symmetry classes, computed now and kept in the cache folder (``Session.index``): the first
    set question after the import reads them.  A snapshot the session cannot open is said (every question on it
    would fail the same way), and the import still succeeded."""
    from reasoner.session import Session

    try:
        n = Session.open(facts).index()
    except ReasonError as e:
        first, *rest = e.render().splitlines() or [""]
        out.print(plain(f"warning: the snapshot was written, but it cannot be opened for questions: {first}"),
                  style="yellow", markup=False, highlight=False)
        for line in rest:  # (the hint: a line of its own, each escaped)
            out.print(plain(line), style="yellow", markup=False, highlight=False)
        return
    if n is not None:
        out.print(plain(f"symmetry classes: {n} (kept in the cache folder for set questions)"), markup=False,
                  highlight=False)


def _differ(a: Path, b: Path) -> bool:
    try:
        return a.read_bytes() != b.read_bytes()
    except OSError:
        return True


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
    _index(res.facts)
    out.print(plain(f'query it: reason query --facts {shlex.quote(str(res.facts))} "SRC -> DST tcp PORT"'), markup=False,
              highlight=False)
