from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from pulje.calls.models import Call, CallQuestion
from pulje.calls.services import (
    CHANGEABLE_CALL_FIELDS,
    add_question,
    create_call,
    remove_question,
    update_call,
    validate_call,
    validate_question,
)
from pulje.core.access import request_user


def _show(form: forms.BaseForm, error: ValidationError) -> None:
    for name, messages in error.message_dict.items():
        form.add_error(name if name in form.fields else None, messages)


class CallAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """Checks the rules the call services check, so that a call they would refuse is a form
    error here instead of a server error in ``save_model``."""

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        if cleaned_data is not None and not self.errors:
            if "reference_prefix" in cleaned_data:
                # As create_call stores it, so that the uniqueness check compares like with like.
                cleaned_data["reference_prefix"] = cleaned_data["reference_prefix"].upper()
            for name, value in cleaned_data.items():
                setattr(self.instance, name, value)
            try:
                validate_call(self.instance)
            except ValidationError as error:
                _show(self, error)
        return cleaned_data


class QuestionInlineFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    """Checks a new question as ``add_question`` will, before anything is saved. Removing an
    answered question the admin refuses itself: answers and attachments protect it."""

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            question = form.instance
            if question.pk is None and form.has_changed() and not form.errors:
                try:
                    # The call may not be saved yet; add_question sets it and the position.
                    validate_question(question, exclude=["call", "position"])
                except ValidationError as error:
                    _show(form, error)


class CallQuestionInline(admin.TabularInline):  # type: ignore[type-arg]
    """Questions are added and removed through the services; never changed in place, since
    applicants may have answered them as they were."""

    model = CallQuestion
    formset = QuestionInlineFormSet
    fields = ["label", "help_text", "kind", "choices", "required", "max_length"]
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Calls are created and changed through the call services, so each is checked against
    its pool and audited; the pool and reference prefix are fixed once the call exists."""

    form = CallAdminForm
    list_display = ["title", "code", "pool", "opens_at", "closes_at"]
    list_select_related = ["pool"]
    search_fields = ["title", "code"]
    autocomplete_fields = ["pool"]
    inlines = [CallQuestionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Call | None = None) -> list[str]:
        return ["pool", "reference_prefix"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Call, form: Any, change: bool) -> None:
        actor = request_user(request)
        fields = {name: getattr(obj, name) for name in CHANGEABLE_CALL_FIELDS}
        if change:
            update_call(actor=actor, call=Call.objects.get(pk=obj.pk), **fields)
        else:
            created = create_call(
                actor=actor, pool=obj.pool, reference_prefix=obj.reference_prefix, **fields
            )
            obj.pk = created.pk
            obj._state.adding = False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor = request_user(request)
        # The admin's change message reads these, as a formset's save() would set them.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for deleted in formset.deleted_forms:
            if deleted.instance.pk is not None:
                formset.deleted_objects.append(deleted.instance)
                remove_question(actor=actor, question=deleted.instance)
        for added in formset.extra_forms:
            if added.has_changed() and added not in formset.deleted_forms:
                data = added.cleaned_data
                question = add_question(
                    actor=actor,
                    call=form.instance,
                    label=data["label"],
                    kind=data["kind"],
                    help_text=data["help_text"],
                    choices=data["choices"] or [],
                    required=data["required"],
                    max_length=data["max_length"],
                )
                formset.new_objects.append(question)
