"""The application form: the core questions every call asks, and the call's own questions.

The form is bound to the draft (what the applicant typed, as text), so it can be shown with
the applicant's own input at any time and validated only when they ask for it.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.applications.checks import (
    PARTNER_PARTS,
    PARTNER_SLOTS,
    answered_questions,
    budget_field,
    call_terms,
    draft_fields,
    kind_labels,
    partner_field,
    read_input,
)
from pulje.applications.models import BudgetKind
from pulje.applications.rules import check_application
from pulje.applications.uploads import MAX_UPLOAD_BYTES
from pulje.calls.models import Call, CallQuestion, QuestionKind
from pulje.registry.models import Organisation


class ApplicationForm(forms.Form):
    """The draft's fields (``checks.draft_fields``: types and lengths), with the call's rules'
    problems (``rules.check_application``) placed on the fields they belong to."""

    def __init__(self, *args: Any, call: Call, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.call = call
        self.terms = call_terms(call)
        self.questions = answered_questions(call)
        self.fields.update(
            draft_fields(
                call=call, organisation=organisation, terms=self.terms, questions=self.questions
            )
        )

    @property
    def core_required_fields(self) -> list[str]:
        return [name for name, field in self.fields.items() if field.required]

    def budget_fields(self) -> list[forms.BoundField]:
        return [self[budget_field(kind)] for kind in BudgetKind.values]

    def partner_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[partner_field(slot, part)] for part in PARTNER_PARTS]
            for slot in range(1, PARTNER_SLOTS + 1)
        ]

    def question_fields(self) -> list[forms.BoundField]:
        return [self[question.field_name] for question in self.questions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.read = read_input(data, set(self.errors), questions=self.questions)
        for name, messages in self.read.errors.items():
            for message in messages:
                self.add_error(name, message)
        labels = kind_labels()
        for problem in check_application(self.read.input, self.terms):
            self.add_error(problem.field, problem.message(labels))
        return data


def draft_initial(form: forms.Form, draft: dict[str, list[str]]) -> dict[str, Any]:
    """The draft as a form's initial values: lists for fields that take several values."""
    initial: dict[str, Any] = {}
    for name, field in form.fields.items():
        values = draft.get(name)
        if values:
            multiple = getattr(field.widget, "allow_multiple_selected", False)
            initial[name] = values if multiple else values[0]
    return initial


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
