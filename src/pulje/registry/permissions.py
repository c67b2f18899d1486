"""Who acts for which organisation, and who may change that.

A membership gives access to an organisation's drafts from the moment it exists; submitting,
accepting a grant and inviting others need a *proven* membership (``is_proven_member``), and
inviting, removing members and changing the payment account need a proven administrator
(``is_organisation_administrator``). Powers over pools come only from proven memberships
(``pulje.funds.permissions``). The routes to proof are described in docs/security.md.

These predicates read other apps' tables through the ORM's relations (an organisation's
``administered_pools``, a user's ``panels``) rather than by importing those apps, so accounts
stays below them.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from pulje.accounts.models import Membership, User
from pulje.registry.models import Organisation, OrganisationKind

# Kinds of organisation that apply for grants; the others (funders, intermediaries) give or
# channel money, and their people are added by their own administrators or pulje's staff.
APPLICANT_KINDS = frozenset(
    {
        OrganisationKind.HOUSING,
        OrganisationKind.ASSOCIATION,
        OrganisationKind.LIBRARY,
        OrganisationKind.SOCIAL,
        OrganisationKind.OTHER,
    }
)


def membership_of(user: User, organisation: Organisation) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, organisation=organisation).first()


def is_member(user: User, organisation: Organisation) -> bool:
    """Any membership, proven or not: enough to see the organisation and write drafts, and
    always a conflict of interest for those who decide on its applications."""
    return membership_of(user, organisation) is not None


def is_proven_member(user: User, organisation: Organisation) -> bool:
    membership = membership_of(user, organisation)
    return membership is not None and membership.is_proven


def is_organisation_administrator(user: User, organisation: Organisation) -> bool:
    membership = membership_of(user, organisation)
    return membership is not None and membership.is_proven and membership.is_administrator


def is_claimable(organisation: Organisation) -> bool:
    """Whether a person may ask to act for the organisation by themselves: only applicants'
    kinds, never an organisation that administers a pool anywhere in the tree."""
    return organisation.kind in APPLICANT_KINDS and not organisation.administered_pools.exists()


def secretariats_of(user: User) -> set[int]:
    """The ids of the organisations whose pools ``user`` works on: those that administer a
    pool and that the user is a proven member of (caseworkers, funders), and those whose
    pools' calls the user assesses."""
    if not user.is_authenticated:
        return set()
    staff_of = Membership.objects.proven().filter(
        user=user, organisation__administered_pools__isnull=False
    )
    assesses_for = Organisation.objects.filter(administered_pools__calls__assessors__user=user)
    return {
        *staff_of.values_list("organisation_id", flat=True),
        *assesses_for.values_list("pk", flat=True),
    }


def is_caseworker(user: User) -> bool:
    """Whether ``user`` works a call's applications anywhere: a proven member of an
    organisation that administers a pool with a call (or a superuser). Such a person may
    vouch for a partner organisation in the registry, which every pool's screening reads."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or (
        Membership.objects.proven()
        .filter(user=user, organisation__administered_pools__calls__isnull=False)
        .exists()
    )


def works_for_a_pool(user: User) -> bool:
    """pulje's own staff, and anyone who works on or assesses a pool's applications: such a
    person joins an applicant organisation only with a secretariat administrator's approval."""
    return bool(user.is_staff or user.is_superuser or secretariats_of(user))


def needs_secretariat(membership: Membership) -> bool:
    """Whether only a secretariat's administrator may prove this membership: its person works
    for or assesses a pool now (not only when they asked) and the organisation applies."""
    return membership.needs_secretariat or (
        membership.organisation.kind in APPLICANT_KINDS and works_for_a_pool(membership.user)
    )


def may_approve_membership(user: User, membership: Membership) -> bool:
    """Who may prove a request to act for an organisation.

    - A request of someone who works for a pool: an administrator of a secretariat that person
      works for (or a superuser).
    - Any other request: a proven administrator of the organisation; a caseworker of a pool
      to whose calls the organisation has applied (a draft is enough); or a superuser.
    """
    if not user.is_authenticated or membership.is_proven or user.pk == membership.user_id:
        return False
    if user.is_superuser:
        return True
    if membership.needs_secretariat:
        return (
            Membership.objects.proven()
            .filter(
                user=user,
                role="administrator",
                organisation_id__in=secretariats_of(membership.user),
            )
            .exists()
        )
    if is_organisation_administrator(user, membership.organisation):
        return True
    return Organisation.objects.filter(
        pk=membership.organisation_id,
        applications__call__pool__administrator__memberships__user=user,
        applications__call__pool__administrator__memberships__proven_at__isnull=False,
    ).exists()


def get_membership_for_member_or_404(user: User, pk: int) -> Membership:
    """The user's membership of the organisation (proven or a request); 404 otherwise, so
    nobody learns which organisations exist."""
    # organisation__pk, not organisation_id: a number in the URL too large for the database
    # is no match through the organisation's own key, but an OverflowError (a 500) on SQLite
    # through the foreign key's column.
    membership = (
        Membership.objects.filter(organisation__pk=pk, user=user)
        .select_related("organisation__municipality")
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def get_colleague_membership_for_member_or_404(user: User, pk: int, member: int) -> Membership:
    """Another membership (``member``) of the organisation ``pk`` that ``user`` is a member
    of, with its user and organisation; 404 otherwise. What they may do with it is the
    services' to decide."""
    get_membership_for_member_or_404(user, pk)
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"), pk=member, organisation_id=pk
    )


def get_membership_for_approver_or_404(user: User, member: int) -> Membership:
    """A request to act for an organisation that ``user`` may prove or refuse
    (``may_approve_membership``); 404 for anyone else."""
    membership = get_object_or_404(
        Membership.objects.select_related("user", "organisation"), pk=member
    )
    if not may_approve_membership(user, membership):
        raise Http404
    return membership
