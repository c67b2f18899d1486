"""Every date and amount a letter states agrees with the call and the decision it comes from.

The letters are rendered to text (``rendering.letter_text``, the same typst source as the
PDF) for a grant in full, a reduced grant and a rejection; every Danish date and every amount
in kroner found in the text is compared with the one the Decision, its application and its
call hold, formatted here, independently of the code under test.
"""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from pulje.calls.services import update_call
from pulje.core.money import kr
from pulje.decisions.models import Decision
from pulje.decisions.selectors import letter_subjects
from pulje.funds.services import update_pool
from pulje.letters.rendering import letter_text
from pulje.letters.services import ensure_letter_templates
from tests.factories.letters import Decided, make_decided

pytestmark = pytest.mark.django_db

# The round as it ran: decided on 8 March 2021, in the morning, Danish time.
DECIDED_AT = dt.datetime(2021, 3, 8, 9, 30, tzinfo=dt.UTC)
REPORT_BY = dt.date(2022, 2, 28)
MONTHS = "januar februar marts april maj juni juli august september oktober november december"
DATE = re.compile(r"\b(\d{1,2})\. (" + MONTHS.replace(" ", "|") + r") (\d{4})\b")
AMOUNT = re.compile(r"\b\d{1,3}(?:\.\d{3})*(?:,\d{2})? kr\.")


def _danish(day: dt.date) -> str:
    return f"{day.day}. {MONTHS.split()[day.month - 1]} {day.year}"


def _kroner(ore: int) -> str:
    assert ore % 100 == 0
    return f"{ore // 100:,} kr.".replace(",", ".")


@pytest.fixture
def decided(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Callable[..., Any]
) -> Decided:
    """BL's round, opened the day before the decisions (the factories open a call then)."""
    monkeypatch.setattr(timezone, "now", lambda: DECIDED_AT)
    decided = make_decided(django_capture_on_commit_callbacks)
    funded = decided.funded
    update_call(
        actor=None,
        call=funded.call,
        letter_email="puljer@bl.dk",
        letter_phone="33 76 20 00",
        payment_terms="Tilskuddet udbetales i én rate, når I har accepteret.",
        report_by=REPORT_BY,
    )
    top = funded.pool.parent
    assert top is not None
    update_pool(
        actor=None,
        pool=top,
        legal_basis="Aktstykke nr. 41 af 12/11/2020",
        funding_source="Finansloven for 2020",
        complaints_guide="Afgørelsen kan ikke påklages, men I kan bede os se på den igen.",
    )
    return decided


def _texts(decided: Decided) -> dict[int, str]:
    subjects = letter_subjects([d.pk for d in decided.decisions])
    bodies = ensure_letter_templates(call_ids=[decided.funded.call.pk])
    return {
        subject.decision_id: letter_text(
            subject.with_body(bodies[(subject.call_id, subject.kind)]).data
        )
        for subject in subjects
    }


def _dates(text: str) -> set[str]:
    return {match.group(0) for match in DATE.finditer(text)}


def _amounts(text: str) -> set[str]:
    return set(AMOUNT.findall(text))


def _grant_dates(decision: Decision) -> set[str]:
    application = decision.application
    call = application.call
    decided_on = timezone.localdate(decision.decided_at)
    # The call's terms: 30 days to accept from the day of the decision.
    assert decision.accept_by == decided_on + dt.timedelta(days=30)
    assert decision.spend_by == dt.date(2022, 6, 30)  # the top pool's (tests/factories)
    assert application.period_start is not None
    assert application.period_end is not None
    # The dates agree with one another and the call: accept before the money must be spent,
    # the project inside the call's window and done before the spend-by date and the report.
    assert decided_on < decision.accept_by < decision.spend_by
    assert call.project_start_earliest <= application.period_start <= application.period_end
    assert application.period_end <= call.project_end_latest <= decision.spend_by
    assert call.project_end_latest <= REPORT_BY
    return {
        _danish(decided_on),
        _danish(decision.accept_by),
        _danish(decision.spend_by),
        _danish(application.period_start),
        _danish(application.period_end),
        _danish(REPORT_BY),
    }


def test_a_full_grant_states_the_decisions_amount_and_dates(decided: Decided) -> None:
    full = decided.decisions[0]
    text = _texts(decided)[full.pk]

    assert full.amount_ore == full.requested_ore == kr(60_000)
    assert (
        _dates(text)
        == _grant_dates(full)
        == {
            "8. marts 2021",
            "7. april 2021",
            "30. juni 2022",
            "1. februar 2021",
            "30. november 2021",
            "28. februar 2022",
        }
    )
    # The amount granted, and the budget applied for (all of it activities).
    assert _amounts(text) == {_kroner(full.amount_ore)} == {"60.000 kr."}
    assert f"tilskud på {_kroner(full.amount_ore)} til projektet" in text
    assert f"Aktiviteter: {_kroner(full.amount_ore)}" in text
    assert f"senest den {_danish(full.accept_by)}" in text  # type: ignore[arg-type]


def test_a_reduced_grant_states_both_amounts_and_the_same_dates(decided: Decided) -> None:
    reduced = decided.decisions[1]
    text = _texts(decided)[reduced.pk]

    assert (reduced.amount_ore, reduced.requested_ore) == (kr(50_000), kr(80_000))
    assert _dates(text) == _grant_dates(reduced)
    assert _amounts(text) == {_kroner(kr(50_000)), _kroner(kr(80_000))}
    assert "nedsat fra de ansøgte 80.000 kr. til 50.000 kr." in text
    assert "revideret budget, der passer med de 50.000 kr. i tilskud" in text


def test_a_rejection_states_the_amount_applied_for_and_only_its_date(decided: Decided) -> None:
    rejected = decided.decisions[2]
    text = _texts(decided)[rejected.pk]

    assert rejected.amount_ore is None
    assert _dates(text) == {_danish(timezone.localdate(rejected.decided_at))}
    assert _amounts(text) == {_kroner(rejected.requested_ore)} == {"20.000 kr."}
    assert "Begrundelse: Andre ansøgninger opfyldte kriterierne bedre." in text


def test_no_letter_has_a_double_full_stop_after_an_amount(decided: Decided) -> None:
    for text in _texts(decided).values():
        assert "kr.." not in text
        assert ".." not in text


def test_the_letters_carry_the_calls_and_pools_facts(decided: Decided) -> None:
    full, _, rejected = decided.decisions
    texts = _texts(decided)
    sender = decided.funded.pool.administrator
    accept_url = f"/afgoerelser/tilsagn/{full.application.uuid}/"

    for text in texts.values():
        assert "E-mail: puljer@bl.dk" in text
        assert "Telefon: 33 76 20 00" in text
        assert f"CVR-nr. {sender.cvr}" in text
        assert "Hjemmel: Aktstykke nr. 41 af 12/11/2020" in text
        assert "Midlerne kommer fra: Finansloven for 2020" in text
        assert "kontakte sekretariatet på puljer@bl.dk eller 33 76 20 00." in text
    grant = texts[full.pk]
    assert accept_url in grant
    assert "Udbetaling: Tilskuddet udbetales i én rate, når I har accepteret." in grant
    assert "Klagevejledning" not in grant
    refusal = texts[rejected.pk]
    assert (
        "Klagevejledning: Afgørelsen kan ikke påklages, men I kan bede os se på den igen."
        in refusal
    )
    assert "/afgoerelser/tilsagn/" not in refusal
