"""Reading a file a user names: a regular file only, never waiting on a pipe.

``open()`` of a FIFO for reading waits until some process opens it for writing, so a FIFO named ``x.reason`` in a
queries folder, given as a ``--proof`` target or to `reason recheck`, hung the command until ``--timeout`` (which
then blamed the rule files).  :func:`read_regular` opens without waiting (``O_NONBLOCK``), looks at what it opened
(``fstat``: no race with a rename in between) and refuses anything but a regular file with
:class:`NotRegularFile`; the callers turn that into their own input error (exit 2).  Rule files
(:func:`reasoner.engine.parse.read_texts`), assertion files, proofs and ``--proof`` targets are read through it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegularFile(OSError):
    """The path names a folder, a pipe, a device or a socket: ``what`` says which, for a message."""

    def __init__(self, path: str | Path, what: str) -> None:
        super().__init__(f"{path}: {what}")
        self.what = what
        self.strerror = what


def kind(mode: int) -> str:
    """What a file of ``mode`` is, as a message names it."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "not a regular file (a named pipe)"
    if stat.S_ISSOCK(mode):
        return "not a regular file (a socket)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "not a regular file (a device)"
    return "not a regular file"


def read_regular(path: str | Path, limit: int = -1) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``; all of them when negative); NotRegularFile when it
    is anything else (without waiting for a pipe's writer), OSError when it cannot be read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path, kind(mode))
        return f.read(limit)
