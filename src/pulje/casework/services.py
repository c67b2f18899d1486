"""Writes of casework: screening applications and the caseworker's override.

An application's status changes only through ``applications.workflow.transition``; every
write records its audit event in the same transaction.
"""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import ApplicationRefused, next_status, transition
from pulje.calls.models import Call
from pulje.casework.models import Screening, ScreeningOutcome, ScreeningRules
from pulje.casework.screening import screen
from pulje.casework.selectors import screening_facts
from pulje.core.audit import apply_changes, record_event, snapshot

SCREENABLE = frozenset({ApplicationStatus.SUBMITTED, ApplicationStatus.SCREENED})
RULE_FIELDS = (
    "require_housing_applicant",
    "require_partner",
    "check_amount_band",
    "check_budget_sum",
    "salary_cap_monthly_ore",
    "excluded_cost_kinds",
    "check_period",
    "duplicate_similarity_percent",
)


def rules_for(call: Call) -> ScreeningRules:
    """The call's screening rules; the defaults (unsaved) when none are set."""
    found = ScreeningRules.objects.filter(call=call).first()
    return found or ScreeningRules(call=call)


@transaction.atomic
def set_screening_rules(*, actor: User | None, call: Call, **changes: Any) -> ScreeningRules:
    """Change the call's screening rules (created with the defaults first if it has none).

    Applies to screenings from now on; screenings already made stay as they were.
    Side effects: audit event ``casework.screeningrules.created`` for new rules,
    ``casework.screeningrules.updated`` when anything changed.
    Raises TypeError for an unknown rule, ValidationError for an invalid value.
    """
    rules, created = ScreeningRules.objects.select_for_update().get_or_create(call=call)
    if created:
        record_event(
            actor=actor,
            action="casework.screeningrules.created",
            obj=rules,
            after=snapshot(rules, RULE_FIELDS),
        )
    return apply_changes(
        actor=actor,
        instance=rules,
        changes=changes,
        changeable=RULE_FIELDS,
        recorded=RULE_FIELDS,
        action="casework.screeningrules.updated",
        validate=lambda instance: instance.full_clean(),
    )


def screen_application(
    *, actor: User | None, application: Application, on_submission: bool = False
) -> Screening:
    """Screen ``application`` by its call's rules and store the result as its latest screening.

    Runs in the caller's transaction when there is one: ``submit_application`` screens on
    submission (``on_submission``; ``actor`` is then the applicant, and the screening is
    stored as made by pulje, not by a person).
    Side effects: a ``Screening`` row; the application moves by ``screen`` to screened with
    its audit event ``applications.application.screened`` (recording the outcome).
    Raises ApplicationRefused when the application's status does not allow screening.
    """
    with transaction.atomic():
        locked = (
            Application.objects.select_for_update()
            .select_related("call__pool", "organisation")
            .get(pk=application.pk)
        )
        next_status(locked, "screen")
        candidate, rules, earlier, version = screening_facts(locked)
        result = screen(candidate, rules, earlier)
        screening = Screening.objects.create(
            application=locked,
            version_number=version,
            outcome=result.outcome,
            reasons=[reason.as_json() for reason in result.reasons],
            screened_at=timezone.now(),
            screened_by=None if on_submission else actor,
        )
        transition(
            actor=actor,
            application=locked,
            action="screen",
            recorded={
                "screening": screening.pk,
                "outcome": result.outcome,
                "reasons": [reason.code for reason in result.reasons],
            },
        )
    application.status = locked.status
    return screening


@transaction.atomic
def screen_applications(*, actor: User, applications: Sequence[Application]) -> list[Screening]:
    """Screen several applications again (the queue's bulk action), all or none.

    Side effects: those of ``screen_application`` for each.
    Raises ApplicationRefused naming the applications whose status does not allow it, having
    screened none.
    """
    refused = [a.reference for a in applications if a.status not in SCREENABLE]
    if refused:
        raise ApplicationRefused(
            _(
                "Only submitted or screened applications can be screened again; these are "
                "further on: %(references)s. Nothing was screened."
            )
            % {"references": ", ".join(sorted(refused))},
            code="transition",
        )
    return [screen_application(actor=actor, application=a) for a in applications]


@transaction.atomic
def override_screening(
    *, actor: User, screening: Screening, outcome: str, reason: str
) -> Screening:
    """Set the outcome of the application's latest screening by hand, with a written reason.

    Side effects: the screening's override fields; audit event
    ``casework.screening.overridden`` with the outcome before and after and the reason.
    Raises ValidationError (``reason`` without text, an unknown outcome, a screening that is
    no longer the latest).
    """
    locked = Screening.objects.select_for_update().get(pk=screening.pk)
    reason = reason.strip()
    if outcome not in ScreeningOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    if not reason:
        raise ValidationError({"reason": _("Write why the outcome is overridden.")})
    latest = (
        Screening.objects.filter(application_id=locked.application_id)
        .order_by("-screened_at", "-pk")
        .first()
    )
    if latest is None or latest.pk != locked.pk:
        raise ValidationError(_("The application has been screened again since. Reload the page."))
    before = {"outcome": locked.effective_outcome, "override_reason": locked.override_reason}
    locked.override_outcome = outcome
    locked.override_reason = reason
    locked.overridden_by = actor
    locked.overridden_at = timezone.now()
    locked.save(
        update_fields=["override_outcome", "override_reason", "overridden_by", "overridden_at"]
    )
    record_event(
        actor=actor,
        action="casework.screening.overridden",
        obj=locked,
        before=before,
        after={"outcome": outcome, "override_reason": reason, "application": locked.application_id},
    )
    return locked
