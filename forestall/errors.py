"""Error pages: translated, calm, and in the look of the side they happen on."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _


def _render(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    side = "staff" if request.path.startswith("/staff/") else "public"
    body: str
    try:
        body = render_to_string(
            f"{side}/error.html", {"status": status, "title": title, "text": text}, request
        )
    except Exception:
        body = f"<!doctype html><title>{status}</title><h1>{title}</h1><p>{text}</p>"
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request, 400, _("Something was wrong with that request"), _("Please go back and try again.")
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Staff never learn from a 403 that an object exists; views answer 404.
    return _render(request, 403, _("Not allowed"), _("You cannot do this."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(
        request, 404, _("Page not found"), _("There is nothing here, or it is not yours to see.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(
        request,
        500,
        _("Something went wrong on our side"),
        _("Nothing you wrote has been shared. Please try again in a moment."),
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that expired (or lost its cookie) never loses what was typed on the public side.

    The page explains and gives everything back in a fresh form (with a new
    token) that the person can send again: a message as visible, editable
    text, everything else as it was. Nothing is stored or logged; the text
    only makes the round trip through this page. A mailbox message whose
    session also ended gets the codename field to sign in and send at once.
    """
    from forestall.lib.origin import mark_sent_from_another_site, sent_from_another_site

    # Another site's POST is not handed back (nor carried by the language
    # switch): one press would send its entries as the visitor's own.
    mark_sent_from_another_site(request, reason)
    if (
        not request.path.startswith(("/staff/", "/api/"))
        and request.method == "POST"
        and not sent_from_another_site(request)
    ):
        return _public_form_again(request)
    return _render(
        request,
        403,
        _("This form expired"),
        _("For your safety, forms expire. Please go back, reload the page and send it again."),
    )


def still_in_progress(request: HttpRequest) -> HttpResponse:
    """A form sent again while its first copy is still handled (forestall.lib.resubmission)."""
    return _render(
        request,
        409,
        _("This form is still being handled"),
        _(
            "It was sent twice and the first copy is not finished yet. Wait a moment, "
            "then open the page again to see whether it went through before you send it again."
        ),
    )


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """The translated 429 page used by the rate limits: ``Retry-After`` and the real wait."""
    from forestall.lib.ratelimit import wait_message, with_retry_after

    page = _render(request, 429, _("Please wait a moment"), wait_message(request))
    return with_retry_after(request, page)


