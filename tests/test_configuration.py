"""Production configuration: `forestall check` in a clean environment, as a server would run it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

FORESTALL = Path(sys.executable).parent / "forestall"
# The checkout under test: the installed command would otherwise import the
# package from wherever the virtualenv was installed from (another checkout).
ROOT = Path(__file__).resolve().parent.parent


def _production_environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    """Only PATH and HOME from outside (and this checkout): no FORESTALL_DEBUG, no secrets."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "FORESTALL_VAR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    environment.update(variables)
    return environment


def _complete_settings(tmp_path: Path) -> dict[str, str]:
    return {
        "FORESTALL_SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
        "FORESTALL_KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "FORESTALL_PEPPER": secrets.token_urlsafe(32),
        "FORESTALL_AUDIT_KEY": secrets.token_urlsafe(32),
        "FORESTALL_RESEARCH_SECRET": secrets.token_urlsafe(32),
        "FORESTALL_REACH_SIGNING_KEYS": "r1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "FORESTALL_ALLOWED_HOSTS": "forestall.example",
        "FORESTALL_TRUSTED_PROXIES": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }


def _forestall(tmp_path: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [str(FORESTALL), *arguments],
        env=_production_environment(tmp_path, **variables),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("production")


def test_a_missing_secret_key_is_one_line_naming_the_variable(module_tmp):
    result = _forestall(module_tmp, "check")
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "FORESTALL_SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "missing",
    [
        "FORESTALL_KEYS",
        "FORESTALL_PEPPER",
        "FORESTALL_AUDIT_KEY",
        "FORESTALL_RESEARCH_SECRET",
        "FORESTALL_REACH_SIGNING_KEYS",
        "FORESTALL_ALLOWED_HOSTS",
    ],
)
def test_every_other_missing_setting_is_named_the_same_way(module_tmp, missing):
    variables = _complete_settings(module_tmp)
    del variables[missing]
    result = _forestall(module_tmp, "check", **variables)
    assert result.returncode != 0
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert missing in lines[0]
    assert "Traceback" not in result.stderr


def test_production_debug_is_off_unless_asked_for(module_tmp):
    result = _forestall(
        module_tmp,
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.SESSION_COOKIE_SECURE)",
        **_complete_settings(module_tmp),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True"


def test_with_every_variable_set_the_deployment_check_finds_no_issues(module_tmp):
    # In the order docs/operating.md gives: collectstatic, then the check.
    settings = _complete_settings(module_tmp)
    collected = _forestall(module_tmp, "collectstatic", "--noinput", **settings)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    result = _forestall(module_tmp, "check", "--deploy", **settings)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_without_collected_static_files_the_deployment_check_says_so(tmp_path):
    # A server started in another directory than collectstatic ran finds none:
    # every page would be a server error.
    result = _forestall(tmp_path, "check", "--deploy", **_complete_settings(tmp_path))
    assert result.returncode != 0
    assert "forestall.E107" in result.stderr
    assert str(tmp_path / "var" / "static") in result.stderr
    assert "Traceback" not in result.stderr


_IS_SECURE = (
    "from django.test import RequestFactory; "
    "print(RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https').is_secure())"
)


def test_x_forwarded_proto_is_believed_only_from_a_declared_proxy(module_tmp):
    variables = _complete_settings(module_tmp)
    variables["FORESTALL_TRUSTED_PROXIES"] = "0"
    without_proxy = _forestall(module_tmp, "shell", "--no-imports", "-c", _IS_SECURE, **variables)
    assert without_proxy.returncode == 0, without_proxy.stderr
    assert without_proxy.stdout.strip() == "False"
    variables["FORESTALL_TRUSTED_PROXIES"] = "1"
    behind_proxy = _forestall(module_tmp, "shell", "--no-imports", "-c", _IS_SECURE, **variables)
    assert behind_proxy.returncode == 0, behind_proxy.stderr
    assert behind_proxy.stdout.strip() == "True"


def test_with_redis_the_public_pages_stay_out_of_the_shared_cache(tmp_path):
    """Anyone can add cached pages (one per made-up query string): in the Redis that keeps
    the rate limits' counters, a Redis that evicts to stay within its memory could drop
    a counter for them and reset the codename sign-in limit."""
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; from django.conf import settings; django.setup(); "
            "print(json.dumps({name: value['BACKEND'] "
            "for name, value in settings.CACHES.items()}))",
        ],
        env=_production_environment(
            tmp_path,
            **_complete_settings(tmp_path),
            REDIS_URL="redis://127.0.0.1:6379/0",
            DJANGO_SETTINGS_MODULE="forestall.settings",
        ),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    backends = json.loads(shown.stdout.strip().splitlines()[-1])
    assert backends["default"] == "django.core.cache.backends.redis.RedisCache"
    assert backends["public_pages"] == "django.core.cache.backends.locmem.LocMemCache"
    assert all(
        backend != "django.core.cache.backends.redis.RedisCache"
        for name, backend in backends.items()
        if name != "default"
    )
