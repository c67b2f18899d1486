"""The second factor for staff, caseworkers and funders, through the real login pages."""

import json
import re
import time
from io import StringIO
from typing import Any

import pytest
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.models import SocialAccount, SocialLogin
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import translation

from pulje.accounts import mfa
from pulje.accounts.adapters import MFAAdapter
from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.core.money import kr
from pulje.registry.models import OrganisationKind
from pulje.settings import fernet_keys, oidc_apps
from tests.factories import CallFactory, OrganisationFactory, PoolFactory, UserFactory
from tests.logins import force_login_without_second_factor, give_authenticator_app

pytestmark = [pytest.mark.django_db]
PASSWORD = "correct-horse-battery-staple"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
QUEUE = "desk:calls"


def totp_code(secret: str) -> str:
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def emailed_code() -> str:
    match = re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]+)*)\s*$", str(mail.outbox[-1].body), re.M)
    assert match is not None
    return match.group(1)


def log_in_by_password(client: Client, user: User) -> Any:
    return client.post(
        reverse("accounts:password_login"), {"login": user.email, "password": PASSWORD}
    )


def log_in_by_code(client: Client, user: User) -> Any:
    client.post(reverse("accounts:login"), {"email": user.email})
    return client.post(reverse("accounts:confirm_code"), {"code": emailed_code()})


@pytest.fixture
def call() -> Call:
    """A call on BL's band: BL (an intermediary) administers the band, the ministry the top."""
    ministry = OrganisationFactory(kind=OrganisationKind.FUNDER)
    top = PoolFactory(administrator=ministry)
    band = PoolFactory(
        administrator=OrganisationFactory(kind=OrganisationKind.INTERMEDIARY),
        parent=top,
        grant_min_ore=kr(10_000),
        grant_max_ore=kr(50_000),
    )
    return CallFactory(pool=band)


def caseworker_of(call: Call, **fields: Any) -> User:
    return UserFactory(organisation=call.pool.administrator, **fields)


def staff_with_app(**fields: Any) -> User:
    user = UserFactory(is_staff=True, **fields)
    give_authenticator_app(user, SECRET)
    return user


# Who needs it


def test_who_needs_a_second_factor(call: Call) -> None:
    assert call.pool.parent is not None
    funder = UserFactory(organisation=call.pool.parent.administrator)
    applicant = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.HOUSING))

    assert {
        "staff": mfa.needs_second_factor(UserFactory(is_staff=True)),
        "superuser": mfa.needs_second_factor(UserFactory(is_superuser=True)),
        "caseworker": mfa.needs_second_factor(caseworker_of(call)),
        "funder": mfa.needs_second_factor(funder),
        "applicant": mfa.needs_second_factor(applicant),
        "nobody yet": mfa.needs_second_factor(UserFactory()),
    } == {
        "staff": True,
        "superuser": True,
        "caseworker": True,
        "funder": True,
        "applicant": False,
        "nobody yet": False,
    }


# Logging in with it


def test_staff_log_in_by_password_then_a_code_from_the_app(english: Client) -> None:
    user = staff_with_app()

    response = log_in_by_password(english, user)

    assert response["Location"] == reverse("mfa_authenticate")
    assert logged_in_user_id(english) is None
    page = english.get(reverse("mfa_authenticate"))
    assert page.status_code == 200
    assert b"Two-step verification" in page.content

    wrong = english.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert logged_in_user_id(english) is None

    response = english.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})

    assert response.status_code == 302
    assert logged_in_user_id(english) == str(user.pk)
    assert english.session[mfa.SESSION_KEY] == "given"
    assert english.get(reverse("admin:index")).status_code == 200


def test_staff_log_in_by_code_then_a_code_from_the_app(english: Client) -> None:
    user = staff_with_app()

    response = log_in_by_code(english, user)

    assert response["Location"] == reverse("mfa_authenticate")
    assert logged_in_user_id(english) is None
    assert english.get(reverse(QUEUE))["Location"].startswith(reverse("accounts:login"))

    english.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})

    assert logged_in_user_id(english) == str(user.pk)
    assert english.get(reverse(QUEUE)).status_code == 200


MITID = {
    "provider_id": "mitid-erhverv",
    "name": "MitID Erhverv",
    "client_id": "pulje",
    "secret": "hemmelig",
    "server_url": "https://broker.example.dk/realms/mitid",
}


@override_settings(
    SOCIALACCOUNT_PROVIDERS={"openid_connect": {"APPS": oidc_apps(json.dumps([MITID]))}}
)
def test_a_caseworker_logging_in_by_the_identity_provider_then_types_a_code(
    english: Client, call: Call
) -> None:
    user = caseworker_of(call)
    give_authenticator_app(user, SECRET)
    SocialAccount.objects.create(user=user, provider="mitid-erhverv", uid="sub-1")
    # What the provider's callback hands to allauth once the broker has answered.
    request = RequestFactory().get("/konto/oidc/mitid-erhverv/log-ind/retur/")
    request.session = SessionStore()
    request.user = AnonymousUser()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    sociallogin = SocialLogin(
        account=SocialAccount(provider="mitid-erhverv", uid="sub-1"),
        provider=get_social_adapter().get_provider(request, "mitid-erhverv"),
    )
    sociallogin.state = {"process": "login"}
    with context.request_context(request):
        response = complete_social_login(request, sociallogin)
    request.session.save()
    assert request.session.session_key is not None
    english.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key

    assert response["Location"] == reverse("mfa_authenticate")
    assert SESSION_KEY not in request.session

    english.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})

    assert logged_in_user_id(english) == str(user.pk)
    assert english.get(reverse(QUEUE)).status_code == 200


