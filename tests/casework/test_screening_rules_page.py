"""The call's screening rules on its own set-up page: in kroner, previewed before saving."""

import pytest
from django.test import Client
from django.urls import reverse

from pulje.casework.models import ScreeningRules
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.registry.models import OrganisationKind
from pulje.registry.services.verification import verify_partner_organisation
from tests.factories.applications import PARTNER_CVR
from tests.factories.casework import Desk, make_applicant_in, submit

pytestmark = pytest.mark.django_db

RULES = {
    "require_eligible_applicant": "on",
    "require_partner": "on",
    "check_amount_band": "on",
    "check_budget_sum": "on",
    "check_period": "on",
    "duplicate_similarity_percent": "90",
}


def _url(desk: Desk) -> str:
    return reverse("casework:screening_rules", kwargs={"code": desk.call.code})


@pytest.fixture
def caseworker(client: Client, desk: Desk) -> Client:
    verify_partner_organisation(
        actor=desk.caseworker,
        cvr=PARTNER_CVR,
        name="Kulturforening",
        kind=OrganisationKind.ASSOCIATION,
    )
    client.force_login(desk.caseworker)
    return client


def test_the_preview_lists_what_the_rules_would_flag_and_saves_nothing(
    caseworker: Client, desk: Desk
) -> None:
    with_materials = submit(make_applicant_in(desk.call, "101", "Boligselskabet Nord"))
    submit(
        make_applicant_in(desk.call, "751", "Aarhus Bolig"),
        title="Lektiecafé",
        budget_activities="60.000",
        budget_materials=None,
    )
    events = AuditEvent.objects.count()

    response = caseworker.post(
        _url(desk), {**RULES, "excluded_cost_kinds": ["materials"], "preview": "1"}
    )

    assert response.status_code == 200
    flagged = response.context["flagged"]
    assert [(application.pk, reasons) for application, reasons in flagged] == [
        (
            with_materials.pk,
            [
                (
                    "fail",
                    "Budgettet har en udgiftstype, som ansøgningsrunden ikke dækker: "
                    "materialer (15.000 kr.).",
                )
            ],
        )
    ]
    assert 'data-flagged-count="1"' in response.content.decode()
    assert not ScreeningRules.objects.filter(call=desk.call).exists()
    assert AuditEvent.objects.count() == events


def test_the_salary_cap_is_typed_in_kroner_and_stored_in_ore(
    caseworker: Client, desk: Desk
) -> None:
    response = caseworker.post(
        _url(desk), {**RULES, "salary_cap_monthly_ore": "34.000,50", "save": "1"}
    )

    assert response.status_code == 302
    rules = ScreeningRules.objects.get(call=desk.call)
    assert rules.salary_cap_monthly_ore == kr(34_000) + 50
    assert list(
        AuditEvent.objects.filter(object_type="casework.screeningrules").values_list(
            "action", flat=True
        )
    ) == ["casework.screeningrules.created", "casework.screeningrules.updated"]
    page = caseworker.get(_url(desk)).content.decode()
    assert 'value="34.000,50 kr."' in page


def test_an_amount_that_is_not_danish_notation_is_refused_with_a_message(
    caseworker: Client, desk: Desk
) -> None:
    response = caseworker.post(_url(desk), {**RULES, "salary_cap_monthly_ore": "12.5", "save": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors["salary_cap_monthly_ore"] == [
        "“12.5” er ikke et beløb. Skriv det på dansk med punktum mellem tusinder og komma "
        "før øre, for eksempel 12.500,50 kr."
    ]
    assert not ScreeningRules.objects.filter(call=desk.call).exists()


def test_only_the_calls_secretariat_sees_its_screening_rules(client: Client, desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)
    client.force_login(applicant.user)
    assert client.get(_url(desk)).status_code == 404
    client.force_login(desk.funder)
    assert client.post(_url(desk), {**RULES, "save": "1"}).status_code == 404


def test_the_call_editor_links_to_its_screening_rules_and_fast_track(
    caseworker: Client, desk: Desk
) -> None:
    page = caseworker.get(reverse("calls:edit", kwargs={"code": desk.call.code})).content.decode()
    assert f'href="{_url(desk)}"' in page
    assert f'href="{reverse("fasttrack:settings", kwargs={"code": desk.call.code})}"' in page
