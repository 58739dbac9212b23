"""Helpers for `reason collect` tests (the fixtures are in conftest.py).

:class:`FaultProxy` is a real HTTP endpoint placed in front of the moto server: it answers chosen
operations with AWS error responses (a number of times, or always) and forwards every other request
untouched, so botocore's real retry handler and our error handling are exercised over HTTP.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3

SECRET = "reason-test-secret-Zq81vK"  # the secret access key of every test: must never show up anywhere
REGION = "us-east-1"
ACCOUNT = "123456789012"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reason_cmd() -> list[str]:
    """The installed `reason` script next to this Python (else on PATH, else ``python -m reasoner``)."""
    exe = Path(sys.executable).with_name("reason")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("reason")
    return [found] if found else [sys.executable, "-m", "reasoner"]


def clean_env(endpoint: str, tmp: Path) -> dict[str, str]:
    """The test process's environment minus any AWS setting, plus the moto endpoint and fake keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    empty = tmp / "aws-empty-config"
    empty.write_text("")
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY=SECRET,
               AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty),
               AWS_EC2_METADATA_DISABLED="true")
    return env


@dataclass
class Aws:
    """The moto server, reset, with the environment the CLI runs with."""

    endpoint: str
    env: dict[str, str]

    def session(self) -> boto3.Session:
        return boto3.Session(aws_access_key_id="testing", aws_secret_access_key=SECRET, region_name=REGION)

    def reason(self, *args: str, endpoint: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        """Run the real CLI; ``endpoint`` overrides AWS_ENDPOINT_URL (e.g. the fault proxy)."""
        full = dict(self.env, **env)
        if endpoint:
            full["AWS_ENDPOINT_URL"] = endpoint
        return subprocess.run([*reason_cmd(), *args], env=full, capture_output=True, text=True, timeout=300)


@dataclass
class _Rule:
    code: str
    status: int
    times: int | None  # None: always
    message: str


@dataclass
class FaultProxy:
    """HTTP proxy to ``upstream`` that fails chosen operations (by AWS operation name)."""

    upstream: str
    rules: dict[str, _Rule] = field(default_factory=dict)
    seen: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, operation: str, code: str, status: int = 400, times: int | None = None, message: str = "") -> None:
        self.rules[operation] = _Rule(code, status, times, message or f"injected {code}")

    def decide(self, operation: str) -> _Rule | None:
        with self._lock:
            self.seen[operation] += 1
            rule = self.rules.get(operation)
            if rule is None or (rule.times is not None and self.failed[operation] >= rule.times):
                return None
            self.failed[operation] += 1
            return rule

    def serve(self) -> ThreadingHTTPServer:
        """Start serving on a free port of 127.0.0.1 (sets :attr:`url`); stop with ``shutdown()``."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return server


def _operation(headers: http.client.HTTPMessage, body: bytes) -> tuple[str, str]:
    """(service signing name, operation) of a signed AWS request."""
    auth = headers.get("Authorization", "")
    service = auth.split("Credential=", 1)[1].split("/")[3] if "Credential=" in auth else ""
    target = headers.get("X-Amz-Target")
    if target:
        return service, target.rsplit(".", 1)[-1]
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return service, (form.get("Action") or [""])[0]


def _error_body(service: str, rule: _Rule) -> tuple[bytes, str]:
    """An error answer in the service's protocol (EC2 query, other query/XML, JSON)."""
    if service == "ec2":
        xml = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{rule.code}</Code>"
               f"<Message>{rule.message}</Message></Error></Errors><RequestID>proxy</RequestID></Response>")
        return xml.encode(), "text/xml"
    if service == "ecs":
        return json.dumps({"__type": rule.code, "message": rule.message}).encode(), "application/x-amz-json-1.1"
    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{rule.code}</Code><Message>{rule.message}</Message></Error>"
           f"<RequestId>proxy</RequestId></ErrorResponse>")
    return xml.encode(), "text/xml"


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    up = urllib.parse.urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            service, operation = _operation(self.headers, body)
            rule = proxy.decide(operation)
            if rule is not None:
                data, ctype = _error_body(service, rule)
                self._reply(rule.status, [("Content-Type", ctype), ("x-amzn-RequestId", "proxy")], data)
                return
            conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            skip = ("connection", "content-length", "transfer-encoding", "server", "date")
            self._reply(resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in skip], data)

        do_POST = do_GET = _handle

    return Handler
