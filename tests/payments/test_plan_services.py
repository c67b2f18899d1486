import datetime as dt

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from pulje.core.models import AuditEvent
from pulje.core.money import kr
from pulje.payments.errors import PaymentRefused
from pulje.payments.models import Instalment, InstalmentState, PaymentPlan
from pulje.payments.plans import Part, Trigger
from pulje.payments.selectors import holds_for
from pulje.payments.services.plans import (
    Planned,
    change_plan,
    confirm_account,
    hold_instalment,
    mark_report_approved,
    release_hold,
    set_payment_rules,
)
from pulje.registry.services.organisations import update_organisation
from tests.factories import UserFactory
from tests.payments.conftest import Paying

pytestmark = pytest.mark.django_db


def plan_of(paying: Paying, amount_kr: int) -> PaymentPlan:
    return PaymentPlan.objects.get(grant=paying.accepted(amount_kr))


def rows(plan: PaymentPlan) -> list[tuple[int, str, dt.date | None, str]]:
    return [
        (i.amount_ore, i.waits_for, i.due_date, i.state) for i in plan.instalments.order_by("pk")
    ]


def test_accepting_a_grant_up_to_100_000_kr_plans_it_in_full_due_at_once(paying: Paying) -> None:
    plan = plan_of(paying, 60_000)
    today = timezone.localdate()
    assert rows(plan) == [(kr(60_000), Trigger.ACCEPTANCE, today, InstalmentState.OPEN)]
    assert plan.confirmed_iban == "DK5000400440116243"
    assert plan.call == paying.funded.call
    event = AuditEvent.objects.get(action="payments.plan.created")
    assert event.object_id == str(plan.pk)


def test_a_grant_above_100_000_kr_is_paid_80_20_the_rest_when_the_report_is_approved(
    paying: Paying,
) -> None:
    plan = plan_of(paying, 150_000)
    today = timezone.localdate()
    assert rows(plan) == [
        (kr(120_000), Trigger.ACCEPTANCE, today, InstalmentState.OPEN),
        (kr(30_000), Trigger.FINAL_REPORT, None, InstalmentState.OPEN),
    ]
    assert mark_report_approved(actor=None, grant=plan.grant, on=dt.date(2027, 3, 1)) == 1
    assert rows(plan)[1] == (kr(30_000), Trigger.FINAL_REPORT, dt.date(2027, 3, 1), "open")


def test_the_pools_own_rule_decides_the_plan_and_sums_exactly(paying: Paying) -> None:
    set_payment_rules(
        actor=None,
        pool=paying.funded.pool,
        rules=[(0, [Part(33, Trigger.ACCEPTANCE), Part(67, Trigger.FINAL_REPORT)])],
    )
    plan = plan_of(paying, 50_001)
    amounts = [amount for amount, *_ in rows(plan)]
    assert amounts == [1_650_033, 3_350_067]
    assert sum(amounts) == kr(50_001)


def test_payment_rules_are_refused_unless_they_sum_to_100_and_start_at_0(paying: Paying) -> None:
    pool = paying.funded.pool
    with pytest.raises(PaymentRefused) as sums:
        set_payment_rules(actor=None, pool=pool, rules=[(0, [Part(90, Trigger.ACCEPTANCE)])])
    with pytest.raises(PaymentRefused) as starts:
        set_payment_rules(actor=None, pool=pool, rules=[(1, [Part(100, Trigger.ACCEPTANCE)])])
    assert (sums.value.code, starts.value.code) == ("invalid_rule", "invalid_rule")
    assert pool.payment_rules.count() == 0


def test_a_caseworker_changes_a_plan_with_a_reason_and_it_must_sum(paying: Paying) -> None:
    plan = plan_of(paying, 60_000)
    caseworker = paying.preparer
    march = dt.date(2027, 3, 1)
    with pytest.raises(PaymentRefused) as short:
        change_plan(
            actor=caseworker,
            plan=plan,
            instalments=[Planned(kr(50_000), Trigger.ACCEPTANCE, march)],
            reason="Delt i to.",
        )
    assert short.value.code == "sum_mismatch"
    assert short.value.message == (
        "Raterne skal give 60.000 kr. i alt, det der mangler at blive betalt; de giver 50.000 kr."
    )
    with pytest.raises(PaymentRefused) as unexplained:
        change_plan(
            actor=caseworker,
            plan=plan,
            instalments=[Planned(kr(60_000), Trigger.ACCEPTANCE, march)],
            reason="  ",
        )
    assert unexplained.value.code == "reason_required"
    change_plan(
        actor=caseworker,
        plan=plan,
        instalments=[
            Planned(kr(40_000), Trigger.ACCEPTANCE, march),
            Planned(kr(20_000), Trigger.FINAL_REPORT, None),
        ],
        reason="Aftalt med boligselskabet.",
    )
    assert rows(plan)[1:] == [
        (kr(40_000), Trigger.ACCEPTANCE, march, "open"),
        (kr(20_000), Trigger.FINAL_REPORT, None, "open"),
    ]
    assert rows(plan)[0][3] == InstalmentState.CANCELLED
    event = AuditEvent.objects.get(action="payments.plan.changed")
    assert event.after is not None
    assert event.after["reason"] == "Aftalt med boligselskabet."


def test_only_the_pools_secretariat_changes_a_plan(paying: Paying) -> None:
    plan = plan_of(paying, 60_000)
    outsider = UserFactory()
    with pytest.raises(PaymentRefused) as refused:
        change_plan(
            actor=outsider,
            plan=plan,
            instalments=[Planned(kr(60_000), Trigger.ACCEPTANCE, dt.date(2027, 1, 1))],
            reason="Hvorfor ikke.",
        )
    assert refused.value.code == "not_payer"
    assert rows(plan)[0][3] == InstalmentState.OPEN


def test_a_hold_by_hand_shows_its_reason_until_it_is_lifted(paying: Paying) -> None:
    plan = plan_of(paying, 60_000)
    instalment = plan.instalments.get()
    today = timezone.localdate()
    hold_instalment(actor=paying.preparer, instalment=instalment, reason="Mangler vedtægter.")
    assert holds_for([Instalment.objects.get(pk=instalment.pk)], today) == {
        instalment.pk: ["Tilbageholdt manuelt: Mangler vedtægter."]
    }
    release_hold(actor=paying.approver, instalment=instalment, reason="Modtaget.")
    assert holds_for([Instalment.objects.get(pk=instalment.pk)], today) == {}
    with pytest.raises(PaymentRefused) as again:
        release_hold(actor=paying.approver, instalment=instalment, reason="Igen.")
    assert again.value.code == "not_held"


def test_a_changed_account_holds_payment_until_it_is_confirmed(paying: Paying) -> None:
    plan = plan_of(paying, 60_000)
    organisation = paying.funded.applicant.organisation
    update_organisation(actor=None, organisation=organisation, payment_iban="DK4520000123456789")
    instalment = plan.instalments.select_related("plan__grant__recipient").get()
    today = timezone.localdate()
    [reason] = holds_for([instalment], today)[instalment.pk]
    assert reason == (
        f"Udbetalingskontoen blev ændret den {date_format(today)} og er ikke siden bekræftet "
        "for dette tilskud."
    )
    # Fourteen days on, the change has stood long enough.
    assert holds_for([instalment], today + dt.timedelta(days=15)) == {}
    confirm_account(actor=paying.preparer, plan=plan)
    instalment = plan.instalments.select_related("plan__grant__recipient").get()
    assert holds_for([instalment], today) == {}
    assert PaymentPlan.objects.get(pk=plan.pk).confirmed_iban == "DK4520000123456789"
