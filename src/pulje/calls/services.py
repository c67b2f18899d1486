"""Writes to calls and their questions. Each writes an audit event in the same transaction."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.calls.selectors import call_bands
from pulje.core.audit import apply_changes, create_recorded, record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.funds.models import Pool
from pulje.funds.permissions import require_pool_manager
from pulje.funds.selectors import effective_spend_by
from pulje.registry.models import OrganisationKind

# What the call's letters say besides the decision (``selectors.call_letter_facts``).
LETTER_FIELDS = (
    "letter_email",
    "letter_phone",
    "legal_basis",
    "funding_source",
    "payment_terms",
    "report_by",
    "complaints_guide",
)
CALL_FIELDS = (
    "pool",
    "code",
    "reference_prefix",
    "title",
    "purpose",
    "eligibility",
    "criteria",
    "guidance",
    "opens_at",
    "closes_at",
    "project_start_earliest",
    "project_end_latest",
    "applicant_kinds",
    "partner_kinds",
    "edit_after_submit",
    *LETTER_FIELDS,
)
# A call's pool and reference prefix are fixed once applications may point at them.
CHANGEABLE_CALL_FIELDS = tuple(f for f in CALL_FIELDS if f not in {"pool", "reference_prefix"})
QUESTION_FIELDS = (
    "call",
    "position",
    "label",
    "help_text",
    "kind",
    "choices",
    "required",
    "max_length",
)


@transaction.atomic
def create_call(
    *,
    actor: User | None,
    pool: Pool,
    code: str,
    reference_prefix: str,
    title: str,
    purpose: str,
    eligibility: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    project_start_earliest: dt.date,
    project_end_latest: dt.date,
    criteria: str = "",
    guidance: str = "",
    applicant_kinds: Sequence[str] = (),
    partner_kinds: Sequence[str] = (),
    edit_after_submit: bool = True,
    letter_email: str = "",
    letter_phone: str = "",
    legal_basis: str = "",
    funding_source: str = "",
    payment_terms: str = "",
    report_by: dt.date | None = None,
    complaints_guide: str = "",
) -> Call:
    """Create a call on ``pool``.

    Side effects: one audit event ``calls.call.created``.
    Raises PermissionDenied unless ``actor`` manages ``pool``; ValidationError naming the
    field that is wrong (see ``validate_call``).
    """
    require_pool_manager(actor, pool)
    call = Call(
        pool=pool,
        code=code,
        reference_prefix=reference_prefix.upper(),
        title=title,
        purpose=purpose,
        eligibility=eligibility,
        criteria=criteria,
        guidance=guidance,
        opens_at=opens_at,
        closes_at=closes_at,
        project_start_earliest=project_start_earliest,
        project_end_latest=project_end_latest,
        applicant_kinds=list(applicant_kinds),
        partner_kinds=list(partner_kinds),
        edit_after_submit=edit_after_submit,
        letter_email=letter_email,
        letter_phone=letter_phone,
        legal_basis=legal_basis,
        funding_source=funding_source,
        payment_terms=payment_terms,
        report_by=report_by,
        complaints_guide=complaints_guide,
    )
    return create_recorded(
        actor=actor,
        instance=call,
        recorded=CALL_FIELDS,
        action=AuditAction.CALLS_CALL_CREATED,
        validate=validate_call,
    )


@transaction.atomic
def update_call(*, actor: User | None, call: Call, **changes: Any) -> Call:
    """Change a call; writes nothing when nothing differs.

    Side effects: one audit event ``calls.call.updated`` with before and after.
    Raises PermissionDenied unless ``actor`` manages the call's pool.
    """
    require_pool_manager(actor, call.pool)
    return apply_changes(
        actor=actor,
        instance=call,
        changes=changes,
        changeable=CHANGEABLE_CALL_FIELDS,
        recorded=CALL_FIELDS,
        action=AuditAction.CALLS_CALL_UPDATED,
        validate=validate_call,
    )


def next_reference_number(*, call: Call) -> str:
    """Count one more application on ``call`` and return its reference number
    (``<prefix>-0001``, then ``-0002``, …).

    Runs in the caller's transaction (the row lock refuses to run outside one): the call's row
    stays locked until it commits, so two submissions at once get two numbers one after the
    other, and a submission that fails takes no number.
    Side effects: ``Call.last_reference_number`` one higher (a counter, not an audited change:
    the submission that takes the number records it in its own event).
    """
    locked = Call.objects.select_for_update().get(pk=call.pk)
    locked.last_reference_number += 1
    locked.save(update_fields=["last_reference_number"])
    return f"{locked.reference_prefix}-{locked.last_reference_number:04d}"


def validate_call(call: Call) -> None:
    """Model validation plus the rules across fields and the pool.

    Raises ValidationError naming each wrong field: the deadline before the opening, a project
    window outside the pool's period or after its spend-by date, a report due before the
    projects end, unknown kinds of organisation, a pool without grant bands. (The call editor,
    ``forms.CallForm``, also refuses a project window before the deadline or in the past.)
    """
    errors: dict[str, list[str]] = {}
    try:
        call.full_clean(validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    if call.opens_at and call.closes_at and call.closes_at <= call.opens_at:
        errors.setdefault("closes_at", []).append(_("The deadline must be after the opening."))
    start, end = call.project_start_earliest, call.project_end_latest
    pool = call.pool if call.pool_id else None
    if start and end:
        if end < start:
            errors.setdefault("project_end_latest", []).append(
                _("The last end date must not be before the first start date.")
            )
        elif pool is not None:
            outside = _("Projects must lie within the pool's period, %(start)s to %(end)s.") % {
                "start": date_format(pool.period_start),
                "end": date_format(pool.period_end),
            }
            for name, day in (("project_start_earliest", start), ("project_end_latest", end)):
                if not pool.period_start <= day <= pool.period_end:
                    errors.setdefault(name, []).append(outside)
            spend_by = effective_spend_by(pool)
            if spend_by is not None and end > spend_by:
                errors.setdefault("project_end_latest", []).append(
                    _("Grants from this pool must be spent by %(date)s.")
                    % {"date": date_format(spend_by)}
                )
    _refuse_report_before_the_end(call, errors)
    known = set(OrganisationKind.values)
    for name in ("applicant_kinds", "partner_kinds"):
        unknown = [kind for kind in getattr(call, name) if kind not in known]
        if unknown:
            errors.setdefault(name, []).append(
                _("Unknown kind of organisation: %(kinds)s.") % {"kinds": ", ".join(unknown)}
            )
    if pool is not None and not call_bands(call):
        errors.setdefault("pool", []).append(
            _(
                "The pool has no grant bands: give it a smallest and largest grant, or sub-pools "
                "that have them."
            )
        )
    if errors:
        raise ValidationError(errors)


def _refuse_report_before_the_end(call: Call, errors: dict[str, list[str]]) -> None:
    end = call.project_end_latest
    if end and call.report_by and call.report_by < end:
        errors.setdefault("report_by", []).append(
            _("The report cannot be due before the projects end, %(date)s.")
            % {"date": date_format(end)}
        )


@transaction.atomic
def add_question(
    *,
    actor: User | None,
    call: Call,
    label: str,
    kind: str,
    help_text: str = "",
    choices: Sequence[str] = (),
    required: bool = True,
    max_length: int | None = None,
) -> CallQuestion:
    """Add a question at the end of the call's questions.

    Side effects: one audit event ``calls.question.added``.
    Raises PermissionDenied unless ``actor`` manages the call's pool; ValidationError when a
    choice question has fewer than two options, or options are given for another kind.
    """
    require_pool_manager(actor, call.pool)
    last = call.questions.order_by("-position").values_list("position", flat=True).first()
    question = CallQuestion(
        call=call,
        position=(last or 0) + 1,
        label=label,
        help_text=help_text,
        kind=kind,
        choices=[choice.strip() for choice in choices if choice.strip()],
        required=required,
        max_length=max_length,
    )
    return create_recorded(
        actor=actor,
        instance=question,
        recorded=QUESTION_FIELDS,
        action=AuditAction.CALLS_QUESTION_ADDED,
        validate=validate_question,
    )


@transaction.atomic
def remove_question(*, actor: User | None, question: CallQuestion) -> None:
    """Remove a question that no application has answered yet.

    Side effects: one audit event ``calls.question.deleted``.
    Raises PermissionDenied unless ``actor`` manages the call's pool; ValidationError when it
    has answers (change the call's text instead).
    """
    require_pool_manager(actor, question.call.pool)
    check_question_removable(question)
    before = snapshot(question, QUESTION_FIELDS)
    record_event(
        actor=actor, action=AuditAction.CALLS_QUESTION_DELETED, obj=question, before=before
    )
    question.delete()


def check_question_removable(question: CallQuestion) -> None:
    """Raise ValidationError if an application has answered ``question``."""
    if question.answers.exists() or question.attachments.exists():
        raise ValidationError(_("Applicants have answered this question, so it cannot be removed."))


def validate_question(question: CallQuestion, *, exclude: Sequence[str] = ()) -> None:
    """Model validation (but of the ``exclude`` fields) and the options' rules: a choice
    question has at least two options, and only a choice question has any; only a text
    question has a longest answer."""
    errors: dict[str, list[str]] = {}
    try:
        question.full_clean(exclude=list(exclude))
    except ValidationError as error:
        errors.update(error.message_dict)
    if question.kind == QuestionKind.CHOICE and len(question.choices) < 2:
        errors.setdefault("choices", []).append(_("Give at least two options, one per line."))
    if question.kind != QuestionKind.CHOICE and question.choices:
        errors.setdefault("choices", []).append(_("Only a choice question has options."))
    if question.kind != QuestionKind.TEXT and question.max_length is not None:
        errors.setdefault("max_length", []).append(_("Only a text answer has a longest length."))
    if errors:
        raise ValidationError(errors)
