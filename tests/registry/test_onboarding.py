"""A first-time applicant registers their organisation by its CVR number."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.accounts.models import Membership, User
from pulje.core.models import AuditEvent
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.services.memberships import MembershipRefused, request_membership
from pulje.registry.testing import fake_cvr
from tests.factories import HousingDepartmentFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db]
ONBOARDING = "/organisation/registrer/"


@pytest.fixture
def applicant(english: Client) -> User:
    user = UserFactory(email="ny@example.dk")
    english.force_login(user)
    return user


def new_events(seq: int) -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(seq__gt=seq).values_list("action", "object_type"))


def last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def lookup(client: Client, cvr: str) -> Any:
    return client.post(reverse("registry:onboarding"), {"cvr": cvr})


def test_onboarding_url() -> None:
    assert reverse("registry:onboarding") == ONBOARDING


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("12345678", "“12345678” is not a valid CVR number (the check digit does not match)."),
        ("1234", "A CVR number has 8 digits; “1234” does not."),
        ("", "This field is required."),
    ],
)
def test_an_invalid_cvr_number_is_refused_with_a_clear_message(
    english: Client, applicant: User, typed: str, error: str
) -> None:
    response = lookup(english, typed)

    assert response.status_code == 200
    assert response.templates[0].name == "registry/onboarding.html"
    with translation.override("en"):
        assert response.context["form"].errors == {"cvr": [error]}


def test_an_unclaimed_organisation_shows_its_registry_data_and_can_be_claimed(
    english: Client, applicant: User
) -> None:
    organisation = OrganisationFactory(
        name="Boligselskabet Nord", address="Nørregade 1", postal_code="9000", city="Aalborg"
    )
    HousingDepartmentFactory(organisation=organisation)
    HousingDepartmentFactory(organisation=organisation)

    response = lookup(english, f"{organisation.cvr[:4]} {organisation.cvr[4:]}")

    assert response.templates[0].name == "registry/onboarding_claim.html"
    entry = response.context["entry"]
    assert (entry.organisation, entry.departments, entry.has_members) == (organisation, 2, False)
    assert b"Boligselskabet Nord" in response.content
    assert b"N\xc3\xb8rregade 1, 9000 Aalborg" in response.content

    seq = last_seq()
    response = english.post(reverse("registry:claim"), {"cvr": organisation.cvr})

    assert response.status_code == 302
    assert response["Location"] == reverse("registry:profile", args=[organisation.pk])
    assert list(Membership.objects.values_list("user", "organisation", "proven_at")) == [
        (applicant.pk, organisation.pk, None)
    ]
    assert new_events(seq) == [("accounts.membership.requested", "accounts.membership")]


def test_an_organisation_with_members_cannot_be_joined_by_oneself(
    english: Client, applicant: User
) -> None:
    organisation = OrganisationFactory(name="Boligselskabet Syd", address="Hemmelig Vej 2")
    UserFactory(email="kollega@example.dk", name="Kirsten Kollega", organisation=organisation)
    refusal = f"Someone already works for Boligselskabet Syd (CVR {organisation.cvr}) in pulje."

    response = lookup(english, organisation.cvr)

    assert response.templates[0].name == "registry/onboarding_taken.html"
    assert refusal.encode() in response.content
    # The registry's public name only: nothing of the people who act for it.
    assert b"kollega@example.dk" not in response.content
    assert b"Kirsten" not in response.content
    assert b"Hemmelig Vej" not in response.content
    assert b'action="/organisation/registrer/overtag/"' not in response.content

    seq = last_seq()
    response = english.post(reverse("registry:claim"), {"cvr": organisation.cvr})

    assert response.status_code == 200
    assert response.templates[0].name == "registry/onboarding_taken.html"
    assert refusal.encode() in response.content
    assert not Membership.objects.filter(user=applicant).exists()
    assert new_events(seq) == []


def test_request_membership_refuses_an_organisation_with_members() -> None:
    organisation = OrganisationFactory(name="Boligselskabet Syd")
    UserFactory(organisation=organisation)
    applicant = UserFactory()

    with translation.override("en"), pytest.raises(MembershipRefused) as error:
        request_membership(actor=applicant, organisation=organisation)

    assert (error.value.code, error.value.message) == (
        "has_members",
        "Someone already acts for Boligselskabet Syd in pulje. Ask one of its administrators "
        "to invite you from the organisation's page.",
    )
    assert not Membership.objects.filter(user=applicant).exists()


def test_an_organisation_not_in_the_registry_is_registered_with_the_applicant(
    english: Client, applicant: User
) -> None:
    cvr = fake_cvr(77_777)

    response = lookup(english, cvr)

    assert response.templates[0].name == "registry/onboarding_new.html"
    assert response.context["form"].initial == {"cvr": cvr}

    seq = last_seq()
    response = english.post(
        reverse("registry:register"),
        {
            "cvr": cvr,
            "name": "Boligforeningen Ny",
            "kind": "housing",
            "address": "Ny Vej 3",
            "postal_code": "8000",
            "city": "Aarhus C",
        },
    )

    organisation = Organisation.objects.get(cvr=cvr)
    assert response.status_code == 302
    assert response["Location"] == reverse("registry:profile", args=[organisation.pk])
    assert (
        organisation.name,
        organisation.kind,
        organisation.address,
        organisation.postal_code,
        organisation.city,
    ) == ("Boligforeningen Ny", "housing", "Ny Vej 3", "8000", "Aarhus C")
    assert list(Membership.objects.values_list("user", "organisation", "proven_at")) == [
        (applicant.pk, organisation.pk, None)
    ]
    assert new_events(seq) == [
        ("registry.organisation.registered", "registry.organisation"),
        ("accounts.membership.requested", "accounts.membership"),
    ]


def test_registering_a_new_organisation_with_a_bad_postal_code_writes_nothing(
    english: Client, applicant: User
) -> None:
    cvr = fake_cvr(77_778)
    seq = last_seq()

    response = english.post(
        reverse("registry:register"),
        {
            "cvr": cvr,
            "name": "X",
            "kind": "housing",
            "address": "Y 1",
            "postal_code": "80",
            "city": "Z",
        },
    )

    assert response.status_code == 200
    with translation.override("en"):
        assert response.context["form"].errors == {"postal_code": ["A postal code has 4 digits."]}
    assert not Organisation.objects.filter(cvr=cvr).exists()
    assert new_events(seq) == []


def test_a_user_without_an_organisation_is_sent_to_onboarding(
    english: Client, applicant: User
) -> None:
    response = english.get(reverse("registry:mine"))

    assert response.status_code == 302
    assert response["Location"] == ONBOARDING


@pytest.mark.parametrize("kind", [OrganisationKind.FUNDER, OrganisationKind.INTERMEDIARY])
def test_nobody_makes_themselves_a_member_of_a_pool_administrator(
    english: Client, applicant: User, kind: str
) -> None:
    funder = OrganisationFactory(name="Kulturministeriet", kind=kind)

    response = lookup(english, funder.cvr)
    claimed = english.post(reverse("registry:claim"), {"cvr": funder.cvr})
    with translation.override("en"), pytest.raises(MembershipRefused) as error:
        request_membership(actor=applicant, organisation=funder)

    message = (
        "Kulturministeriet cannot be registered here. If you work for it, ask its "
        "administrators or pulje's administrators to give you access."
    )
    assert (response.status_code, claimed.status_code) == (403, 403)
    assert response.context["reason"] == message
    assert error.value.message == message
    assert not Membership.objects.filter(user=applicant).exists()
