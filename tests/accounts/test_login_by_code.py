"""Logging in with a one-time code sent by e-mail, end to end through the test client."""

import json
import re
import time
from typing import Any

import pytest
from allauth.account.internal.flows import code_verification
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import resolve, reverse
from django.utils import translation

from pulje.accounts import views
from pulje.accounts.adapters import SocialAccountAdapter
from pulje.accounts.models import User
from pulje.core.models import AuditEvent
from pulje.settings import oidc_apps
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db]
LOGIN = "/konto/log-ind/"
CONFIRM = "/konto/log-ind/kode/"


def request_code(client: Client, email: str) -> Any:
    return client.post(reverse("accounts:login"), {"email": email})


def last_code(email: str) -> str:
    message = mail.outbox[-1]
    assert message.to == [email]
    match = re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]+)*)\s*$", str(message.body), re.MULTILINE)
    assert match is not None, message.body
    return match.group(1)


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def messages_of(response: Any) -> list[str]:
    with translation.override("en"):
        return [str(message) for message in response.context["messages"]]


def errors_of(response: Any) -> dict[str, list[str]]:
    with translation.override("en"):
        return {
            name: [str(error) for error in errors]
            for name, errors in response.context["form"].errors.items()
        }


def test_login_urls_keep_their_names() -> None:
    assert reverse("accounts:login") == LOGIN
    assert reverse("accounts:confirm_code") == CONFIRM
    assert reverse("account_request_login_code") == LOGIN
    assert reverse("account_login") == LOGIN
    assert reverse("account_confirm_login_code") == CONFIRM


def test_first_login_by_code_creates_exactly_one_user_with_an_audit_event(
    english: Client,
) -> None:
    before = AuditEvent.objects.count()

    response = request_code(english, "Ny.Ansoeger@Example.dk")

    assert response.status_code == 302
    assert response["Location"] == CONFIRM
    # allauth writes to the address in lower case, as the user is registered.
    assert [m.to for m in mail.outbox] == [["ny.ansoeger@example.dk"]]
    assert mail.outbox[0].subject == "pulje: Your login code"
    user = User.objects.get()
    assert user.email == "ny.ansoeger@example.dk"
    assert not user.has_usable_password()
    assert list(AuditEvent.objects.values_list("action", "object_id")[before:]) == [
        ("accounts.user.registered", str(user.pk))
    ]

    response = english.post(CONFIRM, {"code": last_code("ny.ansoeger@example.dk")})

    assert response.status_code == 302
    # The start page of a user without an organisation is its registration.
    assert response["Location"] == reverse("start")
    assert english.get(reverse("start"))["Location"] == reverse("registry:onboarding")
    assert logged_in_user_id(english) == str(user.pk)
    assert User.objects.count() == 1
    assert AuditEvent.objects.count() == before + 1


def test_second_login_by_code_reaches_the_same_user(english: Client) -> None:
    user = UserFactory(email="kendt@example.dk", organisation=OrganisationFactory())
    users, events = User.objects.count(), AuditEvent.objects.count()

    request_code(english, "KENDT@example.dk")
    response = english.post(CONFIRM, {"code": last_code("kendt@example.dk")})

    assert response.status_code == 302
    assert response["Location"] == reverse("start")
    # An applicant's start page is their applications.
    assert english.get(reverse("start"))["Location"] == reverse("applications:dashboard")
    assert logged_in_user_id(english) == str(user.pk)
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)


def test_known_and_new_addresses_see_the_same_pages(english: Client) -> None:
    UserFactory(email="kendt@example.dk")

    known = request_code(english, "kendt@example.dk")
    known_page = english.get(CONFIRM)
    stranger = Client()
    stranger.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    new = request_code(stranger, "ukendt@example.dk")

    assert (known.status_code, known["Location"]) == (new.status_code, new["Location"])
    assert known_page.status_code == 200
    assert [m.subject for m in mail.outbox] == ["pulje: Your login code"] * 2


def test_a_wrong_code_is_refused_with_the_message(english: Client) -> None:
    UserFactory(email="kendt@example.dk")
    request_code(english, "kendt@example.dk")

    response = english.post(CONFIRM, {"code": "WRONG1"})

    assert response.status_code == 200
    assert errors_of(response) == {"code": ["Incorrect code."]}
    assert logged_in_user_id(english) is None


