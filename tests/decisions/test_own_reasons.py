"""A bulk rejection's letters each carry the application's own reason (issue 15.5): its
screening's failures, else the recommendation not to grant it, before the text the
caseworker wrote for all of them."""

import pytest

from pulje.assessment.services import recommend_applications
from pulje.casework.models import Screening
from pulje.casework.services import override_screening
from pulje.decisions.selectors import letter_subjects
from pulje.decisions.services import decide_applications
from tests.factories.allocation import make_scarce, submitted

pytestmark = pytest.mark.django_db


def test_each_rejection_letter_states_its_own_reason() -> None:
    scarce = make_scarce()
    caseworker = scarce.caseworker
    recommend_applications(
        actor=caseworker,
        applications=[scarce.dining],
        recommended=False,
        reason="Projektet er drift, ikke et nyt tiltag.",
    )
    failed = submitted(scarce.round, title="Dumpet", amount_kr=20_000)
    override_screening(
        actor=caseworker,
        screening=Screening.objects.filter(application=failed).latest("pk"),
        outcome="fail",
        reason="Ansøgeren er ikke en boligorganisation.",
    )

    decisions = decide_applications(
        actor=caseworker,
        applications=[scarce.dining, failed, scarce.walking],
        outcome="reject",
        reason_code="other",
        reason_text="Puljen fik mange gode ansøgninger.",
    )

    reasons = {
        subject.reference: subject.data.rejection_reason
        for subject in letter_subjects([decision.pk for decision in decisions])
    }
    assert reasons == {
        scarce.dining.reference: "Anden begrundelse (se teksten). Projektet er drift, ikke et "
        "nyt tiltag. Puljen fik mange gode ansøgninger.",
        failed.reference: "Anden begrundelse (se teksten). Ansøgeren er ikke en "
        "boligorganisation. Puljen fik mange gode ansøgninger.",
        scarce.walking.reference: "Anden begrundelse (se teksten). Puljen fik mange gode "
        "ansøgninger.",
    }
