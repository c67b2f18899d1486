"""Acceptance of a grant by the grantee.

``accept_grant`` is one transaction and locks the decision's and the application's rows
(``select_for_update``), so a lapse running at the same time waits, or is waited for.
"""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import BudgetKind
from pulje.applications.workflow import APPLICATION, transition
from pulje.core.money import format_dkk
from pulje.decisions.models import Decision, Outcome, RevisedBudgetLine
from pulje.decisions.services.common import DecisionRefused
from pulje.payments.services.plans import create_payment_plan
from pulje.registry.permissions import is_proven_member


@transaction.atomic
def accept_grant(
    *,
    actor: User,
    decision: Decision,
    public_summary: str,
    budget: Mapping[str, int] | None = None,
) -> Decision:
    """The grantee accepts the grant: confirms the payment account on the organisation's
    profile (kept on the decision as confirmed), the publishable summary and, for a reduced
    grant, a revised budget (amounts by ``BudgetKind``) that sums to the amount granted.

    Side effects: the decision's acceptance fields and revised budget lines, the grant's
    payment plan (``payments.services.plans.create_payment_plan``), the move to accepted
    (event ``applications.application.accepted``).

    Raises DecisionRefused, having written nothing: for a user who is not a member of the
    organisation, a decision that is not a grant awaiting acceptance, after the accept-by
    date, without a payment account, an empty summary, or a budget that does not sum.
    """
    # The decision's and the application's rows: a lapse running now waits, or is waited for.
    locked = (
        Decision.objects.select_for_update(of=("self", "application"))
        .select_related("application__organisation")
        .get(pk=decision.pk)
    )
    application = locked.application
    organisation = application.organisation
    if not is_proven_member(actor, organisation):
        raise DecisionRefused(
            _(
                "Only the organisation's members can accept the grant, once it is proven that "
                "they act for it (on the organisation's page)."
            ),
            code="not_member",
        )
    if not APPLICATION.allowed(application, "accept"):
        raise DecisionRefused(
            _("The grant is not awaiting acceptance."), code="not_awaiting_acceptance"
        )
    assert locked.accept_by is not None
    assert locked.amount_ore is not None
    if timezone.localdate() > locked.accept_by:
        raise DecisionRefused(
            _("The grant had to be accepted by %(date)s; it can no longer be accepted.")
            % {"date": date_format(locked.accept_by, "DATE_FORMAT")},
            code="acceptance_expired",
        )
    if not organisation.payment_iban:
        raise DecisionRefused(
            _("Add the payment account to the organisation's profile before accepting."),
            code="no_payment_account",
        )
    public_summary = public_summary.strip()
    if not public_summary:
        raise DecisionRefused(_("Write the summary that may be published."), code="summary_missing")
    lines = {kind: amount for kind, amount in (budget or {}).items() if amount}
    if locked.outcome == Outcome.REDUCED:
        if set(lines) - set(BudgetKind.values) or any(a < 0 for a in lines.values()):
            raise DecisionRefused(
                _("The revised budget has an unknown kind or a negative amount."),
                code="invalid_budget",
            )
        total = sum(lines.values())
        if total != locked.amount_ore:
            raise DecisionRefused(
                _(
                    "The revised budget must add up to the %(granted)s granted; "
                    "it adds up to %(total)s"
                )
                % {"granted": format_dkk(locked.amount_ore), "total": format_dkk(total)},
                code="budget_mismatch",
            )
    elif lines:
        raise DecisionRefused(
            _("A grant in full keeps the budget applied for."), code="budget_changed"
        )
    now = timezone.now()
    locked.accepted_at = now
    locked.accepted_by = actor
    locked.payment_iban = organisation.payment_iban
    locked.public_summary = public_summary
    locked.save(update_fields=["accepted_at", "accepted_by", "payment_iban", "public_summary"])
    RevisedBudgetLine.objects.bulk_create(
        RevisedBudgetLine(decision=locked, kind=kind, amount_ore=amount)
        for kind, amount in sorted(lines.items())
    )
    assert locked.grant is not None
    create_payment_plan(
        actor=actor,
        grant=locked.grant,
        call=application.call,
        confirmed_iban=locked.payment_iban,
        accepted_on=timezone.localdate(now),
    )
    transition(
        actor=actor,
        application=application,
        action="accept",
        recorded={
            "decision": locked.pk,
            "payment_iban": locked.payment_iban,
            "public_summary": public_summary,
            "budget": dict(sorted(lines.items())),
        },
    )
    return locked
