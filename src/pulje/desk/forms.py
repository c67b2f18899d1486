from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pulje.accounts.models import User
from pulje.applications.models import Application, ApplicationStatus, TargetGroup
from pulje.calls.models import Call
from pulje.calls.selectors import call_bands
from pulje.casework.models import ConflictScope, ScreeningOutcome
from pulje.core.forms import LimitedTextField, RowsField, ScoreField
from pulje.decisions.models import RejectionReason
from pulje.desk.selectors import QueueFilters
from pulje.desk.tasks import TASK_LABELS
from pulje.registry.models import Municipality, Region

SORT_CHOICES = [
    ("reference", gettext_lazy("Reference number")),
    ("-amount", gettext_lazy("Amount, largest first")),
    ("amount", gettext_lazy("Amount, smallest first")),
    ("-score", gettext_lazy("Score, best first")),
    ("score", gettext_lazy("Score, lowest first")),
    ("submitted", gettext_lazy("Submitted, earliest first")),
    ("-submitted", gettext_lazy("Submitted, latest first")),
]


class QueueFilterForm(forms.Form):
    """The queue's filters, from the query string; an invalid value is ignored, not an error."""

    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Reference number, title, organisation or CVR number."),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    band = forms.ChoiceField(label=gettext_lazy("Grant size"), required=False)
    region = forms.ModelChoiceField(
        label=gettext_lazy("Region"),
        queryset=Region.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Municipality"),
        queryset=Municipality.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All"),
    )
    target_group = forms.ChoiceField(label=gettext_lazy("Target group"), required=False)
    screening = forms.ChoiceField(label=gettext_lazy("Screening"), required=False)
    task = forms.ChoiceField(
        label=gettext_lazy("Next step"),
        required=False,
        choices=[("", gettext_lazy("All")), *TASK_LABELS.items()],
    )
    score_min = ScoreField(label=gettext_lazy("Score from"), required=False, localize=True)
    score_max = ScoreField(label=gettext_lazy("Score to"), required=False, localize=True)
    sort = forms.ChoiceField(label=gettext_lazy("Sort by"), required=False, choices=SORT_CHOICES)
    awaiting_me = forms.BooleanField(
        label=gettext_lazy("Only grants awaiting my approval"),
        required=False,
        template_name="forms/checkbox.html",
    )

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone = [("", _("All"))]
        self.bands = {str(band.pk): band for band in call_bands(call)}
        self._choices(
            "status",
            everyone
            + [(value, label) for value, label in ApplicationStatus.choices if value != "draft"],
        )
        self._choices(
            "band",
            everyone
            + [(pk, f"{band.name}" if band.name else pk) for pk, band in self.bands.items()],
        )
        self._choices("target_group", everyone + list(TargetGroup.choices))
        self._choices("screening", everyone + list(ScreeningOutcome.choices))
        for name in ("score_min", "score_max"):
            self.fields[name].widget.attrs["class"] = "input-width-xs"

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def filters(self) -> QueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        sort = data.get("sort") or "reference"
        region = data.get("region")
        municipality = data.get("municipality")
        return QueueFilters(
            q=data.get("q", ""),
            status=data.get("status", ""),
            band=self.bands.get(data.get("band") or ""),
            region=region.code if region else "",
            municipality=municipality.code if municipality else "",
            target_group=data.get("target_group", ""),
            screening=data.get("screening", ""),
            task=data.get("task", ""),
            score_min=data.get("score_min"),
            score_max=data.get("score_max"),
            sort=sort.lstrip("-"),
            descending=sort.startswith("-"),
            awaiting_me=bool(data.get("awaiting_me")),
        )


def chosen_among(call: Call) -> QuerySet[Application]:
    """The applications a bulk action may choose: the call's submitted ones, as the queue
    lists them (never a draft, nor one withdrawn before it was ever submitted)."""
    return (
        Application.objects.filter(call=call, submitted_at__isnull=False)
        .select_related("call__pool", "organisation")
        .order_by("reference")
    )


def _rows_field() -> RowsField:
    return RowsField(
        label=gettext_lazy("Applications"),
        queryset=Application.objects.none(),
        error_messages={
            "required": gettext_lazy("Choose at least one application."),
            "invalid_choice": gettext_lazy(
                "%(value)s is not one of this call's submitted applications, so nothing was "
                "done. Load the list again and choose among the applications in it."
            ),
        },
    )


BULK_ACTIONS = [
    ("screen", gettext_lazy("Screen again")),
    ("assign", gettext_lazy("Assign to assessor")),
    ("grant", gettext_lazy("Grant in full")),
    ("reject", gettext_lazy("Reject")),
]


class BulkForm(forms.Form):
    applications = _rows_field()
    action = forms.ChoiceField(
        label=gettext_lazy("What to do with the chosen applications"),
        choices=BULK_ACTIONS,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what to do.")},
    )
    assessor = forms.ChoiceField(
        label=gettext_lazy("Assessor"),
        required=False,
        help_text=gettext_lazy("For “Assign to assessor”: the call's assessor panel."),
    )
    reason_code = forms.ChoiceField(
        label=gettext_lazy("Reason for the rejection"),
        required=False,
        choices=[("", gettext_lazy("Choose")), *RejectionReason.choices],
    )
    reason_text = LimitedTextField(
        label=gettext_lazy("Explanation for the applicants"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, call: Call, assessors: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        applications = self.fields["applications"]
        assert isinstance(applications, RowsField)
        applications.queryset = chosen_among(call)
        self.assessors = {str(user.pk): user for user in assessors}
        assessor = self.fields["assessor"]
        assert isinstance(assessor, forms.ChoiceField)
        assessor.choices = [
            ("", _("Choose")),
            *((pk, u.name or u.email) for pk, u in self.assessors.items()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action == "assign" and not data.get("assessor"):
            self.add_error("assessor", _("Choose the assessor."))
        if action == "reject" and not data.get("reason_code"):
            self.add_error("reason_code", _("Choose the reason for the rejection."))
        return data

    @property
    def chosen_assessor(self) -> User:
        return self.assessors[self.cleaned_data["assessor"]]


class BulkRecommendForm(forms.Form):
    """The queue's recommendation for the chosen applications, with the reason each
    recommendation keeps (``assessment.services.recommend_applications``)."""

    applications = _rows_field()
    recommendation = forms.TypedChoiceField(
        label=gettext_lazy("Recommendation"),
        choices=[("yes", gettext_lazy("Recommend")), ("no", gettext_lazy("Do not recommend"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the recommendation.")},
    )
    recommendation_reason = LimitedTextField(
        label=gettext_lazy("Reason for the recommendation"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept with each application's recommendation."),
        error_messages={"required": gettext_lazy("Give the reason for the recommendation.")},
    )

    def __init__(self, *args: Any, call: Call, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        applications = self.fields["applications"]
        assert isinstance(applications, RowsField)
        applications.queryset = chosen_among(call)


class OverrideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=ScreeningOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose an outcome.")},
    )
    reason = LimitedTextField(
        label=gettext_lazy("Why"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded with the application's history."),
        error_messages={"required": gettext_lazy("Write why the outcome is overridden.")},
    )


class ConflictForm(forms.Form):
    """A caseworker's declaration of a conflict of interest on an application's page."""

    scope = forms.ChoiceField(
        label=gettext_lazy("The conflict of interest is with"),
        choices=ConflictScope.choices,
        initial=ConflictScope.ORGANISATION,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose what the conflict of interest is with.")},
    )
    note = forms.CharField(
        label=gettext_lazy("About the conflict (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("E.g. “I sit on the board of the organisation.”"),
    )
