"""What a decision letter says, as plain data frozen when its job is queued.

The deciding app (``pulje.decisions``) sits above this one: it builds a ``LetterSubject`` for
each decision from its own rows and hands them to ``services.queue_letters``, which stores
them in the job's payload. The letter then states what was decided when it was queued, even
if a row changes before the job runs, and this app never reads, nor imports, the decisions
app. Only the call's wording (``LetterTemplate``) is read when the job runs.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from pulje.funds.models import ReportingRequirement
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


# LetterData's dates, kept in the payload (JSON) as ISO dates.
_DATES = ("date", "accept_by", "spend_by", "report_by", "project_start", "project_end")


@dataclass(frozen=True)
class LetterSubject:
    """One letter to make: for which decision, application and call, of which kind, saying
    what (``data``, its ``body`` empty until the job reads the call's wording), and to whom it
    is e-mailed."""

    decision_id: int
    application_id: int
    call_id: int
    reference: str
    kind: str
    data: LetterData
    recipient_email: str

    def with_body(self, body: str) -> "LetterSubject":
        return replace(self, data=replace(self.data, body=body))


def subject_to_payload(subject: LetterSubject) -> dict[str, Any]:
    """``subject`` as JSON-ready data for the job's payload (without the body)."""
    data = asdict(subject.data)
    del data["body"]
    for name in _DATES:
        data[name] = data[name].isoformat() if data[name] else None
    return {**asdict(subject), "data": data}


def subject_from_payload(payload: Mapping[str, Any]) -> LetterSubject:
    """The ``LetterSubject`` that ``subject_to_payload`` stored, its body empty."""
    data = dict(payload["data"])
    for name in _DATES:
        data[name] = dt.date.fromisoformat(data[name]) if data[name] else None
    return LetterSubject(**{**payload, "data": LetterData(body="", **data)})
