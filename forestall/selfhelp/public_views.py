"""The self-help pages: read and do everything without an account; keep it with a mailbox.

Without a signed-in mailbox nothing a reader types is stored: an exercise
sent without one comes back on the page (with a print button) and the page
says so before anyone writes. With a mailbox, answers, place and ratings go
into its encrypted workbook. Nothing typed here is ever logged.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from forestall.inbox import start_once
from forestall.inbox.forms import SignInForm, selfhelp_place_query
from forestall.inbox.mailbox_session import (
    COOKIE_NAME,
    end_session,
    idle_seconds,
    is_use,
    renew,
    sign_in,
    sign_out,
    signed_in_mailbox,
    tells_when_deleted_meanwhile,
)
from forestall.inbox.models import Mailbox
from forestall.inbox.public_views import (
    opened_by_codename,
    start_refused,
    started_here_unconfirmed,
    too_many_message,
)
from forestall.lib.origin import sent_from_another_site
from forestall.lib.pagecache import cache_public_page
from forestall.lib.ratelimit import Per, over_any, wait_message, with_retry_after
from forestall.public.models import Pathway
from forestall.public.post_only import post_only
from forestall.reach.arrival import arrived_through_reach
from forestall.selfhelp import actions
from forestall.selfhelp.content import Module, Programme, catalogue
from forestall.selfhelp.forms import ExerciseForm, RatingForm
from forestall.selfhelp.places import pathway_for_programme, place_url

SAVE_LIMIT = (120, 600)
SAVE_CEILING = (20000, 600)


def _language() -> str:
    return translation.get_language() or "en"


def _checked(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
    raise AssertionError


def csrf_when_signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Check the CSRF token of a POST only where it could change something stored.

    Why: a module page with a CSRF token sets a cookie, and a page that sets
    a cookie cannot be served from the public page cache, so every first
    visit would be rendered. Without a signed-in mailbox a self-help POST
    stores nothing (the answers only come back on the page, "finished" only
    adds to a de-identified count anyone can add to directly), so a forged
    one gains nothing; the pages give anonymous readers no token and can be
    cached like the home page. With a mailbox the POST is checked as
    everywhere else (and the mailbox cookie is ``SameSite=Strict``, so a
    cross-site POST arrives signed out anyway), and so is a POST with a
    codename (it signs in: the page that asks for it carries the token).
    """

    return _csrf_when_signed_in(view, None)


