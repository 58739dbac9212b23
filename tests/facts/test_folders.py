"""Staging folders' writers (reasoner/facts/folders.py): a writer that can no longer write is not alive."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from reasoner.facts import folders


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="zombies are told apart through /proc (Linux)")
def test_a_zombie_writer_is_not_alive_and_a_live_one_is():
    """A writer that died and is not reaped yet (its parent has not waited for it, or it was reparented) is a zombie;
    its staging folder must still be swept (tests/cli/test_import_out.py sweeps a killed writer's folder)."""
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        deadline = time.monotonic() + 10
        while folders._pid_alive(pid) and time.monotonic() < deadline:  # exits at once, then stays a zombie
            time.sleep(0.01)
        assert not folders._pid_alive(pid)
        assert folders._pid_alive(live.pid) and folders._pid_alive(os.getpid())
    finally:
        os.waitpid(pid, 0)
        live.kill()
        live.wait()
    assert not folders._pid_alive(pid)
