"""The statistics pages: the staff dashboard and the public page with its open data.

The staff dashboard shows unsuppressed figures to the people allowed to see
them (``access.access_statistics``); the public page and downloads show only
the suppressed release (``publish.public_release``).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from forestall.accounts.decorators import staff_required
from forestall.directory.models import Centre, Region
from forestall.stats import display, opendata, public_display
from forestall.stats import figures as fig
from forestall.stats.access import access_statistics, sees_network, visible_centres
from forestall.stats.forms import PeriodForm
from forestall.stats.publish import public_release

# --- staff side -------------------------------------------------------------


@require_safe
@staff_required
def dashboard(
    request: HttpRequest, region_id: UUID | None = None, centre_id: UUID | None = None
) -> HttpResponse:
    target = access_statistics(request.user, region_id=region_id, centre_id=centre_id)  # type: ignore[arg-type]
    form = PeriodForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    months = form.months_or_default()
    period = fig.Period.last_months(months - 1, timezone.localdate())
    figures = fig.figures(target.scope, period)
    breakdowns = []
    if target.network_wide:
        names = dict(Region.objects.values_list("pk", "name"))
        by_region = fig.funnel_by(target.scope, period, "region_id")
        breakdowns.append(
            (_("The funnel by region"), {names.get(k, "?"): v for k, v in by_region.items()})
        )
    if not target.centre:
        by_centre = fig.funnel_by(target.scope, period, "centre_id")
        names = dict(Centre.objects.filter(pk__in=list(by_centre)).values_list("pk", "name"))
        breakdowns.append(
            (
                _("The funnel by centre"),
                {
                    names.get(k, "?"): v
                    for k, v in sorted(by_centre.items(), key=lambda item: names.get(item[0], ""))
                },
            )
        )
    if target.centre:
        title = target.centre.name
    elif target.region:
        title = target.region.name
    elif target.network_wide:
        title = _("The whole network")
    else:
        title = ", ".join(c.name for c in target.centres)
    within = fig.replies_within_target(target.scope, period)
    centre_names = dict(
        Centre.objects.filter(pk__in=[key[0] for key in within if key[0]]).values_list("pk", "name")
    )
    reply_target_table = display.Table(
        _("Replies within the reply-time target, by centre and month"),
        [_("Centre"), _("Month"), _("Replies"), _("Within target"), _("Share")],
    )
    for (centre_key, month), proportion in sorted(
        within.items(), key=lambda item: (centre_names.get(item[0][0], ""), item[0][1])
    ):
        reply_target_table.rows.append(
            (
                centre_names.get(centre_key, "?") if centre_key else str(_("The network")),
                [
                    display.month_label(month),
                    proportion.denominator,
                    proportion.numerator,
                    display.format_rate(proportion.rate),
                ],
            )
        )
    context = {
        "reply_target_table": reply_target_table,
        "title": title,
        "target": target,
        "form": form,
        "period": period,
        "regions": Region.objects.order_by("name") if sees_network(request.user) else [],  # type: ignore[arg-type]
        "centres": visible_centres(request.user).order_by("name"),  # type: ignore[arg-type]
        **display.dashboard(figures, breakdowns=breakdowns),
        # Self-help counts belong to no centre: shown with the whole network only.
        "selfhelp_table": _selfhelp_staff_table(period) if target.network_wide else None,
    }
    return render(request, "stats/staff/dashboard.html", context, status=200 if valid else 400)


def _selfhelp_staff_table(period: fig.Period) -> Any:
    from forestall.selfhelp.statistics import staff_table

    return staff_table(period.start, period.end)


def _selfhelp_public_table(release: Any) -> Any:
    from forestall.selfhelp.statistics import public_table

    return public_table(release.period.start, release.period.end, release.threshold)


# --- public side ------------------------------------------------------------


@require_safe
def public_statistics(request: HttpRequest) -> HttpResponse:
    release = public_release()
    context = {
        "release": release,
        "csv_url": reverse("stats_public:data_csv"),
        "json_url": reverse("stats_public:data_json"),
        **public_display.page(release),
        "selfhelp_table": _selfhelp_public_table(release),
    }
    return render(request, "stats/public/statistics.html", context)


@require_safe
def open_data_csv(request: HttpRequest) -> HttpResponse:
    release = public_release()
    response = HttpResponse(opendata.release_csv(release), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="forestall-statistics.csv"'
    return response


@require_safe
def open_data_json(request: HttpRequest) -> HttpResponse:
    release = public_release()
    body = json.dumps(opendata.release_json(release), ensure_ascii=False, indent=1)
    return HttpResponse(body, content_type="application/json; charset=utf-8")
