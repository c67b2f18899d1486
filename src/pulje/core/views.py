from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pulje.core.access import public


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html", {"contact": settings.CONTACT_EMAIL})
