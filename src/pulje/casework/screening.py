"""Formal screening (formalia): a call's rules applied to one submitted application.

Pure: plain data in, plain data out, no database. ``services.screen_application`` gathers the
facts and stores the result. Each rule that is broken gives a reason with a code, its facts
(``params``) and a severity: a *failure* stops the application, a *remark* asks the
caseworker to look. Messages are rendered from code and facts when they are read, so a
screening stored today reads in the language of whoever reads it.

Who may apply, the grant bands, the budget's sum, the project period and the required
partner are the application's own rules (``applications.rules``), checked here by the same
functions the applicant's form uses; the salary cap, excluded costs, CVR numbers and
duplicates are screening's alone.
"""

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from stdnum.dk import cvr as stdnum_cvr

from pulje.applications.rules import (
    CallTerms,
    Problem,
    band_problems,
    budget_problems,
    check_applicant,
    partner_problems,
    period_problems,
    render,
)

Severity = Literal["fail", "remark"]
Outcome = Literal["pass", "remarks", "fail"]

SALARIES = "salaries"

MESSAGES: dict[str, Promise] = {
    "applicant_kind": _(
        "The applicant is registered as “%(organisation_kind)s”, a kind of organisation the call "
        "is not open to (it is open to: %(applicant_kinds)s)."
    ),
    "applicant_cvr": _("The applicant's CVR number “%(cvr)s” is not valid."),
    "partner_missing": _(
        "The application has no partner of the kind the call requires: %(partner_kinds)s."
    ),
    "partner_cvr": _("The partner “%(name)s” has no valid CVR number (“%(cvr)s”)."),
    "partner_unknown": _(
        "The partner “%(name)s” (CVR %(cvr)s) is not in the registry: check it in the CVR register."
    ),
    "amount_missing": _("The application gives no amount."),
    "amount_band": _("%(amount_ore)s is not within a grant size of the call (%(bands)s)."),
    "budget_empty": _("The budget has no lines."),
    "budget_sum": _(
        "The budget lines add up to %(total_ore)s, but the application asks for %(amount_ore)s"
    ),
    "salary_cap": ngettext_lazy(
        "Salaries of %(salaries_ore)s exceed the cap of %(cap_ore)s: %(monthly_ore)s a month for "
        "%(months)s month.",
        "Salaries of %(salaries_ore)s exceed the cap of %(cap_ore)s: %(monthly_ore)s a month for "
        "%(months)s months.",
        "months",
    ),
    "excluded_cost": _(
        "The budget has a kind of cost the call does not cover: %(cost_kind)s (%(amount_ore)s)."
    ),
    "period_missing": _("The application gives no project period."),
    "period_order": _("The project ends (%(end_date)s) before it starts (%(start_date)s)."),
    "period_start": _(
        "The project starts %(start_date)s, before the earliest start, %(earliest_date)s."
    ),
    "period_end": _(
        "The project ends %(end_date)s, after the latest end (the project window and the date "
        "by which the grant must be spent), %(latest_date)s."
    ),
    "duplicate": _(
        "The application looks like a duplicate of %(reference)s “%(title)s”: same housing "
        "department, nearly the same title."
    ),
}


@dataclass(frozen=True)
class Reason:
    code: str
    severity: Severity
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, labels: Mapping[str, str] | None = None) -> str:
        """The reason in the active language (``applications.rules.render``); ``labels``
        name the kinds."""
        return render(MESSAGES[self.code], self.params, labels or {})

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Reason":
        return cls(code=data["code"], severity=data["severity"], params=data.get("params", {}))


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    reasons: list[Reason]


@dataclass(frozen=True)
class Rules:
    """A call's screening rules as data: the call's terms, less what ``models.ScreeningRules``
    switches off (empty terms check nothing), and what the secretariat sets on top."""

    terms: CallTerms = field(default_factory=CallTerms)
    # The applicant of a kind in ``terms.applicant_kinds``, with a valid CVR number.
    require_eligible_applicant: bool = True
    check_budget_sum: bool = True
    salary_cap_monthly_ore: int | None = None
    excluded_cost_kinds: tuple[str, ...] = ()
    # Title similarity (0–1) from which an application on the same department is a duplicate;
    # None: no duplicate check.
    duplicate_similarity: float | None = 0.9


@dataclass(frozen=True)
class PartnerFacts:
    name: str
    cvr: str
    kind: str
    registered: bool


@dataclass(frozen=True)
class Candidate:
    """What the rules look at in one application."""

    organisation_kind: str
    organisation_cvr: str
    title: str
    department_ids: frozenset[int]
    amount_ore: int | None
    budget: Mapping[str, int]
    partners: Sequence[PartnerFacts]
    period_start: dt.date | None
    period_end: dt.date | None


@dataclass(frozen=True)
class Earlier:
    """An application submitted to the same call before the candidate (not withdrawn)."""

    reference: str
    title: str
    department_ids: frozenset[int]


