import ast
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from pulje.applications.selectors import APPLICANT_TIMELINE
from pulje.applications.workflow import EVENTS
from pulje.core.audit import (
    action_label,
    create_recorded,
    event_hash,
    events_for,
    find_chain_problems,
    record_event,
    snapshot,
)
from pulje.core.audit_actions import AdminVerb, AuditAction
from pulje.core.models import AppendOnlyError, AuditEvent, AuditHead
from pulje.ledger.balances import Kind
from pulje.registry.models import Organisation
from tests.factories import OrganisationFactory, UserFactory
from tests.tampering import tamper

pytestmark = [pytest.mark.django_db]


def _three_events() -> list[AuditEvent]:
    OrganisationFactory.create_batch(3)
    return list(AuditEvent.objects.order_by("seq"))


def test_events_form_a_gap_free_chain() -> None:
    events = _three_events()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == "0" * 64
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (3, events[-1].hash)
    assert list(find_chain_problems()) == []


def test_an_event_records_actor_object_and_state() -> None:
    actor = UserFactory()
    organisation = OrganisationFactory(name="Boligselskabet Test")
    event = record_event(
        actor=actor,
        action=AuditAction.REGISTRY_ORGANISATION_UPDATED,
        obj=organisation,
        before={"name": "Old"},
        after=snapshot(organisation, ["name", "municipality"]),
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.object_type, stored.object_id) == (
        actor,
        "registry.organisation",
        str(organisation.pk),
    )
    assert (stored.before, stored.after) == (
        {"name": "Old"},
        {"name": "Boligselskabet Test", "municipality": None},
    )


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction() -> None:
    organisation = OrganisationFactory()
    events = AuditEvent.objects.count()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_event(actor=None, action=AuditAction.REGISTRY_ORGANISATION_UPDATED, obj=organisation)
    assert AuditEvent.objects.count() == events


def test_events_cannot_be_changed_through_the_orm() -> None:
    event = _three_events()[0]
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()


def test_verify_audit_passes_on_an_intact_chain(capsys: pytest.CaptureFixture[str]) -> None:
    events = _three_events()
    call_command("verify_audit")
    assert capsys.readouterr().out == (
        f"The audit trail of 3 events is intact.\nHead: {events[-1].hash}\n"
    )


def test_verify_audit_detects_an_edited_event(capsys: pytest.CaptureFixture[str]) -> None:
    events = _three_events()
    forged = json.dumps({"name": "Forged"})
    tamper("UPDATE core_auditevent SET after = %s WHERE seq = 2", [forged])
    with pytest.raises(CommandError, match=r"1 problem\(s\)"):
        call_command("verify_audit")
    assert capsys.readouterr().err == (
        "audit event 2: its content does not match its hash (edited?)\n"
    )
    assert events  # the other events are untouched and not reported


def test_verify_audit_detects_an_edited_event_whose_hash_was_recomputed() -> None:
    """Rewriting one event's hash to match its new content breaks the link of the next."""
    _three_events()
    event = AuditEvent.objects.get(seq=2)
    new_hash = event_hash(
        prev_hash=event.prev_hash,
        seq=2,
        occurred_at=event.occurred_at,
        actor_id=None,
        action="forged",
        object_type=event.object_type,
        object_id=event.object_id,
        before=event.before,
        after=event.after,
    )
    tamper(
        "UPDATE core_auditevent SET action = 'forged', hash = %s WHERE seq = 2",
        [new_hash],
    )
    problems = list(find_chain_problems())
    assert [(p.seq, p.message) for p in problems] == [(3, "does not link to the event before it")]


def test_verify_audit_detects_a_deleted_event(capsys: pytest.CaptureFixture[str]) -> None:
    _three_events()
    tamper("DELETE FROM core_auditevent WHERE seq = 2")
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert capsys.readouterr().err == (
        "audit event 2: events 2–2 are missing (deleted?)\n"
        "audit event 3: does not link to the event before it\n"
    )


def test_verify_audit_detects_deleted_events_at_the_end() -> None:
    _three_events()
    tamper("DELETE FROM core_auditevent WHERE seq = 3")
    assert [(p.seq, p.message) for p in find_chain_problems()] == [
        (
            3,
            "the chain ends at event 2 but its head records event 3 (events at the end deleted?)",
        )
    ]


