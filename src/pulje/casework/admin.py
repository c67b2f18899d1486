from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from pulje.casework.models import Screening, ScreeningRules
from pulje.casework.services import RULE_FIELDS, ScreeningRulesRefused, set_screening_rules
from pulje.core.access import request_user
from pulje.core.admin import ReadOnlyAdmin


@admin.register(ScreeningRules)
class ScreeningRulesAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A call's screening rules; saved through ``set_screening_rules`` so every change is
    audited. They apply to screenings from then on."""

    list_display = ("call", "salary_cap_monthly_ore", "duplicate_similarity_percent")
    list_select_related = ("call",)
    fields = ("call", *RULE_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("call",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            saved = set_screening_rules(
                actor=request_user(request),
                call=obj.call,
                **{name: form.cleaned_data[name] for name in RULE_FIELDS},
            )
        except ScreeningRulesRefused as refused:
            raise PermissionDenied(refused.message) from refused
        obj.pk = saved.pk


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    """Screenings are made by the rules and overridden on the casework page; staff may look."""

    list_display = ("application", "outcome", "override_outcome", "screened_at")
    list_filter = ("outcome", "override_outcome")
    list_select_related = ("application",)
