"""``forestall check --deploy`` refuses weak secrets, undeclared proxies, Redis-less workers."""

from __future__ import annotations

import secrets

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

STRONG = secrets.token_urlsafe(48)


def _ours(**kwargs) -> set[str]:
    return {
        message.id
        for message in run_checks(include_deployment_checks=True, databases=["default"])
        if message.id and message.id.startswith("forestall.E10")
    }


@pytest.fixture
def good(settings, monkeypatch):
    settings.SECRET_KEY = secrets.token_urlsafe(48)
    settings.FORESTALL_PEPPER = secrets.token_urlsafe(48)
    settings.FORESTALL_AUDIT_KEY = secrets.token_urlsafe(48)
    settings.FORESTALL_RESEARCH_SECRET = secrets.token_urlsafe(48)
    settings.FORESTALL_WORKERS = 1
    settings.REDIS_URL = ""
    monkeypatch.setenv("FORESTALL_TRUSTED_PROXIES", "1")
    return settings


def test_a_careful_configuration_passes_forestalls_checks(db, good):
    assert _ours() == set()


@pytest.mark.parametrize(
    "name", ["FORESTALL_PEPPER", "FORESTALL_AUDIT_KEY", "FORESTALL_RESEARCH_SECRET", "SECRET_KEY"]
)
@pytest.mark.parametrize("weak", ["x", "a" * 64, "abcd" * 10])
def test_a_weak_secret_is_refused(db, good, name, weak):
    setattr(good, name, weak)
    assert "forestall.E101" in _ours()


def test_undeclared_trusted_proxies_are_refused(db, good, monkeypatch):
    monkeypatch.delenv("FORESTALL_TRUSTED_PROXIES")
    assert "forestall.E102" in _ours()


def test_several_workers_without_redis_are_refused(db, good):
    good.FORESTALL_WORKERS = 4
    assert "forestall.E103" in _ours()
    good.REDIS_URL = "redis://localhost:6379/0"
    assert "forestall.E103" not in _ours()


def test_secure_delete_switched_off_is_refused(db, good):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete=OFF")
    try:
        assert "forestall.E104" in _ours()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete=ON")


def test_the_check_command_fails_on_a_pepper_of_x(db, good):
    good.FORESTALL_PEPPER = "x"
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy", "--fail-level", "ERROR")
    assert "FORESTALL_PEPPER is too short" in str(raised.value)