def test_guessing_codes_is_stopped_by_the_login_rate_limit(english: Client) -> None:
    user = staff_with_app()
    log_in_by_password(english, user)
    for _attempt in range(5):
        english.post(reverse("mfa_authenticate"), {"code": "000000"})

    response = english.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})

    assert logged_in_user_id(english) is None
    with translation.override("en"):
        assert response.context["form"].errors == {
            "code": ["Too many failed login attempts. Try again later."]
        }


def test_an_applicant_is_not_asked_for_a_second_factor(english: Client) -> None:
    applicant = UserFactory(organisation=OrganisationFactory(kind=OrganisationKind.HOUSING))

    response = log_in_by_code(english, applicant)

    assert response.status_code == 302
    assert response["Location"] != reverse("mfa_authenticate")
    assert logged_in_user_id(english) == str(applicant.pk)
    assert english.session[mfa.SESSION_KEY] == "not_needed"
    assert english.get(reverse("applications:dashboard")).status_code == 200


def test_a_recovery_code_logs_in_once(english: Client) -> None:
    user = staff_with_app()
    code = RecoveryCodes.activate(user).get_unused_codes()[0]

    log_in_by_password(english, user)
    english.post(reverse("mfa_authenticate"), {"code": code})
    assert logged_in_user_id(english) == str(user.pk)
    english.post(reverse("accounts:logout"))

    log_in_by_password(english, user)
    again = english.post(reverse("mfa_authenticate"), {"code": code})

    assert again.status_code == 200
    with translation.override("en"):
        assert again.context["form"].errors == {"code": ["Incorrect code."]}
    assert logged_in_user_id(english) is None


# Setting it up


def test_a_caseworker_without_an_app_is_sent_to_set_one_up_before_the_queue(
    english: Client, call: Call
) -> None:
    user = caseworker_of(call, password=None)

    log_in_by_code(english, user)

    assert logged_in_user_id(english) == str(user.pk)
    assert english.session[mfa.SESSION_KEY] == "set_up"
    for name in [QUEUE, "core:home", "mfa_index", "admin:index"]:
        response = english.get(reverse(name))
        assert (name, response.status_code, response["Location"]) == (
            name,
            302,
            reverse("mfa_activate_totp"),
        )
    # Logging out, the language switch and the health check still answer.
    assert english.get(reverse("core:health")).status_code == 200
    assert english.post(reverse("set_language"), {"language": "en"}).status_code in {204, 302}

    page = english.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert b'src="data:image/svg+xml;base64,' in page.content
    assert b"Set it up before you go on." in page.content
    secret = page.context["form"].secret
    response = english.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert english.get(reverse(QUEUE)).status_code == 200
    assert english.session[mfa.SESSION_KEY] == "given"
    codes = english.get(reverse("mfa_view_recovery_codes"))
    assert len(codes.context["unused_codes"]) == 10
    download = english.get(reverse("mfa_download_recovery_codes"))
    assert download["Content-Disposition"] == 'attachment; filename="recovery-codes.txt"'
    assert codes.context["unused_codes"][0] in download.content.decode()


def test_staff_with_a_password_type_it_again_before_they_set_up_the_app(
    english: Client,
) -> None:
    user = UserFactory(is_staff=True)
    log_in_by_password(english, user)
    assert logged_in_user_id(english) == str(user.pk)

    response = english.get(reverse("mfa_activate_totp"))

    assert response["Location"].startswith(reverse("account_reauthenticate"))
    english.post(response["Location"], {"password": PASSWORD})
    assert english.get(reverse("mfa_activate_totp")).status_code == 200


def test_removing_the_app_means_setting_up_another_at_once(english: Client, call: Call) -> None:
    user = caseworker_of(call, password=None)
    give_authenticator_app(user, SECRET)
    english.force_login(user)
    assert english.get(reverse(QUEUE)).status_code == 200
    # A change to the second factor asks for a code first (allauth's reauthentication).
    response = english.post(reverse("mfa_deactivate_totp"))
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    english.post(reverse("mfa_reauthenticate"), {"code": totp_code(SECRET)})

    english.post(reverse("mfa_deactivate_totp"))

    assert not mfa.has_authenticator_app(user)
    assert english.get(reverse(QUEUE))["Location"] == reverse("mfa_activate_totp")


