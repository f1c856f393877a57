"""``forestall check --deploy`` refuses weak secrets, undeclared proxies, Redis-less workers."""

from __future__ import annotations

import base64
import secrets

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

STRONG = secrets.token_urlsafe(48)


def _key(material: bytes | None = None) -> str:
    return base64.b64encode(secrets.token_bytes(32) if material is None else material).decode()


def _messages(code: str) -> list[str]:
    return [
        message.msg
        for message in run_checks(include_deployment_checks=True, databases=["default"])
        if message.id == code
    ]


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
    settings.FORESTALL_KEYS = f"2025:{_key()},2026:{_key()}"
    settings.FORESTALL_RESEARCH_SECRET = secrets.token_urlsafe(48)
    settings.FORESTALL_WORKERS = 1
    settings.REDIS_URL = ""
    settings.FORESTALL_SITE_URL = "https://help.example"
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


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://help.example", False),
        ("http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion", False),
        ("http://help.example", True),
        ("https://help.example/some/path", True),
        ("help.example", True),
    ],
    ids=["https", "onion", "plain-http", "with-path", "no-scheme"],
)
def test_the_site_url_must_be_an_https_origin(db, good, url, refused):
    good.FORESTALL_SITE_URL = url
    assert ("forestall.E106" in _ours()) is refused


def test_several_workers_without_redis_are_refused(db, good):
    good.FORESTALL_WORKERS = 4
    assert "forestall.E103" in _ours()
    good.REDIS_URL = "redis://localhost:6379/0"
    assert "forestall.E103" not in _ours()


def test_secure_delete_switched_off_is_refused(db, good):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("secure_delete is SQLite's; PostgreSQL purges VACUUM instead")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete=OFF")
    try:
        assert "forestall.E104" in _ours()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete=ON")


def test_static_files_not_collected_where_the_server_looks_are_refused(db, good, tmp_path):
    # Production's storage (FORESTALL_STATIC_FROM_APPS off) over a STATIC_ROOT
    # that collectstatic never wrote to: every page would be a server error.
    good.STATIC_ROOT = tmp_path
    good.STORAGES = {
        **good.STORAGES,
        "staticfiles": {
            "BACKEND": "forestall.lib.staticfiles.RememberedManifestStaticFilesStorage"
        },
    }
    (message,) = _messages("forestall.E107")
    assert str(tmp_path) in message
    (tmp_path / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    assert "forestall.E107" not in _ours()


def test_static_files_from_the_apps_need_no_collectstatic(db, good):
    assert "forestall.E107" not in _ours()


def test_the_check_command_fails_on_a_pepper_of_x(db, good):
    good.FORESTALL_PEPPER = "x"
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy", "--fail-level", "ERROR")
    assert "FORESTALL_PEPPER is too short" in str(raised.value)


WEAK_KEYS = {
    "zeros": bytes(32),
    "one byte repeated": b"\x07" * 32,
    "two bytes repeated": b"\x01\xfe" * 16,
    "counting": bytes(range(32)),
    "counting in steps": bytes(range(0, 96, 3)),
    "a passphrase": b"ThisIsMyVerySecretKeyForForest12",
    "hex text": secrets.token_hex(16).encode(),
}


@pytest.mark.parametrize("kind", sorted(WEAK_KEYS))
def test_a_key_ring_key_that_is_not_random_is_refused(db, good, kind):
    good.FORESTALL_KEYS = f"2025:{_key()},weak:{_key(WEAK_KEYS[kind])}"
    messages = _messages("forestall.E105")
    assert len(messages) == 1
    assert "key 'weak'" in messages[0]
    assert "'2025'" not in messages[0]
    assert _key(WEAK_KEYS[kind]) not in messages[0]  # never the key itself


def test_random_key_ring_keys_pass(db, good):
    from forestall.lib.deploy_checks import check_key_ring_keys

    assert _messages("forestall.E105") == []
    for _attempt in range(300):  # 3,000 random keys: none refused
        good.FORESTALL_KEYS = ",".join(f"{n}:{_key()}" for n in range(10))
        assert check_key_ring_keys() == []


def test_the_same_key_under_two_ids_is_refused(db, good):
    key = _key()
    good.FORESTALL_KEYS = f"2025:{key},2026:{key}"
    (message,) = _messages("forestall.E105")
    assert "key '2026' is the same key as '2025'" in message


def test_the_check_command_fails_on_a_key_of_zeros(db, good):
    good.FORESTALL_KEYS = f"2026:{_key(bytes(32))}"
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy", "--fail-level", "ERROR")
    assert "forestall.E105" in str(raised.value)
    assert _key(bytes(32)) not in str(raised.value)
