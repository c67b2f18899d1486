from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pulje.core.access import public


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")
