"""The workflow kit (core.workflow), on the application's machine: the table decides, the
compare-and-swap refuses a stale object, the audit event commits with the move and the mail
waits for the commit; and every machine's drawing in docs/ is its table."""

from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.template import Context, Template
from pytest_django import DjangoCaptureOnCommitCallbacks

from pulje.allocation.services import RUN
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.services import start_application
from pulje.applications.workflow import APPLICATION, ApplicationRefused
from pulje.assessment.services.common import ASSIGNMENT
from pulje.core.jobs import JOB
from pulje.core.models import AuditEvent
from pulje.core.workflow import Machine, allowed, machine_for
from pulje.fasttrack.services import ENTRY
from tests.factories.applications import Applicant, make_applicant, make_call

pytestmark = pytest.mark.django_db
S = ApplicationStatus


@pytest.fixture
def applicant() -> Applicant:
    return make_applicant(make_call())


@pytest.fixture
def draft(applicant: Applicant) -> Application:
    return start_application(
        actor=applicant.user, call=applicant.call, organisation=applicant.organisation
    )


def test_a_move_writes_the_new_state_its_changes_and_its_event(
    draft: Application, applicant: Applicant
) -> None:
    with transaction.atomic():
        new = APPLICATION.move(
            actor=applicant.user,
            obj=draft,
            action="withdraw",
            changes={"withdrawn_at": None},
            recorded={"why": "test"},
        )
    assert (new, draft.status) == (S.WITHDRAWN, S.WITHDRAWN)
    assert Application.objects.get(pk=draft.pk).status == S.WITHDRAWN
    event = AuditEvent.objects.get(action="applications.application.withdrawn")
    assert (event.actor, event.before, event.after) == (
        applicant.user,
        {"status": S.DRAFT},
        {"status": S.WITHDRAWN, "withdrawn_at": None, "why": "test"},
    )


def test_a_move_the_table_does_not_have_is_refused_and_writes_nothing(
    draft: Application, applicant: Applicant
) -> None:
    with pytest.raises(ApplicationRefused) as refused, transaction.atomic():
        APPLICATION.move(actor=applicant.user, obj=draft, action="grant")
    assert refused.value.code == "transition"
    assert refused.value.message == "En ansøgning med status “kladde” kan ikke ændres på den måde."
    assert Application.objects.get(pk=draft.pk).status == S.DRAFT
    assert not AuditEvent.objects.filter(action="applications.application.granted").exists()


def test_a_stale_object_cannot_move(draft: Application, applicant: Applicant) -> None:
    stale = Application.objects.get(pk=draft.pk)
    with transaction.atomic():
        APPLICATION.move(actor=applicant.user, obj=draft, action="withdraw")
    # The stale copy still reads "draft", so the table allows the move; the row does not.
    assert APPLICATION.allowed(stale, "withdraw")
    with pytest.raises(ApplicationRefused) as refused, transaction.atomic():
        APPLICATION.move(actor=applicant.user, obj=stale, action="withdraw")
    assert refused.value.code == "conflict"
    assert stale.status == S.DRAFT
    assert AuditEvent.objects.filter(action="applications.application.withdrawn").count() == 1


def test_notify_runs_after_the_commit_and_not_after_a_rollback(
    draft: Application,
    applicant: Applicant,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    sent: list[str] = []

    def withdraw_then_fail() -> None:
        with transaction.atomic():
            APPLICATION.move(
                actor=applicant.user, obj=draft, action="withdraw", notify=lambda: sent.append("no")
            )
            raise RuntimeError("rolled back")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        withdraw_then_fail()
    assert sent == []
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        APPLICATION.move(
            actor=applicant.user, obj=draft, action="withdraw", notify=lambda: sent.append("yes")
        )
        assert sent == []
    assert sent == ["yes"]


def test_allowed_and_the_template_filter_ask_the_table(draft: Application) -> None:
    assert machine_for(draft) is APPLICATION
    assert (allowed(draft, "withdraw"), allowed(draft, "accept")) == (True, False)
    template = Template('{% if a|may:"withdraw" %}W{% endif %}{% if a|may:"accept" %}A{% endif %}')
    assert template.render(Context({"a": draft})) == "W"
    draft.status = S.GRANTED
    assert template.render(Context({"a": draft})) == "A"


@pytest.mark.parametrize(
    ("doc", "machine"),
    [
        ("applications.md", APPLICATION),
        ("assessment.md", ASSIGNMENT),
        ("workflows.md", JOB),
        ("workflows.md", RUN),
        ("fasttrack.md", ENTRY),
    ],
)
def test_the_diagrams_in_the_docs_are_the_tables(doc: str, machine: Machine[Any]) -> None:
    text = (settings.PROJECT_DIR / "docs" / doc).read_text()
    assert f"```mermaid\n{machine.mermaid()}```" in text
