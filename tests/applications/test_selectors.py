import pytest
from django.db import transaction

from pulje.applications.models import Application
from pulje.applications.selectors import (
    applicant_timeline,
    draft_to_resume,
    next_step,
    organisations_that_may_apply,
)
from pulje.applications.services import fingerprint, submit_application
from pulje.applications.workflow import transition
from pulje.calls.models import Call
from pulje.registry.models import OrganisationKind
from pulje.registry.services.memberships import add_membership
from tests.factories import OrganisationFactory
from tests.factories.applications import Applicant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.mark.parametrize(
    ("status", "text", "urgent"),
    [
        ("in_assessment", "Nothing for now: the application is being assessed.", False),
        ("recommended", "Nothing for now: the application is being assessed.", False),
        ("not_recommended", "Nothing for now: the application is being assessed.", False),
        ("granted", "Read the decision and accept the grant before the date it gives.", True),
        ("rejected", "Nothing: the application was rejected. See the letter.", False),
        ("accepted", "Nothing for now: you have accepted the grant.", False),
        ("lapsed", "Nothing: the grant lapsed, as it was not accepted in time.", False),
        ("withdrawn", "Nothing: the application was withdrawn.", False),
    ],
)
def test_the_next_step_after_submission(
    draft: Application, status: str, text: str, urgent: bool
) -> None:
    draft.status = status
    step = next_step(draft)
    assert (step.text, step.urgent) == (text, urgent)


def test_the_applicants_timeline_leaves_out_the_secretariats_own_steps(
    draft: Application, applicant: Applicant
) -> None:
    submit_application(actor=applicant.user, application=draft, confirmed=fingerprint(draft))
    draft.refresh_from_db()
    with transaction.atomic():
        transition(actor=None, application=draft, action="start_assessment")
        transition(actor=None, application=draft, action="recommend")
    assert [event.action for event in applicant_timeline(draft)] == [
        "applications.application.created",
        "applications.application.submitted",
        "applications.application.screened",
        "applications.application.assessment_started",
    ]


def test_the_organisations_that_may_apply_are_those_of_the_calls_kinds(
    call: Call, applicant: Applicant
) -> None:
    library = OrganisationFactory(kind=OrganisationKind.LIBRARY, name="Biblioteket")
    add_membership(actor=None, user=applicant.user, organisation=library)
    assert organisations_that_may_apply(applicant.user, call) == [applicant.organisation]
    call.applicant_kinds = [OrganisationKind.LIBRARY]
    assert organisations_that_may_apply(applicant.user, call) == [library]


def test_the_draft_to_resume_is_the_newest_of_the_chosen_organisations(
    draft: Application, applicant: Applicant
) -> None:
    other = OrganisationFactory(kind=OrganisationKind.HOUSING)
    assert draft_to_resume(applicant.user, draft.call, [applicant.organisation]) == draft
    assert draft_to_resume(applicant.user, draft.call, [other]) is None
