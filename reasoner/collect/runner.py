"""Runs the call table over every (account, region) with one bounded thread pool, with progress.

The scheduler lives in the calling thread: it submits every call whose parent call is done, waits
for the first to finish, records it, submits what that unblocks, and so on.  At most ``workers``
requests are in flight whatever the number of accounts and regions.  A call whose parent call
failed (or is not in the run) is skipped: the parent's failure is already recorded as incomplete.  A fatal error (expired
credentials, ...) cancels what has not started and is raised.

Progress: one line per account/region (calls done / total, the call in flight), drawn with rich on
stderr; :class:`NoProgress` draws nothing (``--quiet``, or stderr is not a terminal).
"""

from __future__ import annotations

import sys
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

from reasoner.collect.calls import CALLS, Call, Outcome, fetch
from reasoner.collect.errors import Incomplete
from reasoner.terminal import markup

#: Default size of the pool (requests in flight at once).
DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class Unit:
    """One account in one region."""

    account: str
    region: str

    @property
    def label(self) -> str:
        return f"{self.account}/{self.region}"


class Progress(Protocol):
    def start(self, units: list[Unit], calls_per_unit: int) -> None: ...
    def running(self, unit: Unit, call: Call) -> None: ...
    def finished(self, unit: Unit, call: Call, outcome: Outcome | None) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    """Draws nothing."""

    def start(self, units: list[Unit], calls_per_unit: int) -> None:
        pass

    def running(self, unit: Unit, call: Call) -> None:
        pass

    def finished(self, unit: Unit, call: Call, outcome: Outcome | None) -> None:
        pass

    def close(self) -> None:
        pass


class RichProgress:
    """A rich progress bar per account/region on stderr: calls done, total, the call in flight."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), TextColumn("{task.fields[current]}"),
                                  console=Console(stderr=True, emoji=False), transient=False)
        self._tasks: dict[Unit, Any] = {}
        self._left: dict[Unit, int] = {}

    def start(self, units: list[Unit], calls_per_unit: int) -> None:
        self._progress.start()
        for u in units:
            self._tasks[u] = self._progress.add_task(markup(u.label), total=calls_per_unit, current="")
            self._left[u] = calls_per_unit

    def running(self, unit: Unit, call: Call) -> None:
        self._progress.update(self._tasks[unit], current=markup(call.label))

    def finished(self, unit: Unit, call: Call, outcome: Outcome | None) -> None:
        self._left[unit] -= 1
        self._progress.update(self._tasks[unit], advance=1, current="" if self._left[unit] else "done")

    def close(self) -> None:
        self._progress.stop()


#: ``client_for(unit, service)``: the botocore client for a service in a unit's account and region.
ClientFor = Callable[[Unit, str], Any]
#: ``sink(unit, call, items)``: called in the worker thread with a call's items (e.g. write the file).
Sink = Callable[[Unit, Call, list[Any]], None]


@dataclass
class RunResult:
    """Everything collected: items per unit and key (``None`` = failed or skipped), and what is missing."""

    items: dict[Unit, dict[str, list[Any] | None]] = field(default_factory=dict)
    incomplete: list[Incomplete] = field(default_factory=list)
    requests: int = 0


def run(units: Iterable[Unit], client_for: ClientFor, sink: Sink | None = None, calls: Iterable[Call] = CALLS,
        workers: int = DEFAULT_WORKERS, progress: Progress | None = None) -> RunResult:
    """Fetch every call in every unit with a pool of ``workers`` threads."""
    units = list(units)
    calls = list(calls)
    keys = {c.key for c in calls}
    progress = progress or NoProgress()
    result = RunResult(items={u: {} for u in units})
    pending: dict[Unit, list[Call]] = {u: list(calls) for u in units}
    futures: dict[Future[Outcome], tuple[Unit, Call]] = {}

    def job(unit: Unit, call: Call, parents: dict[str, list[Any]]) -> Outcome:
        progress.running(unit, call)
        outcome = fetch(call, client_for(unit, call.service), unit.account, unit.region, parents)
        if outcome.items is not None and sink is not None:
            sink(unit, call, outcome.items)
        return outcome

    def submit_ready(pool: ThreadPoolExecutor, unit: Unit) -> None:
        done = result.items[unit]
        changed = True
        while changed:
            changed = False
            for call in list(pending[unit]):
                needs = call.needs
                if not all(k in done or k not in keys for k in needs):
                    continue
                pending[unit].remove(call)
                changed = True
                if any(done.get(k) is None for k in needs):
                    done[call.key] = None  # parent failed (or not in this run): nothing to ask
                    progress.finished(unit, call, None)
                    continue
                futures[pool.submit(job, unit, call, {k: done[k] or [] for k in needs})] = (unit, call)

    progress.start(units, len(calls))
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="reason-collect")
    try:
        for unit in units:
            submit_ready(pool, unit)
        while futures:
            finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
            for fut in finished:
                unit, call = futures.pop(fut)
                outcome = fut.result()  # a CollectError propagates: the finally cancels the rest
                result.items[unit][call.key] = outcome.items
                result.incomplete.extend(outcome.incomplete)
                result.requests += outcome.requests
                progress.finished(unit, call, outcome)
                submit_ready(pool, unit)
    finally:
        # interrupted (SIGTERM, Ctrl-C): do not wait for requests in flight; the caller cleans up and exits
        interrupted = isinstance(sys.exc_info()[1], BaseException) and not isinstance(sys.exc_info()[1], Exception)
        pool.shutdown(wait=not interrupted, cancel_futures=True)
        progress.close()
    result.incomplete.sort(key=lambda i: (i.account, i.region, i.service, i.operation, i.message))
    return result
