from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pulje.core.access import public, staff_only
from pulje.core.mail import outbox_is_the_mail_backend
from pulje.core.models import SentEmail

OUTBOX_LENGTH = 100


@public
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@public
def health(request: HttpRequest) -> HttpResponse:
    """For a load balancer or monitor: the process answers (no database, no templates)."""
    return HttpResponse("ok", content_type="text/plain")


@public
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html", {"contact": settings.CONTACT_EMAIL})


@staff_only(open_when=outbox_is_the_mail_backend)
def outbox(request: HttpRequest) -> HttpResponse:
    """The newest messages the outbox backend kept, for walking through the demo."""
    return render(
        request,
        "core/outbox.html",
        {
            "messages_sent": SentEmail.objects.all()[:OUTBOX_LENGTH],
            "demo": outbox_is_the_mail_backend(),
            "limit": OUTBOX_LENGTH,
        },
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form refused by the CSRF check, in the site's layout. Django has
    logged ``reason`` already (logger ``django.security.csrf``); the page says what to do."""
    return render(request, "403_csrf.html", status=403)
