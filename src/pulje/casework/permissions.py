"""Who may use desk: the call's secretariat works its queue (``can_work_call``); the
funder above it reads the queue and the applications but acts on nothing
(``can_oversee_call``). Anyone else gets a 404, as if the call had no casework.

Separation of duties: a caseworker with a conflict of interest on an application (a member
of the applicant organisation, or one who has declared a conflict with it or its
organisation) may read it but not act on it: not screen it, override its screening,
recommend, decide, approve or confirm an allocation that covers it.
``caseworker_conflicts`` is the one predicate every such service asks.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from pulje.accounts.models import Membership, User
from pulje.applications.models import Application, Attachment
from pulje.applications.permissions import get_submitted_attachment_or_404
from pulje.calls.models import Call
from pulje.calls.permissions import can_oversee_call, can_work_call
from pulje.casework.models import CaseworkerConflict


def can_read_casework(user: User, call: Call) -> bool:
    return can_oversee_call(user, call)


def can_do_casework(user: User, call: Call) -> bool:
    return can_work_call(user, call)


def get_application_for_overseer_or_404(user: User, uuid: str) -> tuple[Application, bool]:
    """A submitted application (with its call, pool and organisation) that ``user`` reads as
    a caseworker or the funder above (``can_read_casework``), and whether they may act on it
    (``can_do_casework``); anyone else gets a 404, and everyone for an application never
    submitted (a draft, or one withdrawn as a draft)."""
    application = get_object_or_404(
        Application.objects.filter(submitted_at__isnull=False).select_related(
            "call__pool", "organisation"
        ),
        uuid=uuid,
    )
    if not can_read_casework(user, application.call):
        raise Http404
    return application, can_do_casework(user, application.call)


def get_application_for_caseworker_or_404(user: User, uuid: str) -> Application:
    """A submitted application that ``user`` may act on as its call's caseworker."""
    application, works = get_application_for_overseer_or_404(user, uuid)
    if not works:
        raise Http404
    return application


class ConflictReason(StrEnum):
    MEMBER = "member"
    DECLARED_ORGANISATION = "declared_organisation"
    DECLARED_APPLICATION = "declared_application"


@dataclass(frozen=True)
class Conflict:
    """Why a caseworker may not act on one application."""

    application_id: int
    reference: str
    organisation: str
    reason: ConflictReason

    @property
    def message(self) -> str:
        """The reason, for the person, in the active language."""
        names = {"reference": self.reference, "organisation": self.organisation}
        if self.reason == ConflictReason.MEMBER:
            return _("%(reference)s: you are a member of %(organisation)s, the applicant") % names
        if self.reason == ConflictReason.DECLARED_ORGANISATION:
            return (
                _("%(reference)s: you have declared a conflict of interest with %(organisation)s")
                % names
            )
        return _("%(reference)s: you have declared a conflict of interest with it") % names


def caseworker_conflicts(user: User, applications: Iterable[Application]) -> dict[int, Conflict]:
    """The conflicts ``user`` has with ``applications``, by application pk (those without
    one are left out). One query however many applications; none for none."""
    ids = sorted({application.pk for application in applications})
    if not ids or not user.is_authenticated:
        return {}
    organisation = OuterRef("organisation_id")
    rows = (
        Application.objects.filter(pk__in=ids)
        .annotate(
            member=Exists(Membership.objects.filter(user=user, organisation=organisation)),
            declared_organisation=Exists(
                CaseworkerConflict.objects.filter(
                    user=user, organisation=organisation, application__isnull=True
                )
            ),
            declared_application=Exists(
                CaseworkerConflict.objects.filter(user=user, application=OuterRef("pk"))
            ),
        )
        .filter(Q(member=True) | Q(declared_organisation=True) | Q(declared_application=True))
        .values_list(
            "pk",
            "reference",
            "organisation__name",
            "member",
            "declared_organisation",
        )
    )
    conflicts = {}
    for pk, reference, organisation_name, member, declared_organisation in rows:
        if member:
            reason = ConflictReason.MEMBER
        elif declared_organisation:
            reason = ConflictReason.DECLARED_ORGANISATION
        else:
            reason = ConflictReason.DECLARED_APPLICATION
        conflicts[pk] = Conflict(pk, reference or str(pk), organisation_name, reason)
    return conflicts