def test_a_session_that_did_not_use_the_app_asks_for_a_code(english: Client) -> None:
    user = staff_with_app()
    force_login_without_second_factor(english, user)
    assert english.session[mfa.SESSION_KEY] == "verify"
    queue = reverse(QUEUE)

    response = english.get(queue)

    assert response["Location"] == f"{reverse('mfa_reauthenticate')}?next={queue}"
    response = english.post(response["Location"], {"code": totp_code(SECRET)})
    assert response["Location"] == queue
    assert english.get(queue).status_code == 200
    assert english.session[mfa.SESSION_KEY] == "given"


def test_a_session_from_before_the_requirement_is_assessed_on_its_next_request(
    english: Client, call: Call
) -> None:
    user = caseworker_of(call)
    force_login_without_second_factor(english, user)
    session = english.session
    del session[mfa.SESSION_KEY]
    session.save()

    assert english.get(reverse(QUEUE))["Location"] == reverse("mfa_activate_totp")


# Django admin


def test_the_admins_login_form_logs_nobody_in(english: Client) -> None:
    user = UserFactory(is_staff=True, is_superuser=True)

    response = english.post(
        "/admin/login/?next=/admin/", {"username": user.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/admin/"
    assert logged_in_user_id(english) is None
    assert english.get("/admin/")["Location"] == "/admin/login/?next=/admin/"


def test_the_admin_after_a_password_login_asks_for_the_second_factor(english: Client) -> None:
    user = UserFactory(is_staff=True, is_superuser=True)
    log_in_by_password(english, user)

    assert english.get("/admin/")["Location"] == reverse("mfa_activate_totp")


def test_the_admin_login_refuses_a_logged_in_user_who_is_not_staff(english: Client) -> None:
    english.force_login(UserFactory())

    assert english.get("/admin/login/?next=/admin/").status_code == 403


# Secrets at rest


def test_the_secret_is_stored_encrypted_and_a_code_still_works(english: Client) -> None:
    user = staff_with_app()

    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]

    assert SECRET not in stored
    assert MFAAdapter().decrypt(stored) == SECRET
    log_in_by_password(english, user)
    english.post(reverse("mfa_authenticate"), {"code": totp_code(SECRET)})
    assert logged_in_user_id(english) == str(user.pk)


def test_a_rotated_key_still_decrypts_and_a_missing_one_says_so() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(MFA_ENCRYPTION_KEYS=[old]):
        stored = MFAAdapter().encrypt(SECRET)

    with override_settings(MFA_ENCRYPTION_KEYS=[new, old]):
        assert MFAAdapter().decrypt(stored) == SECRET
    with (
        override_settings(MFA_ENCRYPTION_KEYS=[new]),
        pytest.raises(ImproperlyConfigured, match="MFA_ENCRYPTION_KEY"),
    ):
        MFAAdapter().decrypt(stored)


def test_without_keys_of_its_own_the_key_follows_secret_key() -> None:
    with override_settings(MFA_ENCRYPTION_KEYS=[], SECRET_KEY="first"):
        stored = MFAAdapter().encrypt(SECRET)
    with override_settings(
        MFA_ENCRYPTION_KEYS=[], SECRET_KEY="second", SECRET_KEY_FALLBACKS=["first"]
    ):
        assert MFAAdapter().decrypt(stored) == SECRET
    with (
        override_settings(MFA_ENCRYPTION_KEYS=[], SECRET_KEY="second"),
        pytest.raises(ImproperlyConfigured),
    ):
        MFAAdapter().decrypt(stored)


def test_a_key_of_its_own_set_later_still_reads_what_secret_key_encrypted() -> None:
    own = Fernet.generate_key().decode()
    with override_settings(MFA_ENCRYPTION_KEYS=[], SECRET_KEY="first"):
        stored = MFAAdapter().encrypt(SECRET)

    with override_settings(MFA_ENCRYPTION_KEYS=[own], SECRET_KEY="first"):
        assert MFAAdapter().decrypt(stored) == SECRET
        again = MFAAdapter().encrypt(SECRET)
    with override_settings(MFA_ENCRYPTION_KEYS=[own], SECRET_KEY="second"):
        assert MFAAdapter().decrypt(again) == SECRET


def test_reencrypting_moves_every_secret_to_the_new_key() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    user = UserFactory(is_staff=True)
    with override_settings(MFA_ENCRYPTION_KEYS=[old]):
        give_authenticator_app(user, SECRET)
        codes = RecoveryCodes.activate(user).generate_codes()
    out = StringIO()

    with override_settings(MFA_ENCRYPTION_KEYS=[new, old]):
        call_command("reencrypt_mfa_secrets", stdout=out)

    assert out.getvalue() == "Encrypted 2 second-factor secrets with the current key.\n"
    with override_settings(MFA_ENCRYPTION_KEYS=[new]):
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        assert MFAAdapter().decrypt(totp.data["secret"]) == SECRET
        recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
        assert recovery.wrap().generate_codes() == codes


# A real key cut short; fixed, so that every test process collects the same parameters.
@pytest.mark.parametrize("raw", ["kort", "x" * 44, "GSg9XcMiGVtXAh7X75hYHypxuYT9ykdfpDQhWnRK"])
def test_a_key_that_is_not_a_fernet_key_stops_start_up(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="Fernet"):
        fernet_keys([raw])
