"""Reads of the registry for pages and for other apps."""

from dataclasses import dataclass

from django.db.models import Count
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.registry.models import Organisation


def organisations_of(user: User) -> list[Organisation]:
    """The organisations ``user`` is a member of, by name."""
    return list(
        Organisation.objects.filter(memberships__user=user)
        .select_related("municipality")
        .order_by("name", "pk")
    )


def members_of(organisation: Organisation) -> list[User]:
    """The users who act for ``organisation``, by name and address."""
    return list(
        User.objects.filter(memberships__organisation=organisation).order_by("name", "email")
    )


@dataclass(frozen=True)
class RegistryEntry:
    """What onboarding shows of an organisation that someone claims by its CVR number."""

    organisation: Organisation
    departments: int
    has_members: bool


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
        has_members=organisation.memberships.exists(),
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
