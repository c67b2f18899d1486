"""Withdrawal of an application before a decision: one transaction holding the application's
row lock; the status moves only through ``workflow.transition`` (compare-and-swap)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus
from pulje.applications.workflow import ApplicationRefused, transition
from pulje.registry.permissions import is_member, is_proven_member


@transaction.atomic
def withdraw_application(*, actor: User, application: Application) -> Application:
    """Withdraw an application (a draft or a submitted one) before a decision: a member of
    the organisation withdraws a draft, only a proven member a submitted one.

    Side effects: one audit event ``applications.application.withdrawn``.
    Raises ApplicationRefused when ``actor`` may not, or its state does not allow it.
    """
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=application.pk)
    )
    if not (
        is_proven_member(actor, locked.organisation)
        or (locked.status == ApplicationStatus.DRAFT and is_member(actor, locked.organisation))
    ):
        raise ApplicationRefused(
            _(
                "Only someone who has proven that they act for %(name)s may withdraw its "
                "submitted applications."
            )
            % {"name": locked.organisation.name},
            code="unproven",
        )
    transition(
        actor=actor,
        application=locked,
        action="withdraw",
        changes={"withdrawn_at": timezone.now()},
    )
    return locked
