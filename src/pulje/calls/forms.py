import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from pulje.calls.models import Call, QuestionKind
from pulje.calls.services import LETTER_FIELDS
from pulje.core.forms import LimitedTextField, WholeNumberField
from pulje.funds.forms import DateInput
from pulje.funds.models import Pool
from pulje.registry.models import OrganisationKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Deadlines are announced and typed in Danish time, whatever the server's or browser's zone.
CALL_TIME_ZONE = ZoneInfo("Europe/Copenhagen")


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CopenhagenDateTimeField(forms.DateTimeField):
    """A date and time typed as Danish time (``datetime-local`` has no zone of its own);
    a time that does not exist or is ambiguous at the change to or from summer time is an
    error on the field."""

    widget = DateTimeLocalInput

    def prepare_value(self, value: Any) -> Any:
        with timezone.override(CALL_TIME_ZONE):
            return super().prepare_value(value)

    def to_python(self, value: Any) -> dt.datetime | None:
        with timezone.override(CALL_TIME_ZONE):
            return super().to_python(value)


def _kinds_field(label: "StrOrPromise", help_text: "StrOrPromise") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        help_text=help_text,
        choices=OrganisationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class CallForm(forms.Form):
    """Every field of a call but its pool, which the page fixes; on an existing call also its
    reference prefix, which the applications' reference numbers already carry."""

    title = forms.CharField(label=_("Title"), max_length=200)
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_(
            "Used in the call's web address: letters, digits and hyphens, e.g. "
            "bl-faellesskaber-2020."
        ),
    )
    reference_prefix = forms.RegexField(
        label=_("Reference prefix"),
        max_length=10,
        regex=r"^[A-Za-z0-9]+$",
        error_messages={"invalid": _("Use only letters and digits, e.g. BL20.")},
        help_text=_(
            "Starts the reference number of every application, e.g. BL20 gives BL20-0001. "
            "It cannot be changed later."
        ),
    )
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 5}))
    eligibility = forms.CharField(
        label=_("Who may apply"), widget=forms.Textarea(attrs={"rows": 4})
    )
    applicant_kinds = _kinds_field(
        _("Kinds of organisation that may apply"),
        _("None ticked: housing organisations."),
    )
    partner_kinds = _kinds_field(
        _("Required partner"),
        _(
            "An application needs a partner of one of the ticked kinds. None ticked: no partner "
            "is required."
        ),
    )
    criteria = forms.CharField(
        label=_("Criteria"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    guidance = forms.CharField(
        label=_("Guidance for applicants"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    opens_at = CopenhagenDateTimeField(label=_("Opens"), help_text=_("Danish time."))
    closes_at = CopenhagenDateTimeField(label=_("Deadline"), help_text=_("Danish time."))
    project_start_earliest = forms.DateField(
        label=_("Projects start at the earliest"), widget=DateInput()
    )
    project_end_latest = forms.DateField(label=_("Projects end at the latest"), widget=DateInput())
    edit_after_submit = forms.BooleanField(
        label=_("Applicants may change a submitted application until the deadline"),
        required=False,
        template_name="forms/checkbox.html",
    )
    # What the letters say (``LETTER_FIELDS``): shown under their own heading.
    letter_email = forms.EmailField(
        label=_("The secretariat's e-mail"),
        required=False,
        help_text=_("Printed in the letters. Empty: the administering organisation's."),
    )
    letter_phone = forms.CharField(
        label=_("The secretariat's phone"),
        max_length=30,
        required=False,
        help_text=_("Printed in the letters. Empty: the administering organisation's."),
        widget=forms.TextInput(attrs={"class": "input-width-s"}),
    )
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The act or agreement the grants are given under, e.g. “Finansloven for 2021, "
            "§ 21.11.79; the political agreement of 6 November 2020”. Empty: the pool's."
        ),
    )
    funding_source = forms.CharField(
        label=_("Source of the money"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Where the money comes from. Empty: the pool's."),
    )
    payment_terms = forms.CharField(
        label=_("Payment terms"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "When and how the grant is paid, e.g. “in one payment to your NemKonto when you "
            "have accepted”. Empty: a standard sentence."
        ),
    )
    report_by = forms.DateField(
        label=_("Follow-up report due"),
        required=False,
        widget=DateInput(),
        help_text=_("The date by which grantees report on their projects. Empty: none given."),
    )
    complaints_guide = forms.CharField(
        label=_("Complaints guide"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "How and where to complain about a decision, printed in rejection letters. "
            "Empty: the pool's."
        ),
    )

    def __init__(
        self,
        *args: Any,
        pool: Pool,
        call: Call | None = None,
        moment: dt.datetime | None = None,
        **kwargs: Any,
    ) -> None:
        # The time a new call's deadline must be after (the page's clock).
        self.moment = moment or timezone.now()
        if call is None:
            kwargs.setdefault(
                "initial",
                {
                    "project_start_earliest": pool.period_start,
                    "project_end_latest": pool.period_end,
                    "edit_after_submit": True,
                },
            )
        else:
            kwargs.setdefault("initial", {name: getattr(call, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)
        self.is_new = call is None
        if call is not None:
            del self.fields["reference_prefix"]

    def call_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name not in LETTER_FIELDS]

    def letter_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name in LETTER_FIELDS]

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        if cleaned_data is None:
            return None
        if "reference_prefix" in cleaned_data:
            cleaned_data["reference_prefix"] = cleaned_data["reference_prefix"].upper()
        self._refuse_contradictory_dates(cleaned_data)
        return cleaned_data

    def _refuse_contradictory_dates(self, cleaned_data: dict[str, Any]) -> None:
        """Dates a letter would contradict (walkthrough bug 4): a project window that starts
        before the deadline, and, for a new call, a deadline already passed. The service
        (``validate_call``) holds the rules that also bind calls made in code: the window in
        order, inside the pool's period and spend-by date, the report after the window."""
        closes_at = cleaned_data.get("closes_at")
        start = cleaned_data.get("project_start_earliest")
        if closes_at is None:
            return
        deadline = closes_at.astimezone(CALL_TIME_ZONE).date()
        if self.is_new and closes_at <= self.moment:
            self.add_error("closes_at", _("The deadline has passed. Choose a later deadline."))
        if start is not None and start < deadline:
            self.add_error(
                "project_start_earliest",
                _(
                    "Projects cannot start before the application deadline, %(date)s. "
                    "Choose that day or later."
                )
                % {"date": date_format(deadline)},
            )


class QuestionForm(forms.Form):
    label = forms.CharField(label=_("Question"), max_length=300)
    help_text = LimitedTextField(
        label=_("Help text"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    kind = forms.ChoiceField(
        label=_("Kind of answer"), choices=QuestionKind.choices, widget=forms.RadioSelect
    )
    choices = forms.CharField(
        label=_("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only for a choice from a list: one option per line."),
    )
    max_length = WholeNumberField(
        label=_("Longest answer (characters)"),
        required=False,
        min_value=1,
        max_value=20_000,
        help_text=_("Only for a text answer. Empty: 3,000 characters."),
        widget=forms.TextInput(attrs={"class": "input-width-xs"}),
    )
    required = forms.BooleanField(
        label=_("Applicants must answer"),
        required=False,
        initial=True,
        template_name="forms/checkbox.html",
    )

    def clean_choices(self) -> list[str]:
        text: str = self.cleaned_data["choices"]
        return [line.strip() for line in text.splitlines() if line.strip()]
