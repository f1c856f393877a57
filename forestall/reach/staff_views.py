"""Staff pages of reach: network admins run partners, keys and the catalogue;
network admins and analysts read the results. Everyone else gets 404."""

from __future__ import annotations

import datetime
import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
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
            form = form_after_change(VariantSettingsForm, request.POST, changed, instance=variant)
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
                    form = form_after_change(VariantTextForm, request.POST, changed)
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


def _period(request: StaffRequest) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    try:
        days = int(request.GET.get("days", "90"))
    except ValueError:
        days = 90
    days = min(max(days, 1), 3660)
    return today - datetime.timedelta(days=days - 1), today


@require_safe
@staff_required
def results_page(request: StaffRequest) -> HttpResponse:
    access_results(request.user)  # type: ignore[arg-type]
    start, end = _period(request)
    all_rows = results.rows(start, end)
    variant_rows = results.by_variant(all_rows)
    return render(
        request,
        "reach/staff/results.html",
        {
            "start": start,
            "end": end,
            "rows": all_rows,
            "variant_rows": variant_rows,
            "comparisons": results.comparisons(variant_rows),
            "funnel": results.funnel_by_month(start, end),
        },
    )
