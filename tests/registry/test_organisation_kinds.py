"""An unknown CVR number is no longer a housing organisation by default: registration asks
the kind, and a kind the call is not open to is refused when an application is started."""

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.accounts.models import Membership
from pulje.applications.models import Application
from pulje.applications.services import start_application
from pulje.applications.workflow import ApplicationRefused
from pulje.registry.models import Organisation
from pulje.registry.services.memberships import register_own_organisation
from pulje.registry.testing import fake_cvr
from tests.factories import UserFactory
from tests.factories.applications import make_call

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

CVR = fake_cvr(93_001)
ADDRESS = {"address": "Vej 1", "postal_code": "8000", "city": "Aarhus C"}


def _register(client: Client, **fields: str) -> Any:
    return client.post(
        reverse("registry:register"), {"cvr": CVR, "name": "Foreningen Ny", **ADDRESS, **fields}
    )


def test_registration_asks_the_kind_of_organisation(english: Client) -> None:
    english.force_login(UserFactory())

    response = _register(english)

    assert response.status_code == 200
    with translation.override("en"):
        assert response.context["form"].errors == {
            "kind": ["Choose what kind of organisation it is."]
        }
    assert not Organisation.objects.filter(cvr=CVR).exists()


def test_an_association_registers_as_an_association_not_yet_verified(english: Client) -> None:
    user = UserFactory()
    english.force_login(user)

    response = _register(english, kind="association")

    assert response.status_code == 302
    organisation = Organisation.objects.get(cvr=CVR)
    assert (organisation.kind, organisation.is_verified, organisation.verified_by) == (
        "association",
        False,
        None,
    )
    assert Membership.objects.get(organisation=organisation).user == user


@pytest.mark.parametrize("kind", ["funder", "intermediary", "nonsense"])
def test_only_an_applicants_kind_is_registered(kind: str) -> None:
    with pytest.raises(ValidationError) as refused:
        register_own_organisation(actor=UserFactory(), cvr=CVR, name="X", kind=kind, **ADDRESS)

    assert refused.value.message_dict == {"kind": ["Choose what kind of organisation it is."]}
    assert not Organisation.objects.filter(cvr=CVR).exists()


def _association_member() -> tuple[Organisation, object]:
    user = UserFactory()
    membership = register_own_organisation(
        actor=user, cvr=CVR, name="Foreningen Ny", kind="association", **ADDRESS
    )
    return membership.organisation, user


def test_starting_an_application_to_a_call_not_open_to_the_kind_is_refused() -> None:
    organisation, user = _association_member()
    call = make_call(applicant_kinds=["housing", "library"])

    with pytest.raises(ApplicationRefused) as refused:
        start_application(actor=user, call=call, organisation=organisation)  # type: ignore[arg-type]

    assert (refused.value.code, refused.value.message) == (
        "not_eligible",
        "Foreningen Ny is registered as “Association”, but this call is open only to: "
        "Housing organisation, Library.",
    )
    assert not Application.objects.exists()


def test_the_apply_button_says_which_kinds_the_call_is_open_to(english: Client) -> None:
    _organisation, user = _association_member()
    call = make_call()
    english.force_login(user)  # type: ignore[arg-type]

    response = english.post(reverse("applications:start", kwargs={"code": call.code}))

    assert response.status_code == 302
    assert response["Location"] == reverse("calls:detail", kwargs={"code": call.code})
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "Foreningen Ny is registered as “Association”, but this call is open only to: "
        "Housing organisation."
    ]
    assert not Application.objects.exists()
