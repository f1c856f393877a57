"""The anonymous self-check: scored in memory, nothing about the answers kept.

Threat model: the answers say more about a person than anything else on the
front door. They exist only in this request: the form is built from the
instruments catalogue, ``recommend()`` picks the next step, the page shows it,
and the answers are dropped. The only trace is a de-identified count
(``Event.SELF_CHECK_COMPLETED`` with the recommended step, the language and
the pathway). If the step is urgent, the link to a mailbox carries a signed,
short-lived "urgent" token (no answers) so that the conversation is put first.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from forestall.instruments.catalogue import Definition, catalogue, localized
from forestall.instruments.scoring import recommend
from forestall.public.forms import urgent_token
from forestall.public.models import Pathway
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


def self_check_definition() -> Definition:
    return catalogue().get(SELF_CHECK_ID)


def self_check_form(definition: Definition, language: str, data: Any = None) -> forms.Form:
    """A form with one set of radio buttons per item of the self-check."""
    fields: dict[str, forms.Field] = {}
    for item in definition.items:
        fields[item.id] = forms.ChoiceField(
            label=localized(item.text, language),
            choices=[
                (str(option.value), localized(option.label, language)) for option in item.options
            ],
            required=item.required,
            widget=forms.RadioSelect,
            error_messages={
                "required": _("Please choose an answer."),
                "invalid_choice": _("Please choose one of the answers shown."),
            },
        )
    form_class = type("SelfCheckForm", (forms.Form,), fields)
    return form_class(data)


def handle(request: HttpRequest) -> HttpResponse:
    language = translation.get_language() or "en"
    definition = self_check_definition()
    context: dict[str, Any] = {
        "title": localized(definition.title, language),
        "instructions": localized(definition.instructions, language),
    }
    if request.method != "POST":
        context["form"] = self_check_form(definition, language)
        return render(request, "public/self_check.html", context)
    form = self_check_form(definition, language, request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, "public/self_check.html", context, status=400)
    answers = {key: value for key, value in form.cleaned_data.items() if value}
    advice = recommend(answers, language, instrument_id=SELF_CHECK_ID)
    pathway = _PATHWAY_BY_WORRY.get(answers.get("worry", ""), "")
    stats.record(
        Event.SELF_CHECK_COMPLETED,
        detail=_detail_for(advice.step, urgent=advice.urgent),
        language=language,
        pathway=pathway,
    )
    start_query: dict[str, str] = {}
    if pathway:
        start_query["pathway"] = pathway
    if advice.urgent:
        start_query["urgent"] = urgent_token()
    start_url = reverse("public:mailbox_start")
    if start_query:
        start_url += "?" + urlencode(start_query)
    context.update(
        {
            "advice": advice,
            "start_url": start_url,
            "pathway_slug": _pathway_slug(pathway or Pathway.SELF),
        }
    )
    return render(request, "public/self_check_result.html", context)


def _detail_for(step: str, *, urgent: bool) -> str:
    """The statistics vocabulary's name for a recommended step."""
    if urgent:
        return Detail.URGENT
    return step if step in Detail.values else Detail.OTHER


def _pathway_slug(pathway: str) -> str:
    from forestall.public.views import PATHWAY_SLUGS

    return next((slug for slug, value in PATHWAY_SLUGS.items() if value == pathway), "self")
