"""The grantee's no thanks to a grant (``decline_grant``).

One transaction, locking the grant's band and the application in the order of
``core.locks`` (as a lapse does), so an acceptance or a lapse at the same time waits, or is
waited for, and then finds the grant no longer awaiting acceptance.
"""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from pulje.accounts.models import User
from pulje.applications.models import Application
from pulje.applications.workflow import APPLICATION, transition
from pulje.calls.selectors import call_letter_facts
from pulje.core.locks import lock_for
from pulje.core.mail import queue_mail
from pulje.decisions.models import Decision
from pulje.decisions.services.common import DecisionRefused
from pulje.ledger.models import ReleaseReason
from pulje.ledger.services import release
from pulje.registry.permissions import is_proven_member


@transaction.atomic
def decline_grant(*, actor: User, decision: Decision) -> Decision:
    """The grantee declines a grant they have not accepted: the application moves to
    declined, and the commitment still unpaid goes back to the band it was granted from.

    Side effects: a ledger release of the unpaid commitment (reason "cancelled", key
    ``decline-<decision pk>``) kept as the decision's ``release``; the move to declined (event
    ``applications.application.declined``, with the amount released); after the commit, an
    e-mail to the secretariat (the call's letter e-mail, or the administering organisation's
    contact) and to the caseworker who decided.

    Raises DecisionRefused, having written nothing: for a user who is not a proven member of
    the organisation, and for a grant not awaiting acceptance (accepted, lapsed, declined, or
    a rejection).
    """
    locked = Decision.objects.select_related(
        "band", "grant", "decided_by", "application__call__pool__administrator"
    ).get(pk=decision.pk)
    if not is_proven_member(actor, locked.application.organisation):
        raise DecisionRefused(
            _(
                "Only the organisation's members can decline the grant, once it is proven that "
                "they act for it (on the organisation's page)."
            ),
            code="not_member",
        )
    if locked.band is None or locked.grant is None:
        raise DecisionRefused(_("Only a grant can be declined."), code="not_a_grant")
    application = lock_for(
        pools=[locked.band.pk], applications=[locked.application_id]
    ).applications[locked.application_id]
    if not APPLICATION.allowed(application, "decline"):
        raise DecisionRefused(
            _("The grant is not awaiting acceptance, so it can no longer be declined."),
            code="not_awaiting_acceptance",
        )
    grant = locked.grant
    grant.refresh_from_db()
    unpaid = grant.balance.unpaid
    entry = None
    if unpaid > 0:
        entry = release(
            actor=actor,
            grant=grant,
            amount_ore=unpaid,
            reason=ReleaseReason.CANCELLED,
            text=application.reference,
            key=f"decline-{locked.pk}",
        )
    Decision.objects.filter(pk=locked.pk).update(release=entry)
    locked.release = entry
    transition(
        actor=actor,
        application=application,
        action="decline",
        recorded={"decision": locked.pk, "released_ore": unpaid},
    )
    _tell_the_secretariat(locked, application, actor)
    return locked


def _tell_the_secretariat(decision: Decision, application: Application, actor: User) -> None:
    """Queued now, sent after the commit (``queue_mail``)."""
    recipients = sorted(
        {
            address
            for address in (
                call_letter_facts(decision.application.call).sender_email,
                decision.decided_by.email,
            )
            if address
        }
    )
    with override("da"):
        path = reverse("desk:application", kwargs={"uuid": application.uuid})
        context = {
            "application": application,
            "organisation": decision.application.organisation,
            "actor": actor,
            "url": f"{settings.SITE_URL}{path}",
        }
        queue_mail(
            subject=_("Grant declined: %(reference)s %(title)s")
            % {"reference": application.reference, "title": application.title},
            body=render_to_string("decisions/email/declined.txt", context),
            to=recipients,
        )
