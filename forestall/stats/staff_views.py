"""The staff statistics dashboard and its CSV export.

The dashboard shows unsuppressed figures to the people allowed to see
them (``access.access_statistics``), from the same table builders as the
public release (``forestall.stats.tables``). The public page and its open
data live in ``public_views.py``.
"""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.directory.models import Centre, Region
from forestall.lib import spreadsheet
from forestall.stats import figures as fig
from forestall.stats import pages, tables
from forestall.stats.access import (
    StatisticsScope,
    access_statistics,
    sees_network,
    visible_centres,
)
from forestall.stats.actions import record_dashboard_export
from forestall.stats.forms import PeriodForm


@require_safe
@staff_required
def dashboard(
    request: StaffRequest, region_id: UUID | None = None, centre_id: UUID | None = None
) -> HttpResponse:
    target = access_statistics(request.user, region_id=region_id, centre_id=centre_id)  # type: ignore[arg-type]
    form = PeriodForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    period = _chosen_period(form)
    context = _dashboard_context(request, target, period)
    context["form"] = form
    context["csv_query"] = request.GET.urlencode()
    return render(request, "stats/staff/dashboard.html", context, status=200 if valid else 400)


def _chosen_period(form: PeriodForm) -> fig.Period:
    """The custom first and last day if given, else the last N months (12 by default)."""
    custom = form.custom_range()
    if custom:
        return fig.Period(*custom)
    return fig.Period.last_months(form.months_or_default() - 1, timezone.localdate())


def _dashboard_context(
    request: StaffRequest, target: StatisticsScope, period: fig.Period
) -> dict[str, Any]:
    """Everything the dashboard shows for ``target`` and ``period`` (the page and its CSV)."""
    counts = tables.load_counts(target.scope, period)
    if target.centre:
        title = target.centre.display_name
    elif target.region:
        title = target.region.display_name
    elif target.network_wide:
        title = _("The whole network")
    else:
        title = ", ".join(c.display_name for c in target.centres)
    within = fig.replies_within_target(target.scope, period)
    centre_names = {
        centre.pk: centre.display_name
        for centre in Centre.objects.filter(pk__in=[key[0] for key in within if key[0]]).only(
            "name", "name_de"
        )
    }
    reply_target_table = pages.Table(
        _("Replies within the reply-time target, by centre and month"),
        [_("Centre"), _("Month"), _("Replies"), _("Within target"), _("Share")],
    )
    for (centre_key, month), proportion in sorted(
        within.items(),
        key=lambda item: (centre_names.get(item[0][0], "") if item[0][0] else "", item[0][1]),
    ):
        reply_target_table.rows.append(
            (
                centre_names.get(centre_key, "?")
                if centre_key
                else str(_("Any centre / the network")),
                [
                    pages.month_label(month),
                    proportion.denominator,
                    proportion.numerator,
                    pages.format_rate(proportion.rate),
                ],
            )
        )
    if target.centre:
        csv_url = reverse("stats:centre_csv", args=[target.centre.pk])
    elif target.region:
        csv_url = reverse("stats:region_csv", args=[target.region.pk])
    else:
        csv_url = reverse("stats:dashboard_csv")
    return {
        "csv_url": csv_url,
        "reply_target_table": reply_target_table,
        "title": title,
        "target": target,
        "period": period,
        "regions": Region.objects.order_by("name") if sees_network(request.user) else [],  # type: ignore[arg-type]
        "centres": visible_centres(request.user).order_by("name"),  # type: ignore[arg-type]
        **pages.staff_dashboard(counts, by_region=target.network_wide, by_centre=not target.centre),
        # Self-help counts belong to no centre: shown with the whole network only.
        "selfhelp_table": _selfhelp_staff_table(period) if target.network_wide else None,
    }


# The dashboard's tables, in the order the page shows them.
_DASHBOARD_TABLES = (
    "funnel_table",
    "exits_table",
    "breakdown_tables",
    "trend_table",
    "reach_tables",
    "reply_table",
    "reply_target_table",
    "waiting_table",
    "wait_table",
    "concern_table",
    "outcomes_table",
    "protective_table",
    "selfhelp_table",  # network-wide dashboards only (None elsewhere)
)


@require_safe
@staff_required
def dashboard_csv(
    request: StaffRequest, region_id: UUID | None = None, centre_id: UUID | None = None
) -> HttpResponse:
    """The dashboard's figures for the chosen period as CSV: the same numbers as the page.

    The staff dashboard shows its figures unsuppressed to those allowed to see
    them, and so does this file (the same gate, ``access_statistics``); one
    row per cell: table, row, column, value. The download is audited (a HEAD
    request, which hands out no file, is not: ``spreadsheet.staff_download``).
    """
    target = access_statistics(request.user, region_id=region_id, centre_id=centre_id)  # type: ignore[arg-type]
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        context = _dashboard_context(request, target, _chosen_period(PeriodForm()))
        context["form"] = form
        return render(request, "stats/staff/dashboard.html", context, status=400)
    period = _chosen_period(form)
    context = _dashboard_context(request, target, period)
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(["period_start", "period_end", "table", "row", "column", "value"])
    for name in _DASHBOARD_TABLES:
        value = context[name]
        for table in value if isinstance(value, list) else [value]:
            if table is None:
                continue
            for heading, values in table.rows:
                for column, cell in zip(table.columns[1:], values, strict=False):
                    writer.writerow(
                        [period.start, period.end, table.caption, heading, column, cell]
                    )
    return spreadsheet.staff_download(
        request,
        buffer.getvalue(),
        f"forestall-statistics-{period.start}-{period.end}.csv",
        handed_out=lambda: record_dashboard_export(
            request.user,  # type: ignore[arg-type]
            centre=target.centre,
            start=period.start,
            end=period.end,
            title=str(context["title"]),
        ),
    )


def _selfhelp_staff_table(period: fig.Period) -> Any:
    from forestall.selfhelp.statistics import staff_table

    return staff_table(period.start, period.end)
