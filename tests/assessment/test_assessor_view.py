"""An assessor sees what they judge (the project, budget, partners, attachments) and not the
organisation's payment account or its contacts' e-mail addresses and phone numbers, which the
secretariat still sees."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.services import (
    add_attachment,
    fingerprint,
    start_application,
    submit_application,
)
from pulje.applications.workflow import transition
from pulje.registry.services.organisations import update_organisation
from tests.factories.applications import PDF, complete_draft, make_applicant
from tests.factories.assessment import Panel, assigned

pytestmark = pytest.mark.django_db

IBAN = "DK5000400440116243"
PRIVATE = [IBAN, "DK50 0040 0440 1162 43", "12345678", "87654321", "ole@boligtest.dk"]
JUDGED = [
    "Spisefællesskab i Gellerup",
    "Fælles spisning hver torsdag for beboere, der sidder alene.",
    "Madlavning og spisning hver torsdag i beboerhuset.",
    "Gellerup Kulturforening",
    "45.000 kr.",
    "15.000 kr.",
    "60.000 kr.",
    "budget.pdf",
    "Mette Hansen",
    "Ole Jensen",
]


def _submitted_with_a_file(panel: Panel) -> Application:
    applicant = make_applicant(panel.call)
    update_organisation(actor=None, organisation=applicant.organisation, finance_phone="87654321")
    application = start_application(
        actor=applicant.user, call=panel.call, organisation=applicant.organisation
    )
    application.draft = complete_draft(applicant)
    application.save(update_fields=["draft"])
    add_attachment(
        actor=applicant.user,
        application=application,
        upload=SimpleUploadedFile("budget.pdf", PDF),
    )
    submit_application(
        actor=applicant.user, application=application, confirmed=fingerprint(application)
    )
    application.refresh_from_db()
    if application.status == "submitted":
        with transaction.atomic():
            transition(actor=None, application=application, action="screen")
    return application


def _page(user: User, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_assessor_sees_the_project_but_not_the_account_or_the_contacts_addresses(
    panel: Panel,
) -> None:
    application = _submitted_with_a_file(panel)
    assigned(panel, application, panel.alice)
    contact_email = application.organisation.contact_email

    text = _page(panel.alice, reverse("assessment:score", args=[application.uuid]))

    assert [judged for judged in JUDGED if judged not in text] == []
    assert [private for private in [*PRIVATE, contact_email] if private in text] == []
    assert "Betalingskonto" not in text


def test_the_caseworker_still_sees_the_account_and_the_contacts(panel: Panel) -> None:
    application = _submitted_with_a_file(panel)
    contact_email = application.organisation.contact_email

    text = _page(panel.caseworker, reverse("desk:application", args=[application.uuid]))

    assert [judged for judged in JUDGED if judged not in text] == []
    missing = [
        private
        for private in [
            "DK50 0040 0440 1162 43",
            "12345678",
            "87654321",
            "ole@boligtest.dk",
            contact_email,
        ]
        if private not in text
    ]
    assert missing == []
