"""POST-only addresses of the front door answer a plain visit kindly.

Someone who bookmarks, reloads or types ``/mailbox/sign-out/`` or
``/mailbox/write/`` must not meet an empty "405 Method Not Allowed". They get
a translated page that says what happened and offers the way on (and, for
sign-out, the button that signs out). The status stays 405 with ``Allow:
POST`` so that nothing else changes for machines.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from forestall.lib.methods import declare_methods


def post_only(
    *, way_on: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Like ``require_POST``, but any other method gets a friendly page linking to ``way_on``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                return view(request, *args, **kwargs)
            from forestall.inbox.mailbox_session import signed_in_mailbox

            context = {
                "way_on": reverse(way_on),
                "sign_out": request.resolver_match is not None
                and request.resolver_match.view_name == "mailbox:sign_out"
                and signed_in_mailbox(request) is not None,
            }
            response = render(request, "public/post_only.html", context, status=405)
            response["Allow"] = "POST"
            return response

        declare_methods(wrapper, ["POST"])
        return wrapper

    return decorate
