"""Fixtures for `reason collect` tests: a moto server on 127.0.0.1, a fault-injecting proxy in front of it.

The moto server (``moto.server.ThreadedMotoServer``) is started once per session on a free port and
reset before each test that uses it (helpers in collect_support.py).
"""

from __future__ import annotations

import logging
import os
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from moto.server import ThreadedMotoServer

from collect_support import Aws, FaultProxy, clean_env, free_port


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Aws:
    """A freshly reset moto server; AWS_* of this process point at it too (for building scenarios)."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"), timeout=30).read()
    env = clean_env(moto_endpoint, tmp_path)
    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return Aws(moto_endpoint, env)


@pytest.fixture
def fault_proxy(aws: Aws) -> Iterator[FaultProxy]:
    proxy = FaultProxy(aws.endpoint)
    server = proxy.serve()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
