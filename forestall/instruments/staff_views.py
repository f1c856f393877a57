"""Staff side: the instrument catalogue and a client's measures.

Clients and administrations are fetched only through ``instruments.access``
(``Client.objects.visible_to`` and ``Administration.objects.visible_to``):
missing and forbidden are the same 404, and the helpers audit every read;
writes are audited in ``actions``.

The case page links to ``instruments:client`` (charts, history, record and
send) with the client's UUID.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.cases.access import working_centre
from forestall.cases.models import Task
from forestall.instruments import actions
from forestall.instruments.access import (
    access_administration,
    access_client_for_recording,
    access_client_measures,
)
from forestall.instruments.catalogue import UnknownInstrument, catalogue, localized
from forestall.instruments.charts import client_charts
from forestall.instruments.forms import OccasionForm, SendToMailboxForm, instrument_form
from forestall.instruments.models import Administration
from forestall.instruments.risk import current_risk_flags, flag_labels


def _next_url(request: StaffRequest) -> str:
    """Where to go after recording: a staff page given as ``next``, if it is safe."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/staff/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
        and "\\" not in target
    ):
        return target
    return ""


@require_safe
@staff_required
def instrument_list(request: StaffRequest) -> HttpResponse:
    instruments = catalogue()
    rows = [
        {"definition": definition, "versions": instruments.versions(definition.id)}
        for definition in instruments.latest()
    ]
    return render(request, "instruments/staff/list.html", {"rows": rows})


@require_safe
@staff_required
def instrument_detail(request: StaffRequest, instrument: str, version: int) -> HttpResponse:
    try:
        definition = catalogue().get(instrument, version)
    except UnknownInstrument:
        raise Http404 from None
    language = get_language()
    items = [
        {
            "id": item.id,
            "text": localized(item.text, language),
            "reversed": item.reversed,
            "options": [
                (option.value, localized(option.label, language)) for option in item.options
            ],
        }
        for item in definition.items
    ]
    bands = [(band.min, band.max, localized(band.label, language)) for band in definition.bands]
    steps = [
        (step.id, step.urgent, localized(step.title, language), localized(step.feedback, language))
        for step in definition.steps
    ]
    return render(
        request,
        "instruments/staff/detail.html",
        {
            "definition": definition,
            "instructions": definition.localized("instructions", language),
            "items": items,
            "bands": bands,
            "steps": steps,
        },
    )


@require_safe
@staff_required
def client_measures(request: StaffRequest, client_id: uuid.UUID) -> HttpResponse:
    client = access_client_measures(request.user, client_id)
    administrations = Administration.objects.filter(client=client).order_by("-created_at")
    return render(
        request,
        "instruments/staff/client.html",
        {
            "client": client,
            "charts": client_charts(client, get_language()),
            "administrations": administrations,
            "instruments": catalogue().latest(kind="score"),
            "send_form": SendToMailboxForm() if client.mailbox_id else None,
            "risk_flags": current_risk_flags(client, get_language()),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def record(request: StaffRequest, client_id: uuid.UUID, instrument: str) -> HttpResponse:
    try:
        definition = catalogue().get(instrument)
    except UnknownInstrument:
        raise Http404 from None
    if not definition.is_scored:
        raise Http404
    client = access_client_for_recording(request.user, client_id)
    data = request.POST if request.method == "POST" else None
    form = instrument_form(definition.id, get_language(), data=data)
    occasion_form = OccasionForm(data)
    if data is not None:
        if form.is_valid() and occasion_form.is_valid():
            administration = actions.record_administration(
                client,
                definition.id,
                form.answers,
                occasion=occasion_form.cleaned_data["occasion"],
                by=request.user,
                centre=working_centre(request.user, client),
            )
            messages.success(
                request,
                _("%(name)s recorded: total %(total)s.")
                % {"name": definition.name, "total": administration.total},
            )
            labels = flag_labels(administration, get_language())
            # Say "a task is on the case" only where one is: a client whose
            # cases have all ended gets none (cases.actions.ask_for_risk_assessment).
            task_made = bool(labels) and (
                Task.objects.visible_to(request.user).open_risk_assessments_of(client).exists()
            )
            for label in labels:
                if task_made:
                    text = _(
                        "Risk: %(flag)s. Next step: a risk assessment with the person today; "
                        "if the person or a child is at risk, raise a safeguarding concern. "
                        "A task is on the case."
                    )
                else:
                    text = _(
                        "Risk: %(flag)s. Next step: a risk assessment with the person today; "
                        "if the person or a child is at risk, raise a safeguarding concern. "
                        "No case of this client is open, so no task was added: "
                        "make sure it happens today."
                    )
                messages.error(request, text % {"flag": label})
            return redirect(_next_url(request) or reverse("instruments:client", args=[client.pk]))
        status = 400
    else:
        status = 200
    return render(
        request,
        "instruments/staff/record.html",
        {
            "client": client,
            "definition": definition,
            "form": form,
            "occasion_form": occasion_form,
            "next": _next_url(request),
        },
        status=status,
    )


@require_POST
@staff_required
def send(request: StaffRequest, client_id: uuid.UUID) -> HttpResponse:
    client = access_client_measures(request.user, client_id)
    form = SendToMailboxForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a questionnaire and an occasion."))
        return redirect("instruments:client", client_id=client.pk)
    try:
        administration = actions.send_to_mailbox(
            client,
            form.cleaned_data["instrument"],
            occasion=form.cleaned_data["occasion"],
            by=request.user,
            centre=working_centre(request.user, client),
        )
    except actions.NoMailbox:
        messages.error(request, _("This client has no mailbox to answer in."))
    else:
        messages.success(
            request,
            _("%(name)s sent to the client's mailbox.") % {"name": administration.definition.name},
        )
    return redirect("instruments:client", client_id=client.pk)


@require_safe
@staff_required
def administration_detail(request: StaffRequest, administration_id: uuid.UUID) -> HttpResponse:
    administration = access_administration(request.user, administration_id)
    definition = administration.definition
    language = get_language()
    answers = administration.answers or {}
    rows = []
    for item in definition.items:
        value = answers.get(item.id)
        label = next(
            (localized(option.label, language) for option in item.options if option.value == value),
            "",
        )
        rows.append((localized(item.text, language), value, label))
    flags = [
        localized(flag.label, language)
        for flag in definition.flags
        if flag.id in (administration.flags or [])
    ]
    return render(
        request,
        "instruments/staff/administration.html",
        {
            "administration": administration,
            "definition": definition,
            "rows": rows,
            "flags": flags,
            "band": administration.band_label(language),
        },
    )