def caseworker_conflict(user: User, application: Application) -> Conflict | None:
    """The conflict ``user`` has with ``application``, or None (one query)."""
    return caseworker_conflicts(user, [application]).get(application.pk)


def free_caseworkers(
    call: Call, applications: Sequence[Application], *, besides: Iterable[User] = ()
) -> list[User]:
    """The call's caseworkers (proven members of the organisation that administers its
    pool) with no conflict with any of ``applications`` (any membership of an applicant,
    even one not proven, is one), apart from ``besides``: who else can act. One query."""
    organisations = {application.organisation_id for application in applications}
    ids = [application.pk for application in applications]
    secretariat = Membership.objects.proven().filter(organisation_id=call.pool.administrator_id)
    return list(
        User.objects.filter(is_active=True, pk__in=secretariat.values("user_id"))
        .exclude(pk__in=[user.pk for user in besides])
        .exclude(memberships__organisation_id__in=organisations)
        .exclude(
            Exists(
                CaseworkerConflict.objects.filter(user=OuterRef("pk")).filter(
                    Q(organisation_id__in=organisations, application__isnull=True)
                    | Q(application_id__in=ids)
                )
            )
        )
        .order_by("name", "email")
    )


def who_else_can(
    call: Call, applications: Sequence[Application], *, besides: Iterable[User] = ()
) -> str:
    """A sentence naming the call's caseworkers who can act on ``applications`` instead."""
    others = free_caseworkers(call, applications, besides=besides)
    if not others:
        return _(
            "No other caseworker of the pool is free of a conflict with them: the "
            "organisation that administers the pool must add one."
        )
    return _("Caseworkers who can: %(names)s.") % {
        "names": ", ".join(user.name or user.email for user in others)
    }


def conflicts_sentence(conflicts: Iterable[Conflict]) -> str:
    """The conflicts as one list, for a refusal: "BL20-0001: you are a member of …; …"."""
    return "; ".join(conflict.message for conflict in sorted(conflicts, key=lambda c: c.reference))


def conflict_refusal(
    user: User,
    applications: Sequence[Application],
    *,
    lead: str,
    besides: Iterable[User] = (),
) -> str | None:
    """The whole refusal when ``user`` has a conflict with any of ``applications``: ``lead``
    (what they cannot do, ending in a colon), the conflicts, and who else can (not
    ``besides`` either); None when there is none. Two queries with a conflict, one
    without."""
    conflicts = caseworker_conflicts(user, applications)
    if not conflicts:
        return None
    conflicted = [application for application in applications if application.pk in conflicts]
    others = who_else_can(conflicted[0].call, conflicted, besides=[user, *besides])
    return f"{lead} {conflicts_sentence(conflicts.values())}. {others}"


def duty_context(user: User, application: Application, works: bool) -> dict[str, Any]:
    """For a page where a caseworker acts on ``application``: their conflict of interest
    with it, if any, and then the call's caseworkers who can act instead
    (``casework/_conflict.html`` shows them)."""
    conflict = caseworker_conflict(user, application) if works else None
    return {
        "conflict": conflict,
        "free_caseworkers": (
            free_caseworkers(application.call, [application], besides=[user]) if conflict else []
        ),
    }


def get_attachment_for_caseworker_or_404(user: User, uuid: str, pk: int) -> Attachment:
    """A file of the submitted application ``uuid`` to a caseworker of its call (a funder who
    only reads the casework does not download the applicants' files); anyone else a 404."""
    application = get_application_for_caseworker_or_404(user, uuid)
    return get_submitted_attachment_or_404(application, pk)
