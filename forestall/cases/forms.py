"""Forms of the case work: every input is validated here before an action runs."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from forestall.cases.models import (
    Appointment,
    AppointmentMode,
    AppointmentPurpose,
    AttendanceStatus,
    Case,
    Priority,
    Programme,
    ReferralReason,
)
from forestall.cases.pathway import Stage, allowed_targets
from forestall.directory.models import Centre, Language
from forestall.lib.forms import DayField, MomentField, choice_field
from forestall.lib.stale_edits import GuardsStaleEdits

NOTE_MAX = 20_000
REASON_MAX = 2_000

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise  # a dev dependency: for the checker only


def _staff_choices(
    centre_id: uuid.UUID | str, *, including_closed_accounts: bool = False
) -> list[tuple[str, StrOrPromise]]:
    from forestall.cases.access import case_workers_at

    users = case_workers_at(centre_id, including_closed_accounts=including_closed_accounts)
    return [(str(user.pk), user.get_full_name() or user.username) for user in users]


class CaseFilterForm(forms.Form):
    centre = forms.ChoiceField(label=_("Centre"), required=False)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("Any stage")), *Stage.choices]
    )
    reference = forms.CharField(label=_("Client reference"), required=False, max_length=12)

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "centre").choices = [("", _("All my centres"))] + [
            (str(centre.pk), centre.display_name) for centre in centres
        ]


class NewCaseForm(forms.Form):
    centre = forms.ChoiceField(label=_("Centre"))
    programme = forms.ChoiceField(label=_("Programme"), choices=Programme.choices)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial="de")
    contact_name = forms.CharField(
        label=_("Name (only if the person wants to give one)"), required=False, max_length=200
    )
    contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=60)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)
    reason = forms.CharField(
        label=_("How the person got in touch"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "centre").choices = [
            (str(centre.pk), centre.display_name) for centre in centres
        ]

    def contact_details(self) -> dict[str, str] | None:
        details = {
            key: self.cleaned_data[f"contact_{key}"]
            for key in ("name", "phone", "email")
            if self.cleaned_data.get(f"contact_{key}")
        }
        return details or None


class ContactDetailsForm(GuardsStaleEdits, forms.Form):
    """A client's contact details; ``edited_from`` is the client's version when opened."""

    name = forms.CharField(label=_("Name"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=60)
    email = forms.EmailField(label=_("E-mail"), required=False)

    DETAILS = ("name", "phone", "email")

    def details(self) -> dict[str, str] | None:
        details = {key: self.cleaned_data[key] for key in self.DETAILS if self.cleaned_data[key]}
        return details or None


class TransitionForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("Move to"))
    priority = forms.TypedChoiceField(
        label=_("Priority on the waiting list"),
        choices=Priority.choices,
        coerce=int,
        initial=Priority.ROUTINE,
        required=False,
    )
    reason = forms.CharField(
        label=_("Why"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    # Set by the confirmation page that ending a case shows first.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The stage the page showed: a move is refused if the case has moved on since.
    from_stage = forms.CharField(required=False, max_length=32, widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_stage"].initial = case.stage
        # No stage is chosen for the person: the first one would be ending the
        # case for whoever saves without looking (after a refused move, say).
        choice_field(self, "to_stage").choices = [
            ("", _("— choose —")),
            *((stage.value, stage.label) for stage in allowed_targets(case.stage)),
        ]


class CaseNoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task or reminder"), max_length=500)
    due_on = DayField(
        label=_("Due on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(self, *args: Any, centre_id: uuid.UUID | str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "assignee").choices = [("", _("Nobody yet")), *_staff_choices(centre_id)]


class LeadClinicianForm(forms.Form):
    lead = forms.ChoiceField(
        label=_("Lead clinician"),
        required=False,
        help_text=_(
            "A risk assessment asked for on the case goes to this person's "
            "“My tasks”. Clinicians and managers of the case's centre."
        ),
    )

    def __init__(
        self, *args: Any, centre_id: uuid.UUID | str, has_lead: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # With a lead, the empty choice removes them: say so, not "Nobody yet".
        nobody = _("Nobody: remove the lead clinician") if has_lead else _("Nobody yet")
        choice_field(self, "lead").choices = [("", nobody), *_staff_choices(centre_id)]


class TaskDoneForm(forms.Form):
    # How often the task had been asked for on the page the person ticked it
    # on: a risk assessment asked for again since then is not ticked off unseen.
    seen_times_raised = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    # Where the person ticked it: "My tasks" goes back to the list (working
    # through it), anywhere else to the case. A choice, never an address.
    back = forms.ChoiceField(required=False, choices=[("tasks", "tasks")], widget=forms.HiddenInput)


# An appointment is booked ahead, or written down afterwards if it was
# forgotten: a start further back than this, or further ahead than that, is a
# typo (1950 for 2025), never a real booking.
BOOKING_DAYS_BACK = 90
BOOKING_DAYS_AHEAD = 2 * 366


def _bookable(moment: datetime.datetime) -> None:
    today = timezone.localdate()
    day = timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    if not (
        today - datetime.timedelta(days=BOOKING_DAYS_BACK)
        <= day
        <= today + datetime.timedelta(days=BOOKING_DAYS_AHEAD)
    ):
        raise ValidationError(
            _(
                "An appointment can start at most 90 days ago (to write down one that took "
                "place) and at most two years ahead. Check the year."
            ),
            code="not_bookable",
        )


class AppointmentForm(forms.Form):
    starts_at = MomentField(
        validators=[_bookable],
        label=_("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=5, max_value=480, initial=50
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=AppointmentPurpose.choices)
    mode = forms.ChoiceField(label=_("Mode"), choices=AppointmentMode.choices)
    clinician = forms.ChoiceField(label=_("Clinician"), required=False)
    allow_overlap = forms.BooleanField(
        label=_("Book it even if it overlaps another appointment of the clinician or client"),
        required=False,
    )

    def __init__(self, *args: Any, centre_id: uuid.UUID | str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "clinician").choices = [
            ("", _("Nobody yet")),
            *_staff_choices(centre_id),
        ]


class AttendanceForm(GuardsStaleEdits, forms.Form):
    """One choice per expected person (``attendance_<case id>``).

    ``edited_from`` is the appointment's attendance version when the page was
    opened (``actions.attendance_version``).
    """

    def __init__(
        self, *args: Any, attendances: list, appointment: Appointment | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        choices = [
            (value, label)
            for value, label in AttendanceStatus.choices
            if value != AttendanceStatus.EXPECTED
        ]
        for attendance in attendances:
            self.fields[f"attendance_{attendance.case_id}"] = forms.ChoiceField(
                label=attendance.case.client.reference,
                choices=[("", _("Not recorded yet")), *choices],
                required=False,
                initial=attendance.status if attendance.status != "expected" else "",
            )

    def statuses(self) -> dict[str, str]:
        """The chosen outcome per case id (only the people given one)."""
        return {
            name.removeprefix("attendance_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("attendance_") and value
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.appointment is not None:
            # Refused here as a whole, so a group's other choices are not half saved.
            for name, value in list(data.items()):
                if not name.startswith("attendance_"):
                    continue
                too_early = self.appointment.too_early_to_record(value)
                if too_early:
                    self.add_error(name, too_early)
        return data


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    programme = forms.ChoiceField(
        label=_("Programme"), choices=Programme.choices, initial=Programme.GROUP
    )
    clinician = forms.ChoiceField(label=_("Clinician"), required=False)
    centre = forms.ChoiceField(label=_("Centre"))

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "centre").choices = [
            (str(centre.pk), centre.display_name) for centre in centres
        ]
        choices: list[tuple[str, StrOrPromise]] = [("", _("Nobody yet"))]
        for centre in centres:
            choices.extend(_staff_choices(centre.pk))
        choice_field(self, "clinician").choices = list(dict.fromkeys(choices))

    def clean(self) -> dict[str, Any]:
        # The clinician list holds everyone at all of the person's centres: one
        # from another centre than the group's would otherwise be dropped unseen.
        cleaned = super().clean() or {}
        clinician, centre = cleaned.get("clinician"), cleaned.get("centre")
        if clinician and centre and clinician not in dict(_staff_choices(centre)):
            self.add_error(
                "clinician", _("This person does not work at the centre chosen for the group.")
            )
        return cleaned


class GroupMemberForm(forms.Form):
    reference = forms.CharField(label=_("Client reference"), max_length=12)
    confirm_other_programme = forms.BooleanField(
        label=_("Add them even if they are waiting for another programme"), required=False
    )


class GroupMemberRemoveForm(forms.Form):
    case = forms.UUIDField(widget=forms.HiddenInput)


class GroupSessionForm(forms.Form):
    starts_at = AppointmentForm.base_fields["starts_at"]
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=5, max_value=480, initial=90
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=AppointmentMode.choices)
    allow_overlap = AppointmentForm.base_fields["allow_overlap"]


class ReopenForm(forms.Form):
    programme = forms.ChoiceField(label=_("Programme"), choices=Programme.choices)
    reason = forms.CharField(
        label=_("Why the person returns"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReferralWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the referral is withdrawn"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)


class ReferToCentreForm(forms.Form):
    to_centre = forms.ChoiceField(label=_("Refer to"))
    reason = forms.ChoiceField(label=_("Why this centre"), choices=ReferralReason.choices)
    programme = forms.ChoiceField(label=_("Programme there"), choices=Programme.choices)
    summary = forms.CharField(
        label=_("What the receiving centre should know (they see nothing else)"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    consent_given = forms.BooleanField(
        label=_("The person agreed to this referral and to sharing the summary above"),
        required=True,
        error_messages={"required": _("A referral needs the person's consent.")},
    )
    consent_note = forms.CharField(
        label=_("How and when the person agreed"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        centres = Centre.objects.filter(is_active=True).exclude(pk=case.centre_id)
        choice_field(self, "to_centre").choices = [
            (str(centre.pk), centre.display_name) for centre in centres
        ]
        self.fields["programme"].initial = case.programme


class ReferralDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        # Nothing chosen for the person: accepting opens a case here.
        label=_("Answer"),
        choices=[("", _("— choose —")), ("accept", _("Accept")), ("decline", _("Decline"))],
    )
    reason = forms.CharField(
        label=_("Reason (required to decline)"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "decline" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the referral is declined."))
        return data


class BreakGlassForm(forms.Form):
    reference = forms.CharField(label=_("Client reference"), max_length=12)
    reason = forms.CharField(
        label=_("Why you need access (recorded in the audit log)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < 10:
            raise forms.ValidationError(_("Give a real reason (at least 10 characters)."))
        return reason

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()


class WaitingListFilterForm(forms.Form):
    centre = forms.ChoiceField(label=_("Centre"))
    programme = forms.ChoiceField(label=_("Programme"), choices=Programme.choices)

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "centre").choices = [
            (str(centre.pk), centre.display_name) for centre in centres
        ]


class AgendaForm(forms.Form):
    week = DayField(
        label=_("Week of"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    centre = forms.ChoiceField(label=_("Centre"), required=False)
    clinician = forms.ChoiceField(label=_("Clinician"), required=False)

    def __init__(self, *args: Any, centres: list[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "centre").choices = [("", _("All my centres"))] + [
            (str(centre.pk), centre.display_name) for centre in centres
        ]
        choices: list[tuple[str, StrOrPromise]] = [("", _("Everyone"))]
        for centre in centres:
            choices.extend(_staff_choices(centre.pk, including_closed_accounts=True))
        choice_field(self, "clinician").choices = list(dict.fromkeys(choices))
