"""Every movement of money goes through ``_post``.

It locks the accounts the entry touches in the order of ``core.locks`` (``lock_for``),
applies the entry's effect to the locked balances, refuses it with a clear message if any
balance would break an invariant, and then writes the new balances, the entry and its audit
event in one transaction. Two postings against the same
pool therefore queue on its row lock; the database constraints on the balances catch anything
that gets past this code.
"""

from dataclasses import dataclass, replace
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.errors import Refused
from pulje.core.locks import Locked, lock_for
from pulje.core.money import format_dkk
from pulje.funds.models import Pool
from pulje.funds.permissions import can_manage_pool, require_pool_manager
from pulje.ledger.balances import EFFECTS, GrantBalance, Kind, PoolBalance, Violation
from pulje.ledger.models import Entry, GrantAccount, PoolAccount, ReleaseReason
from pulje.registry.models import Organisation


class LedgerError(Refused):
    """A posting was refused. ``message`` is for the user, in the active language."""


@dataclass(frozen=True)
class _Posting:
    kind: Kind
    amount_ore: int
    pool: Pool
    target: Pool | None = None
    grant: GrantAccount | None = None
    reverses: Entry | None = None
    release_reason: str = ""
    text: str = ""
    key: str | None = None


def open_pool_account(*, pool: Pool) -> PoolAccount:
    """Give a new pool its (empty) account. Called by ``funds.services.create_pool``."""
    return PoolAccount.objects.create(pool=pool)


@transaction.atomic
def open_grant_account(
    *, actor: User | None, pool: Pool, recipient: Organisation, reference: str, title: str
) -> GrantAccount:
    """Open the money account of a grant from ``pool`` to ``recipient``; nothing is committed yet.

    Side effects: one audit event ``ledger.grant_account.opened``.
    """
    grant = GrantAccount.objects.create(
        pool=pool, recipient=recipient, reference=reference, title=title
    )
    record_event(
        actor=actor,
        action=AuditAction.LEDGER_GRANT_ACCOUNT_OPENED,
        obj=grant,
        after=snapshot(grant, ("pool", "recipient", "reference", "title")),
    )
    return grant


def appropriate(
    *, actor: User | None, pool: Pool, amount_ore: int, text: str = "", key: str | None = None
) -> Entry:
    """Put money into a top pool (a bevilling, e.g. an Aktstykke). Raises LedgerError;
    PermissionDenied unless ``actor`` manages the pool."""
    require_pool_manager(actor, pool)
    if pool.parent_id is not None:
        raise LedgerError(
            _("Money can only be appropriated to a top pool; “%(pool)s” is part of another pool.")
            % {"pool": pool.name},
            code="not_root",
        )
    return _post(actor, _Posting(Kind.APPROPRIATION, amount_ore, pool, text=text, key=key))


def delegate(
    *,
    actor: User | None,
    pool: Pool,
    to: Pool,
    amount_ore: int,
    text: str = "",
    key: str | None = None,
) -> Entry:
    """Move money from a pool to one of its own sub-pools. Raises LedgerError;
    PermissionDenied unless ``actor`` manages ``pool``."""
    require_pool_manager(actor, pool)
    if to.parent_id != pool.pk:
        raise LedgerError(
            _("“%(to)s” is not a sub-pool of “%(pool)s”.") % {"to": to.name, "pool": pool.name},
            code="not_child",
        )
    return _post(actor, _Posting(Kind.DELEGATION, amount_ore, pool, target=to, text=text, key=key))


@dataclass(frozen=True)
class Transfer:
    """What moving money from ``pool`` to ``to`` does: each pool's balance before and after."""

    kind: Kind
    pool: Pool
    to: Pool
    amount_ore: int
    before: PoolBalance
    after: PoolBalance
    to_before: PoolBalance
    to_after: PoolBalance


def plan_transfer(*, actor: User | None, pool: Pool, to: Pool, amount_ore: int) -> Transfer:
    """What ``transfer`` would do now, without writing: for the page that asks the person to
    confirm. Raises what ``transfer`` raises; the balances may change before it posts, and
    ``transfer`` checks them again under the lock."""
    posting = _checked(_transfer_posting(actor, pool, to, amount_ore, text="", key=None))
    accounts = {
        account.pool_id: account
        for account in PoolAccount.objects.filter(pool_id__in=[pool.pk, to.pk]).select_related(
            "pool"
        )
    }
    before, after = _effect(posting, {"pool": accounts[pool.pk], "target": accounts[to.pk]})
    return Transfer(
        kind=posting.kind,
        pool=pool,
        to=to,
        amount_ore=amount_ore,
        before=before["pool"],
        after=after["pool"],
        to_before=before["target"],
        to_after=after["target"],
    )


