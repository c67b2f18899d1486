"""Four eyes (issue 11): a grant above its pool's second-approval amount is proposed by one
caseworker and final only when a second one, not the first and without a conflict of
interest, approves it; no money, mail or letter before that, and the proposed amount is held
back so two proposals cannot promise the same money."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from pulje.accounts.models import User
from pulje.allocation.problems import AllocationOptions
from pulje.allocation.services import confirm_allocation, run_allocation
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.selectors import applicant_timeline
from pulje.applications.services import withdraw_application
from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.decisions.models import Decision, GrantProposal, Outcome, ProposalOutcome
from pulje.decisions.services import (
    DecisionRefused,
    approve_grant_proposals,
    decide_applications,
    return_grant_proposal,
    write,
)
from pulje.funds.selectors import second_approval_threshold
from pulje.funds.services import update_pool
from pulje.ledger.models import Entry, PoolAccount
from pulje.ledger.services import commit
from pulje.registry.services.memberships import add_membership
from tests.factories import GrantAccountFactory, UserFactory
from tests.factories.allocation import make_scarce
from tests.factories.decisions import Funded, available, screened

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


@pytest.fixture(autouse=True)
def queued_letters(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The letters app's queue, recorded: what it does is tested in tests/letters."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: calls.append(kw))
    return calls


@pytest.fixture
def four_eyes(funded: Funded) -> Funded:
    """BL's pool: grants above 100.000 kr. need a second caseworker."""
    update_pool(actor=None, pool=funded.pool, second_approval_above_ore=kr(100_000))
    return funded


@pytest.fixture
def second(four_eyes: Funded) -> User:
    return UserFactory(organisation=four_eyes.pool.administrator, name="Birgitte Anden")


def state() -> tuple[Any, ...]:
    return (
        sorted(Application.objects.values_list("pk", "status")),
        list(GrantProposal.objects.order_by("pk").values()),
        Decision.objects.count(),
        Entry.objects.count(),
        list(PoolAccount.objects.order_by("pool_id").values()),
        AuditEvent.objects.count(),
    )


def refusal(service: Callable[..., object], **arguments: object) -> str:
    before = state()
    with pytest.raises(DecisionRefused) as refused:
        service(**arguments)
    assert state() == before
    return refused.value.message


def propose(funded: Funded, amount_kr: int = 120_000, title: str = "") -> GrantProposal:
    application = screened(funded.applicant, amount_kr, title=title)
    decided = decide_applications(
        actor=funded.caseworker, applications=[application], outcome="grant"
    )
    assert list(decided) == []
    [proposal] = decided.proposals
    return proposal


def test_the_strictest_amount_up_the_tree_applies(four_eyes: Funded) -> None:
    _band_1, band_2, band_3 = four_eyes.bands
    assert second_approval_threshold(band_2) == kr(100_000)
    update_pool(actor=None, pool=band_3, second_approval_above_ore=kr(300_000))
    assert second_approval_threshold(band_3) == kr(100_000)
    update_pool(actor=None, pool=band_2, second_approval_above_ore=kr(80_000))
    assert second_approval_threshold(band_2) == kr(80_000)
    assert second_approval_threshold(four_eyes.pool.parent) is None  # type: ignore[arg-type]


def test_a_grant_above_the_amount_is_proposed_without_money_mail_or_letter(
    four_eyes: Funded,
    queued_letters: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Capture,
    english: Client,
) -> None:
    band_2 = four_eyes.bands[1]
    before = available(band_2)
    with django_capture_on_commit_callbacks(execute=True):
        proposal = propose(four_eyes)
    application = proposal.application
    application.refresh_from_db()
    assert application.status == ApplicationStatus.AWAITING_APPROVAL
    assert (proposal.amount_ore, proposal.band, proposal.proposed_by, proposal.outcome) == (
        kr(120_000),
        band_2,
        four_eyes.caseworker,
        ProposalOutcome.OPEN,
    )
    assert proposal.from_status == ApplicationStatus.SCREENED
    assert Decision.objects.count() == 0
    assert Entry.objects.filter(kind="commitment").count() == 0
    assert available(band_2) == before
    assert queued_letters == []
    event = AuditEvent.objects.get(action="applications.application.grant_proposed")
    assert event.after == {
        "status": ApplicationStatus.AWAITING_APPROVAL.value,
        "proposal": proposal.pk,
        "amount_ore": kr(120_000),
        "reason_text": "",
        "band": band_2.pk,
    }
    # The applicant's timeline does not show a proposal.
    assert "applications.application.grant_proposed" not in [
        e.action for e in applicant_timeline(application)
    ]


