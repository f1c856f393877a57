"""Staff sign-in (two_factor's views in forestall's look), staff home and sign-out.

The sign-in is django-two-factor-auth's wizard: password, then a TOTP code
(or a one-time backup code). A person without an authenticator yet can sign
in with the password only to enrol one; ``@staff_required`` sends them
straight to enrolment, and no staff page opens before a second factor is
verified in the session.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe
from django_otp.decorators import otp_required
from two_factor import views as two_factor_views
from two_factor.utils import default_device, get_otpauth_url, totp_digits

from forestall.accounts import actions, signin_throttle
from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.accounts.forms import LanguageForm
from forestall.accounts.kept_forms import KEPT_FORM_MINUTES, kept_form_for
from forestall.accounts.middleware import staff_language
from forestall.accounts.models import BackupCode, BackupCodeSet, Role, backup_code_hash
from forestall.accounts.navigation import waiting_for
from forestall.lib import ratelimit
from forestall.lib.crypto import CryptoError, key_ring

# Password attempts per client address (a keyed hash, and only where the
# address is a real source, see lib.ratelimit) in five minutes, and over
# everyone together. Progressive delays per account and source
# (accounts.signin_throttle) stop guessing one account's password; these stop
# one address guessing across many accounts. Generous, because a whole centre
# may sign in from one office address.
SIGN_IN_ATTEMPTS_PER_ADDRESS = 50
SIGN_IN_ATTEMPTS_OVERALL = 2000
SIGN_IN_PERIOD_SECONDS = 300


class _RefusedStepIs400:
    """A wizard step whose form was refused answers 400, with the form and why.

    django-two-factor-auth's wizards show a refused step again with 200; a
    wrong password, authenticator code or backup code is bad input, and bad
    input is never answered "OK".
    """

    def render(self, form: Any = None, **kwargs: Any) -> HttpResponse:
        response = super().render(form, **kwargs)  # type: ignore[misc]
        if form is not None and form.is_bound and form.errors:
            response.status_code = 400
        return response


class _WaitAfterWrongCodes:
    """The message for a code typed during the wait after wrong ones, saying how long is left.

    django-otp formats this message with ``%`` and the details of the refusal
    (``failure_count`` and ``locked_until``); a plain string could only say
    "a few seconds", and the wait is up to ``MAX_CODE_DELAY_SECONDS``.
    """

    def __mod__(self, details: dict[str, Any]) -> str:
        failures = int(details.get("failure_count") or 1)
        locked_until = details.get("locked_until")
        left = (locked_until - timezone.now()).total_seconds() if locked_until else 1
        wait = ratelimit.wait_phrase(max(1, math.ceil(left)))
        return ngettext(
            "After %(failure_count)d wrong code, wait %(wait)s before you try again.",
            "After %(failure_count)d wrong codes, wait %(wait)s before you try again.",
            failures,
        ) % {"failure_count": failures, "wait": wait}


# What a refused code is told, in the staff pages' own words: django-otp's
# own messages say "token" and "OTP", and their German speaks to the person
# as "du", where every other staff page says "Sie".
_CODE_REFUSED = {
    "n_failed_attempts": _WaitAfterWrongCodes(),
    "verification_not_allowed": _(
        "Signing in with a code is not possible at the moment. Try again in a little while."
    ),
}
_AUTHENTICATOR_CODE_REFUSED = {
    **_CODE_REFUSED,
    "token_required": _("Please enter the code from your authenticator app."),
    "invalid_token": _(
        "That code is not right. Check the code your authenticator app shows now and try again."
    ),
}
_BACKUP_CODE_REFUSED = {
    **_CODE_REFUSED,
    "token_required": _("Please enter one of your backup codes."),
    "invalid_token": _(
        "That backup code does not work: it is mistyped, was used already, or belongs to "
        "an older set."
    ),
}


class SignInView(_RefusedStepIs400, two_factor_views.LoginView):
    """Password, then the second factor."""

    def get_prefix(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str:
        # The form field prefix of django-two-factor-auth's own LoginView, so
        # that scripts and tests written against it keep working.
        return "login_view"

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        step = self.request.POST.get(f"{self.get_prefix(self.request)}-current_step")
        if step != self.AUTH_STEP:
            return super().post(*args, **kwargs)
        request = self.request
        if ratelimit.over_any(
            request,
            "staff-signin",
            ratelimit.Per.source(SIGN_IN_ATTEMPTS_PER_ADDRESS, SIGN_IN_PERIOD_SECONDS),
            ratelimit.Per.everyone(SIGN_IN_ATTEMPTS_OVERALL, SIGN_IN_PERIOD_SECONDS),
        ):
            return ratelimit.too_many(request)
        username = str(request.POST.get(f"{self.AUTH_STEP}-username", ""))[:150]
        wait = signin_throttle.wait_seconds(request, username)
        if wait:
            # Held back without checking the password: the answer tells a
            # guesser nothing, and only this source waits (no lockout).
            request.rate_limit_retry_after = wait  # type: ignore[attr-defined]
            return ratelimit.too_many(request)
        self._password_accepted = False
        response = super().post(*args, **kwargs)
        if self._password_accepted:
            signin_throttle.record_success(request, username)
        else:
            signin_throttle.record_failure(request, username)
        return response

    def process_step(self, form: Any) -> Any:
        if self.steps.current == self.AUTH_STEP:
            # Only a valid form reaches here: the password was right.
            self._password_accepted = True
        return super().process_step(form)

    def get_form(self, step: str | None = None, **kwargs: Any) -> Any:
        form = super().get_form(step, **kwargs)
        step = step or self.steps.current
        if step == self.TOKEN_STEP:
            form.fields["otp_token"].label = _("Code from your authenticator app")
            form.otp_error_messages = _AUTHENTICATOR_CODE_REFUSED
        elif step == self.BACKUP_STEP:
            form.fields["otp_token"].label = _("Backup code")
            form.otp_error_messages = _BACKUP_CODE_REFUSED
        return form

    def get_device(self, step: str | None = None) -> Any:
        # two_factor looks for django-otp's clear StaticDevice at the backup
        # step; the backup codes are forestall's hashed BackupCodeSet.
        if step == self.BACKUP_STEP:
            user = self.get_user()
            found = (
                BackupCodeSet.objects.filter(user=user, confirmed=True).order_by("pk").first()
                if user
                else None
            )
            if found is not None:
                self.device_cache = found
                return self._counted_for_this_browser(found)
        device = super().get_device(step)
        return self._counted_for_this_browser(device) if device is not None else None

    def _counted_for_this_browser(self, device: Any) -> Any:
        """Wrong codes from a known browser count for that browser alone (no lockout)."""
        user = self.get_user()
        if user is not None and hasattr(device, "known_browser"):
            device.known_browser = signin_throttle.known_browser_key(
                self.request, user.get_username()
            )
        return device

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form, **kwargs)
        user = self.request.user
        context["already_signed_in"] = user.is_authenticated and user.is_verified()
        # Sent here by a form that arrived after the session ended and was kept
        # (kept_forms): say so, or the plain sign-in page reads as if the
        # typing were lost, and a tired person gives up or types it all again.
        kept_prefix = reverse("accounts:kept_form", args=["-"])[:-2]
        if str(self.request.GET.get(REDIRECT_FIELD_NAME, "")).startswith(kept_prefix):
            context["form_kept_minutes"] = KEPT_FORM_MINUTES
        if self.steps.current == self.TOKEN_STEP:
            # Offer "use a backup code" only to someone who has one left.
            context["backup_tokens"] = BackupCode.objects.of(self.get_user()).count()
        return context

    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        response = super().done(form_list, **kwargs)
        user = self.request.user
        # After login() the request's user is the plain model instance; a
        # verified sign-in is one that django-otp attached a device to.
        if user.is_authenticated and getattr(user, "otp_device", None) is not None:
            actions.record_sign_in(user)
            signin_throttle.remember_device(response, user.get_username())
        return response


class EnrolmentView(_RefusedStepIs400, two_factor_views.SetupView):
    """Set up the TOTP authenticator; the backup codes are shown right after."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and default_device(user):
            # Someone who signed in with the password alone must not replace
            # an authenticator that already exists; and one authenticator per
            # person is all there is (a reset by a network admin removes it).
            if not user.is_verified():
                return redirect("two_factor:login")
            return redirect("two_factor:profile")
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request: HttpRequest, *args: Any, **kwargs: Any) -> str:
        return "setup_view"  # as django-two-factor-auth's SetupView

    def get_success_url(self) -> str:
        return reverse("two_factor:backup_tokens")

    def get_form(self, step: str | None = None, **kwargs: Any) -> Any:
        form = super().get_form(step, **kwargs)
        if "token" in form.fields:
            field = form.fields["token"]
            field.label = _("Code from your authenticator app")
            # A code is typed, not counted: a text field with a numeric keyboard.
            field.widget.input_type = "text"
            field.widget.attrs.update({"inputmode": "numeric", "pattern": "[0-9]*"})
        return form

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form, **kwargs)
        if self.steps.current == "generator":
            issuer = settings.OTP_TOTP_ISSUER
            context["issuer"] = issuer
            context["otpauth_url"] = get_otpauth_url(
                self.request.user.get_username(), context["secret_key"], issuer, totp_digits()
            )
            # Grouped in fours, as authenticator apps show it, for typing it in.
            secret = context["secret_key"]
            context["secret_groups"] = [secret[i : i + 4] for i in range(0, len(secret), 4)]
        return context

    def done(self, form_list: Any, **kwargs: Any) -> HttpResponse:
        response = super().done(form_list, **kwargs)
        actions.record_second_factor_enrolment(self.request.user)
        codes = actions.generate_backup_codes(self.request.user)
        _carry_fresh_codes(self.request, codes)  # shown once by the backup codes page
        return response


