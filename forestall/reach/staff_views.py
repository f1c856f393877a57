"""Staff pages of reach: network admins run partners, keys and the catalogue;
network admins and analysts read the results. Everyone else gets 404."""

from __future__ import annotations

import datetime
import io
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.lib import spreadsheet
from forestall.lib.stale_edits import ChangedMeanwhile, form_after_change
from forestall.reach import actions, results
from forestall.reach.access import (
    access_partner,
    access_partner_key,
    access_reach_admin,
    access_results,
    access_variant,
)
from forestall.reach.forms import (
    KeyForm,
    PartnerForm,
    ResultsPeriodForm,
    VariantForm,
    VariantSettingsForm,
    VariantTextForm,
    language_codes,
)
from forestall.reach.models import Partner, PartnerKey, Variant, VariantText


def _require_admin(request: StaffRequest) -> None:
    access_reach_admin(request.user)  # type: ignore[arg-type]


@require_safe
@staff_required
def overview(request: StaffRequest) -> HttpResponse:
    _require_admin(request)
    partners = Partner.objects.visible_to(request.user)
    variants = Variant.objects.visible_to(request.user).prefetch_related("texts")
    return render(
        request,
        "reach/staff/overview.html",
        {"partners": partners, "variants": variants, "languages": language_codes()},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def partner_new(request: StaffRequest) -> HttpResponse:
    _require_admin(request)
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        partner = actions.create_partner(
            form.cleaned_data["slug"],
            form.cleaned_data["name"],
            form.cleaned_data["kind"],
            languages=form.cleaned_data["languages"],
            contact=form.cleaned_data["contact"],
            by=request.user,  # type: ignore[arg-type]
        )
        return redirect("reach_staff:partner", partner_id=partner.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "reach/staff/partner_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def partner_detail(request: StaffRequest, partner_id: uuid.UUID) -> HttpResponse:
    partner = access_partner(request.user, partner_id)  # type: ignore[arg-type]
    new_key = None
    form = KeyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            _row, new_key = actions.issue_key(
                partner,
                name=form.cleaned_data["name"],
                by=request.user,  # type: ignore[arg-type]
            )
            form = KeyForm()
        else:
            status = 400
    response = render(
        request,
        "reach/staff/partner.html",
        {
            "partner": partner,
            "keys": PartnerKey.objects.visible_to(request.user).filter(partner=partner),
            "form": form,
            "new_key": new_key,
        },
        status=status,
    )
    return response


@require_POST
@staff_required
def key_revoke(request: StaffRequest, key_id: uuid.UUID) -> HttpResponse:
    key = access_partner_key(request.user, key_id)  # type: ignore[arg-type]
    actions.revoke_key(key, by=request.user)  # type: ignore[arg-type]
    return redirect("reach_staff:partner", partner_id=key.partner_id)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def variant_new(request: StaffRequest) -> HttpResponse:
    _require_admin(request)
    form = VariantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        variant = actions.save_variant(form.save(commit=False), by=request.user)  # type: ignore[arg-type]
        return redirect("reach_staff:variant_text", variant_id=variant.pk, language="en")
    status = 400 if request.method == "POST" else 200
    return render(request, "reach/staff/variant_new.html", {"form": form}, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def variant_settings(request: StaffRequest, variant_id: uuid.UUID) -> HttpResponse:
    variant = access_variant(request.user, variant_id)  # type: ignore[arg-type]
    form = VariantSettingsForm(request.POST or None, instance=variant)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            actions.save_variant(
                form.save(commit=False),
                by=request.user,  # type: ignore[arg-type]
                edited_from=form.edited_from,
            )
        except ChangedMeanwhile as changed:
            variant = access_variant(request.user, variant_id)  # type: ignore[arg-type]
            form = form_after_change(
                VariantSettingsForm, request.POST, changed, instance=variant, viewer=request.user
            )
            status = 409
        else:
            return redirect("reach_staff:variant", variant_id=variant.pk)
    return render(
        request,
        "reach/staff/variant.html",
        {"variant": variant, "form": form, "languages": language_codes()},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def variant_text(request: StaffRequest, variant_id: uuid.UUID, language: str) -> HttpResponse:
    variant = access_variant(request.user, variant_id)  # type: ignore[arg-type]
    if language not in language_codes():
        raise Http404
    current = VariantText.objects.current(variant, language)
    preview = None
    status = 200
    if request.method == "POST":
        form = VariantTextForm(request.POST)
        if form.is_valid():
            if "preview" in request.POST:
                preview = VariantText(variant=variant, language=language, **form.texts())
            else:
                try:
                    actions.publish_variant_text(
                        variant,
                        language,
                        by=request.user,  # type: ignore[arg-type]
                        edited_from=form.edited_from,
                        **form.texts(),
                    )
                except ChangedMeanwhile as changed:
                    form = form_after_change(
                        VariantTextForm, request.POST, changed, viewer=request.user
                    )
                    current = VariantText.objects.current(variant, language)
                    status = 409
                else:
                    return redirect(
                        "reach_staff:variant_text", variant_id=variant.pk, language=language
                    )
        else:
            status = 400
    else:
        initial = {}
        if current is not None:
            initial = {name: getattr(current, name) for name in VariantTextForm.TEXT_FIELDS}
        form = VariantTextForm(
            initial=initial, edited_from=str(current.version if current is not None else 0)
        )
    versions = VariantText.objects.visible_to(request.user).filter(
        variant=variant, language=language
    )
    return render(
        request,
        "reach/staff/variant_text.html",
        {
            "variant": variant,
            "language": language,
            "form": form,
            "current": current,
            "preview": preview,
            "versions": versions,
        },
        status=status,
    )


def _results_context(start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """The figures of the results page for ``start`` to ``end`` (the CSV writes the same)."""
    all_rows = results.rows(start, end)
    variant_rows = results.by_variant(all_rows)
    return {
        "start": start,
        "end": end,
        "rows": all_rows,
        "variant_rows": variant_rows,
        "comparisons": results.comparisons(variant_rows),
        "funnel": results.funnel_by_month(start, end),
    }


def _period_query(form: ResultsPeriodForm) -> str:
    """The chosen period as the download's query: only the period, only a valid one."""
    if not form.is_bound or not form.is_valid():
        return ""
    data = form.cleaned_data
    if data.get("start") and data.get("end"):
        return urlencode({"start": data["start"].isoformat(), "end": data["end"].isoformat()})
    return urlencode({"days": data["days"]}) if form.data.get("days") else ""


def _results_page(
    request: StaffRequest, form: ResultsPeriodForm, *, status: int = 200
) -> HttpResponse:
    start, end = form.period(timezone.localdate())
    context = _results_context(start, end)
    context["form"] = form
    context["csv_query"] = _period_query(form) if status == 200 else ""
    return render(request, "reach/staff/results.html", context, status=status)


@require_safe
@staff_required
def results_page(request: StaffRequest) -> HttpResponse:
    access_results(request.user)  # type: ignore[arg-type]
    form = ResultsPeriodForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    return _results_page(request, form, status=200 if valid else 400)


@require_safe
@staff_required
def results_csv(request: StaffRequest) -> HttpResponse:
    """The figures of the results page for the chosen period, as CSV.

    Exactly what the page shows for the period, under the same gate
    (``access_results``: network admins and analysts; 404 for everyone
    else), as plain numbers: counts without grouping, rates and
    differences in percent rounded as on the page. The page suppresses
    nothing (its figures are de-identified aggregates for the staff who
    may read them), and neither does the file. A refused period answers
    the page with its message (400) and no file; each download is audited
    (``reach.results.export``, with the period; a HEAD request, which hands
    out no file, is not).
    """
    access_results(request.user)  # type: ignore[arg-type]
    form = ResultsPeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        return _results_page(request, form, status=400)
    start, end = form.period(timezone.localdate())
    context = _results_context(start, end)
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(RESULTS_CSV_HEADER)
    for table, partner, variant, month, column, value in _results_cells(context):
        writer.writerow([start, end, table, partner, variant, month, column, value])
    return spreadsheet.staff_download(
        request,
        buffer.getvalue(),
        f"forestall-reach-results-{start}-{end}.csv",
        handed_out=lambda: actions.record_results_export(
            request.user,  # type: ignore[arg-type]
            start=start,
            end=end,
        ),
    )


RESULTS_CSV_HEADER = (
    "period_start",
    "period_end",
    "table",
    "partner",
    "variant",
    "month",
    "column",
    "value",
)


def _percent(value: float | None) -> str:
    """A percentage as the page shows it (two decimals, rounded the same way), unlocalised."""
    return "" if value is None else floatformat(value, "2u")


def _rate_cells(row: results.Row) -> list[tuple[str, object]]:
    rate, lower, upper = row.percent or (None, None, None)
    return [
        (_("Impressions"), row.impressions),
        (_("Click-throughs"), row.clicks),
        (_("Click-through rate (percent)"), _percent(rate)),
        (_("95 percent interval, lower bound (percent)"), _percent(lower)),
        (_("95 percent interval, upper bound (percent)"), _percent(upper)),
    ]


def _results_cells(
    context: dict[str, Any],
) -> Iterator[tuple[str, str, str, str, str, object]]:
    """Every figure of the page: (table, partner, variant, month, column, value)."""
    unknown = _("unknown")
    table = _("By partner and variant")
    for row in context["rows"]:
        partner = row.partner.name if row.partner else unknown
        variant = row.variant.slug if row.variant else unknown
        for column, value in _rate_cells(row):
            yield table, partner, variant, "", column, value
    table = _("By variant, all partners")
    for row in context["variant_rows"]:
        for column, value in _rate_cells(row):
            yield table, "", row.variant.slug, "", column, value
    table = _("Differences between variants")
    for item in context["comparisons"]:
        estimate, lower, upper = item["percent"] or (None, None, None)
        variant = item["variant"].slug
        yield table, "", variant, "", _("Compared with"), item["reference"].slug
        yield table, "", variant, "", _("Difference (percentage points)"), _percent(estimate)
        yield (
            table,
            "",
            variant,
            "",
            _("95 percent interval, lower bound (percentage points)"),
            (_percent(lower)),
        )
        yield (
            table,
            "",
            variant,
            "",
            _("95 percent interval, upper bound (percentage points)"),
            (_percent(upper)),
        )
    table = _("What followed, by month (people who arrived through reach)")
    steps = (
        _("Warnings shown"),
        _("Landings"),
        _("Self-checks completed"),
        _("Mailboxes started"),
        _("First messages"),
        _("Cases opened"),
        _("Therapies started"),
    )
    for item in context["funnel"]:
        month = item["month"].strftime("%Y-%m")
        for column, value in zip(steps, item["steps"], strict=True):
            yield table, "", "", month, column, value