def screen(candidate: Candidate, rules: Rules, earlier: Sequence[Earlier] = ()) -> ScreeningResult:
    """Apply every rule; the outcome is "fail" if any reason is a failure, "remarks" if there
    are only remarks, else "pass"."""
    reasons = [
        *_applicant(candidate, rules),
        *_partners(candidate, rules),
        *_amount(candidate, rules),
        *_budget(candidate, rules),
        *_period(candidate, rules),
        *_duplicates(candidate, rules, earlier),
    ]
    outcome: Outcome = "pass"
    if any(reason.severity == "fail" for reason in reasons):
        outcome = "fail"
    elif reasons:
        outcome = "remarks"
    return ScreeningResult(outcome=outcome, reasons=reasons)


def _failures(problems: Sequence[Problem]) -> list[Reason]:
    """The application's own rules broken, as screening's failures (same codes and facts)."""
    return [Reason(problem.code, "fail", problem.params) for problem in problems]


def _applicant(candidate: Candidate, rules: Rules) -> list[Reason]:
    if not rules.require_eligible_applicant:
        return []
    reasons = _failures(check_applicant(candidate.organisation_kind, rules.terms))
    if not stdnum_cvr.is_valid(candidate.organisation_cvr):
        reasons.append(Reason("applicant_cvr", "fail", {"cvr": candidate.organisation_cvr}))
    return reasons


def _partners(candidate: Candidate, rules: Rules) -> list[Reason]:
    missing = partner_problems([p.kind for p in candidate.partners], rules.terms)
    if missing or not rules.terms.partner_kinds:
        return _failures(missing)
    required = [p for p in candidate.partners if p.kind in rules.terms.partner_kinds]
    if not any(stdnum_cvr.is_valid(p.cvr) for p in required):
        return [
            Reason("partner_cvr", "fail", {"name": p.name, "cvr": p.cvr})
            for p in required
            if not stdnum_cvr.is_valid(p.cvr)
        ]
    # A valid CVR that pulje does not know may be a typo for another association's number.
    return [
        Reason("partner_unknown", "remark", {"name": p.name, "cvr": p.cvr})
        for p in required
        if not p.registered
    ]


def _amount(candidate: Candidate, rules: Rules) -> list[Reason]:
    if candidate.amount_ore is None:
        return [Reason("amount_missing", "fail")]
    return _failures(band_problems(candidate.amount_ore, rules.terms))


def project_months(start: dt.date, end: dt.date) -> int:
    """The calendar months the project runs in, the first and last counted whole: a salary
    cap is a monthly one, and a project from 15 March to 14 April pays salaries in two."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _budget(candidate: Candidate, rules: Rules) -> list[Reason]:
    reasons = _failures(
        [
            problem
            for problem in budget_problems(candidate.amount_ore, candidate.budget)
            if rules.check_budget_sum or problem.code != "budget_sum"
        ]
    )
    salaries = candidate.budget.get(SALARIES, 0)
    cap = rules.salary_cap_monthly_ore
    start, end = candidate.period_start, candidate.period_end
    if cap is not None and salaries and start and end and start <= end:
        months = project_months(start, end)
        if salaries > cap * months:
            reasons.append(
                Reason(
                    "salary_cap",
                    "fail",
                    {
                        "salaries_ore": salaries,
                        "cap_ore": cap * months,
                        "monthly_ore": cap,
                        "months": months,
                    },
                )
            )
    for kind in rules.excluded_cost_kinds:
        if candidate.budget.get(kind):
            reasons.append(
                Reason(
                    "excluded_cost",
                    "fail",
                    {"cost_kind": kind, "amount_ore": candidate.budget[kind]},
                )
            )
    return reasons


def _period(candidate: Candidate, rules: Rules) -> list[Reason]:
    start, end = candidate.period_start, candidate.period_end
    if start is None or end is None:
        return [Reason("period_missing", "fail")]
    terms = rules.terms
    return _failures(
        period_problems(start, end, earliest=terms.project_start_earliest, latest=terms.latest_end)
    )


def normalised_title(title: str) -> str:
    """Lower case, accents and punctuation dropped, spaces collapsed: "Spis  sammen!" and
    "spis sammen" are one title."""
    decomposed = unicodedata.normalize("NFKD", title.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w\s]", " ", letters).split())


def title_similarity(first: str, second: str) -> float:
    return difflib.SequenceMatcher(
        None, normalised_title(first), normalised_title(second), autojunk=False
    ).ratio()


def _duplicates(candidate: Candidate, rules: Rules, earlier: Sequence[Earlier]) -> list[Reason]:
    threshold = rules.duplicate_similarity
    if threshold is None:
        return []
    return [
        Reason("duplicate", "fail", {"reference": other.reference, "title": other.title})
        for other in earlier
        if other.department_ids & candidate.department_ids
        and title_similarity(other.title, candidate.title) >= threshold
    ]
