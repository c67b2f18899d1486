"""Every action the audit trail records, with the label a timeline shows for it.

The values are what ``AuditEvent.action`` stores (and what the hash chain covers), so a value
never changes once events carry it; a new action is a new member. ``record_event`` refuses an
action that is not here, so every event on a timeline has a Danish label.
"""

from typing import NewType

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    ACCOUNTS_USER_REGISTERED = "accounts.user.registered", _("Registered")
    ACCOUNTS_MEMBERSHIP_ADDED = "accounts.membership.added", _("Added")
    ACCOUNTS_MEMBERSHIP_REQUESTED = "accounts.membership.requested", _("Membership requested")
    ACCOUNTS_MEMBERSHIP_CODE_SENT = "accounts.membership.code_sent", _("Proof code sent")
    ACCOUNTS_MEMBERSHIP_PROVEN = "accounts.membership.proven", _("Membership proven")
    ACCOUNTS_MEMBERSHIP_HELD = (
        "accounts.membership.held",
        _("Membership held for the secretariat's approval"),
    )
    ACCOUNTS_MEMBERSHIP_REFUSED = "accounts.membership.refused", _("Membership refused")
    ACCOUNTS_MEMBERSHIP_REMOVED = "accounts.membership.removed", _("Membership removed")
    ACCOUNTS_MEMBERSHIP_ROLE_CHANGED = "accounts.membership.role_changed", _("Role changed")
    ACCOUNTS_INVITATION_SENT = "accounts.invitation.sent", _("Sent")
    ACCOUNTS_INVITATION_ACCEPTED = "accounts.invitation.accepted", _("Accepted")
    ACCOUNTS_INVITATION_REVOKED = "accounts.invitation.revoked", _("Invitation revoked")

    REGISTRY_ORGANISATION_REGISTERED = "registry.organisation.registered", _("Registered")
    REGISTRY_ORGANISATION_UPDATED = "registry.organisation.updated", _("Changed")
    REGISTRY_ORGANISATION_VERIFIED = (
        "registry.organisation.verified",
        _("Verified as a partner organisation"),
    )
    REGISTRY_DEPARTMENT_REGISTERED = "registry.department.registered", _("Registered")
    REGISTRY_DEPARTMENT_UPDATED = "registry.department.updated", _("Changed")

    FUNDS_POOL_CREATED = "funds.pool.created", _("Created")
    FUNDS_POOL_UPDATED = "funds.pool.updated", _("Changed")
    FUNDS_POOL_REPORTING_RULES_SET = "funds.pool.reporting_rules_set", _("Reporting rules set")

    # One per ledger entry kind (``ledger.balances.Kind``), and its reversal.
    LEDGER_GRANT_ACCOUNT_OPENED = "ledger.grant_account.opened", _("Opened")
    LEDGER_APPROPRIATION = "ledger.appropriation", _("Appropriation")
    LEDGER_APPROPRIATION_REVERSAL = "ledger.appropriation.reversal", _("Reversed")
    LEDGER_DELEGATION = "ledger.delegation", _("Delegation")
    LEDGER_DELEGATION_REVERSAL = "ledger.delegation.reversal", _("Reversed")
    LEDGER_COMMITMENT = "ledger.commitment", _("Commitment")
    LEDGER_COMMITMENT_REVERSAL = "ledger.commitment.reversal", _("Reversed")
    LEDGER_RELEASE = "ledger.release", _("Release")
    LEDGER_RELEASE_REVERSAL = "ledger.release.reversal", _("Reversed")
    LEDGER_PAYMENT = "ledger.payment", _("Payment")
    LEDGER_PAYMENT_REVERSAL = "ledger.payment.reversal", _("Reversed")
    LEDGER_RECOVERY = "ledger.recovery", _("Recovery")
    LEDGER_RECOVERY_REVERSAL = "ledger.recovery.reversal", _("Reversed")
    LEDGER_TRANSFER = "ledger.transfer", _("Transfer")
    LEDGER_TRANSFER_REVERSAL = "ledger.transfer.reversal", _("Reversed")
    LEDGER_RETURN = "ledger.return", _("Return to the pool above")
    LEDGER_RETURN_REVERSAL = "ledger.return.reversal", _("Reversed")

    CALLS_CALL_CREATED = "calls.call.created", _("Created")
    CALLS_CALL_UPDATED = "calls.call.updated", _("Changed")
    CALLS_QUESTION_ADDED = "calls.question.added", _("Added")
    CALLS_QUESTION_DELETED = "calls.question.deleted", _("Deleted")

    APPLICATION_CREATED = "applications.application.created", _("Created")
    APPLICATION_SUBMITTED = "applications.application.submitted", _("Submitted")
    APPLICATION_SCREENED = "applications.application.screened", _("Screened")
    APPLICATION_ASSESSMENT_STARTED = (
        "applications.application.assessment_started",
        _("Assessment started"),
    )
    APPLICATION_RECOMMENDED = "applications.application.recommended", _("Recommended")
    APPLICATION_NOT_RECOMMENDED = "applications.application.not_recommended", _("Not recommended")
    APPLICATION_GRANT_PROPOSED = (
        "applications.application.grant_proposed",
        _("Grant proposed, awaiting second approval"),
    )
    APPLICATION_GRANT_RETURNED = (
        "applications.application.grant_returned",
        _("Proposed grant returned"),
    )
    APPLICATION_GRANTED = "applications.application.granted", _("Granted")
    APPLICATION_REJECTED = "applications.application.rejected", _("Rejected")
    APPLICATION_ACCEPTED = "applications.application.accepted", _("Accepted")
    APPLICATION_LAPSED = "applications.application.lapsed", _("Lapsed")
    APPLICATION_DECLINED = "applications.application.declined", _("Grant declined")
    APPLICATION_DECISION_UNDONE = "applications.application.decision_undone", _("Decision undone")
    APPLICATION_WITHDRAWN = "applications.application.withdrawn", _("Withdrawn")
    APPLICATION_ATTACHMENT_ADDED = "applications.attachment.added", _("Added")
    APPLICATION_ATTACHMENT_DELETED = "applications.attachment.deleted", _("Deleted")
    APPLICATION_ATTACHMENT_PURGED = (
        "applications.attachment.purged",
        _("Deleted after the retention period"),
    )

    CASEWORK_SCREENING_RULES_CREATED = "casework.screeningrules.created", _("Created")
    CASEWORK_SCREENING_RULES_UPDATED = "casework.screeningrules.updated", _("Changed")
    CASEWORK_SCREENING_OVERRIDDEN = "casework.screening.overridden", _("Overridden")
    CASEWORK_CONFLICT_DECLARED = "casework.conflict.declared", _("Declared")

    ASSESSMENT_PANEL_MEMBER_ADDED = "assessment.panelmember.added", _("Added")
    ASSESSMENT_PANEL_MEMBER_DELETED = "assessment.panelmember.deleted", _("Deleted")
    ASSESSMENT_ASSIGNMENT_CREATED = "assessment.assignment.created", _("Created")
    ASSESSMENT_ASSIGNMENT_DECLARED = "assessment.assignment.declared", _("Declared")
    ASSESSMENT_ASSIGNMENT_SUBMITTED = "assessment.assignment.submitted", _("Submitted")
    ASSESSMENT_RUBRIC_CREATED = "assessment.rubric.created", _("Created")
    ASSESSMENT_RUBRIC_UPDATED = "assessment.rubric.updated", _("Changed")

    ALLOCATION_RUN_CREATED = "allocation.run.created", _("Created")
    ALLOCATION_RUN_SOLVED = "allocation.run.solved", _("Computed")
    ALLOCATION_RUN_STOP_REQUESTED = "allocation.run.stop_requested", _("Asked to stop")
    ALLOCATION_RUN_CONFIRMED = "allocation.run.confirmed", _("Confirmed")

    FASTTRACK_SET = "fasttrack.fasttrack.set", _("Fast track set")
    FASTTRACK_PAUSED = "fasttrack.fasttrack.paused", _("Fast track paused")
    FASTTRACK_RESUMED = "fasttrack.fasttrack.resumed", _("Fast track resumed")
    FASTTRACK_ENTERED = "fasttrack.entry.entered", _("Waiting on the fast track")
    FASTTRACK_GRANTED = "fasttrack.entry.granted", _("Granted by the fast track")
    FASTTRACK_TO_CASEWORKER = "fasttrack.entry.to_caseworker", _("Sent to a caseworker")

    LETTERS_JOB_QUEUED = "letters.job.queued", _("Letters queued")
    LETTERS_JOB_RETRIED = "letters.job.retried", _("Letters run again")
    LETTERS_JOB_DONE = "letters.job.done", _("Letters done")
    LETTERS_JOB_FAILED = "letters.job.failed", _("Letters failed")
    LETTERS_JOB_CANCELLED = "letters.job.cancelled", _("Letters cancelled")
    LETTERS_LETTER_CREATED = "letters.letter.created", _("Created")
    LETTERS_LETTER_SENT = "letters.letter.sent", _("Sent")
    LETTERS_LETTER_FAILED = "letters.letter.failed", _("Letter not e-mailed")
    LETTERS_TEMPLATE_CREATED = "letters.template.created", _("Created")

    PAYMENTS_RULES_SET = "payments.rules.set", _("Payment rules set")
    PAYMENTS_PLAN_CREATED = "payments.plan.created", _("Payment plan made")
    PAYMENTS_PLAN_CHANGED = "payments.plan.changed", _("Payment plan changed")
    PAYMENTS_ACCOUNT_CONFIRMED = "payments.plan.account_confirmed", _("Payment account confirmed")
    PAYMENTS_INSTALMENT_HELD = "payments.instalment.held", _("Payment held")
    PAYMENTS_INSTALMENT_RELEASED = "payments.instalment.released", _("Hold lifted")
    PAYMENTS_INSTALMENTS_DUE = "payments.instalment.due", _("Payment due")
    PAYMENTS_BANK_PROFILE_SET = "payments.bankprofile.set", _("Bank profile set")
    PAYMENTS_RUN_PREPARED = "payments.run.prepared", _("Payment run prepared")
    PAYMENTS_RUN_APPROVED = "payments.run.approved", _("Payment run approved")
    PAYMENTS_RUN_EXPORTED = "payments.run.exported", _("Bank file downloaded")
    PAYMENTS_RUN_CANCELLED = "payments.run.cancelled", _("Payment run cancelled")


class AdminVerb(models.TextChoices):
    """What the administration did to a row of any model it edits."""

    ADDED = "added", _("Added")
    CHANGED = "changed", _("Changed")
    DELETED = "deleted", _("Deleted")
    PASSWORD_CHANGED = "password_changed", _("Password changed")


# ``admin.<app>.<model>.<verb>``: the administration edits any registered model, so its
# actions are built from the model's label and a verb rather than listed.
AdminAction = NewType("AdminAction", str)


def admin_action(label_lower: str, verb: AdminVerb) -> AdminAction:
    return AdminAction(f"admin.{label_lower}.{verb}")


def known_label(action: str) -> str | None:
    """The translated label of a stored action, or None for one that is not known."""
    if action in AuditAction.values:
        return str(AuditAction(action).label)
    prefix, _dot, verb = action.rpartition(".")
    if prefix.startswith("admin.") and verb in AdminVerb.values:
        return gettext("%(label)s in the administration") % {"label": AdminVerb(verb).label}
    return None