def test_a_grant_at_or_below_the_amount_is_decided_at_once(four_eyes: Funded) -> None:
    application = screened(four_eyes.applicant, 100_000)
    decided = decide_applications(
        actor=four_eyes.caseworker, applications=[application], outcome="grant"
    )
    assert ([d.amount_ore for d in decided], decided.proposals) == ([kr(100_000)], [])


def test_the_proposer_cannot_approve_their_own_grant(
    four_eyes: Funded, second: User, english: Client
) -> None:
    proposal = propose(four_eyes)
    assert refusal(approve_grant_proposals, actor=four_eyes.caseworker, proposals=[proposal]) == (
        f"You proposed {proposal.application.reference} yourself: a second caseworker must "
        "approve it. Caseworkers who can: Birgitte Anden."
    )


def test_the_database_refuses_an_approval_by_the_proposer(four_eyes: Funded) -> None:
    proposal = propose(four_eyes)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantProposal.objects.filter(pk=proposal.pk).update(
            outcome=ProposalOutcome.APPROVED,
            resolved_by=proposal.proposed_by,
            resolved_at=timezone.now(),
        )


def test_a_conflicted_second_caseworker_cannot_approve(
    four_eyes: Funded, second: User, english: Client
) -> None:
    proposal = propose(four_eyes)
    organisation = proposal.application.organisation
    member = UserFactory(organisation=organisation, name="Mette Medlem")
    add_membership(actor=None, user=member, organisation=four_eyes.pool.administrator)
    assert refusal(approve_grant_proposals, actor=member, proposals=[proposal]) == (
        "You have a conflict of interest and cannot approve these grants: "
        f"{proposal.application.reference}: you are a member of {organisation.name}, the "
        "applicant. Caseworkers who can: Birgitte Anden."
    )
    # Nor someone who does not work the call.
    assert refusal(
        approve_grant_proposals, actor=four_eyes.funder, proposals=[proposal]
    ).startswith("You cannot decide applications to")


