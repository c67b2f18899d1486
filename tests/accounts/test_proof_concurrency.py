"""Many guesses at one proof code arrive at the same moment.

Each thread has its own database connection, as each web worker would; this runs in the
PostgreSQL leg of `make test`.
"""

from collections.abc import Callable

import pytest

from pulje.accounts.models import ProofCode
from pulje.registry.services.memberships import MembershipRefused, request_membership
from pulje.registry.services.proof import PROOF_CODE_ATTEMPTS, prove_by_code, send_proof_code
from tests.concurrency import run_at_once
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_guesses_sent_at_once_are_tried_no_more_times_than_the_code_allows() -> None:
    organisation = OrganisationFactory(registry_email="post@nord.dk")
    claimant = UserFactory()
    membership = request_membership(actor=claimant, organisation=organisation)
    send_proof_code(actor=claimant, membership=membership)

    def guess(code: str) -> Callable[[], object]:
        return lambda: prove_by_code(actor=claimant, membership=membership, code=code)

    outcomes = run_at_once(*(guess(f"x{index}") for index in range(THREADS)))

    assert all(isinstance(outcome, MembershipRefused) for outcome in outcomes), outcomes
    refusals = [outcome.code for outcome in outcomes if isinstance(outcome, MembershipRefused)]
    assert sorted(refusals) == sorted(
        ["wrong"] * PROOF_CODE_ATTEMPTS + ["attempts"] * (THREADS - PROOF_CODE_ATTEMPTS)
    )
    assert ProofCode.objects.get().attempts == PROOF_CODE_ATTEMPTS
