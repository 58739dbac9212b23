"""`reason collect` on hostile or broken input (issue 10, items 3 and 7): the real CLI against moto's server.

Never a traceback or "internal error"; never the access key id, the secret, or a request header in any
output or file; no staging folder left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from collect_support import SECRET, Aws, reason_cmd

KEY_ID = "AKIAREASONTESTKEY123"


def _everything(r: subprocess.CompletedProcess, *folders: Path) -> str:
    text = r.stdout + r.stderr
    for folder in folders:
        if folder.exists():
            for path in folder.rglob("*"):
                if path.is_file():
                    text += path.read_text(errors="replace")
    return text


def _clean_failure(r: subprocess.CompletedProcess, tmp_path: Path) -> str:
    text = _everything(r, tmp_path)
    assert r.returncode == 2, text
    assert "internal error" not in text and "Traceback" not in text, text
    assert KEY_ID not in text and SECRET not in text, "credentials leaked"
    assert "Credential=" not in text and "Signature=" not in text and "AWS4-HMAC-SHA256" not in text, text
    assert len(r.stderr.strip().splitlines()) <= 3, r.stderr  # one error line (+ hint)
    assert not [p for p in tmp_path.rglob(".*collect-*")], "staging folder left behind"
    return text


@pytest.mark.parametrize("region", ["eu-west-1\n", "eu-west-1\r", " eu-west-1", "eu-west-1 ", "us-east-1\t", "EU-WEST-1"])
def test_a_region_with_trailing_junk_is_refused_and_no_header_is_printed(aws: Aws, tmp_path: Path, region: str) -> None:
    r = aws.reason("collect", "--out", str(tmp_path / "snap"), "--region", region, AWS_ACCESS_KEY_ID=KEY_ID)
    text = _clean_failure(r, tmp_path)
    assert "not an AWS region name" in text
    assert not (tmp_path / "snap").exists()


def test_a_role_arn_with_a_trailing_newline_is_refused(aws: Aws, tmp_path: Path) -> None:
    r = aws.reason("collect", "--out", str(tmp_path / "snap"), "--role-arn", "arn:aws:iam::222222222222:role/R\n",
                   AWS_ACCESS_KEY_ID=KEY_ID)
    assert "not an IAM role ARN" in _clean_failure(r, tmp_path)


def test_a_bad_region_in_the_environment_never_prints_the_signing_header(aws: Aws, tmp_path: Path) -> None:
    """Validation of --region is not the only way in: AWS_REGION / AWS_DEFAULT_REGION reach the signer too."""
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        r = aws.reason("collect", "--out", str(tmp_path / "snap"), AWS_ACCESS_KEY_ID=KEY_ID, **{var: "eu-west-1\n"})
        _clean_failure(r, tmp_path)


class _Fake(BaseHTTPRequestHandler):
    """An endpoint that is not AWS: HTML, or an empty reply, for every request."""

    body = b""
    ctype = "text/html"

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", self.ctype)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_POST = do_GET = _handle


@pytest.mark.parametrize("body", [b"<html><body><h1>Welcome to nginx!</h1></body></html>", b""], ids=["html", "empty"])
def test_an_endpoint_that_is_not_aws_is_a_clean_error(aws: Aws, tmp_path: Path, body: bytes) -> None:
    handler = type("H", (_Fake,), {"body": body})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        r = aws.reason("collect", "--out", str(tmp_path / "snap"), endpoint=f"http://127.0.0.1:{server.server_address[1]}",
                       AWS_ACCESS_KEY_ID=KEY_ID, AWS_MAX_ATTEMPTS="1")
    finally:
        server.shutdown()
        server.server_close()
    _clean_failure(r, tmp_path)
    assert not (tmp_path / "snap").exists()


def test_a_malformed_endpoint_url_is_a_clean_error(aws: Aws, tmp_path: Path) -> None:
    r = aws.reason("collect", "--out", str(tmp_path / "snap"), endpoint="http://[::1", AWS_ACCESS_KEY_ID=KEY_ID)
    assert "AWS_ENDPOINT_URL" in _clean_failure(r, tmp_path)


@pytest.mark.parametrize("where", ["file", "proc"])
def test_out_under_a_file_or_proc_is_a_clean_error(aws: Aws, tmp_path: Path, where: str) -> None:
    if where == "file":
        (tmp_path / "afile").write_text("mine")
        out = tmp_path / "afile" / "snap"
    else:
        out = Path("/proc/reason-test/snap")
    r = aws.reason("collect", "--out", str(out), "--region", "us-east-1")
    _clean_failure(r, tmp_path)
    if where == "file":
        assert (tmp_path / "afile").read_text() == "mine"


def test_sigterm_during_collect_leaves_no_staging_folder(aws: Aws, tmp_path: Path) -> None:
    """A collector that hangs on its endpoint (a server that never answers) is stopped with SIGTERM."""

    upstream = aws.endpoint

    class Hang(BaseHTTPRequestHandler):
        """STS is answered by moto (so the run gets as far as staging); every other call hangs."""

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if b"Action=GetCallerIdentity" not in body:
                time.sleep(30)
                return
            import urllib.request
            req = urllib.request.Request(upstream + self.path, data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                data = resp.read()
                self.send_response(resp.status)
                self.send_header("Content-Type", resp.headers.get("Content-Type", "text/xml"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hang)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(aws.env)
    try:
        # the old snapshot exists; a run is started that stages next to it, then is terminated
        r = aws.reason("collect", "--out", str(tmp_path / "snap"), "--quiet")
        assert r.returncode == 0, r.stderr
        before = sorted(p.relative_to(tmp_path) for p in (tmp_path / "snap").rglob("*"))
        env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
        proc = subprocess.Popen([*reason_cmd(), "collect", "--out", str(tmp_path / "snap"), "--quiet"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".snap.collect-*")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        staged = list(tmp_path.glob(".snap.collect-*"))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert staged, "the run never staged (test did not exercise the signal)"
    assert proc.returncode != 0
    assert "Traceback" not in err and "internal error" not in err, err
    assert not list(tmp_path.glob(".snap.collect-*")), "SIGTERM left the staging folder"
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "snap").rglob("*")) == before, "old snapshot untouched"


def test_an_aws_error_message_is_shown_as_text_never_as_markup(aws: Aws, fault_proxy, tmp_path: Path) -> None:
    """The endpoint's error message (data) in collect's text output: markup escaped, never a line of its own;
    a key id inside the message is redacted, in the output and in reason-collect.json."""
    import collect_scenario

    collect_scenario.build(aws.session())
    fault_proxy.fail("DescribeNatGateways", "AccessDenied",
                     message=f"[bold red]REACHABLE[/] denied for {KEY_ID} [/]")
    r = aws.reason("collect", "--out", str(tmp_path / "snap"), "--quiet", endpoint=fault_proxy.url, AWS_ACCESS_KEY_ID=KEY_ID)
    text = _everything(r, tmp_path)
    assert r.returncode == 0, text
    assert "internal error" not in text and "MarkupError" not in text
    assert "[bold red]REACHABLE[/] denied for" in r.stdout, "the message is shown as typed"
    assert KEY_ID not in text, "the key id is redacted everywhere"
    assert not [line for line in r.stdout.splitlines() if line.lstrip().startswith("REACHABLE")]
