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

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from forestall.accounts.decorators import staff_required
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


def _consent_page(
    request: HttpRequest, case: Case, form: ConsentForm, status: int = 200
) -> HttpResponse:
    consents = case.research_consents.select_related("study").order_by("study__slug")  # type: ignore[attr-defined]
    return render(
        request,
        "research/consent.html",
        {
            "case": case,
            "consents": consents,
            "form": form,
            "withdraw_form": WithdrawForm(initial={"withdrawn_on": timezone.localdate()}),
        },
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def case_consent(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
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
def withdraw_consent(request: HttpRequest, consent_id: uuid.UUID) -> HttpResponse:
    consent = access_consent(request.user, consent_id)  # type: ignore[arg-type]
    form = WithdrawForm(request.POST)
    if form.is_valid():
        # Withdrawn already (a second click): the page shows it.
        with contextlib.suppress(ConsentError):
            withdraw_research_consent(request.user, consent, form.cleaned_data["withdrawn_on"])  # type: ignore[arg-type]
        return redirect("research:consent", case_id=consent.case_id)
    page = _consent_page(request, consent.case, ConsentForm(), status=400)
    return page


def _zip_directory(directory: Path) -> tempfile._TemporaryFileWrapper[bytes]:
    archive = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the FileResponse
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(directory.iterdir()):
            bundle.write(path, arcname=path.name)
    archive.seek(0)
    return archive  # type: ignore[return-value]


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def export_page(request: HttpRequest) -> HttpResponse:
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
