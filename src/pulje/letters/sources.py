"""What a decision letter says, read from the decision (``pulje.decisions``), as plain data.

The decisions app calls this app (``queue_decision_letters``) after it decides, so this app
reads decisions only here, importing them when a job runs rather than at import time: the
two apps then never import each other at start-up.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import override

from pulje.applications.models import Application
from pulje.funds.models import ReportingRequirement
from pulje.letters.models import LetterKind
from pulje.letters.rendering import LetterData

# How the grantee reports, as the letter says it (Danish: the letters are Danish documents).
REPORTING_TEXT: dict[str, str] = {
    ReportingRequirement.DECLARATION: (
        "Når projektet er slut, indsender I en elektronisk erklæring om det brugte beløb."
    ),
    ReportingRequirement.ACCOUNTS: (
        "Når projektet er slut, indsender I et regnskab og en kort beretning om projektet."
    ),
    ReportingRequirement.AUDITED: (
        "Når projektet er slut, indsender I et revideret regnskab med revisorerklæring og en "
        "beretning om projektet."
    ),
}
USE_OF_GRANT = (
    "Tilskuddet må bruges til projektets aktiviteter, materialer og løn efter budgettet, "
    "ikke til drift, anlæg eller aktiviteter, der allerede er finansieret andetsteds."
)


@dataclass(frozen=True)
class LetterSubject:
    """One letter to make: for which decision and application, of which kind, saying what,
    and to whom it is e-mailed."""

    decision_id: int
    application: Application
    kind: str
    data: LetterData
    recipient_email: str


def call_ids_of_decisions(decision_ids: Sequence[int]) -> list[int]:
    from pulje.decisions.models import Decision

    return sorted(
        set(
            Decision.objects.filter(pk__in=decision_ids).values_list(
                "application__call_id", flat=True
            )
        )
    )


def letter_subjects(
    decision_ids: Sequence[int], *, bodies: Mapping[tuple[int, str], str]
) -> list[LetterSubject]:
    """The letters for these decisions, in id order, worded by ``bodies`` (by call id and
    kind). One query for any number of decisions."""
    from pulje.decisions.models import Decision, RejectionReason

    decisions = list(
        Decision.objects.filter(pk__in=decision_ids)
        .select_related(
            "application__call__pool__administrator", "application__organisation", "decided_by"
        )
        .order_by("pk")
    )
    today = timezone.localdate()
    subjects = []
    for decision in decisions:
        application = decision.application
        organisation = application.organisation
        kind = LetterKind.GRANT if decision.is_grant else LetterKind.REJECTION
        rejection = ""
        if not decision.is_grant:
            with override("da"):
                label = str(RejectionReason(decision.reason_code).label)
            rejection = " ".join(part for part in (f"{label}.", decision.reason_text) if part)
        data = LetterData(
            kind=kind,
            body=bodies[(application.call_id, kind)],
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
        )
        subjects.append(
            LetterSubject(
                decision_id=decision.pk,
                application=application,
                kind=kind,
                data=data,
                recipient_email=organisation.contact_email,
            )
        )
    return subjects
