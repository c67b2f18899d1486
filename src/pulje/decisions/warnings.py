"""The brakes on deciding: what a caseworker is warned of before decisions are made, and the
token that binds a confirmation to what was shown (docs/decisions.md, "Confirming").

Pure: plain data in, plain data out, no database. ``decisions.confirmation`` gathers the facts
(and what the services would refuse, by a dry run); the pages show the warnings; the decision
services check the token again under their locks, so a selection or a state that changed
between the preview and the confirmation is refused instead of decided.

A warning is *blocking* where the rule is clear: what the services refuse (too little money, a
state that cannot be decided), and deciding before the deadline of a call that lets applicants
change what they sent until then. The others need the caseworker's tick ("Jeg har set
advarslerne"): a call still open to new applications, an application with no score, no
assessment or only a conflicted assessor, a spend-by date or project period in the past, a run
that spends far less than the pool holds, and a rejection for "no money" while money remains.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.core.money import format_dkk

GRANT = "grant"
REDUCED = "reduced"
REJECT = "reject"
NO_MONEY = "no_money"
# A run that spends less than this share of what the pool has available is warned of.
LOW_BUDGET_SHARE = (1, 2)


@dataclass(frozen=True)
class Item:
    """One decision as it will be made: ``outcome`` is grant, reduced or reject;
    ``assignments`` the assessors asked, ``conflicted`` those of them who declared a conflict,
    ``scored`` those who submitted scores."""

    application_id: int
    reference: str
    organisation: str
    title: str
    status: str
    outcome: str
    amount_ore: int
    requested_ore: int
    reason_code: str = ""
    assignments: int = 0
    conflicted: int = 0
    scored: int = 0


@dataclass(frozen=True)
class Facts:
    """What the warnings are judged against. ``available_ore``: what the pools the call grants
    from have available before these decisions; ``run_budget_ore``: an allocation run's own
    budget, if it has one; ``refusal``: what the decision service refuses this batch with
    (empty when it would decide it)."""

    now: dt.datetime
    closes_at: dt.datetime | None
    edit_after_submit: bool
    spend_by: dt.date | None
    project_end: dt.date | None
    available_ore: int
    run_budget_ore: int | None = None
    refusal: str = ""
    refusal_code: str = ""


@dataclass(frozen=True)
class Warning:
    code: str
    message: str
    blocking: bool


def total_ore(items: Sequence[Item]) -> int:
    """What the grants among ``items`` come to."""
    return sum(item.amount_ore for item in items if item.outcome != REJECT)


def warnings_for(facts: Facts, items: Sequence[Item]) -> list[Warning]:
    """Every warning for deciding ``items`` now, the blocking ones first."""
    found: list[Warning] = []
    if facts.refusal:
        found.append(Warning(facts.refusal_code or "refused", facts.refusal, blocking=True))
    if facts.closes_at is not None and facts.now < facts.closes_at:
        if facts.edit_after_submit:
            found.append(
                Warning(
                    "call_open",
                    _(
                        "The call's deadline has not passed: applicants may still change what "
                        "they sent, so nothing can be decided before the deadline."
                    ),
                    blocking=True,
                )
            )
        else:
            found.append(
                Warning(
                    "call_open",
                    _("The call's deadline has not passed: more applications may still come."),
                    blocking=False,
                )
            )
    found += _assessment_warnings(items)
    today = facts.now.date()
    if any(item.outcome != REJECT for item in items):
        if facts.spend_by is not None and facts.spend_by < today:
            found.append(
                Warning(
                    "spend_by_past",
                    _("The grants must be spent by a date that has passed."),
                    blocking=False,
                )
            )
        if facts.project_end is not None and facts.project_end < today:
            found.append(
                Warning(
                    "project_period_past",
                    _("The call's project period ended before today."),
                    blocking=False,
                )
            )
    granted = total_ore(items)
    if facts.run_budget_ore is not None:
        low, of = LOW_BUDGET_SHARE
        if facts.run_budget_ore * of < facts.available_ore * low:
            found.append(
                Warning(
                    "low_budget",
                    _(
                        "The run shares out %(budget)s, while the pool has %(available)s "
                        "available: %(unspent)s stays unspent."
                    )
                    % {
                        "budget": format_dkk(facts.run_budget_ore),
                        "available": format_dkk(facts.available_ore),
                        "unspent": format_dkk(max(facts.available_ore - granted, 0)),
                    },
                    blocking=False,
                )
            )
    remaining = facts.available_ore - granted
    no_money = [
        item.reference
        for item in items
        if item.outcome == REJECT
        and item.reason_code == NO_MONEY
        and item.requested_ore <= remaining
    ]
    if no_money:
        found.append(
            Warning(
                "no_money_but_money",
                ngettext(
                    "%(references)s is rejected because the pool has no money left, but "
                    "%(remaining)s remains after these decisions.",
                    "%(references)s are rejected because the pool has no money left, but "
                    "%(remaining)s remains after these decisions.",
                    len(no_money),
                )
                % {"references": ", ".join(no_money), "remaining": format_dkk(remaining)},
                blocking=False,
            )
        )
    return sorted(found, key=lambda warning: not warning.blocking)


def _assessment_warnings(items: Sequence[Item]) -> list[Warning]:
    unassessed = [i.reference for i in items if i.assignments == 0]
    conflicted = [i.reference for i in items if i.assignments > 0 and i.conflicted == i.assignments]
    unscored = [
        i.reference
        for i in items
        if i.scored == 0 and i.reference not in unassessed and i.reference not in conflicted
    ]
    found = []
    if unassessed:
        found.append(
            Warning(
                "no_assessment",
                _("No assessor was asked to assess: %(references)s.")
                % {"references": ", ".join(unassessed)},
                blocking=False,
            )
        )
    if conflicted:
        found.append(
            Warning(
                "only_conflicted",
                _("The only assessors declared a conflict of interest: %(references)s.")
                % {"references": ", ".join(conflicted)},
                blocking=False,
            )
        )
    if unscored:
        found.append(
            Warning(
                "no_score",
                _("No assessor has scored: %(references)s.") % {"references": ", ".join(unscored)},
                blocking=False,
            )
        )
    return found


def confirmation_token(items: Sequence[Item], warnings: Sequence[Warning]) -> str:
    """A hash of exactly what was shown: each decision (application, its state, outcome,
    amount, reason) and the warnings. Confirming with it succeeds only if the same is true
    when the decisions are made."""
    shown = {
        "items": sorted(
            [i.application_id, i.status, i.outcome, i.amount_ore, i.reason_code] for i in items
        ),
        "warnings": sorted(w.code for w in warnings),
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()
