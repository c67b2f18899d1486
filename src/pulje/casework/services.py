"""Writes of desk: screening applications, the caseworker's override, and a
caseworker's declared conflict of interest.

An application's status changes only through ``applications.workflow.transition``; every
write records its audit event in the same transaction.
"""

from collections.abc import Collection, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, BudgetKind
from pulje.applications.workflow import APPLICATION, ApplicationRefused, next_status, transition
from pulje.calls.models import Call
from pulje.casework.models import (
    CaseworkerConflict,
    ConflictScope,
    Screening,
    ScreeningOutcome,
    ScreeningRules,
)
from pulje.casework.permissions import (
    ConflictReason,
    can_do_casework,
    caseworker_conflict,
    conflict_refusal,
)
from pulje.casework.screening import screen
from pulje.casework.selectors import awaiting_partner_verification, screening_facts
from pulje.core.audit import apply_changes, record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.registry.models import Organisation
from pulje.registry.services.verification import (
    VerificationRefused,
    verify_partner_organisation,
)


class ScreeningRulesRefused(Refused):
    """A change to a call's screening rules that is not allowed; nothing was written."""


RULE_FIELDS = (
    "require_eligible_applicant",
    "require_partner",
    "check_amount_band",
    "check_budget_sum",
    "salary_cap_monthly_ore",
    "excluded_cost_kinds",
    "check_period",
    "duplicate_similarity_percent",
)


@transaction.atomic
def set_screening_rules(*, actor: User | None, call: Call, **changes: Any) -> ScreeningRules:
    """Change the call's screening rules (created with the defaults first if it has none).

    Applies to screenings from now on; screenings already made stay as they were.
    Side effects: audit event ``casework.screeningrules.created`` for new rules,
    ``casework.screeningrules.updated`` when anything changed.
    Raises ScreeningRulesRefused (``not_secretariat``) unless ``actor`` (None: pulje itself)
    works the call, (``cost_kind``) for a kind of cost that does not exist; TypeError for an
    unknown rule, ValidationError for an invalid value.
    """
    if actor is not None and not can_do_casework(actor, call):
        raise ScreeningRulesRefused(
            _("Only the call's secretariat sets its screening rules."), code="not_secretariat"
        )
    unknown = set(changes.get("excluded_cost_kinds", ())) - set(BudgetKind.values)
    if unknown:
        raise ScreeningRulesRefused(
            _("There is no such kind of cost: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))},
            code="cost_kind",
            field="excluded_cost_kinds",
        )
    rules, created = ScreeningRules.objects.select_for_update().get_or_create(call=call)
    if created:
        record_event(
            actor=actor,
            action=AuditAction.CASEWORK_SCREENING_RULES_CREATED,
            obj=rules,
            after=snapshot(rules, RULE_FIELDS),
        )
    return apply_changes(
        actor=actor,
        instance=rules,
        changes=changes,
        changeable=RULE_FIELDS,
        recorded=RULE_FIELDS,
        action=AuditAction.CASEWORK_SCREENING_RULES_UPDATED,
        validate=lambda instance: instance.full_clean(),
    )


def screen_application(
    *, actor: User | None, application: Application, on_submission: bool = False
) -> Screening:
    """Screen ``application`` by its call's rules and store the result as its latest screening.

    Runs in the caller's transaction when there is one: ``submit_application`` screens on
    submission (``on_submission``; ``actor`` is then the applicant, and the screening and
    its audit event are recorded as made by pulje, not by a person).
    Side effects: a ``Screening`` row; the application moves by ``screen`` to screened with
    its audit event ``applications.application.screened`` (recording the outcome).
    Raises ApplicationRefused when the application's status does not allow screening, and
    (code ``duty``) when a person screens who is not the call's caseworker or has a conflict
    of interest with it; screening on submission is pulje's, not a person's act.
    """
    with transaction.atomic():
        locked = _locked(application)
        if not on_submission:
            _refuse_screening_by(actor, [locked])
        screening = _screen(actor, locked, by_person=not on_submission)
    application.status = locked.status
    return screening


def _locked(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("call__pool", "organisation")
        .get(pk=application.pk)
    )


def _screen(actor: User | None, locked: Application, *, by_person: bool) -> Screening:
    next_status(locked, "screen")
    candidate, rules, earlier, version = screening_facts(locked)
    result = screen(candidate, rules, earlier)
    # On submission the screening is pulje's own act, recorded as nobody's: the applicant
    # submitted, but did not screen.
    screener = actor if by_person else None
    screening = Screening.objects.create(
        application=locked,
        version_number=version,
        outcome=result.outcome,
        reasons=[reason.as_json() for reason in result.reasons],
        screened_at=timezone.now(),
        screened_by=screener,
    )
    transition(
        actor=screener,
        application=locked,
        action="screen",
        recorded={
            "screening": screening.pk,
            "outcome": result.outcome,
            "reasons": [reason.code for reason in result.reasons],
        },
    )
    return screening


def _refuse_screening_by(actor: User | None, applications: Sequence[Application]) -> None:
    for call in {application.call_id: application.call for application in applications}.values():
        if actor is None or not can_do_casework(actor, call):
            raise ApplicationRefused(
                _("Only the secretariat of “%(call)s” may screen its applications.")
                % {"call": call.title},
                code="duty",
            )
    assert actor is not None
    refusal = conflict_refusal(
        actor,
        applications,
        lead=_("You have a conflict of interest and cannot screen these applications:"),
    )
    if refusal:
        raise ApplicationRefused(refusal, code="duty")


@transaction.atomic
def screen_applications(*, actor: User, applications: Sequence[Application]) -> list[Screening]:
    """Screen several applications again (the queue's bulk action), all or none.

    Side effects: those of ``screen_application`` for each.
    Raises ApplicationRefused naming the applications whose status does not allow it, or
    those the actor has a conflict of interest with (code ``duty``, with who else can),
    having screened none.
    """
    _refuse_screening_by(actor, applications)
    refused = [a.reference for a in applications if not APPLICATION.allowed(a, "screen")]
    if refused:
        raise ApplicationRefused(
            _(
                "Only submitted or screened applications can be screened again; these are "
                "further on: %(references)s. Nothing was screened."
            )
            % {"references": ", ".join(sorted(refused))},
            code="transition",
        )
    screenings = []
    for application in applications:
        locked = _locked(application)
        screenings.append(_screen(actor, locked, by_person=True))
        application.status = locked.status
    return screenings


@transaction.atomic
def screen_again_for_verified_partners(
    *, actor: User | None, cvrs: Collection[str]
) -> list[Screening]:
    """Screen again the applications whose screening found a partner of ``cvrs`` not in the
    registry (``selectors.awaiting_partner_verification``), now that the registry vouches
    for them (``registry.signals.organisations_verified``).

    The screening is made by ``actor``'s verification (``screened_by`` them; None: pulje
    itself), whichever call the application is to: it applies the call's own rules.
    Side effects: those of ``screen_application`` for each, in this transaction.
    """
    return [
        _screen(actor, _locked(application), by_person=actor is not None)
        for application in awaiting_partner_verification(cvrs)
    ]


@transaction.atomic
def verify_application_partner(
    *, actor: User, application: Application, cvr: str, name: str
) -> Organisation:
    """The call's caseworker has checked a partner the application names (by ``cvr``) and
    verifies it in the registry as ``name``, of the kind the application gives it, for
    every pool (``registry.services.verification.verify_partner_organisation``).

    Side effects: those of ``verify_partner_organisation``, among them the re-screening of
    the applications (this one too) whose screening found the partner unknown.
    Raises VerificationRefused (``duty``: not the call's caseworker, or one with a conflict
    of interest with the application; ``not_named``: the application names no such
    partner; and those of ``verify_partner_organisation``), having written nothing.
    """
    if not can_do_casework(actor, application.call):
        raise VerificationRefused(
            _("Only the secretariat of “%(call)s” verifies its applications' partners.")
            % {"call": application.call.title},
            code="duty",
        )
    refusal = conflict_refusal(
        actor,
        [application],
        lead=_("You have a conflict of interest and cannot verify this application's partner:"),
    )
    if refusal:
        raise VerificationRefused(refusal, code="duty")
    partner = application.partners.filter(cvr=cvr).order_by("position").first()
    if partner is None:
        raise VerificationRefused(
            _("The application names no partner with CVR number %(cvr)s.") % {"cvr": cvr},
            code="not_named",
        )
    return verify_partner_organisation(actor=actor, cvr=cvr, name=name, kind=partner.kind)


@transaction.atomic
def override_screening(
    *, actor: User, screening: Screening, outcome: str, reason: str
) -> Screening:
    """Set the outcome of the application's latest screening by hand, with a written reason.

    Side effects: the screening's override fields; audit event
    ``casework.screening.overridden`` with the outcome before and after and the reason.
    Raises ValidationError (``reason`` without text, an unknown outcome, a screening that is
    no longer the latest; an actor who is not the call's caseworker or has a conflict of
    interest with the application, naming who else can).
    """
    locked = (
        Screening.objects.select_for_update(of=("self",))
        .select_related("application__call__pool", "application__organisation")
        .get(pk=screening.pk)
    )
    application = locked.application
    if not can_do_casework(actor, application.call):
        raise ValidationError(_("Only the call's secretariat may override its screenings."))
    refusal = conflict_refusal(
        actor,
        [application],
        lead=_("You have a conflict of interest and cannot override this screening:"),
    )
    if refusal:
        raise ValidationError(refusal)
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
        action=AuditAction.CASEWORK_SCREENING_OVERRIDDEN,
        obj=locked,
        before=before,
        after={"outcome": outcome, "override_reason": reason, "application": locked.application_id},
    )
    return locked


