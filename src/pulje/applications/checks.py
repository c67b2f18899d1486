"""The shell around the application's rules: the draft read as typed input, and the call's
terms from the database.

A draft holds what the applicant typed, as text, field by field. ``draft_fields`` are those
fields (their types and lengths: Danish amounts and whole numbers, dates, texts with a limit,
the organisation's own departments, the call's questions); the application form shows them,
and ``parse_draft`` reads a stored draft with them without a form, for a submission.
Both then read the partner rows the same way (``read_input``) and hold the result to the call's
terms by ``rules.check_application``.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.applications.models import BudgetKind, TargetGroup
from pulje.applications.rules import ApplicationInput, CallTerms, PartnerInput, check_application
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.calls.selectors import call_bands
from pulje.core.forms import (
    MAX_WHOLE_NUMBER,
    LimitedTextField,
    MoneyField,
    RowsField,
    WholeNumberField,
)
from pulje.funds.bands import bands_text
from pulje.funds.forms import DateInput
from pulje.funds.selectors import effective_spend_by
from pulje.registry.models import PARTNER_KINDS as PARTNER_KIND_VALUES
from pulje.registry.models import HousingDepartment, Organisation, OrganisationKind
from pulje.registry.validators import clean_cvr

PARTNER_SLOTS = 3
PARTNER_PARTS = ("name", "cvr", "kind")
SUMMARY_LIMIT = 500
TEXT_LIMIT = 3000
PARTNER_KINDS = [(kind.value, kind.label) for kind in PARTNER_KIND_VALUES]
CORE_FIELDS = (
    "departments",
    "title",
    "summary",
    "target_groups",
    "activities",
    "loneliness",
    "period_start",
    "period_end",
    "expected_participants",
    "amount",
    "cofunding",
)
TEXT_FIELDS = ("title", "summary", "activities", "loneliness")

MISSING_PARTNER = {
    "name": gettext_lazy("Give the partner's name."),
    "cvr": gettext_lazy("Give the partner's CVR number."),
    "kind": gettext_lazy("Choose what kind of partner it is."),
}


def budget_field(kind: str) -> str:
    return f"budget_{kind}"


def partner_field(slot: int, part: str) -> str:
    return f"partner_{slot}_{part}"


def partner_fields() -> list[str]:
    return [
        partner_field(slot, part) for slot in range(1, PARTNER_SLOTS + 1) for part in PARTNER_PARTS
    ]


def _in_order(questions: Sequence[CallQuestion]) -> list[str]:
    """The names of the draft's fields, in the form's order."""
    return [
        *CORE_FIELDS,
        *(budget_field(kind) for kind in BudgetKind.values),
        *partner_fields(),
        *(question.field_name for question in questions),
    ]


def field_names(call: Call) -> frozenset[str]:
    """The names of the draft's fields for ``call``, without building them (one query, for
    the call's questions): what a draft may hold."""
    questions = call.questions.exclude(kind=QuestionKind.FILE).values_list("pk", flat=True)
    return frozenset(_in_order([CallQuestion(pk=pk) for pk in questions]))


def kind_labels() -> dict[str, str]:
    """The labels of the kinds of organisation a problem may name."""
    return {value: str(label) for value, label in OrganisationKind.choices}


def call_terms(call: Call) -> CallTerms:
    """What ``call`` asks of an application: its bands, who may apply, its required partner
    kinds, its project window and its pool's spend-by date. Two queries at most."""
    return CallTerms(
        bands=tuple(
            (band.grant_min_ore, band.grant_max_ore)
            for band in call_bands(call)
            if band.grant_min_ore is not None and band.grant_max_ore is not None
        ),
        applicant_kinds=tuple(call.applicant_kind_values()),
        partner_kinds=tuple(call.partner_kinds),
        project_start_earliest=call.project_start_earliest,
        project_end_latest=call.project_end_latest,
        spend_by=effective_spend_by(call.pool),
    )


def answered_questions(call: Call) -> list[CallQuestion]:
    """The call's questions a draft answers in a field (files are attached instead)."""
    return [q for q in call.questions.all() if q.kind != QuestionKind.FILE]