def _public_form_again(request: HttpRequest, *, language_switched: bool = False) -> HttpResponse:
    """What a public form sent, in a fresh form to send again (403: it expired;
    200: the language was switched on the page that answered it)."""
    from django.shortcuts import render
    from django.urls import Resolver404, resolve

    from forestall.inbox.forms import UnsentMessageForm
    from forestall.inbox.mailbox_session import idle_seconds, signed_in_mailbox
    from forestall.lib.i18n import carried_entries

    status = 200 if language_switched else 403

    try:
        match = resolve(request.path)
    except Resolver404:
        match = None
    if (
        match is not None
        and match.view_name == "mailbox:write"
        and signed_in_mailbox(request) is None
    ):
        kept = UnsentMessageForm(initial=UnsentMessageForm(request.POST).kept())
        context = {"form": kept, "idle_minutes": idle_seconds() // 60, "expired_form": True}
        return render(request, "inbox/mailbox/unsent.html", context, status=status)
    fields = carried_entries(request)
    context = {
        "action": request.get_full_path(),
        "language_switched": language_switched,
        # What the button does, said plainly: after a language switch nothing
        # has been sent, so it is never "send again".
        "is_message": match is not None and match.view_name == "mailbox:write",
        # A form that had no token (a self-help exercise without a mailbox)
        # gets none: the page would take it for a signed-in reader's.
        "with_token": not language_switched or "csrfmiddlewaretoken" in request.POST,
        "text_fields": [(name, value) for name, value in fields if name == "body"],
        "hidden_fields": [(name, value) for name, value in fields if name != "body"],
    }
    return render(request, "public/form_expired.html", context, status=status)


class LanguageSwitchKeepsEntriesMiddleware:
    """The language switch of a page that answered a public form keeps what was typed.

    On such a page each language is a form that carries every entry to the
    same address in that language (``forestall_i18n.language_switch``). Here,
    after the CSRF check, that POST never reaches the view: nothing is sent,
    saved or counted. The entries come back in the new language on the
    page that a form that expired gets, to check and send again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        from forestall.lib.i18n import LANGUAGE_SWITCH_FIELD
        from forestall.lib.origin import sent_from_another_site

        if (
            request.method == "POST"
            and not request.path.startswith(("/staff/", "/api/"))
            and LANGUAGE_SWITCH_FIELD in request.POST
            # Another site's POST goes to the view, with its own checks.
            and not sent_from_another_site(request)
        ):
            return _public_form_again(request, language_switched=True)
        return None


# The methods the CSRF check guards.
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class MethodNotAllowedPageMiddleware:
    """An empty "405 Method Not Allowed" becomes the side's calm, translated page.

    Views guard POST-only addresses with ``require_POST`` (staff sign-out, the
    inbox's reply, claim and close, …), which answers an empty 405. A person
    who reloads, bookmarks or types such an address deserves to learn that
    nothing happened and where to go on, in the look of the side they are on.
    The status and the ``Allow`` header stay, so nothing changes for machines;
    the API keeps its own JSON answers.

    A method no form sends (``PROPFIND``, ``FOO``: anything outside
    ``lib.methods.STANDARD_METHODS``) is answered here too, before the CSRF
    check, which took any method it did not know for an unsafe one and
    answered 403, "This form expired". No view runs for it; ``Allow`` lists
    the methods the address's view declares (``lib.methods.declared_methods``).
    So is POST, PUT, PATCH or DELETE to a view that declares it does not
    take it (a form sent to the centre finder); a method the view takes is
    CSRF-checked as before.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or request.path.startswith("/api/"):
            return response
        allowed = response.get("Allow", "POST")
        if allowed == "POST":
            title = _("Nothing to see at this address")
            text = _(
                "This address only receives forms, such as a message you send or the button "
                "that signs you out. Opening it directly does nothing, and nothing has been "
                "lost or changed."
            )
        else:
            title = _("This address does not take that kind of request")
            text = _("Nothing has been lost or changed. Open the page again in your browser.")
        page = _render(request, 405, title, text)
        page["Allow"] = allowed
        return page

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], *args: object
    ) -> HttpResponse | None:
        from django.http import HttpResponseNotAllowed

        from forestall.lib.methods import STANDARD_METHODS, declared_methods

        if request.path.startswith("/api/"):
            return None
        if request.method in STANDARD_METHODS:
            # A form sent to a page that takes none (POST to the centre
            # finder) is a 405 too, not the CSRF check's "This form expired",
            # which is untrue there; the methods the view allows go on to it.
            if request.method not in _UNSAFE:
                return None
            declared = declared_methods(view)
            if declared is None or request.method in declared:
                return None
            return HttpResponseNotAllowed(declared)
        # A view that declares nothing (the Django admin's): what its pages take.
        return HttpResponseNotAllowed(declared_methods(view) or ("GET", "HEAD", "POST"))


class UnreadableQueryMiddleware:
    """A query string Django refuses to read gets the calm, translated 400 page.

    With more fields than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (``?a&a&a…``,
    which fits easily within a proxy's limit on the request line), reading
    ``request.GET`` raises, and the first middleware to read it (the
    language's, the page cache's) raised it before the language was known:
    the answer was a bare English "400" page, and in development a 500, as
    Django's debug page read the query again. Here, before anything else
    reads it, the query is read once; if it cannot be, the request goes no
    further: the person gets the side's error page in the language of the
    address, rendered as if there were no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.GET  # noqa: B018 - read once: Django keeps the parsed query
        except TooManyFieldsSent:
            request.GET = QueryDict()
            language = translation.get_language_from_path(request.path_info)
            with translation.override(language or settings.LANGUAGE_CODE):
                response = bad_request(request)
                response["Content-Language"] = translation.get_language()
            return response
        return self.get_response(request)
