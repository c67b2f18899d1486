"""The grantee's no thanks to a grant: the service, its refusals and the confirmation page."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from pulje.applications.models import Application, ApplicationStatus
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.services import (
    DecisionRefused,
    accept_grant,
    decide_applications,
    decline_grant,
    write,
)
from pulje.ledger.models import Entry, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from tests.factories import UserFactory
from tests.factories.decisions import Funded, available, screened
from tests.pages import page_text

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def _no_letters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: None)


def _grant(funded: Funded, amount_kr: int = 60_000) -> Decision:
    application = screened(funded.applicant, amount_kr)
    [decision] = decide_applications(
        actor=funded.caseworker, applications=[application], outcome="grant"
    )
    return decision


def _status(decision: Decision) -> str:
    return Application.objects.get(pk=decision.application_id).status


def _state() -> tuple[Any, ...]:
    return (
        list(Decision.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
        sorted(Application.objects.values_list("pk", "status")),
        list(PoolAccount.objects.order_by("pool_id").values()),
        Entry.objects.count(),
    )


def test_a_member_declines_and_the_money_goes_back_to_the_band(
    funded: Funded, django_capture_on_commit_callbacks: Capture
) -> None:
    decision = _grant(funded)
    band = funded.bands[1]
    before = available(band)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        declined = decline_grant(actor=funded.applicant.user, decision=decision)

    assert _status(decision) == ApplicationStatus.DECLINED
    assert available(band) == before + kr(60_000)
    assert declined.release is not None
    assert (
        declined.release.kind,
        declined.release.release_reason,
        declined.release.amount_ore,
        declined.release.key,
    ) == ("release", "cancelled", kr(60_000), f"decline-{decision.pk}")
    assert Decision.objects.get(pk=decision.pk).release_id == declined.release.pk
    event = AuditEvent.objects.get(action="applications.application.declined")
    assert (event.actor, event.before, event.after) == (
        funded.applicant.user,
        {"status": ApplicationStatus.GRANTED},
        {"status": ApplicationStatus.DECLINED, "decision": decision.pk, "released_ore": kr(60_000)},
    )
    assert find_ledger_discrepancies() == []
    [message] = mail.outbox
    assert funded.caseworker.email in message.to
    assert message.subject.startswith("Tilsagn afvist: ")
    assert "har sagt nej tak til tilskuddet" in message.body


def test_no_mail_when_the_decline_rolls_back(
    funded: Funded, django_capture_on_commit_callbacks: Capture
) -> None:
    decision = _grant(funded)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decline_grant(actor=funded.applicant.user, decision=decision)
    # The mail waits for the commit.
    assert (len(callbacks), mail.outbox) == (1, [])


def test_a_non_member_cannot_decline(funded: Funded) -> None:
    decision = _grant(funded)
    stranger = UserFactory()
    before = _state()

    with pytest.raises(DecisionRefused) as refused:
        decline_grant(actor=stranger, decision=decision)

    assert refused.value.code == "not_member"
    assert _state() == before


def test_an_accepted_grant_cannot_be_declined(funded: Funded) -> None:
    decision = _grant(funded)
    accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")
    before = _state()

    with pytest.raises(DecisionRefused) as refused:
        decline_grant(actor=funded.applicant.user, decision=decision)

    assert refused.value.code == "not_awaiting_acceptance"
    assert _state() == before


def test_a_declined_grant_cannot_be_accepted_or_declined_again(funded: Funded) -> None:
    decision = _grant(funded)
    decline_grant(actor=funded.applicant.user, decision=decision)
    before = _state()

    with pytest.raises(DecisionRefused) as again:
        decline_grant(actor=funded.applicant.user, decision=decision)
    with pytest.raises(DecisionRefused) as accepted:
        accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")

    assert (again.value.code, accepted.value.code) == (
        "not_awaiting_acceptance",
        "not_awaiting_acceptance",
    )
    assert _state() == before


def test_a_rejection_cannot_be_declined(funded: Funded) -> None:
    application = screened(funded.applicant, 60_000)
    [decision] = decide_applications(
        actor=funded.caseworker,
        applications=[application],
        outcome="reject",
        reason_code="budget",
    )
    before = _state()

    with pytest.raises(DecisionRefused) as refused:
        decline_grant(actor=funded.applicant.user, decision=decision)

    assert refused.value.code == "not_a_grant"
    assert _state() == before


# The pages


def _accept_url(decision: Decision) -> str:
    return reverse("decisions:accept", kwargs={"uuid": decision.application.uuid})


def _decline_url(decision: Decision) -> str:
    return reverse("decisions:decline", kwargs={"uuid": decision.application.uuid})


def test_the_accept_page_links_the_confirmation_which_says_what_will_happen(
    client: Client, funded: Funded
) -> None:
    decision = _grant(funded)
    client.force_login(funded.applicant.user)

    accept_page = client.get(_accept_url(decision))
    confirm_page = client.get(_decline_url(decision))

    assert f'href="{_decline_url(decision)}"' in accept_page.content.decode()
    assert "Sig nej tak til tilskuddet" in page_text(accept_page)
    assert confirm_page.status_code == 200
    text = page_text(confirm_page)
    assert "Tilsagnet om 60.000 kr. bliver annulleret, og intet bliver udbetalt." in text
    assert "Du kan ikke fortryde det." in text
    assert _status(decision) == ApplicationStatus.GRANTED


def test_declining_needs_the_box_ticked(client: Client, funded: Funded) -> None:
    decision = _grant(funded)
    client.force_login(funded.applicant.user)
    before = _state()

    response = client.post(_decline_url(decision), {})

    assert response.status_code == 400
    assert "Sæt kryds for at bekræfte, at du siger nej tak til tilskuddet." in page_text(response)
    assert _state() == before


def test_declining_with_the_box_ticked_declines_and_goes_back_to_the_decision(
    client: Client, funded: Funded
) -> None:
    decision = _grant(funded)
    client.force_login(funded.applicant.user)

    response = client.post(_decline_url(decision), {"confirm": "on"}, follow=True)

    assert response.redirect_chain == [(_accept_url(decision), 302)]
    assert _status(decision) == ApplicationStatus.DECLINED
    text = page_text(response)
    assert "Du har sagt nej tak til tilskuddet. Sekretariatet har fået besked." in text
    assert "Sig nej tak til tilskuddet" not in text


def test_the_confirmation_is_404_for_another_organisation(client: Client, funded: Funded) -> None:
    decision = _grant(funded)
    client.force_login(UserFactory())

    assert client.get(_decline_url(decision)).status_code == 404
    assert client.post(_decline_url(decision), {"confirm": "on"}).status_code == 404
    assert _status(decision) == ApplicationStatus.GRANTED


def test_an_accepted_grant_has_no_decline_and_its_confirmation_goes_back(
    client: Client, funded: Funded
) -> None:
    decision = _grant(funded)
    accept_grant(actor=funded.applicant.user, decision=decision, public_summary="Tekst.")
    client.force_login(funded.applicant.user)

    accept_page = client.get(_accept_url(decision))
    response = client.post(_decline_url(decision), {"confirm": "on"})

    assert _decline_url(decision) not in accept_page.content.decode()
    assert (response.status_code, response["Location"]) == (302, _accept_url(decision))
    assert _status(decision) == ApplicationStatus.ACCEPTED
