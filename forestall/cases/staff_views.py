"""Staff views of the case work. Every object and list comes through the
``access_*``/``list_*`` helpers of ``cases.access``, which apply the gate and
audit the read; every write goes through an action, which audits it.
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.cases import actions, case_page, forms
from forestall.cases.access import (
    access_appointment,
    access_case_for_work,
    access_case_with_level,
    access_client,
    access_group,
    access_referral,
    access_task,
    access_waiting_entry,
    case_to_break_glass,
    case_worker_at,
    cases_of_client,
    list_agenda,
    list_cases,
    list_groups,
    list_my_tasks,
    list_referrals,
    list_waiting,
    open_case_at,
    work_centres,
    working_centre,
)
from forestall.cases.models import (
    CASE_WORK_ROLES,
    Appointment,
    AttendanceStatus,
    Case,
    Priority,
    Programme,
    ReferralStatus,
)
from forestall.cases.pathway import MAIN_PATH, TERMINAL, Stage, allowed_targets
from forestall.directory.models import Centre
from forestall.instruments.catalogue import catalogue
from forestall.lib.stale_edits import ChangedMeanwhile, form_after_change, version_of

PAGE_SIZE = 50
_ATTENDANCE_LABELS = dict(AttendanceStatus.choices)
WAITING_PAGE_SIZE = 100
RECENT = case_page.RECENT

Form = forms.forms.Form
FormT = TypeVar("FormT", bound=Form)


def _bad(request: StaffRequest, template: str, context: dict) -> HttpResponse:
    """Re-render a form with its errors: a 400 that keeps what the person wrote."""
    return render(request, template, context, status=400)


# --- Case list, new case, break the glass ---------------------------------


@require_safe
@staff_required
def case_list(request: StaffRequest) -> HttpResponse:
    centres = work_centres(request.user)
    filters = forms.CaseFilterForm(request.GET or None, centres=centres)
    cases = list_cases(request.user)
    if filters.is_valid():
        if filters.cleaned_data["centre"]:
            cases = cases.filter(centre_id=filters.cleaned_data["centre"])
        if filters.cleaned_data["stage"]:
            cases = cases.filter(stage=filters.cleaned_data["stage"])
        if filters.cleaned_data["reference"]:
            cases = cases.filter(client__reference=filters.cleaned_data["reference"].upper())
    listed = cases.order_by("-opened_at", "id").only(
        "id",
        "stage",
        "programme",
        "opened_at",
        "stage_changed_at",
        "client__reference",
        "centre__name",
        "centre__name_de",
    )
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    # Labels looked up once per page, not through get_FOO_display per row.
    stages, programmes = dict(Stage.choices), dict(Programme.choices)
    list_url = reverse("cases:list")  # a case's page is <list>/<uuid>/
    rows = [
        {
            "url": f"{list_url}{case.pk}/",
            "reference": case.client.reference,
            "centre": case.centre.display_name,
            "programme": programmes.get(case.programme, case.programme),
            "stage": stages.get(case.stage, case.stage),
            "opened_on": timezone.localtime(case.opened_at).date(),
            "changed_on": timezone.localtime(case.stage_changed_at).date(),
        }
        for case in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "filters": filters,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "can_open": bool(centres),
            "is_network_admin": request.user.is_network_admin,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def case_new(request: StaffRequest) -> HttpResponse:
    centres = work_centres(request.user)
    if not centres:
        raise Http404
    form = forms.NewCaseForm(request.POST or None, centres=centres)
    if request.method == "POST":
        if not form.is_valid():
            return _bad(request, "cases/case_new.html", {"form": form})
        centre = next(c for c in centres if str(c.pk) == form.cleaned_data["centre"])
        case = actions.open_case_for_new_client(
            centre,
            by=request.user,
            programme=form.cleaned_data["programme"],
            language=form.cleaned_data["language"],
            contact_details=form.contact_details(),
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request, _("Case opened for %(reference)s.") % {"reference": case.client.reference}
        )
        return redirect("cases:case", case_id=case.pk)
    return render(request, "cases/case_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@staff_required
def break_glass(request: StaffRequest) -> HttpResponse:
    """A network admin's emergency access to a case, with a reason, audited."""
    if not request.user.is_network_admin:
        raise Http404
    form = forms.BreakGlassForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _bad(request, "cases/break_glass.html", {"form": form})
        case = case_to_break_glass(request.user, form.cleaned_data["reference"])
        if case is None:
            form.add_error("reference", _("No case has this reference."))
            return _bad(request, "cases/break_glass.html", {"form": form})
        actions.break_glass(case, by=request.user, reason=form.cleaned_data["reason"])
        messages.warning(request, _("You have access to this case for one hour. It is recorded."))
        return redirect("cases:case", case_id=case.pk)
    return render(request, "cases/break_glass.html", {"form": form})


