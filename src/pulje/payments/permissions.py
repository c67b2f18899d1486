"""Who may pay: the secretariat of the pool a grant is paid from (its administrator's proven
members), the same people who manage the pool's money."""

from collections.abc import Iterable

from django.http import Http404
from django.shortcuts import get_object_or_404

from pulje.accounts.models import User
from pulje.funds.models import Pool
from pulje.funds.permissions import can_manage_pool
from pulje.payments.models import PaymentRun


def can_pay_from(user: User, pools: Iterable[Pool]) -> bool:
    return all(can_manage_pool(user, pool) for pool in pools)


def get_run_for_payer_or_404(user: User, pk: int) -> PaymentRun:
    """A run of pools ``user`` may pay from; a 404 for anyone else."""
    run = get_object_or_404(PaymentRun.objects.select_related("payer", "prepared_by"), pk=pk)
    if not can_pay_from(user, run.pools.all()):
        raise Http404
    return run
