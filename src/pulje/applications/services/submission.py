"""Submission: what the applicant checked becomes a submitted version, screened at once.

``submit_application`` is one transaction holding the application's row lock
(``select_for_update``) from the first read to the last write; the status moves only through
``workflow.transition`` (compare-and-swap). Screening, which sits above this app, listens to
``signals.application_submitted`` in the same transaction. The receipt is mailed after commit.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import User
from pulje.applications.checks import ReadDraft
from pulje.applications.models import (
    Answer,
    Application,
    ApplicationStatus,
    ApplicationVersion,
    BudgetLine,
    Partner,
)
from pulje.applications.presenters import submission_content
from pulje.applications.selectors import check_submission, fingerprint
from pulje.applications.services.common import _refuse_unless_editable
from pulje.applications.signals import application_submitted
from pulje.applications.workflow import ApplicationRefused, next_status, transition
from pulje.calls.services import next_reference_number
from pulje.core.mail import queue_mail
from pulje.registry.models import Organisation
from pulje.registry.permissions import is_proven_member


@dataclass(frozen=True)
class Submission:
    version: ApplicationVersion
    new: bool


@transaction.atomic
def submit_application(*, actor: User, application: Application, confirmed: str) -> Submission:
    """Submit what the applicant checked (``confirmed`` is the fingerprint they saw).

    Submitting the same content again (a double click, a second tab, a retry) returns the
    version already submitted and changes nothing. Submitting changes to a submitted
    application, where the call allows it, appends a new version.
    Side effects: typed fields, departments, budget lines, partners and answers written from
    the draft; an ``ApplicationVersion``; the reference number on first submission; one audit
    event ``applications.application.submitted``; the signal ``signals.application_submitted``,
    on which casework screens the application in this transaction; after commit, the receipt
    by e-mail.
    Raises ApplicationRefused (not a proven member of the organisation, deadline, state,
    content changed since it was checked) or
    ValidationError (the form's messages, ``check_submission``'s, and what the profile lacks),
    having written nothing.
    """
    locked = (
        Application.objects.select_for_update()
        .select_related("call", "organisation")
        .get(pk=application.pk)
    )
    if not is_proven_member(actor, locked.organisation):
        raise ApplicationRefused(
            _(
                "Before you submit, prove that you act for %(name)s: the organisation's page "
                "shows how."
            )
            % {"name": locked.organisation.name},
            code="unproven",
        )
    current = fingerprint(locked)
    latest = locked.versions.order_by("-number").first()
    # Screened on submission, so a retry finds it past "submitted".
    submitted = locked.status in ApplicationStatus.counted()
    if submitted and latest is not None and latest.fingerprint == confirmed == current:
        return Submission(version=latest, new=False)
    _refuse_unless_editable(locked)
    next_status(locked, "submit")
    if confirmed != current:
        raise ApplicationRefused(
            _(
                "The application has changed since you checked it. Check it again before you "
                "submit it."
            ),
            code="changed",
        )
    checked = check_submission(locked)
    if not checked.valid or checked.problems:
        raise ValidationError(checked.messages())
    _write_typed(locked, checked.read)
    now = timezone.now()
    first: dict[str, Any] = {}
    if not locked.reference:
        first = {"reference": next_reference_number(call=locked.call), "submitted_at": now}
    version = ApplicationVersion.objects.create(
        application=locked,
        number=(latest.number + 1) if latest else 1,
        submitted_at=now,
        submitted_by=actor,
        content=submission_content(locked, checked.read),
        fingerprint=current,
    )
    transition(
        actor=actor,
        application=locked,
        action="submit",
        changes=first,
        recorded={"amount_ore": locked.amount_ore, "version": version.number},
    )
    # Screening (casework) listens and screens in this transaction; its failure undoes all.
    application_submitted.send(sender=Application, actor=actor, application=locked)
    # robust: a mail server that fails is logged; the submission stands, its receipt is online.
    transaction.on_commit(lambda: send_receipt(version.pk), robust=True)
    return Submission(version=version, new=True)


def _write_typed(application: Application, read: ReadDraft) -> None:
    typed = read.input
    for name in ("title", "summary", "activities", "loneliness"):
        setattr(application, name, getattr(typed, name))
    application.target_groups = list(typed.target_groups)
    application.period_start = typed.period_start
    application.period_end = typed.period_end
    application.expected_participants = typed.expected_participants
    application.amount_ore = typed.amount_ore
    application.cofunding_ore = typed.cofunding_ore or 0
    application.save()
    application.departments.set(read.departments)
    application.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(application=application, kind=kind, amount_ore=amount)
        for kind, amount in (typed.budget or {}).items()
    )
    application.partners.all().delete()
    partners = list(typed.partners or ())
    known = dict(
        Organisation.objects.filter(cvr__in=[p.cvr for p in partners]).values_list("cvr", "pk")
    )
    Partner.objects.bulk_create(
        Partner(
            application=application,
            position=position,
            organisation_id=known.get(p.cvr),
            name=p.name,
            cvr=p.cvr,
            kind=p.kind,
        )
        for position, p in enumerate(partners, start=1)
    )
    application.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(application=application, question=question, value=typed.answers[question.pk])
        for question in read.questions
        if typed.answers.get(question.pk) not in (None, "")
    )


def send_receipt(version_id: int) -> None:
    """E-mail the receipt of a submitted version to who submitted it and the contact person."""
    version = ApplicationVersion.objects.select_related(
        "application__call", "application__organisation", "submitted_by"
    ).get(pk=version_id)
    application = version.application
    recipients = sorted({version.submitted_by.email, application.organisation.contact_email} - {""})
    with override("da"):
        path = reverse("applications:receipt", kwargs={"uuid": application.uuid})
        context = {
            "version": version,
            "application": application,
            "receipt_url": f"{settings.SITE_URL}{path}?version={version.number}",
        }
        queue_mail(
            subject=_("Receipt: %(reference)s %(title)s")
            % {"reference": application.reference, "title": application.title},
            body=render_to_string("applications/email/receipt.txt", context),
            to=recipients,
        )
