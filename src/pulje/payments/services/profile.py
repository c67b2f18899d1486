"""The paying organisation's bank profile."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AuditAction
from pulje.core.iban import clean_iban
from pulje.payments.errors import PaymentRefused
from pulje.payments.models import BankProfile
from pulje.registry.models import Organisation
from pulje.registry.permissions import is_organisation_administrator

FIELDS = (
    "debtor_iban",
    "debtor_bic",
    "pain_version",
    "service_level",
    "charge_bearer",
    "creditor_account_form",
    "include_bic",
    "local_instrument",
)


@transaction.atomic
def set_bank_profile(
    *, actor: User | None, organisation: Organisation, **values: Any
) -> BankProfile:
    """Create or change what the organisation's bank takes (``FIELDS``); the account is
    given as an IBAN (a Danish reg.nr. + account number converted to one by the form).

    Side effects: the profile; one audit event ``payments.bankprofile.set``.
    Raises PaymentRefused (``not_administrator``, ``invalid_profile`` naming the field)
    having written nothing.
    """
    if actor is not None and not is_organisation_administrator(actor, organisation):
        raise PaymentRefused(
            _("Only a proven administrator of the organisation sets its bank profile."),
            code="not_administrator",
        )
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise TypeError(f"Not bank profile fields: {unknown}")
    profile = BankProfile.objects.filter(organisation=organisation).first() or BankProfile(
        organisation=organisation
    )
    before = snapshot(profile, FIELDS) if profile.pk else None
    for name, value in values.items():
        setattr(profile, name, value)
    try:
        profile.debtor_iban = clean_iban(profile.debtor_iban)
    except ValidationError as error:
        raise PaymentRefused(
            error.messages[0], code="invalid_profile", field="debtor_iban"
        ) from None
    profile.debtor_bic = profile.debtor_bic.strip().upper()
    try:
        profile.full_clean(exclude=["organisation"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise PaymentRefused(messages[0], code="invalid_profile", field=field) from None
    if not profile.debtor_iban:
        raise PaymentRefused(
            _("Give the account the grants are paid from."),
            code="invalid_profile",
            field="debtor_iban",
        )
    if profile.include_bic and not profile.debtor_bic:
        raise PaymentRefused(
            _("Give the bank's BIC, or do not include it."),
            code="invalid_profile",
            field="debtor_bic",
        )
    profile.save()
    record_event(
        actor=actor,
        action=AuditAction.PAYMENTS_BANK_PROFILE_SET,
        obj=profile,
        before=before,
        after=snapshot(profile, FIELDS),
    )
    return profile
