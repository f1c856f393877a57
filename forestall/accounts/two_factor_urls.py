"""django-two-factor-auth's views under /staff/, in the ``two_factor`` namespace.

Mounted by ``forestall/urls.py`` instead of ``two_factor.urls`` so that the
sign-in lives at ``/staff/login/`` and the views carry forestall's rules
(see ``forestall.accounts.views``). Disabling two-factor is deliberately not
offered: it is mandatory for every staff account.
"""

from django.urls import path
from two_factor.views import SetupCompleteView

from forestall.accounts import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("two-factor/", views.AccountSecurityView.as_view(), name="profile"),
    path("two-factor/setup/", views.EnrolmentView.as_view(), name="setup"),
    path("two-factor/qrcode/", views.QRCodeView.as_view(), name="qr"),
    path("two-factor/setup/complete/", SetupCompleteView.as_view(), name="setup_complete"),
    path("two-factor/backup-codes/", views.BackupCodesView.as_view(), name="backup_tokens"),
]

app_name = "two_factor"