def draft_fields(
    *, call: Call, organisation: Organisation, terms: CallTerms, questions: Sequence[CallQuestion]
) -> dict[str, forms.Field]:
    """The draft's fields for ``call`` and ``organisation``, in the form's order."""
    fields: dict[str, forms.Field] = {
        "departments": RowsField(
            label=gettext_lazy("Housing departments"),
            queryset=organisation.departments.select_related("municipality").order_by("number"),
            widget=forms.CheckboxSelectMultiple,
            help_text=gettext_lazy("The estates where the project takes place."),
            error_messages={"required": gettext_lazy("Choose at least one housing department.")},
        ),
        "title": LimitedTextField(
            label=gettext_lazy("Title of the project"),
            max_length=150,
            error_messages={"required": gettext_lazy("Give the project a title.")},
        ),
        "summary": LimitedTextField(
            label=gettext_lazy("Short summary"),
            max_length=SUMMARY_LIMIT,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=gettext_lazy(
                "Two or three sentences. If you get a grant, the summary may be published."
            ),
            error_messages={"required": gettext_lazy("Write a short summary of the project.")},
        ),
        "target_groups": forms.MultipleChoiceField(
            label=gettext_lazy("Target groups"),
            choices=TargetGroup.choices,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"required": gettext_lazy("Choose at least one target group.")},
        ),
        "activities": LimitedTextField(
            label=gettext_lazy("What will happen?"),
            max_length=TEXT_LIMIT,
            widget=forms.Textarea(attrs={"rows": 6}),
            help_text=gettext_lazy("The activities, where and how often."),
            error_messages={"required": gettext_lazy("Describe the activities.")},
        ),
        "loneliness": LimitedTextField(
            label=gettext_lazy("How will the project bring lonely residents into communities?"),
            max_length=TEXT_LIMIT,
            widget=forms.Textarea(attrs={"rows": 6}),
            help_text=gettext_lazy("How you will find and invite residents who are alone."),
            error_messages={
                "required": gettext_lazy("Describe how the project reaches lonely residents.")
            },
        ),
        "period_start": forms.DateField(
            label=gettext_lazy("Project start"),
            widget=DateInput(),
            help_text=_("Between %(start)s and %(end)s.")
            % {
                "start": date_format(call.project_start_earliest),
                "end": date_format(call.project_end_latest),
            },
            error_messages={"required": gettext_lazy("Give the date the project starts.")},
        ),
        "period_end": forms.DateField(
            label=gettext_lazy("Project end"),
            widget=DateInput(),
            error_messages={"required": gettext_lazy("Give the date the project ends.")},
        ),
        "expected_participants": WholeNumberField(
            label=gettext_lazy("Expected number of participants"),
            min_value=1,
            max_value=100_000,
            widget=forms.TextInput(attrs={"class": "input-width-xs"}),
            error_messages={
                "required": gettext_lazy("Give the number of residents you expect to take part.")
            },
        ),
        "amount": MoneyField(
            label=gettext_lazy("Amount applied for"),
            help_text=_("Grants come in these sizes: %(bands)s")
            % {"bands": bands_text(terms.bands)},
            error_messages={"required": gettext_lazy("Give the amount you apply for.")},
        ),
        "cofunding": MoneyField(
            label=gettext_lazy("Co-funding"),
            required=False,
            min_ore=0,
            help_text=gettext_lazy("Money or work the project gets from elsewhere, in kroner."),
        ),
    }
    for kind, label in BudgetKind.choices:
        fields[budget_field(kind)] = MoneyField(label=label, required=False, min_ore=0)
    for slot in range(1, PARTNER_SLOTS + 1):
        # The call's required partner is the first one: its fields are required.
        required = slot == 1 and call.partner_required
        fields[partner_field(slot, "name")] = LimitedTextField(
            label=_("Name of partner %(n)d") % {"n": slot},
            max_length=200,
            required=required,
            error_messages={"required": MISSING_PARTNER["name"]},
        )
        fields[partner_field(slot, "cvr")] = forms.CharField(
            label=_("CVR number of partner %(n)d") % {"n": slot},
            max_length=20,
            required=required,
            error_messages={"required": MISSING_PARTNER["cvr"]},
            widget=forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "class": "input-width-s",
                    # The name (and kind) are filled in from the CVR register where it knows
                    # the number (static/src/cvrlookup.js); they stay editable.
                    "data-cvr-lookup": reverse("registry:cvr_lookup"),
                    "data-cvr-name": partner_field(slot, "name"),
                    "data-cvr-kind": partner_field(slot, "kind"),
                }
            ),
        )
        fields[partner_field(slot, "kind")] = forms.ChoiceField(
            label=_("Kind of partner %(n)d") % {"n": slot},
            choices=[("", _("Choose")), *PARTNER_KINDS],
            required=required,
            error_messages={"required": MISSING_PARTNER["kind"]},
        )
    for question in questions:
        fields[question.field_name] = question_field(question)
    return fields


def question_field(question: CallQuestion) -> forms.Field:
    common: dict[str, Any] = {
        "label": question.label,
        "help_text": question.help_text,
        "required": question.required,
    }
    if question.kind == QuestionKind.NUMBER:
        return WholeNumberField(
            min_value=-MAX_WHOLE_NUMBER,
            widget=forms.TextInput(attrs={"class": "input-width-s"}),
            **common,
        )
    if question.kind == QuestionKind.CHOICE:
        return forms.ChoiceField(
            choices=[(choice, choice) for choice in question.choices],
            widget=forms.RadioSelect,
            **common,
        )
    if question.kind == QuestionKind.YES_NO:
        return forms.TypedChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))],
            coerce=lambda value: value == "yes",
            widget=forms.RadioSelect,
            **common,
        )
    return LimitedTextField(
        max_length=question.max_length or TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        **common,
    )


