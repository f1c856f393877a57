from django.http import HttpRequest, HttpResponse
from django.urls import path


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><html lang='en'><title>hello</title><p>Hello.</p></html>")


urlpatterns = [path("", hello)]
