"""The application's rules: what a call asks of an application, checked on plain data.

Pure: typed input (``ApplicationInput``) and the call's terms (``CallTerms``) in, a list of
``Problem`` out, with no database, form or request. The application form places the problems
on its fields, ``services.submit_application`` refuses a submission that has any, and
screening (``casework.screening``) fails an application by the same checks, in its own words.
A problem is a stable code, the form field it belongs to and its facts (``params``, plain
JSON values); its message is rendered from them when it is read, in the reader's language.

What the input could not be read as (a date that is no date, a budget line that is no amount)
is None here: the draft's own field says what is wrong with it, and the rules check the rest.
"""

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pulje.core.money import format_dkk
from pulje.funds.bands import bands_text, holds

# The applicant's messages (the form's and a refused submission's); screening words its own.
MESSAGES: dict[str, Promise] = {
    "applicant_kind": _(
        "Organisations registered as “%(organisation_kind)s” cannot apply to this call. It is "
        "open to: %(applicant_kinds)s."
    ),
    "period_start": _("The project can start %(earliest_date)s at the earliest."),
    "period_end": _("The project must end %(latest_date)s at the latest."),
    "period_order": _("The end date must be after the start date."),
    "amount_band": _(
        "%(amount_ore)s is not within a grant size of this call. The sizes are: %(bands)s"
    ),
    "budget_empty": _("Give the budget: the amount for at least one kind of cost."),
    "budget_sum": _("The budget lines add up to %(total_ore)s, but you apply for %(amount_ore)s"),
    "partner_missing": _("This call requires a partner of this kind: %(partner_kinds)s."),
}