@transaction.atomic
def declare_caseworker_conflict(
    *, actor: User, application: Application, scope: str, note: str = ""
) -> CaseworkerConflict:
    """The caseworker declares a conflict of interest: with the applicant organisation
    (``scope="organisation"``: every application of it, to any call) or with this
    application only (``"application"``). From then on they cannot screen, override,
    recommend, decide, approve or confirm an allocation covering it; the declaration is
    never withdrawn.

    Side effects: one ``CaseworkerConflict``; audit event ``casework.conflict.declared``.
    Raises ValidationError for an actor who is not the call's caseworker, an unknown scope,
    or a conflict that is declared already (or that membership of the organisation makes
    one already).
    """
    if not can_do_casework(actor, application.call):
        raise ValidationError(_("Only the call's secretariat declares conflicts of interest."))
    if scope not in ConflictScope.values:
        raise ValidationError({"scope": _("Choose what the conflict of interest is with.")})
    # The caseworker's own row: two declarations at once from two windows count once.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    existing = caseworker_conflict(actor, application)
    if existing is not None and (
        scope == ConflictScope.APPLICATION or existing.reason != ConflictReason.DECLARED_APPLICATION
    ):
        raise ValidationError(existing.message)
    conflict = CaseworkerConflict.objects.create(
        user=actor,
        organisation_id=application.organisation_id,
        application=application if scope == ConflictScope.APPLICATION else None,
        note=note.strip(),
    )
    record_event(
        actor=actor,
        action=AuditAction.CASEWORK_CONFLICT_DECLARED,
        obj=conflict,
        after={
            "organisation": application.organisation_id,
            "application": conflict.application_id,
            "declared_on": application.pk,
            "note": conflict.note,
        },
    )
    return conflict
