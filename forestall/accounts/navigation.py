"""What a staff member's menu and home page show: only what their roles open.

``staff_sections`` decides the menu from the person's memberships (one
query); ``waiting_for`` counts what waits for them, each count read through
the access gate (``visible_to``) of its own app, so nobody is told about
work their role may not see.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from forestall.accounts.models import Role

if TYPE_CHECKING:
    from forestall.accounts.models import User


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    url: str


def _roles(user: User) -> tuple[set[str], set[str]]:
    """(roles held anywhere, roles held network-wide)."""
    anywhere: set[str] = set()
    network: set[str] = set()
    for role, centre_id in user.role_holdings():
        anywhere.add(role)
        if centre_id is None:
            network.add(role)
    return anywhere, network


def staff_sections(user: User) -> list[Section]:
    """The sections of the staff side ``user`` can open, in menu order."""
    anywhere, network = _roles(user)
    return list(_sections_for(frozenset(anywhere), frozenset(network), get_language()))


@functools.lru_cache(maxsize=256)
def _sections_for(
    anywhere: frozenset[str], network: frozenset[str], language: str | None
) -> tuple[Section, ...]:
    """The menu for a set of roles in a language (the same for everyone holding them)."""
    admin = Role.NETWORK_ADMIN in network
    manager = Role.CENTRE_MANAGER in anywhere
    rules: list[tuple[str, Any, str, bool]] = [
        ("home", _("Home"), "/staff/", True),
        ("inbox", _("Inbox"), "/staff/inbox/", Role.COUNSELLOR in anywhere or manager),
        ("cases", _("Cases"), "/staff/cases/", Role.CLINICIAN in anywhere or manager or admin),
        (
            "instruments",
            _("Questionnaires"),
            "/staff/instruments/",
            Role.CLINICIAN in anywhere or manager or admin,
        ),
        (
            "safeguarding",
            _("Safeguarding"),
            "/staff/safeguarding/",
            Role.SAFEGUARDING_LEAD in anywhere,
        ),
        (
            "statistics",
            _("Statistics"),
            "/staff/statistics/",
            manager or admin or Role.ANALYST in network,
        ),
        ("centres", _("Centres"), "/staff/centres/", manager or admin),
        ("audit", _("Audit log"), "/staff/audit/", manager or admin),
        ("content", _("Public pages"), "/staff/content/", admin),
        ("selfhelp", _("Self-help modules"), "/staff/self-help/", admin),
        ("reach", _("Reach"), "/staff/reach/", admin),
        # Analysts read the reach results only; partners and keys are the admins'.
        (
            "reach-results",
            _("Reach results"),
            "/staff/reach/results/",
            Role.ANALYST in network and not admin,
        ),
    ]
    return tuple(Section(key, str(label), url) for key, label, url, allowed in rules if allowed)


def staff_navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context for a signed-in staff member's menu (each computed on use).

    ``staff_sections``: the sections. ``staff_menu_key``: what the rendered
    menu depends on besides the language — which sections, and which of
    them is the current page (``aria-current``) — so that the staff header
    can be kept per process under it (``staff/base.html``).
    ``staff_does_case_work``: "yes" for a clinician or manager at a centre
    (the case-work menu's centre pages, ``cases/_base.html``), else "no".
    """
    # The path first: on a public page the user (and the session behind it)
    # is never loaded for a menu that is not shown.
    if not request.path.startswith("/staff/"):
        return {}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    sections = SimpleLazyObject(lambda: staff_sections(user))

    def menu_key() -> str:
        keys = ",".join(section.key for section in sections)
        current = next((section.key for section in sections if section.url == request.path), "")
        return f"{keys}|{current}"

    return {
        "staff_sections": sections,
        "staff_menu_key": SimpleLazyObject(menu_key),
        # The case-work pages of a centre (waiting list, agenda, groups) are for
        # its clinicians and managers: their menu links only for them.
        "staff_does_case_work": SimpleLazyObject(
            lambda: "yes" if user.centre_ids_with(Role.CLINICIAN, Role.CENTRE_MANAGER) else "no"
        ),
    }


@dataclass(frozen=True)
class Waiting:
    key: str
    label: str
    count: int
    url: str


def waiting_for(user: User, now: datetime.datetime | None = None) -> list[Waiting]:
    """What waits for ``user``, only in the queues their roles open; zero counts left out."""
    from forestall.cases.models import Appointment, Referral, ReferralStatus
    from forestall.inbox.models import Conversation
    from forestall.safeguarding.models import Concern, ConcernStatus, Level

    now = now or timezone.now()
    anywhere, _network = _roles(user)
    items: list[Waiting] = []
    if Role.COUNSELLOR in anywhere:
        urgent = (
            Conversation.objects.visible_to(user)
            .awaiting_reply()
            .filter(Q(urgent=True) | Q(flagged_urgent=True))
            .count()
        )
        from forestall.inbox.targets import target_state

        awaiting = list(
            Conversation.objects.visible_to(user)
            .awaiting_reply()
            .select_related("centre")
            .only("status", "waiting_since", "urgent", "flagged_urgent", "centre__slug")
        )
        waiting = len(awaiting)
        states = [target_state(row, now) for row in awaiting]
        overdue = sum(1 for state in states if state is not None and state.breached)
        items.append(
            Waiting(
                "urgent_conversations",
                str(_("Urgent conversations")),
                urgent,
                reverse("inbox:queue"),
            )
        )
        items.append(
            Waiting(
                "conversations",
                str(_("Conversations awaiting a reply")),
                waiting,
                reverse("inbox:queue"),
            )
        )
        items.append(
            Waiting(
                "overdue",
                str(_("Conversations over their reply-time target")),
                overdue,
                reverse("inbox:queue"),
            )
        )
    if Role.SAFEGUARDING_LEAD in anywhere:
        concerns = Concern.objects.visible_to(user)
        items.append(
            Waiting(
                "immediate_risk",
                str(_("Immediate-risk concerns not yet decided")),
                concerns.awaiting_decision().filter(level=Level.IMMEDIATE_RISK).count(),
                reverse("safeguarding:queue"),
            )
        )
        items.append(
            Waiting(
                "second_lead",
                str(_("Disclosures awaiting a second lead")),
                concerns.filter(status=ConcernStatus.AWAITING_APPROVAL)
                .exclude(proposed_by=user)
                .count(),
                reverse("safeguarding:queue"),
            )
        )
    if Role.CLINICIAN in anywhere or Role.CENTRE_MANAGER in anywhere:
        work_centres = user.centre_ids_with(Role.CLINICIAN, Role.CENTRE_MANAGER)
        items.append(
            Waiting(
                "referrals",
                str(_("Referrals to answer")),
                Referral.objects.visible_to(user)
                .filter(status=ReferralStatus.PENDING, to_centre_id__in=work_centres)
                .count(),
                reverse("cases:referrals"),
            )
        )
        today = timezone.localdate(now)
        start = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
        appointments = Appointment.objects.visible_to(user).filter(
            starts_at__gte=start,
            starts_at__lt=start + datetime.timedelta(days=1),
            cancelled_at__isnull=True,
        )
        if Role.CENTRE_MANAGER not in anywhere:
            appointments = appointments.filter(clinician=user)
        items.append(
            Waiting(
                "appointments_today",
                str(_("Appointments today")),
                appointments.count(),
                reverse("cases:agenda"),
            )
        )
    return items
