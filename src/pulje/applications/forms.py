"""The application form: the core questions every call asks, and the call's own questions.

The form is bound to the draft (what the applicant typed, as text), so it can be shown with
the applicant's own input at any time and validated only when they ask for it.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.applications.models import BudgetKind, TargetGroup
from pulje.applications.uploads import MAX_UPLOAD_BYTES
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.calls.selectors import call_bands
from pulje.core.forms import (
    MAX_WHOLE_NUMBER,
    LimitedTextField,
    MoneyField,
    RowsField,
    WholeNumberField,
)
from pulje.core.money import format_dkk
from pulje.funds.forms import DateInput
from pulje.registry.models import HousingDepartment, Organisation, OrganisationKind
from pulje.registry.validators import clean_cvr

PARTNER_SLOTS = 3
SUMMARY_LIMIT = 500
TEXT_LIMIT = 3000
PARTNER_KINDS = [
    (kind.value, kind.label)
    for kind in (OrganisationKind.ASSOCIATION, OrganisationKind.LIBRARY, OrganisationKind.SOCIAL)
]


MISSING_PARTNER = {
    "name": gettext_lazy("Give the partner's name."),
    "cvr": gettext_lazy("Give the partner's CVR number."),
    "kind": gettext_lazy("Choose what kind of partner it is."),
}


def budget_field(kind: str) -> str:
    return f"budget_{kind}"


def partner_field(slot: int, part: str) -> str:
    return f"partner_{slot}_{part}"


def field_names(call: Call) -> frozenset[str]:
    """The names of the application form's fields for ``call``, without building the form
    (one query, for the call's questions): what a draft may hold."""
    questions = call.questions.exclude(kind=QuestionKind.FILE).values_list("pk", flat=True)
    return frozenset(
        [
            *ApplicationForm.base_fields,
            *(budget_field(kind) for kind in BudgetKind.values),
            *(
                partner_field(slot, part)
                for slot in range(1, PARTNER_SLOTS + 1)
                for part in ("name", "cvr", "kind")
            ),
            *(CallQuestion(pk=pk).field_name for pk in questions),
        ]
    )


class ApplicationForm(forms.Form):
    departments = RowsField(
        label=gettext_lazy("Housing departments"),
        queryset=HousingDepartment.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("The estates where the project takes place."),
        error_messages={"required": gettext_lazy("Choose at least one housing department.")},
    )
    title = LimitedTextField(
        label=gettext_lazy("Title of the project"),
        max_length=150,
        error_messages={"required": gettext_lazy("Give the project a title.")},
    )
    summary = LimitedTextField(
        label=gettext_lazy("Short summary"),
        max_length=SUMMARY_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Two or three sentences. If you get a grant, the summary may be published."
        ),
        error_messages={"required": gettext_lazy("Write a short summary of the project.")},
    )
    target_groups = forms.MultipleChoiceField(
        label=gettext_lazy("Target groups"),
        choices=TargetGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one target group.")},
    )
    activities = LimitedTextField(
        label=gettext_lazy("What will happen?"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("The activities, where and how often."),
        error_messages={"required": gettext_lazy("Describe the activities.")},
    )
    loneliness = LimitedTextField(
        label=gettext_lazy("How will the project bring lonely residents into communities?"),
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("How you will find and invite residents who are alone."),
        error_messages={
            "required": gettext_lazy("Describe how the project reaches lonely residents.")
        },
    )
    period_start = forms.DateField(
        label=gettext_lazy("Project start"),
        widget=DateInput(),
        error_messages={"required": gettext_lazy("Give the date the project starts.")},
    )
    period_end = forms.DateField(
        label=gettext_lazy("Project end"),
        widget=DateInput(),
        error_messages={"required": gettext_lazy("Give the date the project ends.")},
    )
    expected_participants = WholeNumberField(
        label=gettext_lazy("Expected number of participants"),
        min_value=1,
        max_value=100_000,
        widget=forms.TextInput(attrs={"class": "input-width-xs"}),
        error_messages={
            "required": gettext_lazy("Give the number of residents you expect to take part.")
        },
    )
    amount = MoneyField(
        label=gettext_lazy("Amount applied for"),
        error_messages={"required": gettext_lazy("Give the amount you apply for.")},
    )
    cofunding = MoneyField(
        label=gettext_lazy("Co-funding"),
        required=False,
        min_ore=0,
        help_text=gettext_lazy("Money or work the project gets from elsewhere, in kroner."),
    )

    def __init__(self, *args: Any, call: Call, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        self.limits = [
            (band.grant_min_ore, band.grant_max_ore)
            for band in call_bands(call)
            if band.grant_min_ore is not None and band.grant_max_ore is not None
        ]
        departments = self.fields["departments"]
        assert isinstance(departments, RowsField)
        departments.queryset = organisation.departments.select_related("municipality").order_by(
            "number"
        )
        window = {
            "start": date_format(call.project_start_earliest),
            "end": date_format(call.project_end_latest),
        }
        self.fields["period_start"].help_text = _("Between %(start)s and %(end)s.") % window
        self.fields["amount"].help_text = _("Grants come in these sizes: %(bands)s") % {
            "bands": self.limits_text()
        }
        for kind, label in BudgetKind.choices:
            self.fields[budget_field(kind)] = MoneyField(label=label, required=False, min_ore=0)
        for slot in range(1, PARTNER_SLOTS + 1):
            # The call's required partner is the first one: its fields are required.
            required = slot == 1 and call.partner_required
            self.fields[partner_field(slot, "name")] = LimitedTextField(
                label=_("Name of partner %(n)d") % {"n": slot},
                max_length=200,
                required=required,
                error_messages={"required": MISSING_PARTNER["name"]},
            )
            self.fields[partner_field(slot, "cvr")] = forms.CharField(
                label=_("CVR number of partner %(n)d") % {"n": slot},
                max_length=20,
                required=required,
                error_messages={"required": MISSING_PARTNER["cvr"]},
                widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "input-width-s"}),
            )
            self.fields[partner_field(slot, "kind")] = forms.ChoiceField(
                label=_("Kind of partner %(n)d") % {"n": slot},
                choices=[("", _("Choose")), *PARTNER_KINDS],
                required=required,
                error_messages={"required": MISSING_PARTNER["kind"]},
            )
        self.questions = [q for q in call.questions.all() if q.kind != QuestionKind.FILE]
        for question in self.questions:
            self.fields[question.field_name] = question_field(question)

    def limits_text(self) -> str:
        return "; ".join(f"{format_dkk(low)} – {format_dkk(high)}" for low, high in self.limits)

    @property
    def core_required_fields(self) -> list[str]:
        return [name for name, field in self.fields.items() if field.required]

    def budget_fields(self) -> list[forms.BoundField]:
        return [self[budget_field(kind)] for kind in BudgetKind.values]

    def partner_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[partner_field(slot, part)] for part in ("name", "cvr", "kind")]
            for slot in range(1, PARTNER_SLOTS + 1)
        ]

    def question_fields(self) -> list[forms.BoundField]:
        return [self[question.field_name] for question in self.questions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_period(data)
        self._check_amount(data)
        self._check_partners(data)
        return data

    def _check_period(self, data: dict[str, Any]) -> None:
        start, end = data.get("period_start"), data.get("period_end")
        window = {
            "start": date_format(self.call.project_start_earliest),
            "end": date_format(self.call.project_end_latest),
        }
        if start and start < self.call.project_start_earliest:
            self.add_error(
                "period_start",
                _("The project can start %(start)s at the earliest.") % window,
            )
        if end and end > self.call.project_end_latest:
            self.add_error("period_end", _("The project must end %(end)s at the latest.") % window)
        if start and end and end < start:
            self.add_error("period_end", _("The end date must be after the start date."))

    def _check_amount(self, data: dict[str, Any]) -> None:
        amount = data.get("amount")
        lines = [data.get(budget_field(kind)) or 0 for kind in BudgetKind.values]
        if amount and not any(low <= amount <= high for low, high in self.limits):
            self.add_error(
                "amount",
                _("%(amount)s is not within a grant size of this call. The sizes are: %(bands)s")
                % {"amount": format_dkk(amount), "bands": self.limits_text()},
            )
        # The budget's own messages go with the amount they must add up to; a line that does
        # not parse has its own message already.
        if any(self.has_error(budget_field(kind)) for kind in BudgetKind.values):
            return
        if not any(lines):
            self.add_error(
                "amount", _("Give the budget: the amount for at least one kind of cost.")
            )
        elif amount and sum(lines) != amount:
            self.add_error(
                "amount",
                _("The budget lines add up to %(total)s, but you apply for %(amount)s")
                % {"total": format_dkk(sum(lines)), "amount": format_dkk(amount)},
            )

    def _check_partners(self, data: dict[str, Any]) -> None:
        complete = []
        for slot in range(1, PARTNER_SLOTS + 1):
            names = {part: partner_field(slot, part) for part in ("name", "cvr", "kind")}
            values = {part: (data.get(name) or "").strip() for part, name in names.items()}
            if not any(values.values()):
                continue
            for part, name in names.items():
                if not values[part] and not self.has_error(name):
                    self.add_error(name, MISSING_PARTNER[part])
            if values["cvr"]:
                try:
                    data[names["cvr"]] = clean_cvr(values["cvr"])
                except forms.ValidationError as error:
                    self.add_error(names["cvr"], error)
            if all(values.values()):
                complete.append(values["kind"])
        required = self.call.partner_kinds
        partner_errors = any(
            self.has_error(partner_field(slot, part))
            for slot in range(1, PARTNER_SLOTS + 1)
            for part in ("name", "cvr", "kind")
        )
        # A partner row's own messages come first; this one is for a partner of the wrong kind.
        if required and not partner_errors and not any(kind in required for kind in complete):
            labels = ", ".join(str(OrganisationKind(kind).label).lower() for kind in required)
            self.add_error(
                partner_field(1, "kind"),
                _("This call requires a partner of this kind: %(kinds)s.") % {"kinds": labels},
            )

    def partners(self) -> list[dict[str, str]]:
        """The complete partner rows of a valid form."""
        rows = []
        for slot in range(1, PARTNER_SLOTS + 1):
            row = {
                part: self.cleaned_data.get(partner_field(slot, part)) or ""
                for part in ("name", "cvr", "kind")
            }
            if all(row.values()):
                rows.append(row)
        return rows

    def budget(self) -> dict[str, int]:
        """The budget lines of a valid form with an amount, by kind."""
        return {
            kind: self.cleaned_data[budget_field(kind)]
            for kind in BudgetKind.values
            if self.cleaned_data.get(budget_field(kind))
        }


def draft_initial(form: forms.Form, draft: dict[str, list[str]]) -> dict[str, Any]:
    """The draft as a form's initial values: lists for fields that take several values."""
    initial: dict[str, Any] = {}
    for name, field in form.fields.items():
        values = draft.get(name)
        if values:
            multiple = getattr(field.widget, "allow_multiple_selected", False)
            initial[name] = values if multiple else values[0]
    return initial


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


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        error_messages={"required": gettext_lazy("Choose a file to upload.")},
    )
    question = forms.ModelChoiceField(
        label=gettext_lazy("What is the file?"),
        queryset=CallQuestion.objects.none(),
        required=False,
        empty_label=gettext_lazy("Other attachment"),
    )

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "PDF, pictures (JPEG, PNG) or office documents (Word, Excel, PowerPoint, "
            "OpenDocument), at most %(file)s each and %(total)s for the application in all."
        ) % {
            "file": filesizeformat(MAX_UPLOAD_BYTES),
            "total": filesizeformat(settings.QUOTA_ATTACHMENT_BYTES),
        }
        question = self.fields["question"]
        assert isinstance(question, forms.ModelChoiceField)
        question.queryset = call.questions.filter(kind=QuestionKind.FILE)
        if not question.queryset.exists():
            del self.fields["question"]
