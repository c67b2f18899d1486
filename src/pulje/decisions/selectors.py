"""Reads of decisions, always through what the user may see, and what their letters say."""

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, F, Q, Sum, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.selectors import applications_for
from pulje.applications.workflow import APPLICATION
from pulje.assessment.selectors import latest_recommendations
from pulje.calls.models import Call
from pulje.calls.selectors import CallLetterFacts, call_letter_facts
from pulje.casework.models import kind_labels
from pulje.casework.selectors import failed_screenings
from pulje.core.jobs import Job, JobKind, JobStatus
from pulje.core.money import format_dkk
from pulje.decisions.models import (
    DEFAULT_ACCEPT_DAYS,
    Decision,
    DecisionTerms,
    GrantProposal,
    Outcome,
    ProposalOutcome,
    RejectionReason,
)
from pulje.funds.models import Pool
from pulje.ledger.balances import Kind
from pulje.ledger.models import Entry, PoolAccount, ReleaseReason
from pulje.letters.models import LetterKind
from pulje.letters.rendering import LetterData
from pulje.letters.sources import REPORTING_TEXT, USE_OF_GRANT, LetterSubject


def decidable_outcomes(application: Application) -> frozenset[str]:
    """The outcomes (``"grant"``, ``"reject"``) the workflow table allows from the
    application's state: e.g. a submitted application not screened yet may be rejected, not
    granted."""
    return frozenset(
        action for action in ("grant", "reject") if APPLICATION.allowed(application, action)
    )


def decision_of(application: Application) -> Decision | None:
    return (
        Decision.objects.select_related("band", "decided_by", "accepted_by")
        .filter(application=application)
        .first()
    )


def open_proposal(application: Application) -> GrantProposal | None:
    """The grant proposal awaiting a second approval on ``application``, if any."""
    if application.status != ApplicationStatus.AWAITING_APPROVAL:
        return None
    return (
        GrantProposal.objects.select_related("band", "proposed_by")
        .filter(application=application, outcome=ProposalOutcome.OPEN)
        .first()
    )


def decision_for_applicant(user: User, uuid: str) -> Decision | None:
    """The decision on one of the user's organisations' applications, by its uuid."""
    return (
        Decision.objects.select_related("application__call", "application__organisation")
        .filter(application__in=applications_for(user), application__uuid=uuid)
        .first()
    )


def decisions_on(applications: Iterable[Application]) -> list[Decision]:
    """The decisions on ``applications`` (already narrowed to what the user may see), newest
    first, each with its application: one query, none when no application is decided."""
    decided = {a.pk: a for a in applications if a.status in ApplicationStatus.decided()}
    if not decided:
        return []
    decisions = list(
        Decision.objects.filter(application_id__in=decided).order_by("-decided_at", "-pk")
    )
    for decision in decisions:
        decision.application = decided[decision.application_id]
    return decisions


def available_ore(pool_id: int) -> int:
    return PoolAccount.objects.get(pool_id=pool_id).balance.available


@dataclass(frozen=True)
class CallMoney:
    """A call's grants in money, from their ledger accounts: what is committed to them now
    (granted, whether accepted yet or not), the part the grantees have accepted, and what
    went back to the pool because a grant lapsed or was cancelled."""

    granted_ore: int
    accepted_ore: int
    lapsed_ore: int

    @property
    def awaiting_acceptance_ore(self) -> int:
        return self.granted_ore - self.accepted_ore


def call_money(call: Call) -> CallMoney:
    """The call's grants in money (``CallMoney``). Two queries."""
    grants = Decision.objects.filter(application__call=call, grant__isnull=False).aggregate(
        granted=Sum("grant__committed_ore", default=0),
        accepted=Sum("grant__committed_ore", filter=Q(accepted_at__isnull=False), default=0),
    )
    released = Entry.objects.filter(
        kind=Kind.RELEASE,
        release_reason__in=[ReleaseReason.LAPSED, ReleaseReason.CANCELLED],
        grant__decision__application__call=call,
    ).aggregate(
        total=Sum(
            Case(When(reverses__isnull=True, then=F("amount_ore")), default=-F("amount_ore")),
            default=0,
        )
    )
    return CallMoney(
        granted_ore=grants["granted"],
        accepted_ore=grants["accepted"],
        lapsed_ore=released["total"],
    )