@dataclass(frozen=True)
class ReadDraft:
    """The draft's fields read as an application: the typed input, the messages of the
    fields that could not be read (each field's in its order), and the rows the input
    names (departments, questions) for what is written and shown."""

    input: ApplicationInput
    errors: dict[str, list[str]]
    departments: list[HousingDepartment]
    questions: list[CallQuestion]


def read_input(
    cleaned: Mapping[str, Any],
    failed: Collection[str],
    *,
    questions: Sequence[CallQuestion],
) -> ReadDraft:
    """The fields' cleaned values (those named in ``failed`` could not be read) as typed input:
    the partner rows read here (a row is complete or empty; its CVR number valid)."""
    row_errors: dict[str, list[str]] = {}
    partners: list[PartnerInput] = []
    for slot in range(1, PARTNER_SLOTS + 1):
        names = {part: partner_field(slot, part) for part in PARTNER_PARTS}
        values = {part: (cleaned.get(name) or "").strip() for part, name in names.items()}
        if not any(values.values()):
            continue
        for part, name in names.items():
            if not values[part] and name not in failed:
                row_errors.setdefault(name, []).append(str(MISSING_PARTNER[part]))
        if values["cvr"]:
            try:
                values["cvr"] = clean_cvr(values["cvr"])
            except ValidationError as error:
                row_errors.setdefault(names["cvr"], []).extend(error.messages)
        if all(values.values()):
            partners.append(PartnerInput(**values))
    unread = {*failed, *row_errors}
    budget_names = [budget_field(kind) for kind in BudgetKind.values]
    departments = list(cleaned.get("departments") or ())
    application = ApplicationInput(
        department_ids=frozenset(department.pk for department in departments),
        **{name: cleaned.get(name) or "" for name in TEXT_FIELDS},
        target_groups=tuple(cleaned.get("target_groups") or ()),
        period_start=cleaned.get("period_start"),
        period_end=cleaned.get("period_end"),
        expected_participants=cleaned.get("expected_participants"),
        amount_ore=cleaned.get("amount"),
        cofunding_ore=cleaned.get("cofunding"),
        budget=None
        if unread & set(budget_names)
        else {
            kind: cleaned[name]
            for kind, name in zip(BudgetKind.values, budget_names, strict=True)
            if cleaned.get(name)
        },
        partners=None if unread & set(partner_fields()) else tuple(partners),
        answers={question.pk: cleaned.get(question.field_name) for question in questions},
    )
    return ReadDraft(application, row_errors, departments, list(questions))


def parse_draft(
    draft: Mapping[str, Sequence[str]],
    *,
    call: Call,
    organisation: Organisation,
    terms: CallTerms | None = None,
) -> ReadDraft:
    """Read a stored draft by its fields, as the form would: shape only (the call's rules
    are ``rules.check_application``'s). ``errors`` has the fields' own messages and the
    partner rows', in the form's order of fields."""
    questions = answered_questions(call)
    fields = draft_fields(
        call=call, organisation=organisation, terms=terms or call_terms(call), questions=questions
    )
    data = MultiValueDict({name: list(values) for name, values in draft.items()})
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, field in fields.items():
        try:
            cleaned[name] = field.clean(field.widget.value_from_datadict(data, {}, name))
        except ValidationError as error:
            errors[name] = list(error.messages)
    read = read_input(cleaned, errors, questions=questions)
    for name, messages in read.errors.items():
        errors.setdefault(name, []).extend(messages)
    return ReadDraft(read.input, _ordered(errors, questions), read.departments, read.questions)


def check_draft(
    draft: Mapping[str, Sequence[str]], *, call: Call, organisation: Organisation
) -> ReadDraft:
    """``parse_draft`` and then the call's rules: ``errors`` has every message the form would
    show, on its field, in the form's order (the applicant's words, in the active
    language)."""
    terms = call_terms(call)
    read = parse_draft(draft, call=call, organisation=organisation, terms=terms)
    errors = {name: list(messages) for name, messages in read.errors.items()}
    labels = kind_labels()
    for problem in check_application(read.input, terms):
        errors.setdefault(problem.field or NON_FIELD_ERRORS, []).append(problem.message(labels))
    return ReadDraft(read.input, _ordered(errors, read.questions), read.departments, read.questions)


def _ordered(
    errors: Mapping[str, list[str]], questions: Sequence[CallQuestion]
) -> dict[str, list[str]]:
    """``errors`` in the form's order: those on the application as a whole first."""
    names = [NON_FIELD_ERRORS, *_in_order(questions)]
    return {name: errors[name] for name in names if name in errors}
