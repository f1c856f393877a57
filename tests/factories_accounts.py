"""Helpers for signing in through the real staff sign-in form (password, then TOTP)."""

from __future__ import annotations

import base64
import re
from typing import NamedTuple

from django.test import Client
from django_otp.oath import totp

from forestall.accounts.models import (
    BackupCode,
    BackupCodeSet,
    TOTPAuthenticator,
    User,
    backup_code_hash,
    new_backup_code,
)

LOGIN_URL = "/staff/login/"
# The wizard's management field (the prefix of django-two-factor-auth's LoginView).
# A GET of the sign-in page would restart the wizard, so it is not read from the page.
STEP_FIELD = "login_view-current_step"


def current_totp(device: TOTPAuthenticator, *, steps_ahead: int = 0) -> str:
    """The code the person's authenticator app shows now (or ``steps_ahead`` windows later)."""
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    return f"{code:0{device.digits}d}"


def totp_from_secret(secret: str) -> str:
    """The current code for a base32 secret, as an authenticator app computes it."""
    return f"{totp(base64.b32decode(secret)):06d}"


def backup_codes(user: User, count: int = 3) -> list[str]:
    """``count`` unused backup codes of ``user``, stored as the app stores them (hashes only)."""
    device = BackupCodeSet.objects.create(user=user, name="backup", confirmed=True)
    codes = [new_backup_code() for _ in range(count)]
    for code in codes:
        BackupCode.objects.create(device=device, code_hash=backup_code_hash(user.pk, code))
    return codes


def post_password(client: Client, username: str, password: str, *, next_url: str = ""):
    """The first step of the sign-in: username and password."""
    url = LOGIN_URL + (f"?next={next_url}" if next_url else "")
    step_field = STEP_FIELD
    return client.post(
        url, {step_field: "auth", "auth-username": username, "auth-password": password}
    )


def post_token(client: Client, token: str, *, next_url: str = ""):
    url = LOGIN_URL + (f"?next={next_url}" if next_url else "")
    step_field = STEP_FIELD
    return client.post(url, {step_field: "token", "token-otp_token": token})


def go_to_backup_step(client: Client):
    step_field = STEP_FIELD
    return client.post(LOGIN_URL, {step_field: "token", "wizard_goto_step": "backup"})


def post_backup_code(client: Client, code: str):
    step_field = STEP_FIELD
    return client.post(LOGIN_URL, {step_field: "backup", "backup-otp_token": code})


def sign_in_through_form(client: Client, user: User, password: str, device: TOTPAuthenticator):
    """Password, then the current TOTP code; returns the final response."""
    post_password(client, user.username, password)
    return post_token(client, current_totp(device))


SETUP_URL = "/staff/two-factor/setup/"


class Enrolment(NamedTuple):
    step_field: str  # the setup wizard's management field
    secret: str  # base32, as shown for typing in, without its spaces
    page: bytes  # the step that shows the secret


def start_enrolment(client: Client) -> Enrolment:
    """Open the setup wizard and go to the step that shows the new secret."""
    welcome = client.get(SETUP_URL)
    assert welcome.status_code == 200
    step_field = re.search(rb'name="([\w-]+-current_step)"', welcome.content).group(1).decode()
    generator = client.post(SETUP_URL, {step_field: "welcome"})
    secret = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', generator.content).group(1)
    return Enrolment(step_field, secret.decode().replace(" ", ""), generator.content)


def post_enrolment_code(client: Client, enrolment: Enrolment, code: str):
    """Type ``code`` at the step that shows the secret."""
    return client.post(SETUP_URL, {enrolment.step_field: "generator", "generator-token": code})