class QRCodeView(two_factor_views.QRGeneratorView):
    """The enrolment QR code as an SVG image from our own origin (CSP: img-src 'self')."""

    def get_issuer(self) -> str:
        return settings.OTP_TOTP_ISSUER


# The session key under which freshly made codes wait for the one page that shows them.
_FRESH_CODES = "accounts.fresh_backup_codes"


def _fresh_codes_associated_data(request: HttpRequest) -> bytes:
    return b"forestall:fresh-backup-codes:" + str(request.user.pk).encode()


def _carry_fresh_codes(request: HttpRequest, codes: list[str]) -> None:
    """Keep ``codes`` for the next page only, encrypted, in the session.

    The codes exist in clear nowhere once the page has shown them: the
    session holds them sealed with the key ring (bound to this person) from
    the POST that made them until the GET after the redirect, which removes
    them (``_take_fresh_codes``). A reload finds nothing.
    """
    sealed = key_ring().encrypt(" ".join(codes).encode(), _fresh_codes_associated_data(request))
    request.session[_FRESH_CODES] = base64.b64encode(sealed).decode()


def _take_fresh_codes(request: HttpRequest) -> list[str]:
    """The codes carried by ``_carry_fresh_codes``, removed from the session; [] if none."""
    sealed = request.session.pop(_FRESH_CODES, None)
    if not isinstance(sealed, str):
        return []
    try:
        plain = key_ring().decrypt(
            base64.b64decode(sealed, validate=True), _fresh_codes_associated_data(request)
        )
    except (CryptoError, binascii.Error, ValueError):
        return []  # another person's session data, or a key since removed: show none
    return plain.decode().split()


