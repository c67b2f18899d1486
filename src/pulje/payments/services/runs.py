"""Payment runs: prepared by one person, approved by another, which pays every instalment
through the ledger and writes the bank file in one transaction; the file downloaded."""

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.calls.models import Call
from pulje.core.audit import record_event
from pulje.core.audit_actions import AuditAction
from pulje.funds.models import Pool
from pulje.ledger.services import Payment, pay_batch
from pulje.payments import pain001
from pulje.payments.errors import PaymentRefused
from pulje.payments.models import (
    BankProfile,
    Instalment,
    InstalmentState,
    PaymentRun,
    RunItem,
    RunState,
)
from pulje.payments.permissions import can_pay_from
from pulje.payments.selectors import due_instalments, holds_for
from pulje.payments.workflow import RUN


def _require_payer(actor: User, pools: Sequence[Pool]) -> None:
    if not can_pay_from(actor, pools):
        raise PaymentRefused(
            _("Only the secretariat of the pools pays their grants."), code="not_payer"
        )


def _run_key(today: dt.date) -> str:
    """``PR-<date>-<8 hex>``: the run's MsgId, readable on a bank statement. Random rather
    than counted, so two runs prepared at the same moment never get the same key."""
    return f"PR-{today:%Y%m%d}-{secrets.token_hex(4).upper()}"


@transaction.atomic
def prepare_run(
    *,
    actor: User,
    pools: Sequence[Pool],
    due_up_to: dt.date,
    execution_date: dt.date,
    calls: Sequence[Call] = (),
) -> PaymentRun:
    """A run of the instalments due by ``due_up_to`` on grants from ``pools`` (and the pools
    below them; of ``calls`` if given) that no hold stops and no live run holds, to be paid
    on ``execution_date`` from the account of the pools' administrator. Held instalments stay
    out and show on the run's page.

    Side effects: the run and its items (the account and name each is paid to, as now);
    one audit event ``payments.run.prepared``.
    Raises PaymentRefused (``not_payer``, ``no_pools``, ``several_payers``,
    ``no_bank_profile``, ``past_date``, ``nothing_due``, ``taken``) having written nothing.
    """
    if not pools:
        raise PaymentRefused(_("Choose at least one pool."), code="no_pools", field="pools")
    _require_payer(actor, pools)
    payers = {pool.administrator_id for pool in pools}
    if len(payers) != 1:
        raise PaymentRefused(
            _("A run pays from one organisation's account: choose pools it administers."),
            code="several_payers",
            field="pools",
        )
    payer = pools[0].administrator
    if not BankProfile.objects.filter(organisation=payer).exists():
        raise PaymentRefused(
            _("%(payer)s has no bank profile yet: set it up before preparing a run.")
            % {"payer": payer.name},
            code="no_bank_profile",
        )
    today = timezone.localdate()
    if execution_date < today:
        raise PaymentRefused(
            _("The payment date cannot be in the past."),
            code="past_date",
            field="execution_date",
        )
    candidates = due_instalments(
        pools=pools, due_up_to=due_up_to, call_ids=[call.pk for call in calls]
    )
    held = holds_for(candidates, today)
    payable = [i for i in candidates if i.pk not in held and i.plan.grant.recipient.payment_iban]
    if not payable:
        raise PaymentRefused(
            _("No instalment that can be paid is due by that date."), code="nothing_due"
        )
    run = PaymentRun.objects.create(
        key=_run_key(today),
        payer=payer,
        due_up_to=due_up_to,
        execution_date=execution_date,
        prepared_by=actor,
        prepared_at=timezone.now(),
    )
    run.pools.set(pools)
    try:
        # A savepoint: the partial unique index refuses an instalment another run took since
        # it was read, and the error is then this service's, not the transaction's end.
        with transaction.atomic():
            RunItem.objects.bulk_create(
                RunItem(
                    run=run,
                    instalment=i,
                    amount_ore=i.amount_ore,
                    creditor_iban=i.plan.grant.recipient.payment_iban,
                    creditor_name=i.plan.grant.recipient.name,
                )
                for i in payable
            )
    except IntegrityError:
        raise PaymentRefused(
            _("Another run took some of these instalments at the same time. Prepare it again."),
            code="taken",
        ) from None
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_RUN_PREPARED,
        obj=run,
        after={
            "pools": sorted(pool.pk for pool in pools),
            "due_up_to": due_up_to.isoformat(),
            "execution_date": execution_date.isoformat(),
            "count": len(payable),
            "total_ore": sum(i.amount_ore for i in payable),
            "held": sorted(held),
        },
    )
    return run


def bank_message(run: PaymentRun, profile: BankProfile) -> pain001.Message:
    """The run as the pure file writer's input (the approval time is the file's time, so
    writing it again gives the same bytes)."""
    assert run.approved_at is not None
    items = run.items.select_related("instalment__plan__grant").order_by("pk")
    return pain001.Message(
        version=pain001.Version(profile.pain_version),
        message_id=run.key,
        created_at=timezone.localtime(run.approved_at),
        execution_date=run.execution_date,
        initiator_name=run.payer.name,
        debtor_name=run.payer.name,
        debtor_iban=profile.debtor_iban,
        debtor_bic=profile.debtor_bic if profile.include_bic else "",
        service_level=profile.service_level,
        local_instrument=profile.local_instrument,
        charge_bearer=profile.charge_bearer,
        creditor_account_form=pain001.AccountForm(profile.creditor_account_form),
        transfers=tuple(
            pain001.Transfer(
                end_to_end_id=item.instalment.key,
                amount_ore=item.amount_ore,
                creditor_name=item.creditor_name,
                creditor_iban=item.creditor_iban,
                remittance=_("Grant %(reference)s %(title)s")
                % {
                    "reference": item.instalment.plan.grant.reference,
                    "title": item.instalment.plan.grant.title,
                },
            )
            for item in items
        ),
    )


