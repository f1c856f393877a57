"""django-two-factor-auth's views under /staff/, in the ``two_factor`` namespace.

Mounted by ``forestall/urls.py`` instead of ``two_factor.urls`` so that the
sign-in lives at ``/staff/login/`` and the views carry forestall's rules
(see ``forestall.accounts.staff_views``). Disabling two-factor is deliberately not
offered: it is mandatory for every staff account.
"""

from django.urls import path
from two_factor.views import SetupCompleteView

from forestall.accounts import staff_views

urlpatterns = [
    path("login/", staff_views.SignInView.as_view(), name="login"),
    path("two-factor/", staff_views.AccountSecurityView.as_view(), name="profile"),
    path("two-factor/setup/", staff_views.EnrolmentView.as_view(), name="setup"),
    path("two-factor/qrcode/", staff_views.QRCodeView.as_view(), name="qr"),
    path("two-factor/setup/complete/", SetupCompleteView.as_view(), name="setup_complete"),
    path("two-factor/backup-codes/", staff_views.BackupCodesView.as_view(), name="backup_tokens"),
]

app_name = "two_factor"