def test_the_second_caseworker_approves_and_the_grant_is_final(
    four_eyes: Funded,
    second: User,
    queued_letters: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    proposal = propose(four_eyes)
    band_2 = four_eyes.bands[1]
    before = available(band_2)
    with django_capture_on_commit_callbacks(execute=True):
        [decision] = approve_grant_proposals(actor=second, proposals=[proposal])
    decision.refresh_from_db()
    proposal.refresh_from_db()
    application = decision.application
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED
    assert (decision.outcome, decision.amount_ore, decision.band, decision.proposal) == (
        Outcome.GRANT,
        kr(120_000),
        band_2,
        proposal,
    )
    # The first caseworker's decision (they sign the letter), made final by the second.
    assert (decision.decided_by, proposal.resolved_by, proposal.outcome) == (
        four_eyes.caseworker,
        second,
        ProposalOutcome.APPROVED,
    )
    assert available(band_2) == before - kr(120_000)
    assert decision.commitment is not None
    assert queued_letters == [{"actor": second, "decision_ids": [decision.pk]}]
    event = AuditEvent.objects.get(action="applications.application.granted")
    assert event.after is not None
    assert (event.actor, event.after["proposal"], event.after["proposed_by"]) == (
        second,
        proposal.pk,
        four_eyes.caseworker.pk,
    )
    assert "applications.application.granted" in [e.action for e in applicant_timeline(application)]
    # Once only.
    with translation.override("en"):
        assert refusal(approve_grant_proposals, actor=second, proposals=[proposal]) == (
            f"{application.reference} is not awaiting a second approval: it is “granted”."
        )


def test_a_returned_grant_goes_back_to_be_decided_again(
    four_eyes: Funded, second: User, english: Client
) -> None:
    proposal = propose(four_eyes)
    assert refusal(return_grant_proposal, actor=second, proposal=proposal, reason=" ") == (
        "Write why the grant is returned."
    )
    return_grant_proposal(actor=second, proposal=proposal, reason="Budgettet er for højt")
    proposal.refresh_from_db()
    application = proposal.application
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SCREENED
    assert (proposal.outcome, proposal.resolved_by, proposal.return_reason) == (
        ProposalOutcome.RETURNED,
        second,
        "Budgettet er for højt",
    )
    assert Decision.objects.count() == 0
    # Decided again: a reduced grant below the amount is final at once.
    [decision] = decide_applications(
        actor=four_eyes.caseworker,
        applications=[application],
        outcome="grant",
        amounts={application.pk: kr(90_000)},
        reason_text="Mindre budget",
    )
    assert (decision.outcome, decision.amount_ore) == (Outcome.REDUCED, kr(90_000))


def test_proposals_hold_their_money_back_so_two_cannot_overspend(
    four_eyes: Funded, second: User, english: Client
) -> None:
    """Band 2 has 200.000 kr.: a first proposal of 120.000 kr. leaves 80.000 kr. for others;
    a second of 120.000 kr. is refused, as is a direct grant of 90.000 kr."""
    band_2 = four_eyes.bands[1]
    first = propose(four_eyes, title="Første")
    other = screened(four_eyes.applicant, 120_000, title="Anden")
    held = (
        f"“{band_2.name}” cannot pay for these grants: they come to 120.000 kr. and it has "
        "80.000 kr. available once 120.000 kr. for grants awaiting a second approval is held "
        "back, 40.000 kr. too little."
    )
    assert (
        refusal(
            decide_applications,
            actor=four_eyes.caseworker,
            applications=[other],
            outcome="grant",
        )
        == held
    )
    small = screened(four_eyes.applicant, 90_000, title="Tredje")
    assert "held back" in refusal(
        decide_applications, actor=four_eyes.caseworker, applications=[small], outcome="grant"
    )
    # Withdrawn by the applicant, the proposal holds nothing back.
    withdraw_application(actor=four_eyes.applicant.user, application=first.application)
    assert decide_applications(
        actor=four_eyes.caseworker, applications=[other], outcome="grant"
    ).proposals[0].amount_ore == kr(120_000)


def test_the_ledger_has_the_last_word_at_approval(
    four_eyes: Funded, second: User, english: Client
) -> None:
    """Money that left the band after the proposal (here a grant made outside pulje's
    decisions) makes the approval fail, naming the shortfall."""
    band_2 = four_eyes.bands[1]
    proposal = propose(four_eyes)
    grant = GrantAccountFactory(pool=band_2)
    commit(actor=None, grant=grant, amount_ore=kr(150_000))
    assert refusal(approve_grant_proposals, actor=second, proposals=[proposal]) == (
        f"“{band_2.name}” cannot pay for these grants: they come to 120.000 kr. and it has "
        "50.000 kr. available, 70.000 kr. too little."
    )


def test_a_bulk_grant_decides_the_small_and_proposes_the_large(four_eyes: Funded) -> None:
    small = screened(four_eyes.applicant, 60_000, title="Lille")
    large = screened(four_eyes.applicant, 150_000, title="Stor")
    decided = decide_applications(
        actor=four_eyes.caseworker, applications=[small, large], outcome="grant"
    )
    assert [d.application for d in decided] == [small]
    assert [p.application for p in decided.proposals] == [large]


def test_an_allocation_s_grants_above_the_amount_wait_for_a_second_person() -> None:
    scarce = make_scarce()
    band_2 = scarce.bands[1]
    update_pool(actor=None, pool=band_2, second_approval_above_ore=kr(50_000))
    run = run_allocation(actor=scarce.caseworker, call=scarce.call, options=AllocationOptions())
    decided = confirm_allocation(actor=scarce.caseworker, run=run)
    assert [p.application for p in decided.proposals] == [scarce.dining]
    assert sorted(d.application.reference for d in decided) == sorted(
        [scarce.homework.reference, scarce.walking.reference, scarce.knitting.reference]
    )
    scarce.dining.refresh_from_db()
    assert scarce.dining.status == ApplicationStatus.AWAITING_APPROVAL
    event = AuditEvent.objects.get(action="allocation.run.confirmed")
    assert event.after is not None
    assert event.after["grant_proposals"] == [decided.proposals[0].pk]


# The pages


def decide_url(application: Application) -> str:
    return reverse("decisions:decide", kwargs={"uuid": application.uuid})


def approval_url(application: Application) -> str:
    return reverse("decisions:second_approval", kwargs={"uuid": application.uuid})


def test_the_decision_page_asks_a_second_caseworker(
    four_eyes: Funded, second: User, english: Client
) -> None:
    proposal = propose(four_eyes)
    application = proposal.application
    english.force_login(four_eyes.caseworker)
    page = english.get(decide_url(application)).content.decode()
    assert "You proposed it, so another caseworker must approve it." in page
    assert "Caseworkers who can: Birgitte Anden." in page
    assert 'value="approve"' not in page
    # Posted all the same: refused, and said why.
    response = english.post(approval_url(application), {"action": "approve"})
    assert response.status_code == 400
    assert "a second caseworker must approve it" in response.content.decode()

    english.force_login(second)
    page = english.get(decide_url(application)).content.decode()
    assert 'value="approve"' in page
    assert english.post(approval_url(application), {"action": "approve"}).status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.GRANTED


def test_the_queue_lists_the_grants_awaiting_my_approval(
    four_eyes: Funded, second: User, english: Client
) -> None:
    mine = propose(four_eyes, title="Min")
    queue = reverse("desk:queue", kwargs={"code": four_eyes.call.code})
    english.force_login(second)
    page = english.get(queue).content.decode()
    assert f'href="{queue}?awaiting_me=on"' in page
    listed = english.get(queue, {"awaiting_me": "on"}).content.decode()
    assert re.findall(r'data-reference="([^"]+)"', listed) == [mine.application.reference]
    # The proposer has none awaiting them.
    english.force_login(four_eyes.caseworker)
    listed = english.get(queue, {"awaiting_me": "on"}).content.decode()
    assert re.findall(r'data-reference="([^"]+)"', listed) == []


def test_the_pool_s_managers_set_the_amount_on_its_page(four_eyes: Funded, english: Client) -> None:
    pool = four_eyes.pool
    url = reverse("funds:pool_second_approval", kwargs={"pk": pool.pk})
    english.force_login(four_eyes.funder)
    assert english.post(url, {"second_approval_above_ore": "1 kr."}).status_code == 404
    english.force_login(four_eyes.caseworker)
    page = english.get(reverse("funds:pool_detail", kwargs={"pk": pool.pk})).content.decode()
    assert f'action="{url}"' in page
    assert "Grants above 100.000 kr. need a second caseworker's approval" in page
    assert english.post(url, {"second_approval_above_ore": "50.000"}).status_code == 302
    pool.refresh_from_db()
    assert pool.second_approval_above_ore == kr(50_000)
    event = AuditEvent.objects.filter(action="funds.pool.updated").last()
    assert event is not None
    assert (
        event.before["second_approval_above_ore"],
        event.after["second_approval_above_ore"],
    ) == (
        kr(100_000),
        kr(50_000),
    )
    # Raising or removing it is for the secretariat of the pool above.
    assert pool.parent is not None
    for looser in ("500.000", ""):
        refused = english.post(url, {"second_approval_above_ore": looser})
        assert refused.status_code == 200
        assert refused.context["form"].errors["second_approval_above_ore"] == [
            f"Only the secretariat of {pool.parent.name} may raise or remove the amount above "
            "which a grant needs a second approval."
        ]
    pool.refresh_from_db()
    assert pool.second_approval_above_ore == kr(50_000)