def transfer(
    *,
    actor: User | None,
    pool: Pool,
    to: Pool,
    amount_ore: int,
    text: str = "",
    key: str | None = None,
) -> Entry:
    """Move money ``pool`` has available (neither committed to grants nor passed on) to a
    sibling (a ``transfer``, e.g. from one grant band to another) or back to its parent (a
    ``return``). A correction of the parent's delegations, so it is the parent's to make.

    Side effects: one entry and its audit event ``ledger.transfer`` or ``ledger.return``.
    Raises LedgerError: ``not_manager`` unless ``actor`` manages the parent pool,
    ``not_sibling`` when ``to`` is neither a sibling nor the parent, ``insufficient_funds``
    when ``pool`` has less available than ``amount_ore``.
    """
    return _post(actor, _transfer_posting(actor, pool, to, amount_ore, text=text, key=key))


def _transfer_posting(
    actor: User | None, pool: Pool, to: Pool, amount_ore: int, *, text: str, key: str | None
) -> _Posting:
    parent = pool.parent
    if parent is None:
        raise LedgerError(
            _("“%(pool)s” is a top pool: there is no pool above it to move money to.")
            % {"pool": pool.name},
            code="not_sibling",
        )
    if actor is not None and not (actor.is_superuser or can_manage_pool(actor, parent)):
        raise LedgerError(
            _(
                "Only the secretariat of “%(parent)s” may move money between its sub-pools "
                "or back to it."
            )
            % {"parent": parent.name},
            code="not_manager",
        )
    if to.pk == parent.pk:
        kind = Kind.RETURN
    elif to.parent_id == parent.pk and to.pk != pool.pk:
        kind = Kind.TRANSFER
    else:
        raise LedgerError(
            _(
                "Money can move from “%(pool)s” only to another sub-pool of “%(parent)s” or "
                "back to “%(parent)s”, not to “%(to)s”."
            )
            % {"pool": pool.name, "parent": parent.name, "to": to.name},
            code="not_sibling",
        )
    return _Posting(kind, amount_ore, pool, target=to, text=text, key=key)


def commit(
    *,
    actor: User | None,
    grant: GrantAccount,
    amount_ore: int,
    text: str = "",
    key: str | None = None,
) -> Entry:
    """Commit money from the grant's pool to the grant. Raises LedgerError when it lacks money."""
    return _post(
        actor, _Posting(Kind.COMMITMENT, amount_ore, grant.pool, grant=grant, text=text, key=key)
    )


def release(
    *,
    actor: User | None,
    grant: GrantAccount,
    amount_ore: int,
    reason: ReleaseReason,
    text: str = "",
    key: str | None = None,
) -> Entry:
    """Give back committed, unpaid money to the pool (reduced, cancelled, lapsed, unspent)."""
    return _post(
        actor,
        _Posting(
            Kind.RELEASE,
            amount_ore,
            grant.pool,
            grant=grant,
            release_reason=reason,
            text=text,
            key=key,
        ),
    )


def pay(
    *,
    actor: User | None,
    grant: GrantAccount,
    amount_ore: int,
    text: str = "",
    key: str | None = None,
) -> Entry:
    """Record a payment against the grant's commitment. Give each instalment a ``key`` so it
    can never be paid twice."""
    return _post(
        actor, _Posting(Kind.PAYMENT, amount_ore, grant.pool, grant=grant, text=text, key=key)
    )


def recover(
    *,
    actor: User | None,
    grant: GrantAccount,
    amount_ore: int,
    text: str = "",
    key: str | None = None,
) -> Entry:
    """Record money paid back by the grantee; it becomes available in the grant's pool again."""
    return _post(
        actor, _Posting(Kind.RECOVERY, amount_ore, grant.pool, grant=grant, text=text, key=key)
    )


def reverse(*, actor: User | None, entry: Entry, text: str, key: str | None = None) -> Entry:
    """Undo an entry exactly, by a new entry with the opposite effect. It is for whoever could
    have made the entry: the secretariat of its pool, or of the parent for a move between
    sub-pools. Raises PermissionDenied for anyone else; LedgerError if the entry is itself a
    reversal, is already reversed, or undoing it would break a balance (e.g. reversing a
    delegation whose money the sub-pool has already committed)."""
    moved_by_parent = entry.kind in {Kind.TRANSFER, Kind.RETURN}
    require_pool_manager(actor, entry.pool.parent if moved_by_parent else entry.pool)
    if entry.reverses_id is not None:
        raise LedgerError(
            _("Entry %(id)s is itself a reversal and cannot be reversed.") % {"id": entry.pk},
            code="reverse_reversal",
        )
    if not text.strip():
        raise LedgerError(_("Say why the entry is reversed."), code="reason_required")
    return _post(
        actor,
        _Posting(
            Kind(entry.kind),
            entry.amount_ore,
            entry.pool,
            target=entry.target,
            grant=entry.grant,
            reverses=entry,
            release_reason=entry.release_reason,
            text=text,
            key=key,
        ),
    )


