"""Who may see and manage which pools.

A user acts for the organisations they are a proven member of (a request to act for one gives
no power over pools). Members of the organisation that administers a pool see that pool and
everything below it (the ministry sees the whole tree, BL's secretariat BL's pool and its
bands), but manage only the pools their organisation administers itself: the ministry
delegates to BL; what BL does with it is BL's to manage.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.funds.models import Pool
from pulje.funds.selectors import ancestors


def _organisation_ids(user: User) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(user.memberships.proven().values_list("organisation_id", flat=True))


def can_view_pool(user: User, pool: Pool) -> bool:
    if user.is_superuser:
        return True
    organisations = _organisation_ids(user)
    return any(p.administrator_id in organisations for p in [pool, *ancestors(pool)])


def can_manage_pool(user: User, pool: Pool) -> bool:
    """Create sub-pools under it, delegate its money, and appropriate to it if it is a top pool."""
    return user.is_superuser or pool.administrator_id in _organisation_ids(user)


def can_move_money_from(user: User, pool: Pool) -> bool:
    """Move the pool's uncommitted money to a sibling or back up: the parent's managers, who
    delegated it (``ledger.services.transfer`` checks the same)."""
    return pool.parent is not None and can_manage_pool(user, pool.parent)


def require_pool_manager(actor: User | None, pool: Pool | None) -> None:
    """The check each service that changes a pool, its calls or its money makes itself (the
    pages check too, but a service never trusts them): ``actor`` manages ``pool`` (for a new
    top pool, ``None``: only a superuser). ``actor`` None is pulje itself (a command, the demo).

    Raises PermissionDenied with a message for the person.
    """
    if actor is None or actor.is_superuser:
        return
    if pool is None:
        raise PermissionDenied(_("Only pulje's administrators create top pools."))
    if not can_manage_pool(actor, pool):
        raise PermissionDenied(
            _("Only the secretariat of %(pool)s may change it, its calls or its money.")
            % {"pool": pool.name}
        )


def get_pool_for_viewer_or_404(user: User, pk: int) -> Pool:
    """A pool ``user`` may see (``can_view_pool``), with its account and administrator."""
    pool = get_object_or_404(Pool.objects.select_related("account", "administrator"), pk=pk)
    if not can_view_pool(user, pool):
        raise Http404
    return pool


def get_pool_for_manager_or_404(user: User, pk: int) -> Pool:
    """A pool ``user`` manages (``can_manage_pool``), with its account and administrator."""
    pool = get_object_or_404(Pool.objects.select_related("account", "administrator"), pk=pk)
    if not can_manage_pool(user, pool):
        raise Http404
    return pool


def get_pool_to_move_from_or_404(user: User, pk: int) -> Pool:
    """A pool whose money ``user`` may move (``can_move_money_from``), with its parent and
    account."""
    pool = get_object_or_404(Pool.objects.select_related("account", "parent"), pk=pk)
    if not can_move_money_from(user, pool):
        raise Http404
    return pool
