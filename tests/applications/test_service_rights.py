"""The applicant's services check their actor themselves: a draft, its files and the
organisation's departments are for the people who act for the organisation (a request not yet
proven included), whatever page or command called."""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from pulje.applications.models import Application, Attachment
from pulje.applications.services import (
    add_attachment,
    remove_attachment,
    save_draft,
    start_application,
)
from pulje.applications.workflow import ApplicationRefused
from pulje.casework.services import ScreeningRulesRefused, set_screening_rules
from pulje.core.models import AuditEvent
from pulje.registry.models import HousingDepartment, Municipality
from pulje.registry.services.organisations import add_own_department
from tests.factories import UserFactory
from tests.factories.applications import PDF, Applicant

pytestmark = pytest.mark.django_db


def test_only_the_organisations_people_start_save_attach_and_remove(
    applicant: Applicant, draft: Application
) -> None:
    attachment = add_attachment(
        actor=applicant.user,
        application=draft,
        upload=SimpleUploadedFile("aftale.pdf", PDF, content_type="application/pdf"),
    )
    outsider = UserFactory()
    events = AuditEvent.objects.count()
    attempts: list[Callable[[], object]] = [
        lambda: start_application(
            actor=outsider, call=applicant.call, organisation=applicant.organisation
        ),
        lambda: save_draft(actor=outsider, application=draft, values={"title": ["Mit"]}),
        lambda: add_attachment(
            actor=outsider,
            application=draft,
            upload=SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf"),
        ),
        lambda: remove_attachment(actor=outsider, attachment=attachment),
    ]

    for attempt in attempts:
        with translation.override("en"), pytest.raises(ApplicationRefused) as refused:
            attempt()
        assert refused.value.code == "not_member"
        assert refused.value.message == (
            "Only the people who act for Boligselskabet Test work on its applications."
        )

    draft.refresh_from_db()
    assert draft.draft["title"] == ["Spisefællesskab i Gellerup"]
    assert Attachment.objects.filter(removed_at__isnull=True).count() == 1
    assert Application.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_only_the_organisations_people_add_a_department(applicant: Applicant) -> None:
    municipality = Municipality.objects.get(code="101")

    with pytest.raises(PermissionDenied):
        add_own_department(
            actor=UserFactory(),
            organisation=applicant.organisation,
            number="99",
            name="Fremmed",
            municipality=municipality,
            homes=10,
        )
    add_own_department(
        actor=applicant.user,
        organisation=applicant.organisation,
        number="99",
        name="Egen",
        municipality=municipality,
        homes=10,
    )

    assert list(HousingDepartment.objects.filter(number="99").values_list("name", flat=True)) == [
        "Egen"
    ]


def test_only_the_calls_secretariat_sets_its_screening_rules(applicant: Applicant) -> None:
    with pytest.raises(ScreeningRulesRefused) as refused:
        set_screening_rules(actor=applicant.user, call=applicant.call, salary_cap_monthly_ore=1)
    assert refused.value.code == "not_secretariat"
