"""Two approvals of one run at once, and two runs claiming one instalment at once: exactly
one of each gets through. PostgreSQL only (its row locks and index waits are what this is
about); the control test shows the claim race wins twice without the partial unique index."""

from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from pulje.ledger.models import Entry, EntryKind
from pulje.ledger.selectors import find_ledger_discrepancies
from pulje.payments.errors import PaymentRefused
from pulje.payments.models import PaymentRun, RunItem
from pulje.payments.services.runs import approve_run, prepare_run
from tests.concurrency import run_at_once
from tests.factories import UserFactory
from tests.payments.conftest import Paying

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def _prepare(paying: Paying, actor: object) -> PaymentRun:
    today = timezone.localdate()
    return prepare_run(
        actor=actor,  # type: ignore[arg-type]
        pools=[paying.funded.pool],
        due_up_to=today,
        execution_date=today,
    )


def test_two_approvals_of_one_run_at_once_pay_it_once(paying: Paying) -> None:
    paying.accepted(60_000)
    paying.accepted(150_000)
    run = _prepare(paying, paying.preparer)
    third = UserFactory(organisation=paying.funded.pool.administrator)
    outcomes = run_at_once(
        partial(approve_run, actor=paying.approver, run=run),
        partial(approve_run, actor=third, run=run),
    )
    approved = [o for o in outcomes if isinstance(o, PaymentRun)]
    refused = [o for o in outcomes if isinstance(o, PaymentRefused)]
    assert (len(approved), len(refused)) == (1, 1), outcomes
    assert refused[0].code == "conflict"
    assert Entry.objects.filter(kind=EntryKind.PAYMENT).count() == 2
    assert find_ledger_discrepancies() == []


def _race_to_claim(paying: Paying) -> list[object]:
    paying.accepted(60_000)
    other = UserFactory(organisation=paying.funded.pool.administrator)
    return run_at_once(partial(_prepare, paying, paying.preparer), partial(_prepare, paying, other))


def test_two_runs_claiming_one_instalment_at_once_let_one_have_it(paying: Paying) -> None:
    outcomes = _race_to_claim(paying)
    prepared = [o for o in outcomes if isinstance(o, PaymentRun)]
    refused = [o for o in outcomes if isinstance(o, PaymentRefused)]
    assert (len(prepared), len(refused)) == (1, 1), outcomes
    assert refused[0].code in {"taken", "nothing_due"}
    assert RunItem.objects.filter(live=True).count() == 1


def test_control_without_the_index_both_runs_claim_the_instalment(paying: Paying) -> None:
    [constraint] = [c for c in RunItem._meta.constraints if c.name == "runitem_one_live_run"]
    with connection.schema_editor() as editor:
        editor.remove_constraint(RunItem, constraint)
    try:
        outcomes = _race_to_claim(paying)
    finally:
        RunItem.objects.all().delete()
        with connection.schema_editor() as editor:
            editor.add_constraint(RunItem, constraint)
    # The check in the query alone: both read the instalment as free before either wrote.
    assert [type(o) for o in outcomes] == [PaymentRun, PaymentRun], outcomes
