import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.ledger.models import Entry, EntryKind, PoolAccount
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.payments import pain001
from pulje.payments.errors import PaymentRefused
from pulje.payments.models import Instalment, InstalmentState, PaymentRun, RunItem, RunState
from pulje.payments.selectors import run_totals
from pulje.payments.services import runs
from pulje.payments.services.plans import hold_instalment
from pulje.payments.services.profile import set_bank_profile
from pulje.payments.services.runs import approve_run, cancel_run, export_run, prepare_run
from pulje.payments.workflow import RUN
from tests.factories import UserFactory
from tests.payments.conftest import Paying
from tests.payments.xml import texts

pytestmark = pytest.mark.django_db


def prepared(paying: Paying) -> PaymentRun:
    today = timezone.localdate()
    return prepare_run(
        actor=paying.preparer, pools=[paying.funded.pool], due_up_to=today, execution_date=today
    )


def test_a_run_takes_the_due_instalments_and_leaves_the_held_and_the_waiting(
    paying: Paying,
) -> None:
    small = paying.accepted(60_000)
    large = paying.accepted(150_000)
    held = paying.accepted(20_000)
    hold_instalment(
        actor=paying.preparer, instalment=held.plan.instalments.get(), reason="Mangler CVR."
    )
    run = prepared(paying)
    assert sorted(run.items.values_list("instalment__plan__grant__reference", "amount_ore")) == (
        sorted([(small.reference, kr(60_000)), (large.reference, kr(120_000))])
    )
    assert {(t.pool.pk, t.count, t.amount_ore) for t in run_totals(run)} == {
        (small.pool_id, 1, kr(60_000)),
        (large.pool_id, 1, kr(120_000)),
    }
    assert run.state == RunState.PREPARED
    event = AuditEvent.objects.get(action="payments.run.prepared")
    assert event.after is not None
    assert (event.after["count"], event.after["total_ore"]) == (2, kr(180_000))
    assert event.after["held"] == [held.plan.instalments.get().pk]


def test_a_second_person_approves_it_pays_every_instalment_and_writes_a_valid_file(
    paying: Paying,
) -> None:
    grants = [paying.accepted(60_000), paying.accepted(150_000)]
    run = prepared(paying)
    approve_run(actor=paying.approver, run=run)

    run.refresh_from_db()
    assert (run.state, run.approved_by) == (RunState.APPROVED, paying.approver)
    payments = Entry.objects.filter(kind=EntryKind.PAYMENT).order_by("pk")
    assert [(e.grant_id, e.amount_ore) for e in payments] == [
        (item.instalment.plan.grant_id, item.amount_ore) for item in run.items.order_by("pk")
    ]
    assert sorted(e.key or "" for e in payments) == sorted(
        f"payment:{i.key}" for i in Instalment.objects.filter(state=InstalmentState.PAID)
    )
    assert AuditEvent.objects.filter(action="ledger.payment").count() == 2
    assert sum(g.plan.instalments.filter(state="paid").count() for g in grants) == 2
    assert find_ledger_discrepancies() == []

    content = bytes(run.file_content)
    assert pain001.validate(content, pain001.Version.V03) == []
    amounts = texts(content, "InstdAmt")
    assert sum(int(Decimal(a) * 100) for a in amounts) == kr(180_000)
    assert texts(content, "MsgId") == [run.key]
    assert sorted(texts(content, "EndToEndId")) == sorted(
        run.items.values_list("instalment__key", flat=True)
    )


def test_the_preparer_can_never_approve_their_own_run(paying: Paying) -> None:
    paying.accepted(60_000)
    run = prepared(paying)
    with pytest.raises(PaymentRefused) as refused:
        approve_run(actor=paying.preparer, run=run)
    assert refused.value.code == "own_run"
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 0
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRun.objects.filter(pk=run.pk).update(approved_by=paying.preparer)


def test_someone_outside_the_secretariat_can_neither_prepare_nor_approve(paying: Paying) -> None:
    paying.accepted(60_000)
    outsider = UserFactory()
    today = timezone.localdate()
    with pytest.raises(PaymentRefused) as preparing:
        prepare_run(
            actor=outsider, pools=[paying.funded.pool], due_up_to=today, execution_date=today
        )
    run = prepared(paying)
    with pytest.raises(PaymentRefused) as approving:
        approve_run(actor=outsider, run=run)
    assert (preparing.value.code, approving.value.code) == ("not_payer", "not_payer")