# --- One case -------------------------------------------------------------


def _case_context(request: StaffRequest, case: Case) -> dict[str, Any]:
    """Everything the full case page shows: a fixed number of queries, whatever the case.

    The lists come from ``forestall.cases.case_page`` (queries compiled once).
    """
    found = case_page.sections(request.user, case)
    statuses = found["statuses"]
    context = {
        "case": case,
        "full": True,
        "path": MAIN_PATH,
        "history": found["history"],
        "notes": found["notes"],
        "tasks": found["tasks"],
        "appointments": [
            (a, _ATTENDANCE_LABELS.get(statuses.get(a.pk, ""), "")) for a in found["appointments"]
        ],
        "referrals_out": found["referrals_out"],
        "referral_in": found["referral_in"],
        "waiting": found["waiting"],
        "concern_count": found["concern_count"],
        "contact_summary": _contact_summary_labels(case.contact_summary),
        # The actions' forms have pages of their own (linked from here); only
        # the note, written most often, is on the case page itself.
        "next_stages": allowed_targets(case.stage),
        "note_form": forms.CaseNoteForm(),
        "today": timezone.localdate(),
        "now": timezone.now(),
    }
    context.update(_measures_context(case, found["completed"], found["pending"]))
    return context


def _contact_summary_labels(summary: object) -> dict | None:
    """The inbox's contact summary on a case, in words (the codes are the inbox's vocabularies)."""
    if not isinstance(summary, dict):
        return None
    from forestall.inbox.models import PresentingConcern, RiskIndicator, Writer

    writers, concerns = dict(Writer.choices), dict(PresentingConcern.choices)
    indicators = dict(RiskIndicator.choices)
    return {
        "writer": writers.get(summary.get("writer", ""), ""),
        "concern": concerns.get(summary.get("concern", ""), ""),
        "risk_indicators": [
            indicators.get(code, code) for code in summary.get("risk_indicators", [])
        ],
    }


def _measures_context(case: Case, completed: list, pending: list) -> dict:
    """The client's questionnaire measures, charted by the instruments work."""
    from forestall.instruments.charts import client_charts
    from forestall.instruments.risk import current_risk_flags

    return {
        "risk_flags": current_risk_flags(case.client, get_language(), completed),
        "charts": client_charts(case.client, get_language(), completed),
        "pending_measures": pending,
        "instruments": [d for d in catalogue().latest() if d.is_scored],
    }


