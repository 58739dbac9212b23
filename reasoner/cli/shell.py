"""The ``reason`` command line's shell: the typer app, the consoles, formats, the timeout supervisor, errors turned
into messages and exit code 2, signals, and ``main``.  The commands live beside it (``ask``, ``snapshot``,
``checks``, ``audit``); this package is the only place that turns errors into messages and exit codes.

Exit codes: 0 reachable / check passed, 1 unreachable / check failed, 2 usage or input error,
3 inconclusive (the snapshot lacks, or the model does not follow, what the verdict depends on).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import sys
from enum import Enum

import typer
from rich.console import Console

from reasoner.errors import ReasonError
from reasoner.progress import PROGRESS, on_terminal
from reasoner.terminal import block, plain

app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_show_locals=False, pretty_exceptions_enable=False,
                  help="Offline, explainable reasoner for AWS network reachability.\n\n"
                       "Exit codes: 0 reachable / all hold, 1 unreachable / a check fails, 2 usage or input error, "
                       "3 inconclusive (the snapshot lacks what the answer depends on).")


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
    csv = "csv"


#: the formats each command answers in; another is refused (exit 2), never answered in a different shape
FORMATS = {"query": ("text", "json", "aws", "mermaid", "dot"), "query --all": ("text", "json", "csv"), "health": ("text", "json"),
           "verify": ("text", "json", "sarif", "junit"), "recheck": ("text", "json"), "diff": ("text", "json")}
EXIT_CODES = "Exit codes: 0 reachable / holds, 1 unreachable / fails, 2 usage or input error, 3 inconclusive."

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
#: set in the process that evaluates a supervised command (``_bounded``): main() ends it without freeing its heap
_evaluating = [False]


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
    _evaluating[0] = True


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


def _end(code: object) -> None:
    """Ends the evaluating process as the interpreter would, less the freeing of its heap: the ``atexit`` handlers run
    (among them the removal of temporary folders, ``tempfile``'s finalizers), the streams are flushed, and the
    process exits with ``code``.  Freeing the snapshot's rows, the engines' state and the answers object by
    object, which nothing outside the process sees, took about 0.04 s of a 0.9 s ``* -> X`` at 20k ENIs.  Every file
    a command writes is closed (``with``) before the command returns; the process has no other thread by then."""
    import atexit

    if code is not None and not isinstance(code, int):  # sys.exit("text"): the text on stderr, exit 1, as Python does
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    _exit_now(code or 0)  # (flushes the streams)


def main() -> None:
    # A command builds a few hundred thousand objects that live until it ends (the snapshot's rows, packets, answers),
    # and with the default threshold (700 allocations) the collector walks the young ones again and again.  Collecting
    # less often, not never (cycles are still freed, after a million allocations not freed): at 20k ENIs, CPU, 700 ->
    # 100,000: * -> X 1.20 -> 1.18 s, sg-A -> sg-B any 2.12 -> 2.09 s (median of 5); 100,000 -> 1,000,000 (each
    # collection of 100,000 young objects took 0.01-0.015 s): audit exposure 4.24 -> 3.62 s (15 collections -> none),
    # audit pairs 28.8 -> 27.4 s (143 -> none), * -> X 0.96 -> 0.94 s, the same peak RSS (287 and 364 MB).
    gc.set_threshold(1_000_000, 20, 20)
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
    except SystemExit as e:
        if _evaluating[0]:
            _end(e.code)
        raise
    except Exception as e:  # last resort: never a traceback
        err.print(f"internal error: {type(e).__name__}: {plain(e)}\nplease report it with the command you ran", markup=False)
        sys.exit(2)
