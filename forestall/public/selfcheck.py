"""The anonymous self-check: scored in memory, nothing about the answers kept.

Threat model: the answers say more about a person than anything else on the
front door. They exist only in this request: ``instrument_form`` (the
instruments engine) validates them and picks the next step in memory, the
page shows it, and the answers are dropped. The only trace is a de-identified count
(``Event.SELF_CHECK_COMPLETED`` with the recommended step, the language and
the pathway). If the step is urgent, the link to a mailbox carries a signed,
short-lived "urgent" token (no answers) so that the conversation is put first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from forestall.inbox.forms import urgent_token
from forestall.instruments.catalogue import catalogue
from forestall.instruments.forms import instrument_form
from forestall.instruments.scoring import Recommendation
from forestall.lib.i18n import carry_also
from forestall.public.crisis import emergency_numbers, help_open_now
from forestall.public.models import Pathway
from forestall.reach.arrival import stats_source
from forestall.stats import actions as stats
from forestall.stats.events import Detail, Event

SELF_CHECK_ID = "self-check"

# The answer to "What worries you most?" decides which pathway the count and
# the follow-up links belong to.
_PATHWAY_BY_WORRY = {
    "own_thoughts": Pathway.SELF,
    "images": Pathway.SELF,
    "someone_else": Pathway.OTHER,
    "professional": Pathway.PROFESSIONAL,
}


# Answers to the self-harm question that do not rule it out: the crisis line
# is shown above any result.
_SELF_HARM_NOT_RULED_OUT = frozenset({"sometimes", "now", "rather_not_say"})


# Carried by the result page's language switch (``forestall.lib.i18n.carry_also``).
# A forged one only leaves a check uncounted.
COUNTED_FIELD = "counted"


def handle(request: HttpRequest) -> HttpResponse:
    language = translation.get_language() or "en"
    definition = catalogue().get(SELF_CHECK_ID)
    context: dict[str, Any] = {
        "title": definition.localized("title", language),
        "instructions": definition.localized("instructions", language),
        "definition": definition,
        "language": language,
    }
    if request.method != "POST":
        # The empty questionnaire is kept rendered per language and version
        # (the template): the form is built only when it is rendered anew.
        context["form"] = SimpleLazyObject(lambda: instrument_form(SELF_CHECK_ID, language))
        context["pristine"] = True
        return render(request, "public/self_check.html", context)
    form = instrument_form(SELF_CHECK_ID, language, data=request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "public/self_check.html", context, status=400)
    advice: Recommendation = form.result
    pathway = _PATHWAY_BY_WORRY.get(str(form.answers.get("worry") or ""), "")
    # The same answers back after a language switch were counted already:
    # each completed check counts once, in whichever language it is read.
    if request.POST.get(COUNTED_FIELD) != "1":
        stats.record(
            Event.SELF_CHECK_COMPLETED,
            detail=_detail_for(advice.step, urgent=advice.urgent),
            language=language,
            pathway=pathway,
            source=stats_source(request),
        )
    carry_also(request, COUNTED_FIELD, "1")
    start_query: dict[str, str] = {}
    if pathway:
        start_query["pathway"] = pathway
    if advice.urgent:
        start_query["urgent"] = urgent_token()
    start_url = reverse("mailbox:start")
    if start_query:
        start_url += "?" + urlencode(start_query)
    context = {
        "advice": advice,
        "start_url": start_url,
        "mailbox_url": reverse("mailbox:mailbox")
        + ("?" + urlencode({"urgent": start_query["urgent"]}) if advice.urgent else ""),
        "pathway_slug": _pathway_slug(pathway or Pathway.SELF),
        # The finder and a centre's page carry the pathway on to the mailbox.
        "pathway_query": "?" + urlencode({"pathway": pathway}) if pathway else "",
        "selfhelp_url": selfhelp_url(pathway or Pathway.SELF),
        # Only for the links into the self-help module that fits; never kept.
        "pathway": pathway or Pathway.SELF,
        "worry": str(form.answers.get("worry") or ""),
        # Thoughts of suicide or self-harm, even "sometimes", put the crisis line
        # first; so does "I would rather not say", which is no "no".
        "self_harm": str(form.answers.get("self_harm") or "") in _SELF_HARM_NOT_RULED_OUT,
        "numbers": emergency_numbers(),
    }
    if advice.urgent:
        context["help_now"] = help_open_now(language)
    return render(request, "public/self_check_result.html", context)


def _detail_for(step: str, *, urgent: bool) -> str:
    """The statistics vocabulary's name for a recommended step."""
    if urgent:
        return Detail.URGENT
    return step if step in Detail.values else Detail.OTHER


def selfhelp_url(pathway: str) -> str:
    """The self-help programme for a pathway ("read something on my own first")."""
    from forestall.selfhelp.places import programme_url_for_pathway

    return programme_url_for_pathway(pathway)


def _pathway_slug(pathway: str) -> str:
    from forestall.public.pathways import pathway_slug

    return pathway_slug(pathway)