def test_three_wrong_codes_end_the_attempt(english: Client) -> None:
    UserFactory(email="kendt@example.dk")
    request_code(english, "kendt@example.dk")
    code = last_code("kendt@example.dk")
    english.post(CONFIRM, {"code": "WRONG1"})
    english.post(CONFIRM, {"code": "WRONG2"})

    response = english.post(CONFIRM, {"code": "WRONG3"}, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert messages_of(response)[-1] == "Too many failed login attempts. Try again later."
    # Even the right code no longer works.
    english.post(CONFIRM, {"code": code})
    assert logged_in_user_id(english) is None


def test_a_used_code_is_refused(english: Client) -> None:
    UserFactory(email="kendt@example.dk")
    request_code(english, "kendt@example.dk")
    code = last_code("kendt@example.dk")
    english.post(CONFIRM, {"code": code})
    assert logged_in_user_id(english) is not None
    english.post(reverse("accounts:logout"))

    response = english.post(CONFIRM, {"code": code})

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert logged_in_user_id(english) is None


class _Later:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def time(self) -> float:
        return time.time() + self.seconds


def test_an_expired_code_is_refused(english: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    UserFactory(email="kendt@example.dk")
    request_code(english, "kendt@example.dk")
    code = last_code("kendt@example.dk")
    monkeypatch.setattr(code_verification, "time", _Later(15 * 60 + 1))

    response = english.post(CONFIRM, {"code": code}, follow=True)

    assert response.redirect_chain == [(LOGIN, 302)]
    assert messages_of(response)[-1] == "The code has expired. Ask for a new one."
    assert logged_in_user_id(english) is None


def test_a_code_is_still_good_just_before_it_expires(
    english: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory(email="kendt@example.dk")
    request_code(english, "kendt@example.dk")
    code = last_code("kendt@example.dk")
    monkeypatch.setattr(code_verification, "time", _Later(15 * 60 - 5))

    english.post(CONFIRM, {"code": code})

    assert logged_in_user_id(english) == str(user.pk)


TOO_MANY_CODES = "Too many login codes have been asked for. Wait a few minutes and try again."


def test_asking_for_codes_too_often_for_one_address_is_refused(english: Client) -> None:
    for _ in range(3):
        assert request_code(english, "kendt@example.dk").status_code == 302

    response = request_code(english, "Kendt@example.dk")

    assert response.status_code == 200
    assert errors_of(response) == {"email": [TOO_MANY_CODES]}
    assert len(mail.outbox) == 3
    # Another address from the same place may still ask.
    assert request_code(english, "anden@example.dk").status_code == 302


@override_settings(
    ACCOUNT_RATE_LIMITS={"request_login_code": "5/m/ip,3/m/key", "login_failed": "5/m/ip"}
)
def test_asking_for_codes_too_often_from_one_place_is_refused(english: Client) -> None:
    for number in range(5):
        assert request_code(english, f"person{number}@example.dk").status_code == 302

    response = request_code(english, "person5@example.dk")

    assert errors_of(response) == {"email": [TOO_MANY_CODES]}
    assert len(mail.outbox) == 5


def test_the_settings_state_the_rate_limits() -> None:
    assert settings.ACCOUNT_RATE_LIMITS["request_login_code"] == "20/m/ip,3/m/key,10/h/key"
    assert settings.ACCOUNT_LOGIN_BY_CODE_TIMEOUT == 15 * 60
    assert settings.ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS == 3


def test_back_at_the_login_page_a_person_can_use_another_address(english: Client) -> None:
    request_code(english, "forkert@example.dk")

    assert english.get(LOGIN).status_code == 200
    response = request_code(english, "rigtig@example.dk")

    assert response["Location"] == CONFIRM
    assert [m.to for m in mail.outbox] == [["forkert@example.dk"], ["rigtig@example.dk"]]


def test_an_inactive_user_gets_no_code_but_the_same_page(english: Client) -> None:
    user = UserFactory(email="lukket@example.dk")
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = request_code(english, "lukket@example.dk")

    assert (response.status_code, response["Location"]) == (302, CONFIRM)
    assert mail.outbox == []
    assert User.objects.count() == 1


def test_staff_may_still_log_in_with_a_password(english: Client) -> None:
    user = UserFactory(email="sekretariat@pulje.dk", password="correct-horse-battery-staple")

    response = english.post(
        reverse("accounts:password_login"),
        {"login": "sekretariat@pulje.dk", "password": "correct-horse-battery-staple"},
    )

    assert response.status_code == 302
    assert logged_in_user_id(english) == str(user.pk)


def test_the_login_page_leads_with_the_code_and_links_the_password_login(
    english: Client,
) -> None:
    response = english.get(LOGIN)

    assert list(response.context["form"].fields) == ["email"]
    assert reverse("accounts:password_login").encode() in response.content
    assert response.context["providers"] == []


MITID = {
    "provider_id": "mitid-erhverv",
    "name": "MitID Erhverv",
    "client_id": "pulje",
    "secret": "hemmelig",
    "server_url": "https://broker.example.dk/realms/mitid",
}


def test_oidc_providers_are_read_from_json() -> None:
    assert oidc_apps(f"[{json.dumps(MITID)}]") == [
        {
            "provider_id": "mitid-erhverv",
            "name": "MitID Erhverv",
            "client_id": "pulje",
            "secret": "hemmelig",
            "settings": {"server_url": "https://broker.example.dk/realms/mitid"},
        }
    ]


@pytest.mark.parametrize("raw", ["{", '[{"name": "x"}]', '{"provider_id": "x"}'])
def test_oidc_providers_that_cannot_be_read_stop_start_up(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        oidc_apps(raw)


def test_a_configured_oidc_provider_gets_a_button_on_the_login_page(english: Client) -> None:
    providers = {"openid_connect": {"APPS": oidc_apps(f"[{json.dumps(MITID)}]")}}
    with override_settings(SOCIALACCOUNT_PROVIDERS=providers):
        response = english.get(LOGIN)

    url = "/konto/oidc/mitid-erhverv/log-ind/"
    assert response.context["providers"] == [("MitID Erhverv", url)]
    assert f'<form method="post" action="{url}">'.encode() in response.content
    assert resolve(url).func is views.oidc_login
    assert resolve(url).kwargs == {"provider_id": "mitid-erhverv"}


def test_the_header_offers_login_or_the_organisation_and_logout(english: Client) -> None:
    response = english.get("/")
    assert f'href="{LOGIN}"'.encode() in response.content
    assert b'href="/organisation/"' not in response.content

    english.force_login(UserFactory())
    response = english.get("/")

    assert b'href="/organisation/"' in response.content
    assert b'action="/konto/log-ud/"' in response.content
    assert f'href="{LOGIN}"'.encode() not in response.content


def test_an_identity_providers_first_user_is_registered_with_an_audit_event(
    rf: Any,
) -> None:
    request = rf.get("/")
    request.session = SessionStore()
    sociallogin = SocialLogin(
        user=User(),
        account=SocialAccount(provider="mitid-erhverv", uid="sub-1", extra_data={}),
    )
    adapter = SocialAccountAdapter(request)
    adapter.populate_user(
        request,
        sociallogin,
        {"email": "Mitid@Example.dk", "first_name": "Mette", "last_name": "Mit"},
    )
    before = AuditEvent.objects.count()

    user = adapter.save_user(request, sociallogin)

    assert (user.email, user.name, user.has_usable_password()) == (
        "mitid@example.dk",
        "Mette Mit",
        False,
    )
    assert SocialAccount.objects.get().user == user
    assert list(AuditEvent.objects.values_list("action", "object_id")[before:]) == [
        ("accounts.user.registered", str(user.pk))
    ]


def test_the_refusal_of_too_many_codes_says_so_in_danish(client: Client) -> None:
    for _ in range(3):
        request_code(client, "kendt@example.dk")

    response = request_code(client, "kendt@example.dk")

    assert "Der er bedt om for mange login-koder" in response.content.decode()
    assert "mislykkede" not in response.content.decode()
