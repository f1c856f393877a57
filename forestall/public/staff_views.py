"""Staff pages for the public text: network admins edit, every version is kept."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from forestall.accounts.decorators import StaffRequest, staff_required
from forestall.lib.stale_edits import ChangedMeanwhile, form_after_change, version_sent
from forestall.public import actions
from forestall.public.access import access_content_version
from forestall.public.content import render_markdown, shipped_text
from forestall.public.forms import PageContentForm
from forestall.public.models import Page, PageContent


def _require_editor(request: StaffRequest) -> None:
    """Only network admins edit public text; others get the same 404 as a missing page."""
    if not getattr(request.user, "is_network_admin", False):
        raise Http404


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _check_page(page: str, language: str) -> None:
    if page not in Page.values or language not in _languages():
        raise Http404


@require_safe
@staff_required
def content_list(request: StaffRequest) -> HttpResponse:
    _require_editor(request)
    visible = PageContent.objects.visible_to(request.user)
    rows = []
    for page, label in Page.choices:
        for language in _languages():
            rows.append(
                {
                    "page": page,
                    "label": label,
                    "language": language,
                    "current": visible.current(page, language),
                }
            )
    return render(request, "public/staff/content_list.html", {"rows": rows})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def content_edit(request: StaffRequest, page: str, language: str) -> HttpResponse:
    _require_editor(request)
    _check_page(page, language)
    visible = PageContent.objects.visible_to(request.user)
    current = visible.current(page, language)
    if current is not None:
        initial = {"title": current.title, "body": current.body, "based_on": current.version}
    else:
        title, body = shipped_text(page, language)
        initial = {"title": title, "body": body, "based_on": 0}
    status = 200
    preview = None
    if request.method == "POST":
        form = PageContentForm(request.POST)
        if form.is_valid():
            body = form.cleaned_data["body"]
            if "preview" in request.POST:
                # Shown as the public page would show it, with the refused links named.
                form.refuse_foreign_links()
                preview = render_markdown(body)
            elif form.refuse_foreign_links():
                status = 400
            else:
                try:
                    actions.save_page_content(
                        page,
                        language,
                        form.cleaned_data["title"],
                        body,
                        by=request.user,
                        based_on=version_sent(form.cleaned_data["based_on"]),
                    )
                except ChangedMeanwhile as changed:
                    form = form_after_change(
                        PageContentForm,
                        request.POST,
                        changed,
                        version_field="based_on",
                        viewer=request.user,
                    )
                    status = 409
                    current = visible.current(page, language)
                else:
                    messages.success(request, _("Saved as a new version."))
                    return redirect("public_staff:edit", page=page, language=language)
        else:
            status = 400
    else:
        form = PageContentForm(initial=initial)
    versions = visible.filter(page=page, language=language).select_related("created_by")
    context = {
        "form": form,
        "page": page,
        "page_label": Page(page).label,
        "language": language,
        "current": current,
        "versions": versions,
        "preview": preview,
    }
    return render(request, "public/staff/content_edit.html", context, status=status)


@require_safe
@staff_required
def content_version(request: StaffRequest, version_id: uuid.UUID) -> HttpResponse:
    version = access_content_version(request.user, version_id)
    return render(
        request,
        "public/staff/content_version.html",
        {"version": version, "html": render_markdown(version.body)},
    )