def csrf_when_signed_in_else(
    refused: Callable[..., HttpResponse],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """``csrf_when_signed_in``; a signed-in reader's POST without a valid token gets ``refused``.

    For a page whose form an anonymous reader is given without a token (the
    keep page): a reader who signed in meanwhile, in another tab, sends it
    without one. That is not an expired form; ``refused`` (called with the
    view's arguments, after the failed check) says what happened instead.
    It must store nothing: the token was not checked.
    """
    return lambda view: _csrf_when_signed_in(view, refused)


def _csrf_when_signed_in(
    view: Callable[..., HttpResponse], refused: Callable[..., HttpResponse] | None
) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        signed_in = signed_in_mailbox(request) is not None
        if "codename" in request.POST or signed_in:
            # A callback without ``csrf_exempt``: the middleware checks the token.
            rejected = CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(
                request, _checked, (), {}
            )
            if rejected is not None and refused is not None and signed_in:
                return refused(request, *args, **kwargs)
            if rejected is not None:
                return rejected
        return view(request, *args, **kwargs)

    return wrapper


def _found(programme_slug: str, module_slug: str) -> tuple[Programme, Module]:
    found = catalogue().find(programme_slug, module_slug)
    if found is None:
        raise Http404
    return found


def _kept(request: HttpRequest, response: HttpResponse, mailbox: Mailbox | None) -> HttpResponse:
    """Renew the mailbox session of a signed-in reader on the way out (not on HEAD)."""
    return renew(request, response, mailbox) if mailbox is not None else response


def _save_refused(request: HttpRequest, mailbox: Mailbox) -> bool:
    return over_any(
        request,
        "selfhelp-save",
        Per.target(str(mailbox.pk), *SAVE_LIMIT),
        Per.everyone(*SAVE_CEILING),
    )


@require_safe
@cache_public_page
def index(request: HttpRequest) -> HttpResponse:
    mailbox = signed_in_mailbox(request)
    place = actions.read_workbook(mailbox)["place"] if mailbox else ""
    context = {
        "programmes": [
            (p, p.text(_language()), [(m, m.text(_language())) for m in p.modules])
            for p in catalogue().programmes
        ],
        "mailbox": mailbox,
        "continue_url": place_url(place) if place else "",
    }
    return _kept(request, render(request, "selfhelp/index.html", context), mailbox)


@require_safe
@cache_public_page
def programme(request: HttpRequest, programme: str) -> HttpResponse:
    chosen = catalogue().programme(programme)
    if chosen is None:
        raise Http404
    mailbox = signed_in_mailbox(request)
    progress = actions.read_workbook(mailbox)["modules"] if mailbox else {}
    modules = [
        (m, m.text(_language()), progress.get(actions.module_key(m), {})) for m in chosen.modules
    ]
    context = {
        "programme": chosen,
        "text": chosen.text(_language()),
        "modules": modules,
        "mailbox": mailbox,
    }
    return _kept(request, render(request, "selfhelp/programme.html", context), mailbox)


def _module_context(
    request: HttpRequest,
    chosen: Programme,
    module: Module,
    mailbox: Mailbox | None,
    *,
    bound: ExerciseForm | None = None,
    rating_form: RatingForm | None = None,
) -> dict[str, Any]:
    language = _language()
    text = module.text(language)
    workbook = actions.read_workbook(mailbox) if mailbox else None
    saved_answers = workbook["answers"] if workbook else {}
    key = actions.module_key(module)
    forms = []
    for exercise in text.exercises:
        if bound is not None and bound.exercise.id == exercise.id:
            forms.append(bound)
            continue
        saved = saved_answers.get(f"{key}/{exercise.id}")
        initial = actions.values_for_form(exercise, saved["values"]) if saved else None
        forms.append(ExerciseForm(exercise=exercise, initial=initial))
    # Answers given under an earlier version of the module, with that version's questions.
    earlier = []
    for answer_key, saved in sorted(saved_answers.items()):
        programme_module, _slash, exercise_id = answer_key.rpartition("/")
        if programme_module != key or saved.get("version") == module.version:
            continue
        then = actions.saved_exercise(module, exercise_id, saved, language)
        if then is not None:
            earlier.append((then, actions.answer_rows(then, saved.get("values", {}))))
    ratings = chosen.text(language).ratings
    history = [r for r in workbook["ratings"] if r.get("module") == key] if workbook else []
    return {
        "programme": chosen,
        "programme_text": chosen.text(language),
        "module": module,
        "text": text,
        "forms": forms,
        "saved_exercises": {e.id for e in text.exercises if f"{key}/{e.id}" in saved_answers},
        "earlier_answers": earlier,
        "progress": workbook["modules"].get(key, {}) if workbook else {},
        "mailbox": mailbox,
        "place": key,
        # Carried to the mailbox and the finder: a family member's programme
        # leads to a mailbox of the "someone else" pathway.
        "pathway": pathway_for_programme(chosen.slug),
        "next_module": chosen.after(module),
        "module_number": chosen.modules.index(module) + 1,
        "module_count": len(chosen.modules),
        "rating_form": rating_form or RatingForm(ratings=ratings, initial={"moment": "before"}),
        "rating_labels": [(r.id, r.label) for r in ratings],
        "rating_history": history,
        "saved": request.GET.get("saved", "")[:60],
        # "Save first, then share": shown on the one exercise it names, if any.
        "not_saved": request.GET.get("not_saved", "")[:60],
        # The language switch sends the answers being typed along (forestall_i18n);
        # a page with several exercises keeps plain links (one switch, one form).
        "typing_form": {
            "id": f"exercise-form-{text.exercises[0].id}",
            "action": reverse("selfhelp:module", args=[chosen.slug, module.slug]),
        }
        if len(text.exercises) == 1
        else None,
    }


@csrf_when_signed_in
@tells_when_deleted_meanwhile
@require_http_methods(["GET", "HEAD", "POST"])
@cache_public_page
def module(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    """A module: read it, do its exercises; POST saves one exercise (or shows it back)."""
    chosen, found = _found(programme, module)
    mailbox = signed_in_mailbox(request)
    if request.method != "POST":
        if mailbox is not None and is_use(request):  # a HEAD request read nothing
            actions.note_place(mailbox, found)
        context = _module_context(request, chosen, found, mailbox)
        return _kept(request, render(request, "selfhelp/module.html", context), mailbox)
    text = found.text(_language())
    exercise = text.exercise(str(request.POST.get("exercise", ""))[:60])
    if exercise is None:
        return _exercise_changed(request, chosen, found, mailbox)
    if mailbox is None and _session_ended(request):
        return _save_after_sign_in(request, chosen, found, exercise)
    form = ExerciseForm(request.POST, exercise=exercise, mailbox=mailbox)
    status = 200
    context_extra: dict[str, Any] = {}
    if mailbox is not None and _save_refused(request, mailbox):
        status = 429
        context_extra["form_error"] = wait_message(request)
    elif not form.is_valid():
        status = 400
    elif mailbox is not None:
        actions.save_answer(mailbox, found, exercise, form.values(), _language())
        to_module = reverse("selfhelp:module", args=[programme, module])
        return _kept(
            request, redirect(f"{to_module}?saved={exercise.id}#exercise-{exercise.id}"), mailbox
        )
    else:
        # No mailbox: nothing is stored. The answers come back on the page,
        # ready to print, and the page says again that nothing was kept.
        context_extra["unsaved"] = exercise.id
    context = _module_context(request, chosen, found, mailbox, bound=form)
    context.update(context_extra)
    # The exercise shown back holds what was sent, as changed since: the
    # language switch sends that form (``typing_form``), not the entries as
    # first sent, which would undo every change made on this page.
    context["carry_entries"] = context["typing_form"] is None
    return _kept(request, render(request, "selfhelp/module.html", context, status=status), mailbox)


def _keep_context(
    request: HttpRequest, chosen: Programme, found: Module, form: ExerciseForm
) -> dict[str, Any]:
    exercise = form.exercise
    return {
        "programme": chosen,
        "module": found,
        "text": found.text(_language()),
        "form": form,
        # Ticked when the reader comes from the exercise (they pressed "keep");
        # on the way back from this page (an error, the language switch) as
        # they left it.
        "keep_checked": "keep" in request.POST or "keep_offered" not in request.POST,
        "module_url": reverse("selfhelp:module", args=[chosen.slug, found.slug]),
        # The answers can be changed here: the language switch sends this
        # page's form as it is now (not the entries the page was opened with),
        # and never "create", which only the button "Create my mailbox" sends.
        "typing_form": {
            "id": f"exercise-form-{exercise.id}",
            "action": reverse("selfhelp:keep", args=[chosen.slug, found.slug]),
        },
        "carry_entries": False,
        # This rendering's one-time token: "Create my mailbox" sent twice at once starts one.
        "once": start_once.new_token(),
    }


def _keep_signed_in_meanwhile(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    """The keep page's form, sent by a reader who is signed in to a mailbox: 409, nothing stored.

    The page was shown before they signed in (in another tab or window), so
    its form has no CSRF token and offers a new mailbox. Neither a second
    mailbox nor an unchecked save into the one they are signed in to: the
    page comes back with the answers, says what happened, and offers to keep
    them in that mailbox (the form now carries a token; sent without
    "create" it saves as every signed-in keep does) or, after signing out
    there, a new one. Also the answer to a failed CSRF check
    (``csrf_when_signed_in_else``): it must store nothing.
    """
    chosen, found = _found(programme, module)
    exercise = found.text(_language()).exercise(str(request.POST.get("exercise", ""))[:60])
    if exercise is None:
        return _exercise_changed(request, chosen, found, None)
    if sent_from_another_site(request):
        # Another site's entries are never shown back as the reader's.
        return redirect(reverse("selfhelp:module", args=[chosen.slug, found.slug]))
    form = ExerciseForm(request.POST, exercise=exercise, mailbox=signed_in_mailbox(request))
    form.is_valid()
    context = _keep_context(request, chosen, found, form)
    context["signed_in_meanwhile"] = True
    return render(request, "selfhelp/keep.html", context, status=409)


@csrf_when_signed_in_else(_keep_signed_in_meanwhile)
@tells_when_deleted_meanwhile
@post_only(way_on="selfhelp:index")
def keep(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    """ "Start a mailbox and keep these answers": the answers typed without a mailbox go with it.

    Threat model: answers typed before there was a mailbox are the most
    private thing on the page, and a reader who presses a plain "Start a
    mailbox" link loses them. Here they travel only inside the pages (POST,
    ``no-store``): the first POST shows them back, editable, with what a
    mailbox is and a box "keep my answers" (ticked: the reader pressed
    "keep"); nothing is stored. The second (``create``) starts the mailbox
    and, only if the box is still ticked, stores the answers encrypted in its
    workbook, in one transaction; then the codename page, as for every new
    mailbox, leads back to the module. A POST another site sent is neither
    shown back nor kept (back to the module, empty). A reader who is signed
    in meanwhile (CSRF-checked) saves as usual.
    """
    chosen, found = _found(programme, module)
    mailbox = signed_in_mailbox(request)
    exercise = found.text(_language()).exercise(str(request.POST.get("exercise", ""))[:60])
    if exercise is None:
        return _exercise_changed(request, chosen, found, mailbox)
    if mailbox is not None and (
        "create" in request.POST
        or ("keep_offered" in request.POST and "into_signed_in" not in request.POST)
    ):
        # "Create my mailbox" from a page shown before the reader signed in
        # (in another tab): not a second mailbox, and not silently this one.
        # Nor any other sending of a keep page's form but its button "Keep
        # them in the mailbox I am signed in to": "Continue" after the
        # language switch sends the form without a button, and the page it
        # continues from is the one with the choice.
        return _keep_signed_in_meanwhile(request, programme, module)
    form = ExerciseForm(request.POST, exercise=exercise, mailbox=mailbox)
    to_module = reverse("selfhelp:module", args=[chosen.slug, found.slug])
    if mailbox is not None:
        if not form.is_valid():
            bound = _module_context(request, chosen, found, mailbox, bound=form)
            return _kept(
                request, render(request, "selfhelp/module.html", bound, status=400), mailbox
            )
        actions.save_answer(mailbox, found, exercise, form.values(), _language())
        return _kept(
            request, redirect(f"{to_module}?saved={exercise.id}#exercise-{exercise.id}"), mailbox
        )
    context = _keep_context(request, chosen, found, form)
    if sent_from_another_site(request):
        # Another site's entries are never shown back as the reader's, nor kept.
        return redirect(to_module)
    if "create" not in request.POST:
        return render(
            request, "selfhelp/keep.html", context, status=200 if form.is_valid() else 400
        )
    # Answers the reader chose not to keep are not stored, so nothing in them
    # (too long, a NUL) can stand between them and their mailbox.
    if "keep" in request.POST and not form.is_valid():
        return render(request, "selfhelp/keep.html", context, status=400)
    repeated = started_here_unconfirmed(request)
    if repeated is not None:
        # "Create my mailbox" again from this browser (back and "resend", a
        # reload of the answer to the POST) while the codename of the mailbox
        # it created is still waiting to be written down: that mailbox is the
        # one. A second would leave the first, with the answers, unreachable,
        # and the codename page, "shown once", would show another codename.
        # The answers as sent now replace the ones kept there.
        if "keep" in request.POST:
            if _save_refused(request, repeated):  # as every save into a mailbox
                context["form_error"] = wait_message(request)
                return with_retry_after(
                    request, render(request, "selfhelp/keep.html", context, status=429)
                )
            actions.save_answer(repeated, found, exercise, form.values(), _language())
        place = actions.module_key(found)
        return redirect(reverse("mailbox:codename") + selfhelp_place_query("", place))

    def too_many() -> HttpResponse | None:
        if not start_refused(request):
            return None
        context["form_error"] = too_many_message(request)
        return with_retry_after(request, render(request, "selfhelp/keep.html", context, status=429))

    place = actions.module_key(found)
    # A double click sends "Create my mailbox" twice at once: one mailbox
    # (``forestall.inbox.start_once``).
    return start_once.start_mailbox_once(
        request,
        redirect(reverse("mailbox:codename") + selfhelp_place_query("", place)),
        lambda: actions.start_mailbox_keeping_answers(
            _language(),
            pathway_for_programme(chosen.slug) or Pathway.SELF,
            found,
            exercise,
            form.values() if "keep" in request.POST else None,
            through_reach=arrived_through_reach(request),
        ),
        too_many,
    )


def _exercise_changed(
    request: HttpRequest, chosen: Programme, found: Module, mailbox: Mailbox | None
) -> HttpResponse:
    """An exercise that is not (or no longer) in the module: 400, with what was typed shown back.

    The module was edited while the page was open (or the id was made up):
    the answers fit no form of the page any more, so they come back as one
    read-only text to copy from, with the reason. Nothing is stored.
    """
    context = _module_context(request, chosen, found, mailbox)
    context["exercise_changed"] = True
    context["changed_text"] = _typed_text(request)
    return _kept(request, render(request, "selfhelp/module.html", context, status=400), mailbox)


def _typed_text(request: HttpRequest) -> str:
    """Every answer in this POST, in the order sent, as one text (nothing else of the form)."""
    not_answers = {"exercise", "csrfmiddlewaretoken", "codename"}
    return "\n\n".join(
        value.strip()
        for name, values in request.POST.lists()
        if name not in not_answers
        for value in values
        if value.strip()
    )


def _still_signed_out(
    request: HttpRequest,
    context: dict[str, Any],
    sign_in_form: SignInForm,
    status: int,
    form_error: str,
) -> HttpResponse:
    """The module page again with the kept answers and the codename field (nothing stored)."""
    context["sign_in_form"] = sign_in_form
    context["idle_minutes"] = idle_seconds() // 60
    if form_error:
        context["form_error"] = form_error
    response = render(request, "selfhelp/module.html", context, status=status)
    if status == 429:
        with_retry_after(request, response)
    return sign_out(response, request) if COOKIE_NAME in request.COOKIES else response


def _session_ended(request: HttpRequest) -> bool:
    """True if this POST comes from a page shown to a signed-in reader whose session ended.

    Only a signed-in reader's page carries a CSRF token (and the browser
    still sends an idle-expired mailbox cookie); a codename means the
    "open my mailbox and save" form below. An anonymous reader's POST has
    none of them and gets the answers back, as always.
    """
    return (
        "codename" in request.POST
        or "csrfmiddlewaretoken" in request.POST
        or COOKIE_NAME in request.COOKIES
    )


def _save_after_sign_in(
    request: HttpRequest, chosen: Programme, found: Module, exercise: Any
) -> HttpResponse:
    """The session ended before Save: keep the answers, ask for the codename, then save.

    Like a message written after the session ended (``inbox.public_views.write``):
    the answers make the round trip inside the page (``no-store``), the server
    keeps nothing of them until the codename has opened the mailbox.
    """
    mailbox, sign_in_form, status, form_error = opened_by_codename(request)
    if mailbox is not None:
        form = ExerciseForm(request.POST, exercise=exercise, mailbox=mailbox)
        # The ended session's row goes now, not only at its maximum age.
        end_session(request)
        if form.is_valid():
            actions.save_answer(mailbox, found, exercise, form.values(), _language())
            to_module = reverse("selfhelp:module", args=[chosen.slug, found.slug])
            return sign_in(
                redirect(f"{to_module}?saved={exercise.id}#exercise-{exercise.id}"), mailbox
            )
        # Opened, but an answer needs changing (too long, the codename in it).
        context = _module_context(request, chosen, found, mailbox, bound=form)
        return sign_in(render(request, "selfhelp/module.html", context, status=400), mailbox)
    form = ExerciseForm(request.POST, exercise=exercise)
    form.is_valid()
    context = _module_context(request, chosen, found, None, bound=form)
    context["session_ended"] = exercise.id
    return _still_signed_out(request, context, sign_in_form, status, form_error)


@csrf_when_signed_in
@tells_when_deleted_meanwhile
@post_only(way_on="selfhelp:index")
def rating(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    """Keep an optional before/after self-rating (needs a mailbox; without one nothing is kept)."""
    chosen, found = _found(programme, module)
    mailbox = signed_in_mailbox(request)
    if mailbox is None and _session_ended(request):
        return _rate_after_sign_in(request, chosen, found)
    form = RatingForm(request.POST, ratings=chosen.text(_language()).ratings)
    if mailbox is None or not form.is_valid():
        context = _module_context(request, chosen, found, mailbox, rating_form=form)
        if mailbox is None:
            context["rating_needs_mailbox"] = True
        return _kept(
            request,
            render(request, "selfhelp/module.html", context, status=400 if mailbox else 401),
            mailbox,
        )
    actions.save_rating(mailbox, found, form.cleaned_data["moment"], form.values(), _language())
    to_module = reverse("selfhelp:module", args=[programme, module])
    return _kept(request, redirect(f"{to_module}?saved=rating#ratings"), mailbox)


def _rate_after_sign_in(request: HttpRequest, chosen: Programme, found: Module) -> HttpResponse:
    """The session ended before "Save my rating": keep the rating, ask for the codename, then save.

    As for an exercise (``_save_after_sign_in``): the chosen numbers come back
    in the page, and are kept only once the codename has opened the mailbox.
    """
    ratings = chosen.text(_language()).ratings
    form = RatingForm(request.POST, ratings=ratings)
    mailbox, sign_in_form, status, form_error = opened_by_codename(request)
    if mailbox is not None:
        end_session(request)
        if form.is_valid():
            actions.save_rating(
                mailbox, found, form.cleaned_data["moment"], form.values(), _language()
            )
            to_module = reverse("selfhelp:module", args=[chosen.slug, found.slug])
            return sign_in(redirect(f"{to_module}?saved=rating#ratings"), mailbox)
        context = _module_context(request, chosen, found, mailbox, rating_form=form)
        return sign_in(render(request, "selfhelp/module.html", context, status=400), mailbox)
    form.is_valid()
    context = _module_context(request, chosen, found, None, rating_form=form)
    context["rating_session_ended"] = True
    return _still_signed_out(request, context, sign_in_form, status, form_error)


@csrf_when_signed_in
@tells_when_deleted_meanwhile
@post_only(way_on="selfhelp:index")
def done(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    """ "I have finished this module": counted; kept as progress with a mailbox."""
    chosen, found = _found(programme, module)
    mailbox = signed_in_mailbox(request)
    if mailbox is None and _session_ended(request):
        return _done_after_sign_in(request, chosen, found)
    actions.complete_module(mailbox, found, _language())
    return _kept(request, redirect(_after_done(chosen, found)), mailbox)


def _after_done(chosen: Programme, found: Module) -> str:
    following = chosen.after(found)
    if following is not None:
        return reverse("selfhelp:module", args=[chosen.slug, following.slug])
    return reverse("selfhelp:programme", args=[chosen.slug]) + "?finished=1"


def _done_after_sign_in(request: HttpRequest, chosen: Programme, found: Module) -> HttpResponse:
    """The session ended before "I have finished this module": ask for the codename, then keep it.

    As for an exercise or a rating: the progress is kept (and counted) only
    once the codename has opened the mailbox; the page says so and offers
    to go on without keeping it.
    """
    mailbox, sign_in_form, status, form_error = opened_by_codename(request)
    if mailbox is not None:
        end_session(request)
        actions.complete_module(mailbox, found, _language())
        return sign_in(redirect(_after_done(chosen, found)), mailbox)
    context = _module_context(request, chosen, found, None)
    context["done_session_ended"] = True
    context["after_done_url"] = _after_done(chosen, found)
    return _still_signed_out(request, context, sign_in_form, status, form_error)


@csrf_when_signed_in
@tells_when_deleted_meanwhile
@require_http_methods(["GET", "HEAD", "POST"])
def print_page(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    """A plain page of one module's exercises with the answers, for printing.

    Signed in: the saved answers. Without a mailbox the answers come in the
    POST from the module page and go straight back out; nothing is stored.
    """
    chosen, found = _found(programme, module)
    mailbox = signed_in_mailbox(request)
    language = _language()
    text = found.text(language)
    saved = actions.read_workbook(mailbox)["answers"] if mailbox else {}
    only = str(request.GET.get("exercise") or request.POST.get("exercise", ""))[:60]
    exercises = []
    for exercise in text.exercises:
        if only and exercise.id != only:
            continue
        if request.method == "POST":
            form = ExerciseForm(request.POST, exercise=exercise)
            values = form.values() if form.is_valid() and exercise.id == only else {}
        else:
            entry = saved.get(f"{actions.module_key(found)}/{exercise.id}")
            values = entry["values"] if entry else {}
            if entry:
                # Saved under an earlier version: print the questions it answered.
                exercise = actions.saved_exercise(found, exercise.id, entry, language) or exercise
        exercises.append((exercise, actions.answer_rows(exercise, values)))
    if only and not exercises:
        if request.method == "POST":
            # The module changed while the page was open: keep what was typed.
            return _exercise_changed(request, chosen, found, mailbox)
        raise Http404
    context = {"programme_text": chosen.text(language), "text": text, "exercises": exercises}
    return _kept(request, render(request, "selfhelp/print.html", context), mailbox)


@csrf_when_signed_in
@tells_when_deleted_meanwhile
@post_only(way_on="selfhelp:index")
def share(request: HttpRequest, programme: str, module: str) -> HttpResponse:
    """Send one saved exercise to the counsellor through the mailbox conversation."""
    _chosen, found = _found(programme, module)
    mailbox = signed_in_mailbox(request)
    to_module = reverse("selfhelp:module", args=[programme, module])
    if mailbox is None:
        return redirect(reverse("mailbox:mailbox") + f"?selfhelp={programme}/{module}")
    exercise_id = str(request.POST.get("exercise", ""))[:60]
    if found.text(_language()).exercise(exercise_id) is None:
        raise Http404
    if not actions.share_exercise(mailbox, found, exercise_id, _language()):
        return _kept(
            request,
            redirect(f"{to_module}?not_saved={exercise_id}#exercise-{exercise_id}"),
            mailbox,
        )
    return _kept(request, redirect(reverse("mailbox:mailbox") + "?sent=1#latest"), mailbox)


def _stored_day(text: Any) -> datetime.date | str:
    """A day kept in the workbook (ISO text) as a date, for the reader's own date format."""
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        return str(text or "")


@require_safe
def progress(request: HttpRequest) -> HttpResponse:
    """The person's own progress: modules done and their self-ratings over time."""
    mailbox = signed_in_mailbox(request)
    if mailbox is None:
        return redirect(reverse("mailbox:mailbox") + "?selfhelp=progress")
    language = _language()
    workbook = actions.read_workbook(mailbox)
    programmes = []
    for chosen in catalogue().programmes:
        labels = [(r.id, r.label) for r in chosen.text(language).ratings]
        titles = {actions.module_key(m): m.text(language).title for m in chosen.modules}
        rows = [
            {
                "title": titles[r["module"]],
                "moment": r.get("moment"),
                "on": _stored_day(r.get("on")),
                "values": [r.get(rating_id) for rating_id, _label in labels],
            }
            for r in workbook["ratings"]
            if r.get("module") in titles
        ]
        modules = [
            (m.text(language).title, workbook["modules"].get(actions.module_key(m), {}))
            for m in chosen.modules
        ]
        programmes.append(
            {
                "programme": chosen,
                "text": chosen.text(language),
                "labels": labels,
                "rows": rows,
                "modules": modules,
            }
        )
    context = {"programmes": programmes, "continue_url": place_url(workbook["place"])}
    return _kept(request, render(request, "selfhelp/progress.html", context), mailbox)
