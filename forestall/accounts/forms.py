"""Forms of the staff account pages."""

from __future__ import annotations

import time

from django import forms
from django.utils.translation import gettext_lazy as _
from django_otp.oath import TOTP
from two_factor.forms import TOTPDeviceForm

from forestall.accounts.models import TOTPAuthenticator


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the staff pages"),
        choices=[
            ("", _("As my browser asks")),
            ("en", "English"),
            ("de", "Deutsch"),
        ],
        required=False,
    )


class AuthenticatorEnrolmentForm(TOTPDeviceForm):
    """The enrolment wizard's code step; saves a :class:`TOTPAuthenticator` (secret encrypted).

    A subclass of two_factor's form, whose setup wizard saves the form of
    this type. The code that confirms the enrolment is spent: it cannot be
    used again to sign in.
    """

    drift: int  # set by two_factor's form (untyped) and by clean_token
    last_t: int

    def clean_token(self) -> int:
        token = self.cleaned_data.get("token")
        generator = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        generator.time = time.time()
        if token is None or not generator.verify(token, self.tolerance):
            raise forms.ValidationError(self.error_messages["invalid_token"])
        self.drift = generator.drift
        self.last_t = generator.t()
        return int(token)

    def save(self) -> TOTPAuthenticator:
        return TOTPAuthenticator.objects.create(
            user=self.user,
            name="default",  # the device two_factor asks for at sign-in
            confirmed=True,
            key=self.key,
            tolerance=self.tolerance,
            t0=self.t0,
            step=self.step,
            drift=self.drift,
            digits=self.digits,
            last_t=self.last_t,
        )
