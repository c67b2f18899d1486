"""Reads of the registry for pages and for other apps."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pulje.accounts.models import Invitation, Membership, MembershipRole, User
from pulje.registry.models import PARTNER_KINDS, Organisation


def organisations_of(user: User) -> list[Organisation]:
    """The organisations ``user`` is a member of, by name."""
    return list(
        Organisation.objects.filter(memberships__user=user)
        .select_related("municipality")
        .order_by("name", "pk")
    )


def members_of(organisation: Organisation) -> list[Membership]:
    """Who acts for ``organisation`` (requests not yet proven too), by name and address."""
    return list(
        organisation.memberships.select_related("user").order_by("user__name", "user__email")
    )


def open_invitations(organisation: Organisation) -> list[Invitation]:
    """The invitations not yet accepted, withdrawn or expired, newest first."""
    return list(
        organisation.invitations.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).order_by("-created_at")
    )


def requests_for(user: User) -> list[Membership]:
    """The requests to act for an organisation that ``user`` may decide on
    (``registry.permissions.may_approve_membership``), oldest first: claims of organisations
    that have applied to the user's secretariat's calls, and requests of people who work for a
    secretariat that the user administers."""
    if not user.is_authenticated:
        return []
    pending = Membership.objects.unproven().exclude(user=user)
    if not user.is_superuser:
        secretariats = Membership.objects.proven().filter(
            user=user, organisation__administered_pools__isnull=False
        )
        administered = secretariats.filter(role=MembershipRole.ADMINISTRATOR)
        pending = pending.filter(
            Q(
                needs_secretariat=False,
                organisation__applications__call__pool__administrator__in=secretariats.values(
                    "organisation"
                ),
            )
            | Q(
                needs_secretariat=True,
                user__memberships__proven_at__isnull=False,
                user__memberships__organisation__in=administered.values("organisation"),
            )
            | Q(
                needs_secretariat=True,
                user__panels__call__pool__administrator__in=administered.values("organisation"),
            )
        )
    return list(
        Membership.objects.filter(pk__in=pending.values("pk"))
        .select_related("user", "organisation")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class RegistryEntry:
    """What onboarding shows of an organisation that someone claims by its CVR number."""

    organisation: Organisation
    departments: int
    has_members: bool  # someone has proven to act for it


def registry_entry(cvr: str) -> RegistryEntry | None:
    """The organisation with this CVR number, its number of housing departments and whether
    anyone acts for it yet; None when the registry does not know the number."""
    organisation = (
        Organisation.objects.filter(cvr=cvr)
        .select_related("municipality")
        .annotate(department_count=Count("departments", distinct=True))
        .first()
    )
    if organisation is None:
        return None
    return RegistryEntry(
        organisation=organisation,
        departments=organisation.department_count,
        has_members=organisation.memberships.proven().exists(),
    )


def missing_profile_facts(organisation: Organisation) -> list[str]:
    """What an application needs from the organisation's profile that the profile lacks, as
    translated sentences in the order the profile page asks for them; empty when complete."""
    wanted = [
        (organisation.payment_iban, _("The payment account is missing.")),
        (organisation.contact_name, _("The contact person's name is missing.")),
        (organisation.contact_email, _("The contact person's e-mail address is missing.")),
        (organisation.contact_phone, _("The contact person's phone number is missing.")),
        (organisation.finance_name, _("The finance contact's name is missing.")),
        (organisation.finance_email, _("The finance contact's e-mail address is missing.")),
    ]
    return [message for value, message in wanted if not value]


def verified_cvrs(cvrs: Iterable[str]) -> frozenset[str]:
    """Those of ``cvrs`` that the registry has as verified organisations (``verified_at``:
    the register's imports, or a caseworker who checked it): a partner screening counts as
    known. An organisation that registered itself is not among them. One query; none for
    none."""
    wanted = set(cvrs)
    if not wanted:
        return frozenset()
    return frozenset(
        Organisation.objects.filter(cvr__in=wanted, verified_at__isnull=False).values_list(
            "cvr", flat=True
        )
    )


def verified_associations() -> list[Organisation]:
    """The partner organisations (associations, libraries, social organisations) the registry
    vouches for, the latest verified first, with who verified them."""
    return list(
        Organisation.objects.filter(verified_at__isnull=False, kind__in=PARTNER_KINDS)
        .select_related("verified_by", "municipality")
        .order_by("-verified_at", "name", "pk")
    )


def organisation_with_cvr(cvr: str) -> Organisation | None:
    """The registry's organisation with this CVR number, with who verified it; None when it
    has none."""
    return Organisation.objects.filter(cvr=cvr).select_related("verified_by").first()
