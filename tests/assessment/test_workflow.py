"""The assignment's table on the workflow kit, as the assessor's list asks it: each assignment
links to the one step the table allows next."""

from django.conf import settings
from django.test import Client
from django.urls import reverse

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.assessment.models import Assignment, AssignmentState
from pulje.assessment.services import declare_interest
from tests.factories.assessment import Panel, assigned


def my_assignments(user: User) -> str:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(reverse("assessment:mine")).content.decode()


def test_my_assignments_link_to_the_step_the_table_allows(
    panel: Panel, screened: Application
) -> None:
    assignment = assigned(panel, screened, panel.alice, declare=False)
    declare = reverse("assessment:declare", args=[screened.uuid])
    mine = my_assignments(panel.alice)
    assert (declare in mine, "Score the application" in mine) == (True, False)

    declare_interest(actor=panel.alice, assignment=assignment, conflict=False)
    mine = my_assignments(panel.alice)
    assert (declare in mine, "Score the application" in mine) == (False, True)

    Assignment.objects.filter(pk=assignment.pk).update(state=AssignmentState.SUBMITTED)
    mine = my_assignments(panel.alice)
    assert ("Score the application" in mine, "See your scores" in mine) == (False, True)
