"""Staff pages of the self-help programmes: network admins edit, preview and publish modules.

Like the public pages' texts: every publish is a new version that never
changes, the preview is rendered by the same templates and the same
sanitiser as the public module page, and nothing is stored until "Publish".
Everyone but a network admin gets the 404 of a missing page (``access.py``).
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from forestall.accounts.decorators import staff_required
from forestall.accounts.models import User
from forestall.lib.stale_edits import form_after_change, version_sent
from forestall.selfhelp import actions
from forestall.selfhelp.access import (
    access_module,
    access_module_version,
    access_module_versions,
    access_programmes,
)
from forestall.selfhelp.content import (
    LANGUAGES,
    ContentError,
    Module,
    module_of_version,
    shipped_catalogue,
    shipped_sources,
)
from forestall.selfhelp.forms import ExerciseForm, ModuleEditForm


def _user(request: HttpRequest) -> User:
    # ``staff_required`` lets only a signed-in, verified staff member through.
    return cast(User, request.user)


def _rendered(module: Module, language: str) -> dict[str, Any]:
    """What the public module page shows of ``module`` in ``language`` (for a preview)."""
    text = module.text(language)
    return {
        "language": language,
        "text": text,
        "minutes": module.minutes,
        "forms": [ExerciseForm(exercise=exercise) for exercise in text.exercises],
    }


@require_safe
@staff_required
def module_list(request: HttpRequest) -> HttpResponse:
    programmes = access_programmes(_user(request))
    rows = []
    for programme in programmes.programmes:
        for module in programme.modules:
            latest = access_module_versions(_user(request), module).first()
            current = latest if latest is not None and latest.version == module.version else None
            rows.append({"programme": programme, "module": module, "published": current})
    return render(request, "selfhelp/staff/module_list.html", {"rows": rows})


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def module_edit(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    chosen, current = access_module(_user(request), programme, module)
    versions = access_module_versions(_user(request), current)
    status = 200
    preview = None
    if request.method == "POST":
        form = ModuleEditForm(request.POST, current=current)
        publishing = "publish" in request.POST
        if not form.is_valid() or (publishing and form.refuse_foreign_links()):
            status = 400
        elif publishing:
            try:
                published = actions.publish_module_version(
                    programme,
                    module,
                    form.cleaned_data["minutes"],
                    form.sources(),
                    by=_user(request),
                    based_on=version_sent(form.cleaned_data["based_on"]),
                )
            except actions.ModuleChangedMeanwhile as changed:
                form = form_after_change(
                    ModuleEditForm,
                    request.POST,
                    changed,
                    version_field="based_on",
                    current=current,
                    viewer=request.user,
                )
                status = 409
            except ContentError as error:
                form.add_error(None, _("This version cannot be published yet: %s") % error)
                status = 409
            else:
                messages.success(
                    request, _("Version %(number)s is published.") % {"number": published.version}
                )
                return redirect("selfhelp_staff:edit", programme=programme, module=module)
        elif form.module is not None:
            # Shown as the public page would show it, with the refused links named.
            form.refuse_foreign_links()
            chosen_language = str(request.POST.get("preview", ""))
            language = chosen_language if chosen_language in LANGUAGES else LANGUAGES[0]
            preview = _rendered(form.module, language)
    else:
        row = versions.filter(version=current.version).first()
        sources = row.texts if row is not None else shipped_sources(programme, module)
        initial = {f"text_{language}": sources.get(language, "") for language in LANGUAGES}
        form = ModuleEditForm(
            initial={"minutes": current.minutes, "based_on": current.version, **initial},
            current=current,
        )
    context = {
        "programme": chosen,
        "module": current,
        "title": current.text("en").title,
        "form": form,
        "text_fields": [form[f"text_{language}"] for language in LANGUAGES],
        "languages": LANGUAGES,
        "versions": versions.select_related("published_by"),
        "preview": preview,
    }
    return render(request, "selfhelp/staff/module_edit.html", context, status=status)


@require_safe
@staff_required
def module_version(request: HttpRequest, version_id: uuid.UUID) -> HttpResponse:
    version = access_module_version(_user(request), version_id)
    found = shipped_catalogue().find(version.programme, version.module)
    rendered = []
    if found is not None:
        module = module_of_version(version, found[1])
        rendered = [_rendered(module, language) for language in LANGUAGES]
    context = {
        "version": version,
        "rendered": rendered,
        "sources": [(language, version.texts.get(language, "")) for language in LANGUAGES],
    }
    return render(request, "selfhelp/staff/module_version.html", context)
