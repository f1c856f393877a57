"""The public statistics page and its open data downloads.

They show only the suppressed release (``release.public_release``), built by
the same table builders as the staff dashboard (``forestall.stats.tables``); the staff
dashboard lives in ``staff_views.py``.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from forestall.stats import opendata, pages
from forestall.stats.release import public_release


def _selfhelp_public_table(release: Any) -> Any:
    from forestall.selfhelp.statistics import public_table

    return public_table(release.period.start, release.period.end, release.threshold)


@require_safe
def public_statistics(request: HttpRequest) -> HttpResponse:
    release = public_release()
    context = {
        "release": release,
        "csv_url": reverse("stats_public:data_csv"),
        "json_url": reverse("stats_public:data_json"),
        **pages.public_page(release),
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