@dataclass(frozen=True)
class Payment:
    """One payment of a batch: ``amount_ore`` to ``grant``, with its own idempotency key."""

    grant: GrantAccount
    amount_ore: int
    key: str
    text: str = ""


@transaction.atomic
def pay_batch(*, actor: User | None, payments: list[Payment]) -> list[Entry]:
    """Post every payment of a payment run in one transaction: all of them, or (raising) none.

    Locks every pool's and grant's account once, in the order of ``core.locks`` (pools by
    id, then grants by id), and posts each payment as ``pay`` would, on those locked rows.
    Side effects: one entry and one audit event ``ledger.payment`` per payment; a payment
    whose key was posted before returns that entry (see ``pay``).
    Raises LedgerError (``not_manager`` unless ``actor`` manages every grant's pool, or the
    first payment the balances refuse) and then nothing is posted.
    """
    postings = [
        _checked(
            _Posting(
                Kind.PAYMENT, p.amount_ore, p.grant.pool, grant=p.grant, text=p.text, key=p.key
            )
        )
        for p in payments
    ]
    pools = {posting.pool.pk: posting.pool for posting in postings}
    for pool in pools.values():
        if actor is not None and not (actor.is_superuser or can_manage_pool(actor, pool)):
            raise LedgerError(
                _("Only the secretariat of “%(pool)s” may pay grants from it.")
                % {"pool": pool.name},
                code="not_manager",
            )
    locked = lock_for(
        pools=pools, grants=[posting.grant.pk for posting in postings if posting.grant]
    )
    return [_post_locked(actor, posting, locked) for posting in postings]


@transaction.atomic
def _post(actor: User | None, posting: _Posting) -> Entry:
    posting = _checked(posting)
    locked = lock_for(
        pools=[posting.pool.pk, *([posting.target.pk] if posting.target else [])],
        grants=[posting.grant.pk] if posting.grant else [],
    )
    return _post_locked(actor, posting, locked)


def _post_locked(actor: User | None, posting: _Posting, locked: Locked) -> Entry:
    """Post a checked ``posting`` on the accounts ``locked`` holds (changing them in place, so
    the next posting in the same transaction sees this one's effect)."""
    accounts: dict[int, PoolAccount] = locked.pool_accounts
    grant: GrantAccount | None = locked.grant_accounts[posting.grant.pk] if posting.grant else None

    if posting.key is not None:
        existing = Entry.objects.filter(key=posting.key).first()
        if existing is not None:
            return _same_posting_or_error(existing, posting)
    if posting.reverses is not None and Entry.objects.filter(reverses=posting.reverses).exists():
        raise LedgerError(
            _("Entry %(id)s has already been reversed.") % {"id": posting.reverses.pk},
            code="already_reversed",
        )

    # The grant first: when both sides break, the grant's reason is the one the user can act on.
    sides: dict[str, Any] = {"grant": grant} if grant is not None else {}
    sides["pool"] = accounts[posting.pool.pk]
    if posting.target is not None:
        sides["target"] = accounts[posting.target.pk]
    before, after = _effect(posting, sides)

    for side, account in sides.items():
        account.store(after[side])
        account.save(update_fields=account.BALANCE_FIELDS)
    entry = Entry.objects.create(
        kind=posting.kind,
        amount_ore=posting.amount_ore,
        pool=posting.pool,
        target=posting.target,
        grant=grant,
        reverses=posting.reverses,
        release_reason=posting.release_reason,
        text=posting.text,
        key=posting.key,
        created_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction(f"ledger.{posting.kind}" + (".reversal" if posting.reverses else "")),
        obj=entry,
        before={side: vars(balance) for side, balance in before.items()},
        after={
            "amount_ore": posting.amount_ore,
            **{side: vars(balance) for side, balance in after.items()},
        },
    )
    return entry


