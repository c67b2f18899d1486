"""Error pages: Danish, in the site's layout (its header), for every status pulje answers with."""

import pytest
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import include, path, reverse
from pytest_django import DjangoDbBlocker

from pulje.core.locks import LockTimeout
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


# ROOT_URLCONF for the server error: pulje's own routes and one view that fails.
urlpatterns = [path("fejl/", broken), path("", include("pulje.urls"))]


def assert_danish_page(html: str, heading: str) -> None:
    assert '<html lang="da">' in html
    assert f"<h1>{heading}</h1>" in html
    assert 'class="header"' in html
    assert f"{heading} – pulje</title>" in html


def test_a_missing_page_says_so_in_danish_in_the_sites_look(client: Client) -> None:
    response = client.get("/findes-ikke/")

    assert response.status_code == 404
    assert_danish_page(response.content.decode(), "Siden findes ikke")


def test_a_bad_request_is_answered_in_danish(client: Client) -> None:
    # A host that is not in ALLOWED_HOSTS is Django's commonest 400.
    response = client.get("/", headers={"host": "fremmed.example"})

    assert response.status_code == 400
    assert_danish_page(response.content.decode(), "Forespørgslen kunne ikke forstås")


def test_a_page_without_access_says_so_in_danish(client: Client) -> None:
    client.force_login(UserFactory())

    response = client.get(reverse("core:outbox"))

    assert response.status_code == 403
    assert_danish_page(response.content.decode(), "Ingen adgang")


def test_a_form_refused_by_the_csrf_check_says_what_to_do_in_danish() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:login"), {"email": "person@example.dk"})

    html = response.content.decode()
    assert response.status_code == 403
    assert_danish_page(html, "Formularen kunne ikke sendes")
    assert "genindlæs siden" in html


@override_settings(ACCOUNT_RATE_LIMITS={"login": "1/m/ip"})
def test_too_many_attempts_are_answered_in_danish(client: Client) -> None:
    form = {"login": "person@example.dk", "password": "forkert"}
    assert client.post(reverse("accounts:password_login"), form).status_code == 200

    response = client.post(reverse("accounts:password_login"), form)

    assert response.status_code == 429
    assert_danish_page(response.content.decode(), "For mange forsøg")


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_is_answered_in_danish() -> None:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    response = client.get("/fejl/")

    html = response.content.decode()
    assert response.status_code == 500
    assert_danish_page(html, "Der opstod en fejl")
    # Django renders it without the request, so it names nobody.
    assert "Log ud" not in html


def test_the_server_error_page_renders_without_the_database(
    django_db_blocker: DjangoDbBlocker,
) -> None:
    with django_db_blocker.block():
        html = render_to_string("500.html")

    assert_danish_page(html, "Der opstod en fejl")


def refuse_busy(request: HttpRequest) -> HttpResponse:
    raise LockTimeout("En anden ændrer det samme lige nu.", code="busy")


urlpatterns.insert(0, path("optaget/", refuse_busy))


@override_settings(ROOT_URLCONF=__name__)
def test_a_write_that_waited_too_long_for_a_lock_says_try_again(client: Client) -> None:
    response = client.post("/optaget/")
    html = response.content.decode()
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")
    assert_danish_page(html, "Prøv igen")
    assert "En anden ændrer det samme lige nu." in html
