"""Staff pages of the research app: consent on a case, and the export download.

The export is for analysts and network admins only; for everyone else the
page does not exist (404). Consent is case work: whoever may work on the case
records it (``cases.access.access_case_for_work``).
"""

from __future__ import annotations

import contextlib
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.cases.models import Case
from forestall.research.access import access_case_consents, access_consent, access_exports
from forestall.research.actions import (
    ConsentError,
    export_research,
    record_research_consent,
    withdraw_research_consent,
)
from forestall.research.export import ExportError, ExportRequest
from forestall.research.forms import ConsentForm, ExportForm, WithdrawForm
from forestall.research.models import Study


def _withdraw_form(consent_id: uuid.UUID, data: Any = None) -> WithdrawForm:
    """The withdrawal form of one consent row (its own ids: one such form per row)."""
    return WithdrawForm(
        data,
        initial={"withdrawn_on": timezone.localdate()},
        auto_id=f"withdraw-{consent_id}-%s",
    )


def _consent_page(
    request: StaffRequest,
    case: Case,
    form: ConsentForm,
    status: int = 200,
    withdrawal: WithdrawForm | None = None,
    withdrawing: uuid.UUID | None = None,
) -> HttpResponse:
    """The consent page; ``withdrawal`` is the refused withdrawal of consent ``withdrawing``."""
    consents = case.research_consents.select_related("study").order_by("study__slug")  # type: ignore[attr-defined]
    rows = [
        (
            consent,
            withdrawal
            if withdrawal is not None and consent.pk == withdrawing
            else _withdraw_form(consent.pk),
        )
        for consent in consents
    ]
    return render(
        request,
        "research/consent.html",
        {"case": case, "rows": rows, "form": form},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def case_consent(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case_consents(request.user, case_id)  # type: ignore[arg-type]
    if request.method == "POST":
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                record_research_consent(
                    request.user,  # type: ignore[arg-type]
                    case,
                    form.cleaned_data["study"],
                    form.cleaned_data["given_on"],
                )
            except ConsentError:
                form.add_error("study", _("Consent to this study is already recorded."))
            else:
                return redirect("research:consent", case_id=case.pk)
        return _consent_page(request, case, form, status=400)
    return _consent_page(request, case, ConsentForm(initial={"given_on": timezone.localdate()}))


@require_POST
@staff_required
def withdraw_consent(request: StaffRequest, consent_id: uuid.UUID) -> HttpResponse:
    consent = access_consent(request.user, consent_id)  # type: ignore[arg-type]
    form = _withdraw_form(consent.pk, request.POST)
    if form.is_valid():
        # Withdrawn already (a second click): the page shows it.
        with contextlib.suppress(ConsentError):
            withdraw_research_consent(request.user, consent, form.cleaned_data["withdrawn_on"])  # type: ignore[arg-type]
        return redirect("research:consent", case_id=consent.case_id)
    # The refused date comes back with its message, in the row it was typed in.
    fresh = ConsentForm(initial={"given_on": timezone.localdate()})
    return _consent_page(
        request, consent.case, fresh, status=400, withdrawal=form, withdrawing=consent.pk
    )


def _zip_directory(directory: Path) -> tempfile._TemporaryFileWrapper[bytes]:
    archive = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the FileResponse
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(directory.iterdir()):
            bundle.write(path, arcname=path.name)
    archive.seek(0)
    return archive  # type: ignore[return-value]


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def export_page(request: StaffRequest) -> HttpResponseBase:
    access_exports(request.user)  # type: ignore[arg-type]
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        study: Study = data["study"]
        with tempfile.TemporaryDirectory(prefix="forestall-research-") as directory:
            out = Path(directory) / "export"
            try:
                export_research(
                    request.user,  # type: ignore[arg-type]
                    ExportRequest(
                        study=study,
                        out_dir=out,
                        from_month=data["from_month"],
                        to_month=data["to_month"],
                        centre_slugs=tuple(sorted(c.slug for c in data["centres"])),
                    ),
                )
            except ExportError:
                form.add_error(None, _("This export cannot be made for the chosen period."))
            else:
                archive = _zip_directory(out)
                stamp = timezone.localdate().strftime("%Y-%m")
                return FileResponse(
                    archive,
                    as_attachment=True,
                    filename=f"forestall-research-{study.slug}-{stamp}.zip",
                    content_type="application/zip",
                )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "research/export.html",
        {"form": form, "studies": Study.objects.all()},
        status=status,
    )
