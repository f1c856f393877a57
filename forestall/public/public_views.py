"""The public pages of the front door: home, pathways, confidentiality,
self-check. Staff content editing: ``staff_views.py``. The confidential
mailbox's pages are the inbox app's (``forestall.inbox.public_views``).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_safe

from forestall.lib.pagecache import cache_public_page
from forestall.public.content import page_text
from forestall.public.expectations import kept_after_referral_notice
from forestall.public.models import Page
from forestall.public.pathways import PATHWAY_PAGES, PATHWAY_SLUGS
from forestall.selfhelp.places import programme_url_for_pathway


def _language() -> str:
    return translation.get_language() or "en"


@require_safe
@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html", {"text": page_text(Page.HOME, _language())})


@require_safe
def pathway(request: HttpRequest, slug: str) -> HttpResponse:
    chosen = PATHWAY_SLUGS.get(slug)
    if chosen is None:
        raise Http404
    context = {
        "text": page_text(PATHWAY_PAGES[chosen], _language()),
        "pathway": chosen,
        "selfhelp_url": programme_url_for_pathway(chosen),
    }
    return render(request, "public/pathway.html", context)


@require_safe
def confidentiality(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "public/confidentiality.html",
        {
            "text": page_text(Page.CONFIDENTIALITY, _language()),
            "kept_after_referral": kept_after_referral_notice(),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def self_check(request: HttpRequest) -> HttpResponse:
    """The anonymous self-check, scored in memory; see ``forestall.public.selfcheck``."""
    from forestall.public import selfcheck

    return selfcheck.handle(request)