class BackupCodesView(two_factor_views.BackupTokensView):
    """How many backup codes remain; a new set is shown once, right after it is made.

    POST makes a new set (the old one stops working) and redirects here; the
    GET after it shows the new codes, taken out of the session, and no other
    GET can: forestall keeps only hashes of them. A HEAD leaves them there.
    """

    def get_device(self) -> Any:
        # two_factor's version creates a django-otp StaticDevice (clear codes).
        return BackupCodeSet.objects.filter(user=self.request.user).order_by("pk").first()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Only a GET shows them: the page of a HEAD (a link checker, a prefetch)
        # is never seen, so it leaves them in the session for the GET.
        showing = self.request.method == "GET"
        carried = _take_fresh_codes(self.request) if showing else []
        unused = set(BackupCode.objects.of(self.request.user).values_list("code_hash", flat=True))
        # Never a code to print that does not work: a set made since (on another
        # device, or by a second click whose page was saved first) replaced them.
        fresh = [code for code in carried if backup_code_hash(self.request.user.pk, code) in unused]
        context["fresh_codes"] = fresh
        context["fresh_codes_replaced"] = bool(carried) and not fresh
        context["remaining"] = len(unused)
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        codes = actions.generate_backup_codes(self.request.user)
        _carry_fresh_codes(self.request, codes)
        return redirect(self.success_url)