def write_bank_file(run: PaymentRun, profile: BankProfile) -> bytes:
    """The run's pain.001 file, validated against the ISO schema; an invalid file is refused
    (``invalid_file``) so that it is never offered to the bank."""
    message = bank_message(run, profile)
    content = pain001.write(message)
    problems = pain001.validate(content, message.version)
    if problems:
        raise PaymentRefused(
            _("The bank file did not pass the ISO 20022 schema check: %(problem)s")
            % {"problem": problems[0]},
            code="invalid_file",
        )
    return content


@transaction.atomic
def approve_run(*, actor: User, run: PaymentRun) -> PaymentRun:
    """A second person approves the run: every item is paid through the ledger
    (``pay_batch``: one entry and audit event per instalment, keyed by the instalment) and
    the bank file is written and checked against the schema, all in this one transaction.

    Side effects: the ledger payments, the instalments marked paid, the file stored on the
    run, the move to approved (event ``payments.run.approved``).
    Raises PaymentRefused (``not_payer``, ``own_run`` for the person who prepared it,
    ``changed`` when an instalment was held, replaced or paid since, ``invalid_file``, and
    the kit's ``transition``/``conflict``) or LedgerError; then nothing is written.
    """
    run = PaymentRun.objects.select_related("payer").get(pk=run.pk)
    pools = list(run.pools.all())
    _require_payer(actor, pools)
    if actor.pk == run.prepared_by_id:
        raise PaymentRefused(
            _("A run must be approved by someone other than the person who prepared it."),
            code="own_run",
        )
    RUN.next_state(run, "approve")
    items = list(
        run.items.select_related(
            "instalment__plan__grant__pool", "instalment__plan__grant__recipient"
        )
    )
    instalments = [item.instalment for item in items]
    today = timezone.localdate()
    held = holds_for(instalments, today)
    changed = [i for i in instalments if i.state != InstalmentState.OPEN or i.pk in held] + [
        item.instalment for item in items if item.amount_ore != item.instalment.amount_ore
    ]
    if changed:
        raise PaymentRefused(
            _(
                "%(count)d of the run's instalments were held, changed or paid since it was "
                "prepared. Cancel the run and prepare a new one."
            )
            % {"count": len(changed)},
            code="changed",
        )
    entries = pay_batch(
        actor=actor,
        payments=[
            Payment(
                grant=item.instalment.plan.grant,
                amount_ore=item.amount_ore,
                key=f"payment:{item.instalment.key}",
                text=run.key,
            )
            for item in items
        ],
    )
    for item, entry in zip(items, entries, strict=True):
        paid = Instalment.objects.filter(pk=item.instalment_id, state=InstalmentState.OPEN).update(
            state=InstalmentState.PAID, payment=entry
        )
        if paid != 1:
            raise PaymentRefused(
                _("An instalment was paid at the same time elsewhere. Reload the page."),
                code="conflict",
            )
    profile = BankProfile.objects.get(organisation=run.payer)
    run.approved_by = actor
    run.approved_at = timezone.now()
    content = write_bank_file(run, profile)
    run.file_name = f"{run.key}.xml"
    run.file_content = content
    # The file by its hash on the audit event; its bytes are on the run.
    PaymentRun.objects.filter(pk=run.pk).update(file_name=run.file_name, file_content=content)
    RUN.move(
        actor=actor,
        obj=run,
        action="approve",
        changes={"approved_by": actor, "approved_at": run.approved_at},
        recorded={
            "count": len(items),
            "total_ore": sum(item.amount_ore for item in items),
            "version": profile.pain_version,
            "file_sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return run


@transaction.atomic
def cancel_run(*, actor: User, run: PaymentRun) -> PaymentRun:
    """Cancel a prepared run: nothing was paid, its instalments are free for another run.

    Side effects: the items no longer live; the move to cancelled (``payments.run.cancelled``).
    Raises PaymentRefused (``not_payer``, the kit's ``transition``/``conflict``).
    """
    run = PaymentRun.objects.select_for_update().get(pk=run.pk)
    _require_payer(actor, list(run.pools.all()))
    RUN.move(actor=actor, obj=run, action="cancel")
    run.items.update(live=False)
    return run


@transaction.atomic
def export_run(*, actor: User, run: PaymentRun) -> tuple[str, bytes]:
    """The run's bank file, as stored at approval (the same bytes at every download); the
    first download moves the run to exported.

    Side effects: on the first download the move to exported (``payments.run.exported``).
    Raises PaymentRefused (``not_payer``, ``not_approved`` before approval).
    """
    run = PaymentRun.objects.select_for_update().get(pk=run.pk)
    _require_payer(actor, list(run.pools.all()))
    if run.state not in (RunState.APPROVED, RunState.EXPORTED):
        raise PaymentRefused(
            _("The bank file is written when the run is approved."), code="not_approved"
        )
    if run.state == RunState.APPROVED:
        RUN.move(actor=actor, obj=run, action="export")
    return run.file_name, bytes(run.file_content)
