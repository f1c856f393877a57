"""The HTTP methods a view says it answers, read from its decorators without calling it.

Why: a request with a method no browser form sends (``PROPFIND``, ``FOO``)
must be answered 405 with an honest ``Allow`` header before the CSRF check,
which treats every method it does not know as unsafe and answered 403 ("this
form expired"). Calling the view to find out is not safe: a view that does
not restrict its methods would run with the CSRF check skipped. So the
methods are read from what declares them:

- Django's ``require_http_methods`` (and ``require_GET``, ``require_POST``,
  ``require_safe``, built on it): the list it closes over;
- a class-based view: the handlers it defines (Django's own ``Allow``);
- a decorator of ours that restricts methods itself (``post_only``): the
  methods it records with ``declare_methods``.

Decorators that wrap with ``functools.wraps`` are looked through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

# The methods of HTTP that a browser, a form or a well-behaved client sends;
# anything else is refused before it reaches the CSRF check or a view.
STANDARD_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})

_DECLARED = "forestall_methods"


def declare_methods(view: Callable[..., Any], methods: Iterable[str]) -> None:
    """Record on ``view`` (a decorator's wrapper) the only methods it lets through."""
    view.__dict__[_DECLARED] = tuple(methods)


def declared_methods(view: Callable[..., Any]) -> tuple[str, ...] | None:
    """The methods ``view`` answers, as its outermost restricting decorator says (None: none)."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return tuple(
            method.upper() for method in view_class.http_method_names if hasattr(view_class, method)
        )
    current: Any = view
    while current is not None:
        code = getattr(current, "__code__", None)
        closure = getattr(current, "__closure__", None)
        if code is not None and closure and "request_method_list" in code.co_freevars:
            return tuple(closure[code.co_freevars.index("request_method_list")].cell_contents)
        # (``functools.wraps`` copies this onto every wrapper outside it.)
        declared = getattr(current, "__dict__", {}).get(_DECLARED)
        if declared is not None:
            return tuple(declared)
        current = getattr(current, "__wrapped__", None)
    return None
