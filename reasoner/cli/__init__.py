"""The ``reason`` command line: the only place that turns errors into messages and exit codes.

``shell`` holds the typer app, the consoles, formats, the timeout supervisor and ``main``; the commands are
grouped by what they do: ``ask`` (query, health), ``snapshot`` (import, collect), ``checks`` (verify, recheck,
diff, test, check) and ``audit`` (audit exposure, audit pairs).  Importing this package registers them all.

Exit codes: 0 reachable / check passed, 1 unreachable / check failed, 2 usage or input error,
3 inconclusive (the snapshot lacks, or the model does not follow, what the verdict depends on).
"""

from reasoner.cli.shell import app, main
from reasoner.cli import ask, snapshot, checks, audit  # noqa: F401,E402 - registers the commands, in this order

__all__ = ["app", "main"]
