"""Forms check shape; the services check the rules."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pulje.accounts.models import User
from pulje.assessment.models import Criterion, Rubric, Score
from pulje.assessment.services import CriterionChange, ScoreInput


class AddAssessorForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Used when the person has no user in pulje yet."),
    )


class DeclarationForm(forms.Form):
    conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this application?"),
        choices=[
            ("no", _("No, I have no conflict of interest")),
            ("yes", _("Yes, I have a conflict of interest")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text=_(
            "You have a conflict of interest if you, your family or an organisation you work "
            "for or sit on the board of has an interest in the application."
        ),
    )
    note = forms.CharField(
        label=_("About the conflict of interest"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_("Only the secretariat sees this."),
    )


class ScoreForm(forms.Form):
    """A radio scale and a justification per criterion, all required on submission; blanks
    are fine in a ``draft`` (the service checks completeness again on submission)."""

    # Without the browser's own check, "Save draft" works with blanks.
    use_required_attribute = False

    def __init__(
        self,
        *args: Any,
        rubric: Rubric,
        criteria: list[Criterion],
        scores: list[Score],
        draft: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        required = not draft
        self.criteria = criteria
        saved = {s.criterion_id: s for s in scores}
        scale = [(str(n), str(n)) for n in rubric.scale]
        for criterion in criteria:
            score = saved.get(criterion.pk)
            named = {"criterion": criterion.title}
            self.fields[f"c{criterion.pk}_value"] = forms.TypedChoiceField(
                label=_("Score"),
                # The error summary lists every criterion's fields: each error names its own.
                error_messages={"required": _("Give “%(criterion)s” a score.") % named},
                choices=scale,
                coerce=int,
                empty_value=None,
                required=required,
                widget=forms.RadioSelect,
                initial=None if score is None or score.value is None else str(score.value),
                help_text=_("%(low)d is the lowest, %(high)d the highest.")
                % {"low": rubric.scale_min, "high": rubric.scale_max},
            )
            self.fields[f"c{criterion.pk}_text"] = forms.CharField(
                label=_("Justification"),
                widget=forms.Textarea(attrs={"rows": 3}),
                required=required,
                error_messages={
                    "required": _("Write why you gave “%(criterion)s” this score.") % named
                },
                max_length=5000,
                initial=score.justification if score else "",
            )

    def rows(self) -> list[tuple[Criterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"c{c.pk}_value"], self[f"c{c.pk}_text"]) for c in self.criteria]

    def values(self) -> dict[int, ScoreInput]:
        return {
            c.pk: (self.cleaned_data[f"c{c.pk}_value"], self.cleaned_data[f"c{c.pk}_text"])
            for c in self.criteria
        }


class RubricForm(forms.Form):
    blind_review = forms.BooleanField(
        label=_("Blind review"),
        required=False,
        template_name="forms/checkbox.html",
        help_text=_("Assessors see the others' scores only after submitting their own."),
    )
    normalise = forms.BooleanField(
        label=_("Normalise each assessor's scores (z-score)"),
        required=False,
        template_name="forms/checkbox.html",
    )
    disagreement_threshold = forms.DecimalField(
        label=_("Disagreement threshold (points)"),
        min_value=Decimal(0),
        max_digits=4,
        decimal_places=2,
        localize=True,
        help_text=_(
            "An application goes to moderation when its assessors' weighted means lie further "
            "apart than this."
        ),
    )

    def __init__(
        self, *args: Any, rubric: Rubric, criteria: list[Criterion], locked: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        self.locked = locked
        self.initial.update(
            blind_review=rubric.blind_review,
            normalise=rubric.normalise,
            disagreement_threshold=rubric.disagreement_threshold,
        )
        for number, criterion in enumerate(criteria, start=1):
            self.fields[f"c{number}_title"] = forms.CharField(
                label=_("Criterion"), max_length=200, initial=criterion.title, disabled=locked
            )
            self.fields[f"c{number}_description"] = forms.CharField(
                label=_("What to look for"),
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                initial=criterion.description,
                disabled=locked,
            )
            self.fields[f"c{number}_weight"] = forms.IntegerField(
                label=_("Weight"),
                min_value=1,
                max_value=100,
                initial=criterion.weight,
                disabled=locked,
            )

    def rows(self) -> list[tuple[Criterion, list[forms.BoundField]]]:
        return [
            (c, [self[f"c{n}_{name}"] for name in ("title", "description", "weight")])
            for n, c in enumerate(self.criteria, start=1)
        ]

    def changes(self) -> list[CriterionChange]:
        if self.locked:
            return []
        return [
            CriterionChange(
                number=n,
                title=self.cleaned_data[f"c{n}_title"],
                description=self.cleaned_data[f"c{n}_description"],
                weight=self.cleaned_data[f"c{n}_weight"],
            )
            for n in range(1, len(self.criteria) + 1)
        ]


class AssignForm(forms.Form):
    assessor = forms.ModelChoiceField(
        label=_("Assessor"), queryset=User.objects.none(), empty_label=_("Choose an assessor")
    )

    def __init__(self, *args: Any, assessors: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assessor"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(pk__in=[a.pk for a in assessors]).order_by(
            "name", "email"
        )


class RecommendForm(forms.Form):
    recommendation = forms.TypedChoiceField(
        label=_("Recommendation"),
        choices=[("yes", _("Recommend")), ("no", _("Do not recommend"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