@method_decorator(otp_required, name="dispatch")
class AccountSecurityView(two_factor_views.ProfileView):
    """Which second factor is set up, how many backup codes remain, the page language."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["language_form"] = LanguageForm(initial={"language": self.request.user.language})
        # two_factor counts django-otp's clear codes; forestall's are hashed.
        context["backup_tokens"] = BackupCode.objects.of(self.request.user).count()
        return context


@require_POST
@staff_required
def set_language(request: StaffRequest) -> HttpResponse:
    """Remember the language the person wants the staff pages in.

    A change of the account made by its holder (``User.save``): an admin page
    on the account opened before it is refused, not saved over it.
    """
    form = LanguageForm(request.POST)
    if form.is_valid():
        request.user.language = form.cleaned_data["language"]
        request.user.changed_by(request.user)
        request.user.save(update_fields=["language"])
        translation.activate(request.user.language or staff_language(request))
        messages.success(request, gettext("Your language choice is saved."))
    else:
        messages.error(request, gettext("Please choose one of the languages offered."))
    return redirect("two_factor:profile")


@require_safe
@staff_required
def home(request: StaffRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("centre", "centre__region").order_by(
        "centre__name", "role"
    )
    network_roles = [m for m in memberships if m.centre_id is None]
    centres: dict[Any, dict[str, Any]] = {}
    for membership in memberships:
        if membership.centre_id is None:
            continue
        entry = centres.setdefault(
            membership.centre_id, {"centre": membership.centre, "memberships": []}
        )
        entry["memberships"].append(membership)
    return render(
        request,
        "accounts/home.html",
        {
            "memberships": memberships,
            "network_roles": network_roles,
            "centres": list(centres.values()),
            "is_network_admin": any(m.role == Role.NETWORK_ADMIN for m in network_roles),
            "waiting": waiting_for(request.user),
            "session_minutes": settings.SESSION_COOKIE_AGE // 60,
        },
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the staff session completely: the server-side data is flushed, the cookie dropped."""
    if request.user.is_authenticated:
        actions.record_sign_out(request.user)
    logout(request)
    return redirect("two_factor:login")


@require_safe
@staff_required
def kept_form(request: StaffRequest, token: str) -> HttpResponse:
    """The form the person sent after their session ended, to send again (their own only)."""
    kept = kept_form_for(request.user.pk, token)
    if kept is None:
        raise Http404
    return render(
        request,
        "accounts/kept_form.html",
        {"kept": kept, "minutes": KEPT_FORM_MINUTES},
    )
