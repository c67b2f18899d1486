"""Many guesses at one proof code arrive at the same moment.

Each thread has its own database connection, as each web worker would; this runs in the
PostgreSQL leg of `make test`.
"""

import threading

import pytest
from django.db import connection
from django.utils import translation

from pulje.accounts.models import ProofCode
from pulje.registry.services.memberships import MembershipRefused, request_membership
from pulje.registry.services.proof import PROOF_CODE_ATTEMPTS, prove_by_code, send_proof_code
from tests.factories import OrganisationFactory, UserFactory

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

THREADS = 20


def test_guesses_sent_at_once_are_tried_no_more_times_than_the_code_allows() -> None:
    organisation = OrganisationFactory(registry_email="post@nord.dk")
    claimant = UserFactory()
    membership = request_membership(actor=claimant, organisation=organisation)
    send_proof_code(actor=claimant, membership=membership)
    refusals: list[str] = [""] * THREADS
    start = threading.Barrier(THREADS)

    def guess(index: int) -> None:
        try:
            with translation.override("en"):
                start.wait(timeout=30)
                prove_by_code(actor=claimant, membership=membership, code=f"x{index}")
        except MembershipRefused as refused:
            refusals[index] = refused.code
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"

    assert sorted(refusals) == sorted(
        ["wrong"] * PROOF_CODE_ATTEMPTS + ["attempts"] * (THREADS - PROOF_CODE_ATTEMPTS)
    )
    assert ProofCode.objects.get().attempts == PROOF_CODE_ATTEMPTS