def grant_pool(application: Application, bands: list[Pool]) -> Pool | None:
    """The pool a grant to ``application`` is committed from, given its call's ``bands``
    (``calls.selectors.call_bands``): the band its *requested* amount falls in, so a reduced
    grant stays in the band it competed in, even below that band's minimum; the call's pool
    when the call has no bands; None when no band holds the amount."""
    if not bands:
        return application.call.pool
    amount = application.amount_ore or 0
    return next((band for band in bands if band.holds(amount)), None)


def overdue_decision_ids(*, now: dt.datetime) -> list[int]:
    """Grants still awaiting acceptance whose accept-by date has passed (Danish date)."""
    return list(
        Decision.objects.filter(
            application__status=ApplicationStatus.GRANTED,
            accept_by__lt=timezone.localdate(now),
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def accept_by_for(call: Call, decided_on: dt.date) -> dt.date:
    """The date by which a grant decided on ``decided_on`` must be accepted: the call's
    decision terms' days later, or ``DEFAULT_ACCEPT_DAYS``."""
    terms = DecisionTerms.objects.filter(call=call).first()
    return decided_on + dt.timedelta(days=terms.accept_days if terms else DEFAULT_ACCEPT_DAYS)


def _approved_budget(decision: Decision) -> str:
    """The budget a grant is given for, as its letter states it: the lines applied for, or,
    for a reduced grant, the revised budget the grantee gives on acceptance."""
    if decision.outcome == Outcome.REDUCED:
        assert decision.amount_ore is not None
        return (
            f"I sender et revideret budget, der passer med de {format_dkk(decision.amount_ore)} "
            "i tilskud, når I accepterer tilsagnet"
        )
    with override("da"):
        return "\n".join(
            f"{line.get_kind_display()}: {format_dkk(line.amount_ore)}"
            for line in decision.application.budget_lines.all()
        )


def own_rejection_reasons(applications: Sequence[Application]) -> dict[int, str]:
    """What each rejected application's letter says about it alone, in Danish, by
    application: the reasons its latest screening failed on (with the caseworker's reason
    where one set the outcome), else the reason of a recommendation not to grant it; missing
    for an application with neither. Two queries (none for no applications)."""
    found: dict[int, str] = {}
    with override("da"):
        for pk, screening in failed_screenings(applications).items():
            failures = [
                reason.message(kind_labels())
                for reason in screening.reason_list
                if reason.severity == "fail"
            ]
            found[pk] = " ".join([*failures, screening.override_reason.strip()]).strip()
    for pk, recommendation in latest_recommendations(applications).items():
        if pk not in found and not recommendation.recommended:
            found[pk] = recommendation.reason.strip()
    return {pk: text for pk, text in found.items() if text}


def letter_subjects(decision_ids: Sequence[int]) -> list[LetterSubject]:
    """What the letters of these decisions say, in id order, as ``pulje.letters`` stores them
    when their job is queued (the call's wording is added when it runs): the decision, the
    call's and pool's letter facts (``calls.selectors.call_letter_facts``) and the link to
    the accept page; a rejection states its own reasons (``own_rejection_reasons``) before
    the text shared by the decisions made together. A few queries for any number of
    decisions (the decisions, their budget lines, the rejections' screenings and
    recommendations, one pool tree per call)."""
    decisions = list(
        Decision.objects.filter(pk__in=decision_ids)
        .select_related(
            "application__call__pool__administrator", "application__organisation", "decided_by"
        )
        .prefetch_related("application__budget_lines")
        .order_by("pk")
    )
    today = timezone.localdate()
    facts: dict[int, CallLetterFacts] = {}
    own = own_rejection_reasons(
        [decision.application for decision in decisions if not decision.is_grant]
    )
    subjects = []
    for decision in decisions:
        application = decision.application
        organisation = application.organisation
        if application.call_id not in facts:
            facts[application.call_id] = call_letter_facts(application.call)
        call_facts = facts[application.call_id]
        kind = LetterKind.GRANT if decision.is_grant else LetterKind.REJECTION
        rejection = ""
        if not decision.is_grant:
            with override("da"):
                label = str(RejectionReason(decision.reason_code).label)
            parts = (f"{label}.", own.get(application.pk, ""), decision.reason_text)
            rejection = " ".join(part for part in parts if part)
        data = LetterData(
            kind=kind,
            body="",
            sender=application.call.pool.administrator.name,
            date=timezone.localdate(decision.decided_at) if decision.decided_at else today,
            reference=application.reference,
            recipient=organisation.name,
            address="\n".join(
                part
                for part in (
                    f"Att.: {organisation.contact_name}" if organisation.contact_name else "",
                    organisation.address,
                    f"{organisation.postal_code} {organisation.city}".strip(),
                )
                if part
            ),
            title=application.title,
            signer=decision.decided_by.name,
            amount_ore=decision.amount_ore or 0,
            requested_ore=decision.requested_ore,
            reduction_reason=decision.reason_text if decision.is_grant else "",
            accept_by=decision.accept_by,
            spend_by=decision.spend_by,
            reporting=REPORTING_TEXT.get(decision.reporting, ""),
            use_of_grant=USE_OF_GRANT,
            rejection_reason=rejection,
            sender_address=call_facts.sender_address,
            sender_cvr=call_facts.sender_cvr,
            sender_email=call_facts.sender_email,
            sender_phone=call_facts.sender_phone,
            legal_basis=call_facts.legal_basis,
            funding_source=call_facts.funding_source,
            payment_terms=call_facts.payment_terms,
            report_by=call_facts.report_by if decision.is_grant else None,
            complaints_guide=call_facts.complaints_guide,
            no_appeal=call_facts.no_appeal,
            project_start=application.period_start,
            project_end=application.period_end,
            budget=_approved_budget(decision) if decision.is_grant else "",
            accept_url=(
                settings.SITE_URL + reverse("decisions:accept", kwargs={"uuid": application.uuid})
                if decision.is_grant
                else ""
            ),
        )
        subjects.append(
            LetterSubject(
                decision_id=decision.pk,
                application_id=application.pk,
                call_id=application.call_id,
                reference=application.reference,
                kind=kind,
                data=data,
                recipient_email=organisation.contact_email,
            )
        )
    return subjects


def waiting_letters_job(decision: Decision) -> Job | None:
    """The letters job of ``decision`` while it waits for its time (its undo window), or None.
    Jobs hold their decisions in a JSON payload, which SQLite cannot search, so the few jobs
    of the call still waiting are read and looked through."""
    waiting = Job.objects.filter(
        kind=JobKind.DECISION_LETTERS,
        status=JobStatus.QUEUED,
        run_after__gt=timezone.now(),
        # Queued in the decision's transaction, after it.
        created_at__gte=decision.decided_at,
    ).order_by("pk")
    for job in waiting:
        if decision.pk in job.payload.get("decision_ids", []):
            return job
    return None


def decisions_of_job(job: Job) -> list[Decision]:
    """The decisions a letters job would send letters for, with their applications and
    organisations, in decision order (what an undo would undo)."""
    ids = job.payload.get("decision_ids", []) if job.kind == JobKind.DECISION_LETTERS else []
    decisions = Decision.objects.filter(pk__in=ids).select_related(
        "application__organisation", "application__call"
    )
    return sorted(decisions, key=lambda decision: decision.pk)
