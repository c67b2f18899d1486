"""Who may open an application's files: its applicant (any of its files), the call's
caseworkers and the application's assessors without a conflict of interest (the files its
latest submitted version lists); nobody else."""

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pulje.applications.models import Application, Attachment
from pulje.applications.services import (
    add_attachment,
    fingerprint,
    remove_attachment,
    start_application,
    submit_application,
)
from pulje.assessment.models import Assignment
from pulje.assessment.services import assign_assessor, declare_interest
from tests.factories import UserFactory
from tests.factories.applications import PDF, Applicant, complete_draft, make_applicant
from tests.factories.assessment import Panel, assigned, make_panel

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def _private_media(private_media: Path) -> None:
    """The files are stored in the test's own directory (tests/conftest.py)."""


@pytest.fixture
def panel() -> Panel:
    return make_panel()


@pytest.fixture
def applicant(panel: Panel) -> Applicant:
    return make_applicant(panel.call)


@pytest.fixture
def application(applicant: Applicant) -> Application:
    """Submitted with one file, "aftale.pdf"."""
    application = start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])
    attach(applicant, application, "aftale.pdf")
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    application.refresh_from_db()
    return application


def attach(applicant: Applicant, application: Application, name: str) -> Attachment:
    return add_attachment(
        actor=applicant.user, application=application, upload=SimpleUploadedFile(name, PDF)
    )


def the_file(application: Application) -> Attachment:
    return application.attachments.get()


def download(client: Client, route: str, application: Application, attachment: Attachment) -> Any:
    """The test client's response (a streaming one when the file is served)."""
    return client.get(reverse(route, kwargs={"uuid": application.uuid, "pk": attachment.pk}))


def assert_downloaded(response: Any, name: str) -> None:
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_the_caseworker_opens_the_file_from_the_application_page(
    client: Client, panel: Panel, application: Application
) -> None:
    client.force_login(panel.caseworker)
    attachment = the_file(application)
    page = client.get(reverse("desk:application", kwargs={"uuid": application.uuid}))
    link = reverse("desk:attachment", kwargs={"uuid": application.uuid, "pk": attachment.pk})
    assert f'href="{link}"' in page.content.decode()
    assert_downloaded(download(client, "desk:attachment", application, attachment), "aftale.pdf")


def test_the_funder_reads_the_case_without_downloading_the_files(
    client: Client, panel: Panel, application: Application
) -> None:
    client.force_login(panel.funder)
    attachment = the_file(application)
    page = client.get(reverse("desk:application", kwargs={"uuid": application.uuid}))
    assert page.status_code == 200
    assert "/bilag/" not in page.content.decode()
    assert download(client, "desk:attachment", application, attachment).status_code == 404


def test_the_assessor_opens_the_file_from_the_assessment_page(
    client: Client, panel: Panel, application: Application
) -> None:
    assigned(panel, application, panel.alice)
    client.force_login(panel.alice)
    attachment = the_file(application)
    page = client.get(reverse("assessment:score", kwargs={"uuid": application.uuid}))
    link = reverse("assessment:attachment", kwargs={"uuid": application.uuid, "pk": attachment.pk})
    assert f'href="{link}"' in page.content.decode()
    assert_downloaded(
        download(client, "assessment:attachment", application, attachment), "aftale.pdf"
    )


def test_an_assessor_must_declare_before_opening_a_file(
    client: Client, panel: Panel, application: Application
) -> None:
    assign_assessor(actor=panel.caseworker, applications=[application], assessor=panel.alice)
    client.force_login(panel.alice)
    response = download(client, "assessment:attachment", application, the_file(application))
    assert response.status_code == 403
    assert "Declare first whether you have a conflict of interest" in response.content.decode()


def test_an_assessor_with_a_declared_conflict_cannot_open_the_file(
    client: Client, panel: Panel, application: Application
) -> None:
    assign_assessor(actor=panel.caseworker, applications=[application], assessor=panel.bob)
    declare_interest(
        actor=panel.bob,
        assignment=Assignment.objects.get(application=application, assessor=panel.bob),
        conflict=True,
    )
    client.force_login(panel.bob)
    assert (
        download(client, "assessment:attachment", application, the_file(application)).status_code
        == 404
    )


def test_an_assessor_of_another_application_cannot_open_the_file(
    client: Client, panel: Panel, application: Application, applicant: Applicant
) -> None:
    other = make_applicant(panel.call, name="Et andet boligselskab")
    theirs = start_application(actor=other.user, call=panel.call, organisation=other.organisation)
    theirs.draft = complete_draft(other)
    theirs.save(update_fields=["draft"])
    submit_application(actor=other.user, application=theirs, confirmed=fingerprint(theirs))
    assigned(panel, theirs, panel.alice)
    client.force_login(panel.alice)
    assert (
        download(client, "assessment:attachment", application, the_file(application)).status_code
        == 404
    )


@pytest.mark.parametrize("route", ["desk:attachment", "assessment:attachment"])
def test_a_stranger_cannot_open_the_file(
    client: Client, application: Application, route: str
) -> None:
    client.force_login(UserFactory())
    assert download(client, route, application, the_file(application)).status_code == 404


def test_the_applicant_opens_the_file_from_the_receipt(
    client: Client, applicant: Applicant, application: Application
) -> None:
    client.force_login(applicant.user)
    attachment = the_file(application)
    page = client.get(reverse("applications:receipt", kwargs={"uuid": application.uuid}))
    link = reverse(
        "applications:attachment", kwargs={"uuid": application.uuid, "pk": attachment.pk}
    )
    assert f'href="{link}"' in page.content.decode()
    assert_downloaded(
        download(client, "applications:attachment", application, attachment), "aftale.pdf"
    )


def test_staff_see_the_files_of_the_latest_version_only(
    client: Client, panel: Panel, applicant: Applicant, application: Application
) -> None:
    """A file attached after submission is not the secretariat's until it is submitted; one
    removed since stays readable while the submitted version lists it."""
    listed = the_file(application)
    remove_attachment(actor=applicant.user, attachment=listed)
    later = attach(applicant, application, "budget.pdf")
    client.force_login(panel.caseworker)
    assert download(client, "desk:attachment", application, later).status_code == 404
    assert_downloaded(download(client, "desk:attachment", application, listed), "aftale.pdf")
