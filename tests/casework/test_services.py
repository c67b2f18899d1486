"""Screening on submission and by the caseworker, the call's rules as data, the override."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import fingerprint, save_draft, submit_application
from pulje.applications.workflow import ApplicationRefused, transition
from pulje.calls.services import update_call
from pulje.casework.models import Screening, ScreeningRules
from pulje.casework.selectors import screening_rules
from pulje.casework.services import (
    override_screening,
    screen_application,
    screen_applications,
    set_screening_rules,
)
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.funds.models import Pool
from pulje.registry.models import Organisation, OrganisationKind
from tests.factories import UserFactory
from tests.factories.casework import Desk, make_applicant_in, submit

pytestmark = pytest.mark.django_db


def _messages(screening: Screening) -> list[tuple[str, str]]:
    with translation.override("en"):
        return screening.messages()


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_submission_screens_the_application_and_records_the_outcome(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)

    application = submit(applicant)

    assert application.status == ApplicationStatus.SCREENED
    (screening,) = Screening.objects.filter(application=application)
    assert (
        screening.outcome,
        screening.reasons,
        screening.screened_by,
        screening.version_number,
    ) == (
        "pass",
        [],
        None,
        1,
    )
    (event,) = _events("applications.application.screened")
    # The applicant submitted; pulje screened (nobody's act).
    assert (event.actor, event.before, event.after) == (
        None,
        {"status": "submitted"},
        {"status": "screened", "screening": screening.pk, "outcome": "pass", "reasons": []},
    )


def test_salaries_over_the_calls_monthly_cap_fail_screening(desk: Desk) -> None:
    set_screening_rules(actor=desk.caseworker, call=desk.call, salary_cap_monthly_ore=kr(10_000))
    applicant = make_applicant_in(desk.call)

    # February to November: ten months of 10.000 kr.
    application = submit(
        applicant,
        amount="160.000",
        budget_salaries="120.000",
        budget_activities="40.000",
        budget_materials=None,
    )

    screening = Screening.objects.get(application=application)
    assert screening.outcome == "fail"
    assert _messages(screening) == [
        (
            "fail",
            "Salaries of 120.000 kr. exceed the cap of 100.000 kr.: 10.000 kr. a month for 10 "
            "months.",
        )
    ]


def test_a_near_identical_title_on_the_same_department_fails_the_later_application(
    desk: Desk,
) -> None:
    applicant = make_applicant_in(desk.call)
    first = submit(applicant)

    second = submit(applicant, title="Spisefællesskab i Gellerup!")
    other_department = make_applicant_in(desk.call)
    third = submit(other_department)

    with translation.override("en"):
        outcomes = {
            a.reference: (s.outcome, s.messages())
            for a in (first, second, third)
            for s in Screening.objects.filter(application=a)
        }
    assert outcomes == {
        first.reference: ("pass", []),
        second.reference: (
            "fail",
            [
                (
                    "fail",
                    f"The application looks like a duplicate of {first.reference} "
                    "“Spisefællesskab i Gellerup”: same housing department, nearly the same "
                    "title.",
                )
            ],
        ),
        third.reference: ("pass", []),
    }


def test_a_withdrawn_application_is_no_original_to_a_duplicate(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)
    first = submit(applicant)
    with transaction.atomic():
        transition(actor=applicant.user, application=first, action="withdraw")

    second = submit(applicant)

    assert Screening.objects.get(application=second).outcome == "pass"


def test_excluded_cost_kinds_fail_screening(desk: Desk) -> None:
    set_screening_rules(actor=desk.caseworker, call=desk.call, excluded_cost_kinds=["other"])
    applicant = make_applicant_in(desk.call)

    application = submit(applicant, budget_materials=None, budget_other="15.000")

    assert _messages(Screening.objects.get(application=application)) == [
        ("fail", "The budget has a kind of cost the call does not cover: other (15.000 kr.).")
    ]


def test_the_spend_by_date_of_the_pool_above_limits_the_project_period(desk: Desk) -> None:
    import datetime as dt

    assert desk.pool.parent is not None
    Pool.objects.filter(pk=desk.pool.parent.pk).update(spend_by=dt.date(2021, 10, 31))
    applicant = make_applicant_in(desk.call)

    application = submit(applicant)

    assert screening_rules(application).terms.latest_end == dt.date(2021, 10, 31)
    with translation.override("en"):
        assert Screening.objects.get(application=application).messages() == [
            (
                "fail",
                "The project ends Nov. 30, 2021, after the latest end (the project window and "
                "the date by which the grant must be spent), Oct. 31, 2021.",
            )
        ]


def test_an_unregistered_partner_is_a_remark(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)

    application = submit(applicant, partner_1_cvr="10000009")

    screening = Screening.objects.get(application=application)
    assert (screening.outcome, _messages(screening)) == (
        "remarks",
        [
            (
                "remark",
                "The partner “Gellerup Kulturforening” (CVR 10000009) is not in the registry: "
                "check it in the CVR register.",
            )
        ],
    )


def test_changes_submitted_again_are_screened_again_and_a_retry_is_not(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)
    application = submit(applicant)
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    assert Screening.objects.filter(application=application).count() == 1

    application = save_draft(
        actor=applicant.user, application=application, values={"title": ["Ny titel"]}
    )
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )

    application.refresh_from_db()
    assert application.status == ApplicationStatus.SCREENED
    assert [s.version_number for s in Screening.objects.filter(application=application)] == [2, 1]


def test_the_caseworker_screens_again_with_rules_changed_since(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)
    application = submit(applicant)
    set_screening_rules(actor=desk.caseworker, call=desk.call, salary_cap_monthly_ore=kr(1))
    set_screening_rules(actor=desk.caseworker, call=desk.call, excluded_cost_kinds=["materials"])

    (screening,) = screen_applications(actor=desk.caseworker, applications=[application])

    assert (screening.outcome, screening.screened_by) == ("fail", desk.caseworker)
    assert Screening.objects.filter(application=application).count() == 2
    first, second = _events("casework.screeningrules.updated")
    assert first.before is not None
    assert first.after is not None
    assert second.before is not None
    assert second.after is not None
    assert (first.before["salary_cap_monthly_ore"], first.after["salary_cap_monthly_ore"]) == (
        None,
        kr(1),
    )
    assert (second.before["excluded_cost_kinds"], second.after["excluded_cost_kinds"]) == (
        [],
        ["materials"],
    )


def test_screening_again_is_refused_whole_once_one_is_in_assessment(desk: Desk) -> None:
    first = submit(make_applicant_in(desk.call))
    second = submit(make_applicant_in(desk.call, name="Andet Boligselskab"))
    with transaction.atomic():
        transition(actor=desk.caseworker, application=second, action="start_assessment")

    with pytest.raises(ApplicationRefused) as refused, translation.override("en"):
        screen_applications(actor=desk.caseworker, applications=[first, second])

    assert refused.value.message == (
        "Only submitted or screened applications can be screened again; these are further "
        f"on: {second.reference}. Nothing was screened."
    )
    assert Screening.objects.count() == 2


def test_a_single_screening_in_assessment_is_refused_by_the_workflow(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    with transaction.atomic():
        transition(actor=desk.caseworker, application=application, action="start_assessment")

    with pytest.raises(ApplicationRefused), translation.override("en"):
        screen_application(actor=desk.caseworker, application=application)

    assert Screening.objects.filter(application=application).count() == 1


def test_the_override_needs_a_reason_and_writes_nothing_without_one(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    screening = Screening.objects.get(application=application)

    with pytest.raises(ValidationError) as refused, translation.override("en"):
        override_screening(actor=desk.caseworker, screening=screening, outcome="fail", reason="  ")

    assert refused.value.message_dict == {"reason": ["Write why the outcome is overridden."]}
    screening.refresh_from_db()
    assert (screening.override_outcome, screening.effective_outcome) == ("", "pass")
    assert _events("casework.screening.overridden") == []


def test_the_override_sets_the_outcome_and_is_audited(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    screening = Screening.objects.get(application=application)

    override_screening(
        actor=desk.caseworker, screening=screening, outcome="fail", reason="Forkert afdeling."
    )

    screening.refresh_from_db()
    assert (
        screening.outcome,
        screening.effective_outcome,
        screening.override_reason,
        screening.overridden_by,
    ) == ("pass", "fail", "Forkert afdeling.", desk.caseworker)
    (event,) = _events("casework.screening.overridden")
    assert (event.actor, event.before, event.after) == (
        desk.caseworker,
        {"outcome": "pass", "override_reason": ""},
        {"outcome": "fail", "override_reason": "Forkert afdeling.", "application": application.pk},
    )


def test_only_the_latest_screening_can_be_overridden(desk: Desk) -> None:
    application = submit(make_applicant_in(desk.call))
    old = Screening.objects.get(application=application)
    screen_application(actor=desk.caseworker, application=application)

    with pytest.raises(ValidationError) as refused, translation.override("en"):
        override_screening(actor=desk.caseworker, screening=old, outcome="fail", reason="Nej.")

    assert refused.value.messages == [
        "The application has been screened again since. Reload the page."
    ]


def test_screening_rules_are_created_with_defaults_and_refuse_a_zero_cap(desk: Desk) -> None:
    rules = set_screening_rules(actor=None, call=desk.call)
    assert (rules.salary_cap_monthly_ore, rules.duplicate_similarity_percent) == (None, 90)
    assert len(_events("casework.screeningrules.created")) == 1

    with pytest.raises(ValidationError):
        set_screening_rules(actor=None, call=desk.call, salary_cap_monthly_ore=0)

    assert ScreeningRules.objects.get(call=desk.call).salary_cap_monthly_ore is None


def test_a_draft_is_never_screened(desk: Desk) -> None:
    applicant = make_applicant_in(desk.call)
    from pulje.applications.services import start_application

    draft = start_application(
        actor=applicant.user, call=desk.call, organisation=applicant.organisation
    )

    with pytest.raises(ApplicationRefused), translation.override("en"):
        screen_application(actor=desk.caseworker, application=draft)

    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT
    assert Screening.objects.count() == 0


def test_the_admin_saves_screening_rules_through_the_service(client: Client, desk: Desk) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = {
        "call": desk.call.pk,
        "require_eligible_applicant": "on",
        "require_partner": "on",
        "check_amount_band": "on",
        "check_budget_sum": "on",
        "salary_cap_monthly_ore": str(kr(34_000)),
        "excluded_cost_kinds": '["other"]',
        "check_period": "on",
        "duplicate_similarity_percent": "85",
    }

    response = client.post(reverse("admin:casework_screeningrules_add"), data)

    assert response.status_code == 302
    rules = ScreeningRules.objects.get(call=desk.call)
    assert (rules.salary_cap_monthly_ore, rules.excluded_cost_kinds) == (kr(34_000), ["other"])
    assert [e.action for e in AuditEvent.objects.filter(object_type="casework.screeningrules")] == [
        "casework.screeningrules.created",
        "casework.screeningrules.updated",
    ]


def test_a_call_open_to_associations_screens_an_associations_application_by_its_kinds(
    desk: Desk,
) -> None:
    # The default rules check who may apply against the call's own applicant kinds.
    update_call(actor=None, call=desk.call, applicant_kinds=["housing", "association"])
    applicant = make_applicant_in(desk.call)
    Organisation.objects.filter(pk=applicant.organisation.pk).update(
        kind=OrganisationKind.ASSOCIATION
    )
    applicant.organisation.refresh_from_db()

    application = submit(applicant)

    screening = Screening.objects.get(application=application)
    assert (screening.outcome, screening.reasons) == ("pass", [])
    assert screening_rules(application).terms.applicant_kinds == ("housing", "association")


def test_a_housing_organisation_fails_screening_on_a_call_no_longer_open_to_it(
    desk: Desk,
) -> None:
    applicant = make_applicant_in(desk.call)
    application = submit(applicant, title="Første")
    update_call(actor=None, call=desk.call, applicant_kinds=["association"])

    (screening,) = screen_applications(actor=desk.caseworker, applications=[application])

    assert _messages(screening) == [
        (
            "fail",
            "The applicant is registered as “housing organisation”, a kind of organisation the "
            "call is not open to (it is open to: association).",
        )
    ]


def test_screenings_made_before_the_calls_kinds_counted_say_housing_was_checked(
    desk: Desk,
) -> None:
    applicant = make_applicant_in(desk.call)
    application = submit(applicant)
    old = [
        {"code": "applicant_kind", "severity": "fail", "params": {"organisation_kind": "library"}},
        {"code": "budget_empty", "severity": "fail", "params": {}},
    ]
    Screening.objects.filter(application=application).update(outcome="fail", reasons=old)
    migration = importlib.import_module(
        "pulje.casework.migrations.0003_applicant_kinds_of_the_call"
    )

    migration.name_the_kinds_checked(django_apps, None)

    screening = Screening.objects.get(application=application)
    assert screening.reasons == [
        {
            "code": "applicant_kind",
            "severity": "fail",
            "params": {"applicant_kinds": ["housing"], "organisation_kind": "library"},
        },
        {"code": "budget_empty", "severity": "fail", "params": {}},
    ]
    assert _messages(screening)[0] == (
        "fail",
        "The applicant is registered as “library”, a kind of organisation the call is not open "
        "to (it is open to: housing organisation).",
    )
