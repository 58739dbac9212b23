"""`reason collect` end to end: identify accounts, pick regions, fetch in parallel, write atomically, import.

Steps: check the options; open the base session and identify its account (STS); assume each
``--role-arn`` (its account is collected too; a role in an account already listed adds nothing);
choose the regions (``--region``, ``--all-regions`` per account, else the configured region); run
the call table over every (account, region) with a bounded pool (:mod:`reasoner.collect.runner`),
each answer written as it arrives into the staged snapshot (:mod:`reasoner.collect.writer`); write
``reason-collect.json``; import the staged ``aws_configs`` with the same code as `reason import`
(:func:`reasoner.facts.importer.import_aws_configs` + :func:`write_facts`) into ``facts/``; swap
the snapshot in.

If the import fails on the collected data the raw snapshot is still put in place (without
``facts/``) and the import's :class:`~reasoner.errors.FactsError` is raised, with a hint saying
so.  Any other error leaves ``--out`` untouched.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reasoner.collect.errors import CollectError, Incomplete
from reasoner.collect.runner import DEFAULT_WORKERS, NoProgress, Progress, RichProgress, Unit, run
from reasoner.collect.session import (
    Account,
    assume,
    check_region,
    check_role_arn,
    client_config,
    default_region,
    enabled_regions,
    identify,
    open_base,
)
from reasoner.collect.writer import SnapshotWriter
from reasoner.errors import FactsError


@dataclass
class CollectOptions:
    """The options of `reason collect` (see the CLI for their meaning)."""

    out: Path = Path("snapshot")
    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    all_regions: bool = False
    role_arns: list[str] = field(default_factory=list)
    workers: int = DEFAULT_WORKERS
    progress: bool = False


@dataclass
class CollectResult:
    """What a run wrote."""

    out: Path
    facts: Path
    accounts: list[str]
    regions: list[str]
    files: int
    requests: int
    incomplete: list[Incomplete]
    facts_count: int
    relations: int
    seconds: float


def _accounts(options: CollectOptions) -> tuple[list[Account], str | None]:
    config = client_config(options.workers)
    base_session = open_base(options.profile)
    if options.profile:
        source = f"profile {options.profile}"
    elif os.environ.get("AWS_PROFILE"):
        source = f"profile {os.environ['AWS_PROFILE']} (AWS_PROFILE)"
    else:
        source = "default credentials"
    home = options.regions[0] if options.regions else default_region(base_session)
    base = identify(base_session, source, config, home)
    accounts = [base]
    for arn in options.role_arns:
        account = assume(base, arn, home)
        if account.account_id not in {a.account_id for a in accounts}:
            accounts.append(account)
    return accounts, home


def _units(accounts: list[Account], options: CollectOptions, home: str | None) -> list[Unit]:
    units: list[Unit] = []
    for account in accounts:
        if options.all_regions:
            regions = enabled_regions(account, home)
        elif options.regions:
            regions = list(dict.fromkeys(options.regions))
        elif home:
            regions = [home]
        else:
            raise CollectError("collect.no_region", "no AWS region configured", location=account.source,
                               hint="pass --region R (or --all-regions), or set AWS_REGION")
        units.extend(Unit(account.account_id, r) for r in regions)
    return units


def collect(options: CollectOptions, progress: Progress | None = None) -> CollectResult:
    """Collect a snapshot as ``options`` say; raises :class:`CollectError` (or ``FactsError``) on failure."""
    from reasoner.facts.importer import import_aws_configs, write_facts

    started = time.perf_counter()
    if options.regions and options.all_regions:
        raise CollectError("collect.usage", "--region and --all-regions exclude each other", location="--all-regions",
                           hint="pass either regions or --all-regions")
    for region in options.regions:
        check_region(region)
    for arn in options.role_arns:
        check_role_arn(arn)
    SnapshotWriter.check(options.out)  # before any request: a folder we must not replace is refused at once
    accounts, home = _accounts(options)
    units = _units(accounts, options, home)
    by_id = {a.account_id: a for a in accounts}
    writer = SnapshotWriter(options.out)
    progress = progress or (RichProgress() if options.progress else NoProgress())
    try:
        result = run(units, lambda u, service: by_id[u.account].client(service, u.region),
                     lambda u, call, items: writer.write_raw(u.account, u.region, call.key, items),
                     workers=options.workers, progress=progress)
        metadata: dict[str, Any] = {
            "accounts": sorted(by_id),
            "regions": sorted({u.region for u in units}),
            "collected_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "incomplete": [i.to_json() for i in result.incomplete],
        }
        writer.write_metadata(metadata)
        try:
            snap = import_aws_configs(writer.staging)
        except FactsError as exc:
            writer.commit()
            exc.hint = (exc.hint + "; " if exc.hint else "") + (
                f"the raw snapshot was written to {writer.out} (without facts/): `reason import` it after a fix")
            raise
        snap.manifest["source"] = str(writer.out)
        write_facts(snap, writer.facts)
        out = writer.commit()
    except BaseException:
        writer.abort()
        raise
    counts = snap.manifest.get("counts", {})
    return CollectResult(out=out, facts=out / "facts", accounts=sorted(by_id), regions=metadata["regions"],
                         files=writer.files, requests=result.requests, incomplete=result.incomplete,
                         facts_count=sum(counts.values()) if isinstance(counts, dict) else 0,
                         relations=len(snap.relations), seconds=time.perf_counter() - started)
