"""Values remembered for the length of one request, and only while it runs.

A staff page asks the access gates several times who the reader is: the
centres where they hold a role, their network-wide roles, their live
"break the glass" grants. Each gate asked the database again (the case page
asked for the same centres four times). ``remember(key, compute)`` keeps the
answer for the rest of the request that is being served:

- The memo exists only between ``RequestMemoMiddleware``'s start and end of
  a request (a context variable, so one per thread); outside a request
  (management commands, tests calling the gates directly, background work)
  nothing is remembered and every call computes afresh.
- It is dropped at the end of every request, so no answer outlives the
  request that asked; a role removed by another request counts from that
  other request's next request on, exactly as before.
- ``forget()`` drops everything remembered in the current request. The
  models whose rows feed remembered answers are registered with
  ``forget_on_change`` (memberships in ``forestall.accounts``, glass-break
  grants in ``forestall.cases``), so a request that changes a role or grants
  access and then reads sees its own change.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db.models import Model
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponseBase

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("forestall_request_memo", default=None)


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, remembered under ``key`` for the rest of the current request."""
    memo = _memo.get()
    if memo is None:
        return compute()
    try:
        return memo[key]  # type: ignore[no-any-return]
    except KeyError:
        value = memo[key] = compute()
        return value


def forget(*_args: Any, **_kwargs: Any) -> None:
    """Drop everything remembered in the current request (usable as a signal receiver)."""
    memo = _memo.get()
    if memo:
        memo.clear()


def forget_on_change(model: type[Model]) -> None:
    """Drop the memo whenever a row of ``model`` is saved or deleted (rows that feed it)."""
    for signal in (post_save, post_delete):
        signal.connect(forget, sender=model, dispatch_uid=f"requestmemo-{model._meta.label}")


class RequestMemoMiddleware:
    """Opens the memo for one request and drops it when the response is ready."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