def test_json_round_trip_keeps_the_hash_stable() -> None:
    """Dates, Danish letters and big øre amounts hash the same after a trip through the DB."""
    organisation = OrganisationFactory(name="Æblegården Ø")
    record_event(
        actor=None,
        action=AuditAction.REGISTRY_ORGANISATION_UPDATED,
        obj=organisation,
        after={"when": dt.date(2021, 2, 5), "amount_ore": 10**15, "text": "Ærø – “ø”"},
    )
    assert list(find_chain_problems()) == []


@pytest.mark.parametrize(
    ("action", "label"),
    [
        ("funds.pool.created", "Oprettet"),
        ("registry.organisation.updated", "Ændret"),
        ("ledger.commitment.reversal", "Tilbageført"),
        ("admin.registry.organisation.changed", "Ændret i administrationen"),
        ("admin.accounts.user.password_changed", "Adgangskode ændret i administrationen"),
        ("ledger.appropriation", "Bevilling"),
        ("letters.job.queued", "Breve sat i kø"),
        (
            "applications.application.grant_proposed",
            "Tilsagn foreslået, afventer anden godkendelse",
        ),
        ("something.unknown", "something.unknown"),
    ],
)
def test_action_labels_are_danish(action: str, label: str) -> None:
    with translation.override("da"):
        assert action_label(action) == label


def test_record_event_refuses_an_action_without_a_label() -> None:
    organisation = OrganisationFactory()
    events = AuditEvent.objects.count()
    with pytest.raises(ValueError, match="is not an AuditAction"):
        record_event(actor=None, action="registry.organisation.renamed", obj=organisation)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("action", [*AuditAction, *(f"admin.x.y.{verb}" for verb in AdminVerb)])
def test_every_action_has_a_danish_label(action: str) -> None:
    with translation.override("en"):
        english = action_label(action)
    with translation.override("da"):
        danish = action_label(action)
    assert english != action
    assert danish != english


def test_every_event_of_the_application_workflow_is_an_action() -> None:
    assert all(isinstance(event, AuditAction) for event in EVENTS.values())


def test_every_ledger_entry_and_its_reversal_is_an_action() -> None:
    for kind in Kind:
        assert AuditAction(f"ledger.{kind}").label
        assert AuditAction(f"ledger.{kind}.reversal").label


def test_no_event_name_is_written_as_a_string_in_src() -> None:
    """Event names come from ``AuditAction``: an ``action="app.model.verb"`` literal is a
    copy the enum does not know of."""
    source = Path(__file__).resolve().parents[2] / "src" / "pulje"
    literals = [
        f"{path.relative_to(source)}:{node.lineno}"
        for path in sorted(source.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.keyword)
        and node.arg == "action"
        and isinstance(node.value, ast.Constant | ast.JoinedStr)
        and "." in ast.unparse(node.value)
    ]
    assert literals == []


def test_the_applicant_timeline_shows_the_applications_own_steps() -> None:
    assert {
        "applications.application.created",
        "applications.application.submitted",
        "applications.application.screened",
        "applications.application.assessment_started",
        "applications.application.granted",
        "applications.application.rejected",
        "applications.application.accepted",
        "applications.application.lapsed",
        "applications.application.declined",
        # A decision undone before its letter was sent: the timeline shows both steps.
        "applications.application.decision_undone",
        "applications.application.withdrawn",
    } == APPLICANT_TIMELINE


def _refuse(organisation: Organisation) -> None:
    raise ValidationError({"name": "Nej."})


def test_create_recorded_saves_and_records_the_new_row() -> None:
    actor = UserFactory()
    organisation = create_recorded(
        actor=actor,
        instance=Organisation(cvr="12345674", name="Boligselskabet Nord"),
        recorded=("cvr", "name"),
        action=AuditAction.REGISTRY_ORGANISATION_REGISTERED,
        validate=lambda _organisation: None,
    )
    [event] = events_for(organisation)
    assert (event.actor, event.action, event.before, event.after) == (
        actor,
        "registry.organisation.registered",
        None,
        {"cvr": "12345674", "name": "Boligselskabet Nord"},
    )


def test_create_recorded_writes_nothing_when_validation_refuses() -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        create_recorded(
            actor=None,
            instance=Organisation(cvr="12345674", name="Boligselskabet Nord"),
            recorded=("cvr", "name"),
            action=AuditAction.REGISTRY_ORGANISATION_REGISTERED,
            validate=_refuse,
        )
    assert (Organisation.objects.count(), AuditEvent.objects.count()) == (0, events)
