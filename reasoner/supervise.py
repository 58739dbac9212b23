"""Bounded time for evaluation: ``--timeout`` and Ctrl-C, through a supervising parent process.

pyDatalog's compiled engine evaluates in C without ever releasing the GIL or checking for signals:
measured on Souffle's ``hmmer`` program as a policy file, neither SIGINT nor a SIGALRM handler nor a
watchdog thread runs until the query ends (minutes, or never).  So the command runs in a forked
child, and the parent only waits: on the deadline it kills the child and exits 2 with a message; on
SIGINT (Ctrl-C) or SIGTERM it kills the child and exits 130 (143), at once.  The child writes to the
same stdout/stderr and its exit code becomes the command's.

Handled: Linux and macOS (``os.fork``).  Without fork (Windows) the command runs unsupervised.  A child stopped by
the CPU time limit it inherited (``ulimit -t``, RLIMIT_CPU: SIGXCPU) ends the command with exit 2 and says so,
as the deadline does; any other signal is an internal error.
Not handled: memory limits (use ``ulimit -v``).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Callable

POLL = 0.02  # seconds between checks of the child; Ctrl-C interrupts the wait at once


class _Stop(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def supervise(timeout: float, message: Callable[[str], None]) -> int | None:
    """Forks.  ``timeout`` <= 0: no time limit (Ctrl-C still stops).  In the child, returns None: the caller runs the command there.  In the parent, waits for the
    child and returns the exit code the command must end with (the child's, 2 on timeout, 130 on
    Ctrl-C); ``message`` prints one line to the user's stderr."""
    if not hasattr(os, "fork"):
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        _die_with_parent()
        return None
    previous = signal.getsignal(signal.SIGTERM)
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C: KeyboardInterrupt below

    def on_term(signum: int, frame: object) -> None:
        raise _Stop(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    deadline = time.monotonic() + timeout if timeout > 0 else float("inf")
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return _exit_code(status, message)
            if time.monotonic() >= deadline:
                _kill(pid)
                message(f"error[timeout]: evaluation did not finish within {timeout:g} s; stopped\n"
                        f"  hint: a rule file may not terminate (recursion through large relations); "
                        f"raise the limit with --timeout SECONDS")
                return 2
            time.sleep(POLL)
    except KeyboardInterrupt:
        _kill(pid)
        message("interrupted")
        return 130
    except _Stop as stop:
        _kill(pid)
        return stop.code
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def _exit_code(status: int, message: Callable[[str], None]) -> int:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0
    if sig == signal.SIGINT:
        return 130
    if sig == signal.SIGXCPU:  # the kernel's CPU time limit (RLIMIT_CPU), not a fault of the evaluation
        message("error[cpu_limit]: evaluation used up the CPU time this process may use (ulimit -t); stopped\n"
                "  hint: raise the limit, or bound the time with --timeout SECONDS instead")
        return 2
    message(f"internal error: evaluation stopped by signal {sig}\nplease report it with the command you ran")
    return 2


def _die_with_parent() -> None:
    """Linux: the child gets SIGKILL when the parent dies (``kill -9`` of the command), best effort."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent already died
            os._exit(2)
    except (OSError, AttributeError):
        pass
