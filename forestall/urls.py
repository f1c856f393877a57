"""URL map: the public side (language-prefixed), the staff side, the API."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from forestall import health

urlpatterns: list[URLPattern | URLResolver] = [path("healthz", health.healthz, name="healthz")]

# The public side first: every visitor's request is resolved here, and the
# front door's own pages first of all (none of them can shadow another app's
# or the staff side's addresses: each of those starts with its own word).
urlpatterns += i18n_patterns(
    path("", include("forestall.public.public_urls")),
    path("centres/", include("forestall.directory.public_urls")),
    path("statistics/", include("forestall.stats.public_urls")),
    path("self-help/", include("forestall.selfhelp.public_urls")),
    path("r/", include("forestall.reach.public_urls")),
    path("mailbox/", include("forestall.inbox.public_urls")),
    prefix_default_language=False,
)

urlpatterns += [
    path("staff/admin/", admin.site.urls),
    path("staff/", include("forestall.accounts.staff_urls")),
    # two_factor's views (two_factor:login, :setup, :backup_tokens, ...) under
    # /staff/: sign-in at /staff/login/.
    path("staff/", include("forestall.accounts.two_factor_urls", namespace="two_factor")),
    path("staff/centres/", include("forestall.directory.staff_urls")),
    path("staff/inbox/", include("forestall.inbox.staff_urls")),
    path("staff/cases/", include("forestall.cases.staff_urls")),
    path("staff/safeguarding/", include("forestall.safeguarding.staff_urls")),
    path("staff/instruments/", include("forestall.instruments.staff_urls")),
    path("staff/statistics/", include("forestall.stats.staff_urls")),
    path("staff/audit/", include("forestall.audit.staff_urls")),
    path("staff/research/", include("forestall.research.staff_urls")),
    path("staff/reach/", include("forestall.reach.staff_urls")),
    path("staff/content/", include("forestall.public.staff_urls")),
    path("staff/self-help/", include("forestall.selfhelp.staff_urls")),
    path("api/v1/", include("forestall.api.urls")),
]


handler400 = "forestall.errors.bad_request"
handler403 = "forestall.errors.permission_denied"
handler404 = "forestall.errors.page_not_found"
handler500 = "forestall.errors.server_error"
