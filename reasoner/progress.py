"""Progress of long set questions, shown on a terminal only (issue 11: "long runs show a progress bar on a TTY").

The set engine (reasoner/engine/backend.py ``SetBackend``) reports, after each chunk, how many packet classes it
has evaluated, and ``None`` when it stops; it calls whatever ``PROGRESS`` holds.  The CLI sets ``PROGRESS`` to
``on_terminal()`` at start: a transient rich spinner on stderr when stderr is a terminal, nothing otherwise, so
pipes, files and JSON answers never see it.  The display is gone before the answer is printed.
"""

from __future__ import annotations

import atexit
import sys
from contextvars import ContextVar
from typing import Callable

#: Called with the number of packet classes evaluated so far, then with None when the evaluation stops.
PROGRESS: ContextVar[Callable[[int | None], None] | None] = ContextVar("reason_progress", default=None)


def on_terminal() -> Callable[[int | None], None] | None:
    """A progress callback drawing on stderr, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    live: dict = {}

    def update(n: int | None) -> None:
        if n is None:
            if "bar" in live:
                live.pop("bar").stop()
            return
        if "bar" not in live:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                           console=Console(stderr=True, emoji=False), transient=True)
            bar.start()
            live["bar"], live["task"] = bar, bar.add_task("")
            atexit.register(lambda: update(None))
        live["bar"].update(live["task"], description=f"set engine: {n:,} packet classes evaluated")
    return update