def render(template: Promise | str, params: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """``template`` filled with ``params`` in the active language: money (``…_ore``) in
    kroner, dates (``…_date``, ISO) in the local format, kinds (``…_kind``, lists in
    ``…_kinds``) by their ``labels`` in lower case, and grant ``bands`` as the bands' text."""
    shown: dict[str, Any] = {}
    for key, value in params.items():
        if key.endswith("_ore") and isinstance(value, int):
            shown[key] = format_dkk(value)
        elif key.endswith("_date") and isinstance(value, str):
            shown[key] = date_format(dt.date.fromisoformat(value))
        elif key.endswith("_kind"):
            shown[key] = str(labels.get(value, value)).lower()
        elif key.endswith("_kinds"):
            shown[key] = ", ".join(str(labels.get(v, v)).lower() for v in value)
        elif key == "bands" and isinstance(value, list):
            shown[key] = bands_text((low, high) for low, high in value)
        else:
            shown[key] = value
    # ``%`` on the template itself: a lazy plural (ngettext_lazy) picks its form by the count.
    return str(template % shown)


@dataclass(frozen=True)
class Problem:
    """A rule the application breaks: ``code`` (stable), the form ``field`` it belongs to
    (None: the application as a whole) and the facts the message is made from."""

    code: str
    field: str | None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def message(self, labels: Mapping[str, str] | None = None) -> str:
        """The applicant's message in the active language; ``labels`` name the kinds."""
        return render(MESSAGES[self.code], self.params, labels or {})


@dataclass(frozen=True)
class PartnerInput:
    name: str
    cvr: str
    kind: str


@dataclass(frozen=True)
class ApplicationInput:
    """An application as typed data. A value the input could not be read as is None; so is
    the budget when one of its lines could not be read, and the partners when one of their
    rows could not."""

    department_ids: frozenset[int] = frozenset()
    title: str = ""
    summary: str = ""
    target_groups: tuple[str, ...] = ()
    activities: str = ""
    loneliness: str = ""
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    expected_participants: int | None = None
    amount_ore: int | None = None
    cofunding_ore: int | None = None
    # The budget's lines that have an amount, by kind of cost.
    budget: Mapping[str, int] | None = None
    # The complete partner rows, in the order given.
    partners: Sequence[PartnerInput] | None = None
    # The answers to the call's own questions, by question id ("" or None: not answered).
    answers: Mapping[int, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CallTerms:
    """What a call asks, as data. Empty (or None) means no limit of that kind."""

    # The grant bands as (smallest, largest) in øre.
    bands: tuple[tuple[int, int], ...] = ()
    # Who may apply: kinds of organisation.
    applicant_kinds: tuple[str, ...] = ()
    # An application needs at least one partner of one of these kinds.
    partner_kinds: tuple[str, ...] = ()
    # The project window, and the date by which a grant must be spent (the pool's).
    project_start_earliest: dt.date | None = None
    project_end_latest: dt.date | None = None
    spend_by: dt.date | None = None

    @property
    def latest_end(self) -> dt.date | None:
        """The last day a project may end for screening: the window's end or the spend-by
        date, the earlier of the two."""
        ends = [day for day in (self.project_end_latest, self.spend_by) if day is not None]
        return min(ends) if ends else None


def check_application(application: ApplicationInput, terms: CallTerms) -> list[Problem]:
    """Every rule of ``terms`` that ``application`` breaks, in the order of the form's fields:
    the project period, the amount and its budget, the partners. Who may apply is
    ``check_applicant``'s (the organisation, not the application).

    The period is held to the call's window only: the spend-by date is the pool's, which may
    move after the call is made, so it is screening's to fail (``CallTerms.latest_end``), for
    a caseworker to look at, and not the applicant's to be refused for."""
    problems = [
        *period_problems(
            application.period_start,
            application.period_end,
            earliest=terms.project_start_earliest,
            latest=terms.project_end_latest,
        ),
        *band_problems(application.amount_ore, terms),
    ]
    if application.budget is not None:
        problems += budget_problems(application.amount_ore, application.budget)
    if application.partners is not None:
        problems += partner_problems([partner.kind for partner in application.partners], terms)
    return problems


def check_applicant(organisation_kind: str, terms: CallTerms) -> list[Problem]:
    """Whether an organisation of ``organisation_kind`` may apply to the call."""
    if not terms.applicant_kinds or organisation_kind in terms.applicant_kinds:
        return []
    return [
        Problem(
            "applicant_kind",
            None,
            {
                "organisation_kind": organisation_kind,
                "applicant_kinds": list(terms.applicant_kinds),
            },
        )
    ]


def period_problems(
    start: dt.date | None,
    end: dt.date | None,
    *,
    earliest: dt.date | None,
    latest: dt.date | None,
) -> list[Problem]:
    """The project period from ``earliest`` to ``latest``, not ending before it starts. A
    date not given is not checked, nor a limit that is None."""
    problems = []
    if start is not None and earliest is not None and start < earliest:
        problems.append(
            Problem(
                "period_start",
                "period_start",
                {"start_date": start.isoformat(), "earliest_date": earliest.isoformat()},
            )
        )
    if end is not None and latest is not None and end > latest:
        problems.append(
            Problem(
                "period_end",
                "period_end",
                {"end_date": end.isoformat(), "latest_date": latest.isoformat()},
            )
        )
    if start is not None and end is not None and end < start:
        problems.append(
            Problem(
                "period_order",
                "period_end",
                {"start_date": start.isoformat(), "end_date": end.isoformat()},
            )
        )
    return problems


def band_problems(amount_ore: int | None, terms: CallTerms) -> list[Problem]:
    """The amount within one of the call's grant bands (both limits included)."""
    if amount_ore is None or not terms.bands:
        return []
    if any(holds(band, amount_ore) for band in terms.bands):
        return []
    return [
        Problem(
            "amount_band",
            "amount",
            {"amount_ore": amount_ore, "bands": [list(band) for band in terms.bands]},
        )
    ]


def budget_problems(amount_ore: int | None, budget: Mapping[str, int]) -> list[Problem]:
    """A budget with at least one line, its lines adding up to the amount. The messages go
    with the amount they must add up to."""
    if not any(budget.values()):
        return [Problem("budget_empty", "amount")]
    total = sum(budget.values())
    if amount_ore is not None and total != amount_ore:
        return [Problem("budget_sum", "amount", {"total_ore": total, "amount_ore": amount_ore})]
    return []


def partner_problems(kinds: Iterable[str], terms: CallTerms) -> list[Problem]:
    """At least one partner (of the application's partners' ``kinds``) of a kind the call
    requires, when it requires one. The message goes with the first partner's kind."""
    required = terms.partner_kinds
    if not required or any(kind in required for kind in kinds):
        return []
    return [Problem("partner_missing", "partner_1_kind", {"partner_kinds": list(required)})]
