"""The draft read without a form: shape only in ``parse_draft``, the call's rules on top in
``check_draft``, and the same messages on the same fields as the form shows."""

import datetime as dt

import pytest
from django.utils.datastructures import MultiValueDict

from pulje.applications.checks import call_terms, check_draft, parse_draft
from pulje.applications.forms import ApplicationForm
from pulje.applications.rules import CallTerms, PartnerInput
from pulje.core.money import kr
from pulje.funds.models import Pool
from tests.factories.applications import BANDS_KR, PARTNER_CVR, Applicant, complete_draft

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

WRONG = {
    "amount": ["500.000"],
    "title": [""],
    "partner_1_cvr": ["12345678"],
    "period_start": ["2020-12-31"],
    "budget_materials": ["femten"],
}


def test_a_complete_draft_reads_as_typed_input(applicant: Applicant) -> None:
    read = parse_draft(
        complete_draft(applicant), call=applicant.call, organisation=applicant.organisation
    )

    assert read.errors == {}
    typed = read.input
    assert (typed.amount_ore, typed.budget, typed.partners, typed.period_start) == (
        kr(60_000),
        {"activities": kr(45_000), "materials": kr(15_000)},
        (PartnerInput(name="Gellerup Kulturforening", cvr=PARTNER_CVR, kind="association"),),
        dt.date(2021, 2, 1),
    )
    assert typed.department_ids == frozenset({applicant.department.pk})
    assert read.departments == [applicant.department]


def test_parse_draft_checks_shape_only(applicant: Applicant) -> None:
    draft = complete_draft(applicant) | WRONG

    read = parse_draft(draft, call=applicant.call, organisation=applicant.organisation)

    # The amount outside the bands and the start before the window are the rules', not here.
    assert read.errors == {
        "title": ["Give the project a title."],
        "budget_materials": [
            "“femten” is not an amount. Write it in Danish notation, with a full stop between "
            "thousands and a comma before øre, for example 12.500,50 kr."
        ],
        "partner_1_cvr": ["“12345678” is not a valid CVR number (the check digit does not match)."],
    }
    assert (read.input.amount_ore, read.input.budget, read.input.partners) == (
        kr(500_000),
        None,
        None,
    )


def test_check_draft_gives_the_forms_messages_on_the_forms_fields_in_its_order(
    applicant: Applicant,
) -> None:
    draft = complete_draft(applicant) | WRONG
    form = ApplicationForm(
        data=MultiValueDict(draft), call=applicant.call, organisation=applicant.organisation
    )

    read = check_draft(draft, call=applicant.call, organisation=applicant.organisation)

    assert not form.is_valid()
    assert read.errors == {
        "title": ["Give the project a title."],
        "period_start": ["The project can start Jan. 1, 2021 at the earliest."],
        "amount": [
            "500.000 kr. is not within a grant size of this call. The sizes are: "
            "10.000 kr. – 49.999 kr.; 50.000 kr. – 149.999 kr.; 150.000 kr. – 400.000 kr."
        ],
        "budget_materials": [
            "“femten” is not an amount. Write it in Danish notation, with a full stop between "
            "thousands and a comma before øre, for example 12.500,50 kr."
        ],
        "partner_1_cvr": ["“12345678” is not a valid CVR number (the check digit does not match)."],
    }
    assert read.errors == {name: list(messages) for name, messages in form.errors.items()}
    assert list(read.errors) == [name for name in form.fields if name in form.errors]


def test_the_calls_terms_are_its_bands_kinds_window_and_spend_by(applicant: Applicant) -> None:
    call = applicant.call
    Pool.objects.filter(pk=call.pool_id).update(spend_by=dt.date(2021, 10, 31))
    call.pool.refresh_from_db()

    assert call_terms(call) == CallTerms(
        bands=tuple((kr(low), kr(high)) for low, high in BANDS_KR),
        applicant_kinds=("housing",),
        partner_kinds=("association",),
        project_start_earliest=dt.date(2021, 1, 1),
        project_end_latest=dt.date(2021, 12, 31),
        spend_by=dt.date(2021, 10, 31),
    )
