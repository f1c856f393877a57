"""``make demo`` serves static files as production does, and a crafted path gets a 404, not a 500.

runserver's own static-file handler let ``SuspiciousFileOperation`` escape
for a path that climbs out of the static folder (``GET /static/../x``, sent
raw: browsers tidy such paths away), and the demo answered 500. The demo now
leaves static files to WhiteNoise, which serves them from the apps in
development and passes anything else on to the ordinary 404 page.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.staticfiles.management.commands.runserver import Command as RunServer
from django.core.management import call_command
from django.test import override_settings

from forestall.management.commands import demo


def _environ(path: str) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "REMOTE_ADDR": "127.0.0.1",
    }


@pytest.fixture
def demo_handler(monkeypatch, tmp_path, db):
    """The WSGI handler ``forestall demo`` would serve, built as runserver builds it."""
    served: dict[str, Any] = {}

    def fake_call_command(name: str, *args: Any, **options: Any) -> None:
        if name == "seed-demo":
            options["credentials"].write_text(json.dumps([]))
        elif name == "runserver":
            served.update(options)

    monkeypatch.setattr(demo, "call_command", fake_call_command)
    with override_settings(DEBUG=True, VAR_DIR=tmp_path):
        call_command("demo", port="8123", stdout=io.StringIO())
        handler = RunServer().get_handler(
            **{"use_static_handler": True, "insecure_serving": False, **served}
        )
        yield handler


def _get(handler: Any, path: str) -> tuple[str, bytes]:
    status: list[str] = []
    body = b"".join(handler(_environ(path), lambda line, headers, *rest: status.append(line)))
    return status[0], body


def test_the_demo_serves_static_files(demo_handler):
    status, body = _get(demo_handler, "/static/staff/staff.css")
    assert status.startswith("200") and body


def test_a_path_out_of_the_static_folder_is_a_404_in_the_demo(demo_handler):
    status, body = _get(demo_handler, "/static/../settings.py")
    assert status.startswith("404"), status
    assert b"Page not found" in body
