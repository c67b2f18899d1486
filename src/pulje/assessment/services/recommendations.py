"""The caseworker's recommendation after assessment."""

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import ApplicationRefused, transition
from pulje.assessment.models import Recommendation
from pulje.assessment.services.common import AssessmentRefused, refuse_unless_caseworker
from pulje.casework.permissions import conflict_refusal


@transaction.atomic
def recommend_applications(
    *,
    actor: User,
    applications: Sequence[Application],
    recommended: bool,
    reason: str,
) -> list[Recommendation]:
    """Record the caseworker's recommendation for each application (moderation may change
    it before the decision). All or nothing; ``reason`` is required.

    Side effects: each application moves by the workflow's ``recommend`` / ``not_recommend``
    (its audit event carries the reason); one ``Recommendation`` row each. Raises
    AssessmentRefused without a reason, when the actor does not work a call or has a
    conflict of interest with an application (naming them and who else can), or when an
    application's status does not allow the move.
    """
    reason = reason.strip()
    if not reason:
        raise AssessmentRefused(_("Give the reason for the recommendation."), code="reason_missing")
    pks = sorted({a.pk for a in applications})
    locked = list(
        Application.objects.select_for_update(of=("self",))
        .filter(pk__in=pks)
        .select_related("call__pool", "organisation")
        .order_by("pk")
    )
    for call in {a.call_id: a.call for a in locked}.values():
        refuse_unless_caseworker(actor, call)
    conflicted = conflict_refusal(
        actor,
        locked,
        lead=_("You have a conflict of interest and cannot recommend these applications:"),
    )
    if conflicted:
        raise AssessmentRefused(conflicted, code="conflict_of_interest")
    action = "recommend" if recommended else "not_recommend"
    made = []
    for application in locked:
        if application.status == (
            ApplicationStatus.RECOMMENDED if recommended else ApplicationStatus.NOT_RECOMMENDED
        ):
            raise AssessmentRefused(
                _("Application %(reference)s has this recommendation already.")
                % {"reference": application.reference},
                code="already_recommended",
            )
        try:
            transition(
                actor=actor,
                application=application,
                action=action,
                recorded={"reason": reason},
            )
        except ApplicationRefused as refusal:
            raise AssessmentRefused(
                _("Application %(reference)s: %(problem)s")
                % {"reference": application.reference, "problem": refusal.message},
                code=refusal.code,
            ) from refusal
        made.append(
            Recommendation.objects.create(
                application=application, recommended=recommended, reason=reason, made_by=actor
            )
        )
    return made