@require_safe
@staff_required
def case_detail(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case, full = access_case_with_level(request.user, case_id)
    if not full:
        return render(
            request, "cases/case_summary.html", {"case": case, "path": MAIN_PATH, "full": False}
        )
    return render(request, "cases/case_detail.html", _case_context(request, case))


def _case_form_view(
    request: StaffRequest,
    case: Case,
    form: FormT,
    *,
    title: str,
    on_valid: Callable[[FormT], HttpResponse],
) -> HttpResponse:
    """GET shows the form on its own page; POST validates and runs ``on_valid``."""
    context = {"case": case, "form": form, "title": title}
    if request.method == "POST":
        if form.is_valid():
            try:
                return on_valid(form)
            except actions.CaseError as error:
                form.add_error(None, str(error))
        return _bad(request, "cases/case_form.html", context)
    return render(request, "cases/case_form.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def case_transition(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case_for_work(request.user, case_id)
    seen = request.POST.get("from_stage") if request.method == "POST" else None
    if seen and seen != case.stage:
        return _stage_changed(request, case, actions.stage_changed(case))
    # The case page links each next stage here as ``?to=<stage>``.
    chosen = request.GET.get("to") if request.method == "GET" else None
    form = forms.TransitionForm(
        request.POST or None,
        case=case,
        initial={"to_stage": chosen} if chosen in allowed_targets(case.stage) else None,
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and form.cleaned_data["to_stage"] in TERMINAL
        and not form.cleaned_data["confirmed"]
    ):
        # Ending a case cannot be undone: say what it will do, and ask.
        now = timezone.now()
        return render(
            request,
            "cases/transition_confirm.html",
            {
                "case": case,
                "form": form,
                "stage_label": Stage(form.cleaned_data["to_stage"]).label,
                "future_appointments": Appointment.objects.filter(
                    case=case, cancelled_at__isnull=True, starts_at__gte=now
                ).count(),
                "group_count": case.therapy_groups.count(),
                "pending_referrals": case.referrals_out.filter(
                    status=ReferralStatus.PENDING
                ).count(),
            },
        )

    def save(form: forms.TransitionForm) -> HttpResponse:
        try:
            actions.transition_case(
                case,
                form.cleaned_data["to_stage"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                priority=form.cleaned_data.get("priority") or Priority.ROUTINE,
                from_stage=form.cleaned_data["from_stage"] or None,
            )
        except actions.StageChanged as changed:
            case.refresh_from_db()
            return _stage_changed(request, case, changed)
        messages.success(
            request, _("The case moved to “%(stage)s”.") % {"stage": Stage(case.stage).label}
        )
        return redirect("cases:case", case_id=case.pk)

    if not allowed_targets(case.stage):
        # An ended case moves nowhere: say so instead of a form without choices.
        context = {"case": case, "form": form, "title": _("Move along the pathway"), "ended": True}
        return render(request, "cases/case_form.html", context, status=409 if request.POST else 200)
    return _case_form_view(request, case, form, title=_("Move along the pathway"), on_valid=save)


def _stage_changed(
    request: StaffRequest, case: Case, changed: actions.StageChanged
) -> HttpResponse:
    """409: the case moved on since the page was opened; the form again, from the stage now.

    Says who moved it and when ("you" for the person's own move in another
    tab), like every stale-tab refusal. What was written as the reason is
    kept; the move to choose is not (it was chosen for a stage the case has
    left).
    """
    messages.error(request, changed.message(request.user.get_username()))
    form = forms.TransitionForm(
        case=case, initial={"reason": request.POST.get("reason", "")[: forms.REASON_MAX]}
    )
    context = {
        "case": case,
        "form": form,
        "title": _("Move along the pathway"),
        "ended": not allowed_targets(case.stage),
    }
    return render(request, "cases/case_form.html", context, status=409)


@require_http_methods(["GET", "POST"])
@staff_required
def case_note(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case_for_work(request.user, case_id)
    form = forms.CaseNoteForm(request.POST or None)

    def save(form: forms.CaseNoteForm) -> HttpResponse:
        actions.add_note(case, by=request.user, body=form.cleaned_data["body"])
        messages.success(request, _("Note saved."))
        return redirect("cases:case", case_id=case.pk)

    return _case_form_view(request, case, form, title=_("Add a note"), on_valid=save)


@require_http_methods(["GET", "POST"])
@staff_required
def case_task(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case_for_work(request.user, case_id)
    form = forms.TaskForm(request.POST or None, centre_id=case.centre_id)

    def save(form: forms.TaskForm) -> HttpResponse:
        actions.add_task(
            case,
            by=request.user,
            title=form.cleaned_data["title"],
            due_on=form.cleaned_data["due_on"],
            assignee=case_worker_at(case.centre_id, form.cleaned_data["assignee"]),
        )
        messages.success(request, _("Task added."))
        return redirect("cases:case", case_id=case.pk)

    return _case_form_view(request, case, form, title=_("Add a task or reminder"), on_valid=save)


@require_http_methods(["GET", "POST"])
@staff_required
def case_lead(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    """Choose (or change, or clear) the case's lead clinician."""
    case = access_case_for_work(request.user, case_id)
    form = forms.LeadClinicianForm(
        request.POST or None,
        centre_id=case.centre_id,
        has_lead=case.lead_clinician_id is not None,
        initial={"lead": str(case.lead_clinician_id or "")},
    )

    def save(form: forms.LeadClinicianForm) -> HttpResponse:
        lead = case_worker_at(case.centre_id, form.cleaned_data["lead"])
        actions.assign_lead_clinician(case, lead, by=request.user)
        if lead is None:
            messages.success(request, _("The case has no lead clinician now."))
        else:
            messages.success(
                request,
                _("%(name)s leads the case now.") % {"name": lead.get_full_name() or lead.username},
            )
        return redirect("cases:case", case_id=case.pk)

    return _case_form_view(request, case, form, title=_("Lead clinician"), on_valid=save)


@require_http_methods(["GET", "POST"])
@staff_required
def case_appointment(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case_for_work(request.user, case_id)
    form = forms.AppointmentForm(request.POST or None, centre_id=case.centre_id)

    def save(form: forms.AppointmentForm) -> HttpResponse:
        appointment = actions.schedule_appointment(
            case,
            by=request.user,
            starts_at=form.cleaned_data["starts_at"],
            clinician=case_worker_at(case.centre_id, form.cleaned_data["clinician"]),
            purpose=form.cleaned_data["purpose"],
            mode=form.cleaned_data["mode"],
            duration_minutes=form.cleaned_data["duration_minutes"],
            allow_overlap=form.cleaned_data["allow_overlap"],
        )
        messages.success(request, _("Appointment booked."))
        return redirect("cases:appointment", appointment_id=appointment.pk)

    return _case_form_view(request, case, form, title=_("Book an appointment"), on_valid=save)


@require_http_methods(["GET", "POST"])
@staff_required
def case_refer(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    case = access_case_for_work(request.user, case_id)
    form = forms.ReferToCentreForm(request.POST or None, case=case)

    def save(form: forms.ReferToCentreForm) -> HttpResponse:
        to_centre = Centre.objects.get(pk=form.cleaned_data["to_centre"])
        referral = actions.refer_case(
            case,
            to_centre,
            by=request.user,
            reason=form.cleaned_data["reason"],
            programme=form.cleaned_data["programme"],
            summary=form.cleaned_data["summary"],
            consent_given=form.cleaned_data["consent_given"],
            consent_note=form.cleaned_data["consent_note"],
        )
        messages.success(
            request, _("Referral sent to %(centre)s.") % {"centre": to_centre.display_name}
        )
        return redirect("cases:referral", referral_id=referral.pk)

    return _case_form_view(request, case, form, title=_("Refer to another centre"), on_valid=save)


@require_http_methods(["GET", "POST"])
@staff_required
def case_concern(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    """Raise a safeguarding concern about a case (anyone who works on it)."""
    from forestall.safeguarding.actions import SafeguardingError, raise_concern
    from forestall.safeguarding.forms import CaseConcernForm

    case = access_case_for_work(request.user, case_id)
    form = CaseConcernForm(request.POST or None)
    context = {"case": case, "form": form, "title": _("Raise a safeguarding concern")}
    if request.method == "POST":
        if form.is_valid():
            try:
                raise_concern(
                    by=request.user,
                    level=form.cleaned_data["level"],
                    description=form.cleaned_data["description"],
                    case=case,
                )
            except SafeguardingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The safeguarding leads have been told."))
                return redirect("cases:case", case_id=case.pk)
        return _bad(request, "cases/case_form.html", context)
    return render(request, "cases/case_form.html", context)


# --- Tasks ----------------------------------------------------------------


@require_safe
@staff_required
def task_list(request: StaffRequest) -> HttpResponse:
    """My open tasks and reminders, overdue first."""
    tasks = list_my_tasks(request.user)
    return render(request, "cases/task_list.html", {"tasks": tasks, "today": timezone.localdate()})


@require_http_methods(["GET", "POST"])
@staff_required
def task_done(request: StaffRequest, task_id: uuid.UUID) -> HttpResponse:
    task = access_task(request.user, task_id)
    # Bound on every POST, also an empty one (a form from before the count was sent).
    form = forms.TaskDoneForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ticked = actions.complete_task(
                task, by=request.user, seen_times_raised=form.cleaned_data["seen_times_raised"]
            )
        except actions.CaseError as error:
            # Shown again with what is new, and a form that carries the new count.
            messages.error(request, str(error))
            return redirect("cases:task_done", task_id=task.pk)
        if ticked:
            messages.success(request, _("Task done."))
        else:
            # A second tab or a colleague's open page: say so, not "done" as if
            # this had done it.
            messages.info(request, _("This task had already been marked done."))
        if form.cleaned_data["back"] == "tasks":
            return redirect("cases:tasks")
        return redirect("cases:case", case_id=task.case_id)
    # A refused form (a forged count or place to go back to) is bad input: the
    # task's own page again, with a 400.
    status = 400 if request.method == "POST" else 200
    return render(request, "cases/task_done.html", {"task": task, "case": task.case}, status=status)


@require_POST
@staff_required
def task_take(request: StaffRequest, task_id: uuid.UUID) -> HttpResponse:
    """Take a task nobody is assigned to; back to "My tasks", where it now is one's own."""
    task = access_task(request.user, task_id)
    try:
        actions.take_task(task, by=request.user)
    except actions.CaseError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The task is yours now."))
    return redirect("cases:tasks")


# --- Clients --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def client_detail(request: StaffRequest, client_id: uuid.UUID) -> HttpResponse:
    client = access_client(request.user, client_id)
    details = client.contact_details or {}
    form = forms.ContactDetailsForm(
        request.POST or None, initial=details, edited_from=version_of(client)
    )
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                actions.update_contact_details(
                    client,
                    form.details(),
                    by=request.user,
                    centre=working_centre(request.user, client),
                    edited_from=form.edited_from,
                )
            except ChangedMeanwhile as changed:
                form = form_after_change(
                    forms.ContactDetailsForm, request.POST, changed, viewer=request.user
                )
                status = 409
            else:
                messages.success(request, _("Contact details saved."))
                return redirect("cases:client", client_id=client.pk)
    else:
        status = 200
    cases = cases_of_client(request.user, client)
    return render(
        request,
        "cases/client_detail.html",
        {"client": client, "cases": cases, "form": form},
        status=status,
    )


# --- Waiting list ---------------------------------------------------------


@require_safe
@staff_required
def waiting_list(request: StaffRequest) -> HttpResponse:
    """The waiting list of a centre and programme, with why each person is where they are."""
    centres = work_centres(request.user)
    if not centres:
        raise Http404
    data = request.GET.copy()
    data.setdefault("centre", str(centres[0].pk))
    data.setdefault("programme", Programme.INDIVIDUAL)
    filters = forms.WaitingListFilterForm(data, centres=centres)
    if not filters.is_valid():
        return _bad(request, "cases/waiting_list.html", {"filters": filters, "rows": []})
    centre = next(c for c in centres if str(c.pk) == filters.cleaned_data["centre"])
    programme = filters.cleaned_data["programme"]
    entries = list_waiting(request.user, centre, programme)
    per_priority = Counter(
        {
            row["priority"]: row["count"]
            for row in entries.order_by().values("priority").annotate(count=Count("id"))
        }
    )
    page = Paginator(entries.in_order().select_related("case__client"), WAITING_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    rows = []
    for index, entry in enumerate(page.object_list, start=page.start_index()):
        ahead_higher = sum(
            count for priority, count in per_priority.items() if priority < entry.priority
        )
        rows.append(
            {
                "position": index,
                "entry": entry,
                "waiting_weeks": entry.waiting_time(now).days // 7,
                "ahead_higher": ahead_higher,
                "ahead_same": index - 1 - ahead_higher,
            }
        )
    query = data.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/waiting_list.html",
        {
            "filters": filters,
            "centre": centre,
            "programme": Programme(programme),
            "rows": rows,
            "page": page,
            "query": query.urlencode(),
            "total": sum(per_priority.values()),
            "typical_wait": actions.typical_wait_weeks(centre, now=now),
            "priorities": Priority,
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def waiting_priority(request: StaffRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = access_waiting_entry(request.user, entry_id)
    form = forms.PriorityForm(request.POST or None, initial={"priority": entry.priority})
    context = {"entry": entry, "case": entry.case, "form": form, "title": _("Change priority")}
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.set_waiting_priority(entry, form.cleaned_data["priority"], by=request.user)
            except actions.CaseError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Priority changed."))
                url = reverse("cases:waiting_list")
                return redirect(f"{url}?centre={entry.centre_id}&programme={entry.programme}")
        return _bad(request, "cases/case_form.html", context)
    return render(request, "cases/case_form.html", context)


# --- Appointments and agenda ----------------------------------------------


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@require_safe
@staff_required
def agenda(request: StaffRequest) -> HttpResponse:
    """A week of appointments: per clinician or per centre, as a plain table (no JavaScript)."""
    centres = work_centres(request.user)
    if not centres:
        raise Http404
    data = request.GET.copy()
    if "clinician" not in data and "centre" not in data:
        data["clinician"] = str(request.user.pk)
    filters = forms.AgendaForm(data, centres=centres)
    if not filters.is_valid():
        return _bad(request, "cases/agenda.html", {"filters": filters, "days": []})
    monday = _monday(filters.cleaned_data["week"] or timezone.localdate())
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz)
    end = start + datetime.timedelta(days=7)
    appointments = list_agenda(request.user, start, end)
    if filters.cleaned_data["centre"]:
        appointments = appointments.filter(centre_id=filters.cleaned_data["centre"])
    if filters.cleaned_data["clinician"]:
        appointments = appointments.filter(clinician_id=filters.cleaned_data["clinician"])
    days: list[tuple[datetime.date, list[Appointment]]] = [
        (monday + datetime.timedelta(days=offset), []) for offset in range(7)
    ]
    for appointment in appointments:
        local_day = timezone.localtime(appointment.starts_at).date()
        days[(local_day - monday).days][1].append(appointment)
    query = data.copy()
    query.pop("week", None)
    return render(
        request,
        "cases/agenda.html",
        {
            "filters": filters,
            "days": days,
            "monday": monday,
            "previous_week": monday - datetime.timedelta(days=7),
            "next_week": monday + datetime.timedelta(days=7),
            "query": query.urlencode(),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_required
def appointment_detail(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """An appointment or group session and who came: recording attendance flows into the cases."""
    appointment = access_appointment(request.user, appointment_id)
    attendances = list(
        appointment.attendances.select_related("case__client").order_by("case__client__reference")
    )
    form = forms.AttendanceForm(
        request.POST or None,
        attendances=attendances,
        appointment=appointment,
        edited_from=actions.attendance_version(appointment),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            by_case = {str(a.case_id): a.case for a in attendances}
            try:
                actions.record_attendances(
                    appointment,
                    {by_case[case_id]: value for case_id, value in form.statuses().items()},
                    by=request.user,
                    edited_from=form.edited_from,
                )
            except ChangedMeanwhile as changed:
                attendances = list(
                    appointment.attendances.select_related("case__client").order_by(
                        "case__client__reference"
                    )
                )
                form = form_after_change(
                    forms.AttendanceForm,
                    request.POST,
                    changed,
                    attendances=attendances,
                    appointment=appointment,
                    viewer=request.user,
                )
                status = 409
            except actions.CaseError as error:
                messages.error(request, str(error))
                return redirect("cases:appointment", appointment_id=appointment.pk)
            else:
                messages.success(request, _("Attendance saved."))
                return redirect("cases:appointment", appointment_id=appointment.pk)
    return render(
        request,
        "cases/appointment_detail.html",
        {
            "appointment": appointment,
            "form": form,
            "attendances": attendances,
            "instruments": [d for d in catalogue().latest() if d.is_scored],
            # With attendance recorded it took place: not offered for cancelling.
            "took_place": any(
                a.status in (AttendanceStatus.ATTENDED, AttendanceStatus.DID_NOT_ATTEND)
                for a in attendances
            ),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def appointment_cancel(request: StaffRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = access_appointment(request.user, appointment_id)
    if request.method == "POST":
        try:
            cancelled = actions.cancel_appointment(appointment, by=request.user)
        except actions.CaseError as error:
            return render(
                request,
                "cases/appointment_cancel.html",
                {"appointment": appointment, "error": str(error)},
                status=400,
            )
        if cancelled:
            messages.success(request, _("Appointment cancelled."))
        else:
            messages.info(request, _("This appointment had already been cancelled."))
        return redirect("cases:appointment", appointment_id=appointment.pk)
    return render(request, "cases/appointment_cancel.html", {"appointment": appointment})


# --- Groups ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def group_list(request: StaffRequest) -> HttpResponse:
    centres = work_centres(request.user)
    if not centres:
        raise Http404
    form = forms.GroupForm(request.POST or None, centres=centres)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            centre = next(c for c in centres if str(c.pk) == form.cleaned_data["centre"])
            group = actions.create_group(
                centre,
                by=request.user,
                name=form.cleaned_data["name"],
                programme=form.cleaned_data["programme"],
                clinician=case_worker_at(centre.pk, form.cleaned_data["clinician"]),
            )
            return redirect("cases:group", group_id=group.pk)
        status = 400
    groups = list_groups(request.user)
    return render(request, "cases/group_list.html", {"groups": groups, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def group_detail(request: StaffRequest, group_id: uuid.UUID) -> HttpResponse:
    group = access_group(request.user, group_id)
    which = request.POST.get("form")
    member_form = forms.GroupMemberForm(request.POST if which == "member" else None)
    session_form = forms.GroupSessionForm(request.POST if which == "session" else None)
    remove_form = forms.GroupMemberRemoveForm(request.POST if which == "remove" else None)
    status = 200
    if request.method == "POST":
        if member_form.is_bound and member_form.is_valid():
            case = open_case_at(request.user, group.centre, member_form.cleaned_data["reference"])
            if case is None:
                member_form.add_error(
                    "reference", _("No open case at this centre has this reference.")
                )
            else:
                try:
                    actions.add_group_member(
                        group,
                        case,
                        by=request.user,
                        confirm_other_programme=member_form.cleaned_data["confirm_other_programme"],
                    )
                except actions.CaseError as error:
                    member_form.add_error(None, str(error))
                else:
                    messages.success(request, _("Added to the group."))
                    return redirect("cases:group", group_id=group.pk)
        elif remove_form.is_bound and remove_form.is_valid():
            member = group.members.filter(pk=remove_form.cleaned_data["case"]).first()
            if member is not None:
                actions.remove_group_member(group, member, by=request.user)
                messages.success(
                    request,
                    _("%(reference)s was taken off the roster.")
                    % {"reference": member.client.reference},
                )
                return redirect("cases:group", group_id=group.pk)
            messages.error(request, _("That person is not on the roster."))
        elif session_form.is_bound and session_form.is_valid():
            try:
                session = actions.schedule_group_session(
                    group,
                    by=request.user,
                    starts_at=session_form.cleaned_data["starts_at"],
                    mode=session_form.cleaned_data["mode"],
                    duration_minutes=session_form.cleaned_data["duration_minutes"],
                    allow_overlap=session_form.cleaned_data["allow_overlap"],
                )
            except actions.CaseError as error:
                session_form.add_error(None, str(error))
            else:
                messages.success(request, _("Session booked."))
                return redirect("cases:appointment", appointment_id=session.pk)
        status = 400
    return render(
        request,
        "cases/group_detail.html",
        {
            "group": group,
            "members": group.members.select_related("client").order_by("client__reference"),
            "sessions": group.sessions.order_by("-starts_at")[:RECENT],
            "member_form": member_form,
            "session_form": session_form,
        },
        status=status,
    )


# --- Referrals ------------------------------------------------------------


@require_safe
@staff_required
def referral_list(request: StaffRequest) -> HttpResponse:
    incoming, outgoing = list_referrals(request.user)
    return render(request, "cases/referral_list.html", {"incoming": incoming, "outgoing": outgoing})


@require_http_methods(["GET", "POST"])
@staff_required
def referral_detail(request: StaffRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The referral record: the sender's summary and consent; the receiver answers here."""
    # Only the receiving centre answers: for anyone else a POST is a 404.
    side = "receiving" if request.method == "POST" else ""
    referral = access_referral(request.user, referral_id, side=side)
    receiving = request.user.has_role_at(referral.to_centre_id, *CASE_WORK_ROLES)
    form = forms.ReferralDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "accept":
                    new_case = actions.accept_referral(
                        referral, by=request.user, note=form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Referral accepted: the case is now yours."))
                    return redirect("cases:case", case_id=new_case.pk)
                actions.decline_referral(
                    referral, by=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Referral declined."))
                return redirect("cases:referral", referral_id=referral.pk)
            except actions.CaseError as error:
                form.add_error(None, str(error))
        status = 400
    return render(
        request,
        "cases/referral_detail.html",
        {
            "referral": referral,
            "form": form,
            "can_answer": receiving and referral.status == ReferralStatus.PENDING,
            "sending": request.user.has_role_at(referral.from_centre_id, *CASE_WORK_ROLES),
            "can_withdraw": referral.status == ReferralStatus.PENDING
            and request.user.has_role_at(referral.from_centre_id, *CASE_WORK_ROLES),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def referral_withdraw(request: StaffRequest, referral_id: uuid.UUID) -> HttpResponse:
    """The sending centre withdraws a referral nobody has answered (its case stays open)."""
    referral = access_referral(request.user, referral_id, side="sending")
    form = forms.ReferralWithdrawForm(request.POST or None)
    context = {
        "case": referral.case,
        "form": form,
        "title": _("Withdraw the referral to %(centre)s")
        % {"centre": referral.to_centre.display_name},
    }
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.withdraw_referral(
                    referral, by=request.user, reason=form.cleaned_data["reason"]
                )
            except actions.ReferralError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Referral withdrawn: the case can be referred again."))
                return redirect("cases:case", case_id=referral.case_id)
        return _bad(request, "cases/case_form.html", context)
    return render(request, "cases/case_form.html", context)


@require_http_methods(["GET", "POST"])
@staff_required
def case_reopen(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    """A returning person: a new case on the same client at the same centre.

    The ended case keeps its own path (every case is counted once); an
    already open case of the client at this centre is shown instead.
    """
    case = access_case_for_work(request.user, case_id)
    open_case = (
        Case.objects.open().filter(client_id=case.client_id, centre_id=case.centre_id).first()
    )
    form = forms.ReopenForm(request.POST or None, initial={"programme": case.programme})
    context = {
        "case": case,
        "form": form if not case.is_open and open_case is None else None,
        "open_case": open_case,
        "title": _("Reopen as a new case"),
    }
    if request.method == "POST":
        if context["form"] is None:
            # The page was opened before a colleague reopened (or the case is
            # still open): nothing to open; what was typed is shown back.
            context["kept_reason"] = str(request.POST.get("reason", ""))[:5000]
            return _bad(request, "cases/case_reopen.html", context)
        if form.is_valid():
            try:
                new_case = actions.open_case(
                    case.client,
                    case.centre,
                    by=request.user,
                    programme=form.cleaned_data["programme"],
                    reason=form.cleaned_data["reason"],
                )
            except actions.CaseError as error:
                # Someone else's "Reopen" came first: their case is linked, and
                # the reason typed here is shown back to copy (a form to send
                # again could only fail again).
                context["open_case"] = (
                    Case.objects.open()
                    .filter(client_id=case.client_id, centre_id=case.centre_id)
                    .first()
                )
                if context["open_case"] is None:  # another rule: say which
                    form.add_error(None, str(error))
                    return _bad(request, "cases/case_reopen.html", context)
                context["form"] = None
                context["kept_reason"] = form.cleaned_data["reason"]
                return _bad(request, "cases/case_reopen.html", context)
            messages.success(
                request,
                _("A new case is open for %(reference)s.") % {"reference": case.client.reference},
            )
            return redirect("cases:case", case_id=new_case.pk)
        return _bad(request, "cases/case_reopen.html", context)
    return render(request, "cases/case_reopen.html", context)
