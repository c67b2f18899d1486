"""A caseworker verifies a partner association once: kept in the registry with who and when,
the applications whose screening found it unknown are screened again, and later ones pass."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.casework.models import Screening
from pulje.casework.services import override_screening, verify_application_partner
from pulje.core.models import AuditEvent
from pulje.registry.models import Organisation, OrganisationKind
from pulje.registry.services.memberships import add_membership, register_own_organisation
from pulje.registry.services.verification import (
    VerificationRefused,
    verify_partner_organisation,
)
from tests.factories import UserFactory
from tests.factories.casework import Desk, make_applicant_in, submit

pytestmark = pytest.mark.django_db

# Recorded in tests/registry/cvr/: the CVR register knows it as "Gellerup Kulturforening".
UNKNOWN_CVR = "12700032"


def _latest(application: Application) -> Screening:
    return Screening.objects.filter(application=application).order_by("-screened_at", "-pk")[0]


def _codes(screening: Screening) -> list[str]:
    return [reason.code for reason in screening.reason_list]


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _events_since(seq: int) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(seq__gt=seq).order_by("seq").values_list("action", "object_type")
    )


def test_a_verified_partner_passes_now_and_in_later_applications(desk: Desk) -> None:
    first = submit(
        make_applicant_in(desk.call, name="Boligselskabet Nord"), partner_1_cvr=UNKNOWN_CVR
    )
    second = submit(
        make_applicant_in(desk.call, name="Boligselskabet Syd"), partner_1_cvr=UNKNOWN_CVR
    )
    assert (_latest(first).outcome, _codes(_latest(first))) == ("remarks", ["partner_unknown"])
    seq = _last_seq()

    organisation = verify_application_partner(
        actor=desk.caseworker, application=first, cvr=UNKNOWN_CVR, name="Gellerup Kulturforening"
    )

    assert (
        organisation.cvr,
        organisation.name,
        organisation.kind,
        organisation.verified_by,
        organisation.is_verified,
    ) == (UNKNOWN_CVR, "Gellerup Kulturforening", "association", desk.caseworker, True)
    # Both applications that found it unknown are screened again, by the verification.
    for application in (first, second):
        screening = _latest(application)
        assert (screening.outcome, screening.reasons, screening.screened_by) == (
            "pass",
            [],
            desk.caseworker,
        )
    assert _events_since(seq) == [
        ("registry.organisation.registered", "registry.organisation"),
        ("registry.organisation.verified", "registry.organisation"),
        ("applications.application.screened", "applications.application"),
        ("applications.application.screened", "applications.application"),
    ]
    verified = AuditEvent.objects.get(action="registry.organisation.verified")
    assert verified.after is not None
    assert (verified.actor, verified.before, verified.after["verified_by"]) == (
        desk.caseworker,
        {"verified_at": None, "verified_by": None},
        desk.caseworker.pk,
    )
    later = submit(
        make_applicant_in(desk.call, name="Boligselskabet Vest"), partner_1_cvr=UNKNOWN_CVR
    )
    assert (_latest(later).outcome, _latest(later).reasons) == ("pass", [])


def test_an_organisation_that_registered_itself_is_unknown_until_verified(desk: Desk) -> None:
    register_own_organisation(
        actor=UserFactory(),
        cvr=UNKNOWN_CVR,
        name="Gellerup Kulturforening",
        kind=OrganisationKind.ASSOCIATION,
        address="Gudrunsvej 12",
        postal_code="8220",
        city="Brabrand",
    )
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)
    assert _codes(_latest(application)) == ["partner_unknown"]

    verify_application_partner(
        actor=desk.caseworker, application=application, cvr=UNKNOWN_CVR, name="Another name"
    )

    # The organisation keeps its own name and kind; only the verification is added.
    organisation = Organisation.objects.get(cvr=UNKNOWN_CVR)
    assert (organisation.name, organisation.verified_by) == (
        "Gellerup Kulturforening",
        desk.caseworker,
    )
    assert _latest(application).outcome == "pass"


def test_verifying_again_changes_nothing(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)
    verify_application_partner(
        actor=desk.caseworker, application=application, cvr=UNKNOWN_CVR, name="Foreningen"
    )
    seq = _last_seq()

    verify_partner_organisation(
        actor=desk.caseworker, cvr=UNKNOWN_CVR, name="Foreningen", kind="association"
    )

    assert _events_since(seq) == []


def test_an_overridden_screening_is_left_as_the_caseworker_set_it(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)
    overridden = override_screening(
        actor=desk.caseworker,
        screening=_latest(application),
        outcome="fail",
        reason="Foreningen findes ikke.",
    )

    verify_application_partner(
        actor=desk.caseworker, application=application, cvr=UNKNOWN_CVR, name="Foreningen"
    )

    assert _latest(application).pk == overridden.pk


@pytest.mark.parametrize("who", ["applicant", "funder", "stranger"])
def test_only_the_calls_caseworker_verifies_its_partners(desk: Desk, who: str) -> None:
    applicant = make_applicant_in(desk.call)
    application = submit(applicant, partner_1_cvr=UNKNOWN_CVR)
    actors: dict[str, User] = {
        "applicant": applicant.user,
        "funder": desk.funder,
        "stranger": UserFactory(),
    }
    actor = actors[who]
    seq = _last_seq()

    with pytest.raises(VerificationRefused) as refused, translation.override("en"):
        verify_application_partner(
            actor=actor, application=application, cvr=UNKNOWN_CVR, name="Foreningen"
        )

    assert (refused.value.code, refused.value.message) == (
        "duty",
        "Only the secretariat of “Fællesskaber mod ensomhed” verifies its applications' partners.",
    )
    assert not Organisation.objects.filter(cvr=UNKNOWN_CVR).exists()
    assert _events_since(seq) == []


def test_a_caseworker_with_a_conflict_of_interest_cannot_verify(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)
    application = submit(applicant, partner_1_cvr=UNKNOWN_CVR)
    # A caseworker of the call who is also a member of the applicant organisation.
    conflicted = UserFactory(organisation=desk.pool.administrator)
    add_membership(actor=None, user=conflicted, organisation=applicant.organisation)

    with pytest.raises(VerificationRefused) as refused, translation.override("en"):
        verify_application_partner(
            actor=conflicted, application=application, cvr=UNKNOWN_CVR, name="Foreningen"
        )

    assert refused.value.code == "duty"
    assert refused.value.message.startswith(
        "You have a conflict of interest and cannot verify this application's partner:"
    )
    assert not Organisation.objects.filter(cvr=UNKNOWN_CVR).exists()


def test_a_partner_the_application_does_not_name_is_refused(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)

    with pytest.raises(VerificationRefused) as refused, translation.override("en"):
        verify_application_partner(
            actor=desk.caseworker, application=application, cvr="12700067", name="X"
        )

    assert (refused.value.code, refused.value.message) == (
        "not_named",
        "The application names no partner with CVR number 12700067.",
    )


@pytest.mark.parametrize(
    ("cvr", "name", "kind", "refusal"),
    [
        (
            UNKNOWN_CVR,
            "Foreningen",
            "housing",
            (
                "not_partner_kind",
                "Only an association, a library or a social organisation is verified as a partner.",
            ),
        ),
        (
            "12700033",
            "Foreningen",
            "association",
            ("cvr", "“12700033” is not a valid CVR number (the check digit does not match)."),
        ),
        (
            UNKNOWN_CVR,
            "  ",
            "association",
            ("name", "Give the organisation's name as the CVR register has it."),
        ),
    ],
)
def test_the_registry_refuses_a_verification_that_is_not_right(
    desk: Desk, cvr: str, name: str, kind: str, refusal: tuple[str, str]
) -> None:
    with pytest.raises(VerificationRefused) as refused, translation.override("en"):
        verify_partner_organisation(actor=desk.caseworker, cvr=cvr, name=name, kind=kind)

    assert (refused.value.code, refused.value.message) == refusal
    assert not Organisation.objects.filter(cvr=cvr).exists()


def test_the_registry_refuses_someone_who_works_no_call(desk: Desk) -> None:
    with pytest.raises(VerificationRefused) as refused, translation.override("en"):
        verify_partner_organisation(
            actor=desk.funder, cvr=UNKNOWN_CVR, name="Foreningen", kind="association"
        )

    assert (refused.value.code, refused.value.message) == (
        "not_caseworker",
        "Only a caseworker of a call verifies partner organisations.",
    )


def _page(application: Application) -> str:
    return reverse("desk:application", kwargs={"uuid": application.uuid})


def _verify_url(application: Application, cvr: str = UNKNOWN_CVR) -> str:
    return reverse("desk:verify_partner", kwargs={"uuid": application.uuid, "cvr": cvr})


def test_the_desk_offers_the_verification_beside_the_remark(desk: Desk, english: Client) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)
    known = submit(make_applicant_in(desk.call, name="Boligselskabet Kendt"))

    english.force_login(desk.caseworker)
    page = english.get(_page(application)).content.decode()
    assert f'href="{_verify_url(application)}"' in page
    assert "Verify the association Gellerup Kulturforening" in page
    assert "data-verify-partner" not in english.get(_page(known)).content.decode()

    english.force_login(desk.funder)
    assert "data-verify-partner" not in english.get(_page(application)).content.decode()


def test_the_confirmation_shows_the_cvr_register_and_what_will_happen(
    desk: Desk, english: Client
) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)
    english.force_login(desk.caseworker)

    response = english.get(_verify_url(application))

    assert response.status_code == 200
    assert response.context["form"].initial == {"name": "Gellerup Kulturforening"}
    page = response.content.decode()
    assert "Gellerup Kulturforening, Gudrunsvej 12, 8220 Brabrand (Frivillig forening)" in page
    assert "1 application that names it is screened again now." in page


def test_the_verification_needs_the_tick_and_then_verifies(desk: Desk, english: Client) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)
    english.force_login(desk.caseworker)

    refused = english.post(_verify_url(application), {"name": "Gellerup Kulturforening"})

    assert refused.status_code == 400
    with translation.override("en"):
        assert refused.context["form"].errors == {
            "checked": ["Tick the box to confirm that you have checked it."]
        }
    assert not Organisation.objects.filter(cvr=UNKNOWN_CVR).exists()

    response = english.post(
        _verify_url(application), {"name": "Gellerup Kulturforening", "checked": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == _page(application)
    assert Organisation.objects.get(cvr=UNKNOWN_CVR).verified_by == desk.caseworker
    assert _latest(application).outcome == "pass"


def test_the_confirmation_is_a_404_for_a_partner_the_application_does_not_name(
    desk: Desk, english: Client
) -> None:
    application = submit(make_applicant_in(desk.call), partner_1_cvr=UNKNOWN_CVR)
    english.force_login(desk.caseworker)

    assert english.get(_verify_url(application, "12700067")).status_code == 404
