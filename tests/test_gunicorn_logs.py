"""gunicorn, as the operating guide runs it, writes no client address, user agent or query.

gunicorn has loggers of its own, set up before the application loads: its
error log says "Invalid request from ip=…" for a malformed request (a TLS
handshake sent to the plain port, an over-long request line), and its access
log, if an operator turns it on, is addresses, user agents and referrers.
The settings take both over in every worker (``LOGGING``); this runs the real
server and reads everything it printed.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.test_privacy_logging import USER_AGENT

ROOT = Path(__file__).resolve().parent.parent
SEARCHED = "secret-search-5521"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _send(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn stopped while starting"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def test_gunicorn_logs_no_address_user_agent_or_query(tmp_path):
    port = _free_port()
    env = {**os.environ, "FORESTALL_DEBUG": "1", "FORESTALL_VAR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    output, errors = tmp_path / "stdout", tmp_path / "stderr"
    with output.open("wb") as out, errors.open("wb") as err:
        server = subprocess.Popen(  # noqa: S603 - our own server, our arguments
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "forestall.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                "2",
                # An operator who turned the access log on, to the terminal.
                "--access-logfile",
                "-",
                "--log-level",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        try:
            _wait_for(port, server)
            time.sleep(1)  # the worker has loaded the application (and its logging)
            too_long = _send(port, b"GET /" + b"a" * 6000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            handshake = _send(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03tls\r\n\r\n")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(
                "GET", f"/no-such-page/?q={SEARCHED}", headers={"User-Agent": USER_AGENT}
            )
            status = connection.getresponse().status
            connection.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    printed = output.read_text(errors="replace") + errors.read_text(errors="replace")
    # The requests were made and answered, so the server had something to log.
    assert too_long.startswith(b"HTTP/1.1 414")
    assert handshake.startswith(b"HTTP/1.1 400")
    assert status == 404
    assert "Invalid request from" in printed  # gunicorn's error log was written ...
    assert "127.0.0.1" not in printed.replace(f"127.0.0.1:{port}", "")  # ... without the address
    assert USER_AGENT not in printed
    assert SEARCHED not in printed