def test_an_instalment_is_in_at_most_one_live_run_by_the_database(paying: Paying) -> None:
    paying.accepted(60_000)
    run = prepared(paying)
    item = run.items.get()
    with pytest.raises(PaymentRefused) as nothing:
        prepared(paying)
    assert nothing.value.code == "nothing_due"
    with pytest.raises(IntegrityError), transaction.atomic():
        RunItem.objects.create(
            run=run,
            instalment=item.instalment,
            amount_ore=item.amount_ore,
            creditor_iban=item.creditor_iban,
            creditor_name=item.creditor_name,
        )
    cancel_run(actor=paying.approver, run=run)
    again = prepared(paying)
    assert again.items.get().instalment_id == item.instalment_id


def test_a_crash_between_postings_and_file_leaves_the_run_prepared_and_nothing_paid(
    paying: Paying, monkeypatch: pytest.MonkeyPatch
) -> None:
    paying.accepted(60_000)
    run = prepared(paying)
    before = list(PoolAccount.objects.order_by("pool_id").values())
    events = AuditEvent.objects.count()

    def crash(*args: object) -> bytes:
        assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 1  # posted by now
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "write_bank_file", crash)
    with pytest.raises(RuntimeError):
        approve_run(actor=paying.approver, run=run)
    run.refresh_from_db()
    assert run.state == RunState.PREPARED
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 0
    assert list(PoolAccount.objects.order_by("pool_id").values()) == before
    assert AuditEvent.objects.count() == events
    assert Instalment.objects.get().state == InstalmentState.OPEN


def test_an_instalment_held_after_preparing_stops_the_approval(paying: Paying) -> None:
    grant = paying.accepted(60_000)
    run = prepared(paying)
    hold_instalment(
        actor=paying.preparer, instalment=grant.plan.instalments.get(), reason="Svindelmistanke."
    )
    with pytest.raises(PaymentRefused) as refused:
        approve_run(actor=paying.approver, run=run)
    assert refused.value.code == "changed"
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 0


def test_downloading_again_gives_the_same_bytes_and_exports_once(paying: Paying) -> None:
    paying.accepted(60_000)
    run = prepared(paying)
    with pytest.raises(PaymentRefused) as early:
        export_run(actor=paying.preparer, run=run)
    assert early.value.code == "not_approved"
    approve_run(actor=paying.approver, run=run)
    first = export_run(actor=paying.preparer, run=run)
    second = export_run(actor=paying.approver, run=run)
    run.refresh_from_db()
    assert first == second == (f"{run.key}.xml", bytes(run.file_content))
    assert RunState(PaymentRun.objects.get(pk=run.pk).state) == RunState.EXPORTED
    assert AuditEvent.objects.filter(action="payments.run.exported").count() == 1
    # Written again from the same data, the file is byte-identical to the stored one.
    assert runs.write_bank_file(run, paying.profile) == first[1]


def test_a_version_09_profile_with_bban_accounts_gives_a_valid_09_file(paying: Paying) -> None:
    profile = set_bank_profile(
        actor=None,
        organisation=paying.profile.organisation,
        pain_version="pain.001.001.09",
        creditor_account_form="bban",
        include_bic=True,
        debtor_bic="dabadkkk",
        service_level="URGP",
        charge_bearer="SLEV",
    )
    paying.accepted(60_000)
    run = prepared(paying)
    approve_run(actor=paying.approver, run=run)
    run.refresh_from_db()
    content = bytes(run.file_content)
    assert pain001.validate(content, pain001.Version.V09) == []
    assert texts(content, "BICFI") == ["DABADKKK"]
    assert texts(content, "SvcLvl/Cd") == ["URGP"]
    assert texts(content, "ChrgBr") == ["SLEV"]
    assert texts(content, "CdtrAcct/Id/Othr/SchmeNm/Cd") == ["BBAN"]
    assert profile.debtor_bic == "DABADKKK"


def test_a_run_needs_a_bank_profile_and_a_date_not_in_the_past(paying: Paying) -> None:
    paying.accepted(60_000)
    today = timezone.localdate()
    with pytest.raises(PaymentRefused) as past:
        prepare_run(
            actor=paying.preparer,
            pools=[paying.funded.pool],
            due_up_to=today,
            execution_date=today - dt.timedelta(days=1),
        )
    assert past.value.code == "past_date"
    paying.profile.delete()
    with pytest.raises(PaymentRefused) as profile:
        prepared(paying)
    assert profile.value.code == "no_bank_profile"


def test_the_run_table_is_the_one_docs_payments_draws() -> None:
    text = (settings.PROJECT_DIR / "docs" / "payments.md").read_text()
    assert f"```mermaid\n{RUN.mermaid()}```" in text
