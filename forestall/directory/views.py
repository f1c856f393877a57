"""The public centre finder and the staff centre pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from forestall.directory.models import Centre


@require_safe
def finder(request: HttpRequest) -> HttpResponse:
    centres = Centre.objects.filter(is_active=True).select_related("region")
    return render(request, "directory/finder.html", {"centres": centres})