def _checked(posting: _Posting) -> _Posting:
    """``posting`` with an empty key as no key; raises LedgerError for an amount or a text the
    ledger cannot take."""
    # An empty key is no key: it must not make every later keyless posting a "replay".
    posting = replace(posting, key=posting.key or None)
    if type(posting.amount_ore) is not int or posting.amount_ore <= 0:
        raise LedgerError(
            _("An amount must be a whole, positive number of øre."), code="invalid_amount"
        )
    # Checked here: PostgreSQL refuses an over-long value with an error, SQLite would keep it.
    for value, name in ((posting.text, "text"), (posting.key or "", "key")):
        field = Entry._meta.get_field(name)
        assert isinstance(field, models.CharField)
        assert field.max_length is not None
        if len(value) > field.max_length:
            raise LedgerError(
                _("The %(field)s may be at most %(limit)d characters.")
                % {"field": field.verbose_name, "limit": field.max_length},
                code="too_long",
            )
    return posting


def _effect(posting: _Posting, sides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each side's balance before and after ``posting`` (by ``EFFECTS``); raises LedgerError if
    an after-balance breaks an invariant. ``sides``: the accounts, the grant's first."""
    before = {side: account.balance for side, account in sides.items()}
    after = dict(before)
    sign = -1 if posting.reverses is not None else +1
    for effect_side, figure, direction in EFFECTS[posting.kind]:
        after[effect_side] = after[effect_side].moved(figure, sign * direction * posting.amount_ore)
    for side, account in sides.items():
        _refuse_violations(account, before[side], after[side], posting)
    return before, after


def _same_posting_or_error(existing: Entry, posting: _Posting) -> Entry:
    """A replay returns the first entry if it asks for the same posting; who replays does not
    matter (the first poster stands in the audit trail), what is posted does."""
    same = (
        existing.kind == posting.kind
        and existing.amount_ore == posting.amount_ore
        and existing.pool_id == posting.pool.pk
        and existing.target_id == (posting.target.pk if posting.target else None)
        and existing.grant_id == (posting.grant.pk if posting.grant else None)
        and existing.reverses_id == (posting.reverses.pk if posting.reverses else None)
        and existing.release_reason == posting.release_reason
        and existing.text == posting.text
    )
    if not same:
        raise LedgerError(
            _("The key “%(key)s” was already used for a different entry (%(id)s).")
            % {"key": posting.key, "id": existing.pk},
            code="key_reused",
        )
    return existing


def _refuse_violations(
    account: PoolAccount | GrantAccount,
    before: GrantBalance,
    after: GrantBalance,
    posting: _Posting,
) -> None:
    violations = after.violations()
    if not violations:
        return
    lowers_commitment = after.committed < before.committed
    params = {
        "amount": format_dkk(posting.amount_ore),
        "unpaid": format_dkk(before.unpaid),
        "name": account.pool.name if isinstance(account, PoolAccount) else account.reference,
        "committed": format_dkk(before.committed),
        "paid": format_dkk(before.paid),
        "recovered": format_dkk(before.recovered),
    }
    if isinstance(before, PoolBalance) and isinstance(after, PoolBalance):
        params["available"] = format_dkk(before.available)
        params["shortfall"] = format_dkk(-after.available)
    messages = {
        Violation.OVERSPENT: _(
            "“%(name)s” does not have %(amount)s available: it has %(available)s, "
            "%(shortfall)s too little."
        ),
        Violation.OVERPAID: _(
            "%(amount)s would make payments on “%(name)s” exceed what is committed to it "
            "(%(committed)s committed, %(paid)s paid)."
        ),
        Violation.OVERRECOVERED: _(
            "%(amount)s would make recoveries on “%(name)s” exceed what was paid "
            "(%(paid)s paid, %(recovered)s recovered)."
        ),
        Violation.NEGATIVE: _("%(amount)s would make a balance of “%(name)s” negative."),
    }
    codes = {
        Violation.OVERSPENT: "insufficient_funds",
        Violation.OVERPAID: "exceeds_commitment",
        Violation.OVERRECOVERED: "exceeds_payments",
        Violation.NEGATIVE: "negative_balance",
    }
    if (
        lowers_commitment
        and posting.reverses is not None
        and violations[0] in (Violation.NEGATIVE, Violation.OVERPAID)
    ):
        raise LedgerError(
            _(
                "Only %(unpaid)s of “%(name)s” is committed and not yet paid, so a commitment "
                "of %(amount)s cannot be reversed."
            )
            % params,
            code="exceeds_unpaid",
        )
    if lowers_commitment and violations[0] in (Violation.NEGATIVE, Violation.OVERPAID):
        raise LedgerError(
            _(
                "Only %(unpaid)s of “%(name)s” is committed and not yet paid, so %(amount)s "
                "cannot be released."
            )
            % params,
            code="exceeds_unpaid",
        )
    raise LedgerError(messages[violations[0]] % params, code=codes[violations[0]])
