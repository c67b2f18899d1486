"""Accepted grants of a funded call, the BL secretariat's bank profile and two caseworkers, so
that one prepares a run and the other approves it; built through the product's services."""

from dataclasses import dataclass

import pytest

from pulje.accounts.models import User
from pulje.decisions.services import accept_grant, decide_applications, write
from pulje.ledger.models import GrantAccount
from pulje.payments.models import BankProfile
from pulje.payments.services.profile import set_bank_profile
from tests.factories import UserFactory
from tests.factories.decisions import Funded, make_funded, screened


@dataclass
class Paying:
    funded: Funded
    preparer: User
    approver: User
    profile: BankProfile

    def accepted(self, amount_kr: int = 60_000) -> GrantAccount:
        application = screened(self.funded.applicant, amount_kr)
        [decision] = decide_applications(
            actor=self.funded.caseworker, applications=[application], outcome="grant"
        )
        accept_grant(
            actor=self.funded.applicant.user, decision=decision, public_summary="Spisning."
        )
        assert decision.grant is not None
        return GrantAccount.objects.get(pk=decision.grant.pk)


@pytest.fixture
def paying(db: None, monkeypatch: pytest.MonkeyPatch) -> Paying:
    monkeypatch.setattr(write, "queue_decision_letters", lambda **kw: None)
    funded = make_funded()
    bl = funded.pool.administrator
    profile = set_bank_profile(actor=None, organisation=bl, debtor_iban="DK50 0040 0440 1162 43")
    return Paying(
        funded=funded,
        preparer=funded.caseworker,
        approver=UserFactory(organisation=bl, name="Anden sagsbehandler"),
        profile=profile,
    )
