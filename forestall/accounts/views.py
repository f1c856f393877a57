"""Staff home and sign-out."""

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from forestall.accounts.decorators import staff_required


@require_safe
@staff_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = request.user.memberships.select_related("centre", "centre__region").order_by(
        "centre__name", "role"
    )
    return render(request, "accounts/home.html", {"memberships": memberships})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the staff session completely (server-side data and cookie)."""
    logout(request)
    return redirect("two_factor:login")
