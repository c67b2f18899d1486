from typing import Any, cast

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from pulje.accounts.models import User
from pulje.funds.models import Pool, ReportingRule
from pulje.funds.services import (
    CHANGEABLE_POOL_FIELDS,
    create_pool,
    set_reporting_rules,
    update_pool,
    validate_pool,
)


class ReportingRuleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReportingRule
    extra = 0


class PoolAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """Checks the rules the pool services check, so that a pool they would refuse is a form
    error here instead of a server error in ``save_model``."""

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        if cleaned_data is not None and not self.errors:
            for name, value in cleaned_data.items():
                setattr(self.instance, name, value)
            validate_pool(self.instance)
        return cleaned_data


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Pools are created and changed through the pool services, so each gets its account and
    an audit event; the money is never edited here (it moves through the ledger)."""

    form = PoolAdminForm
    list_display = ["name", "code", "parent", "administrator", "period_start", "period_end"]
    list_select_related = ["parent", "administrator"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "administrator"]
    inlines = [ReportingRuleInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Pool | None = None) -> list[str]:
        return ["parent", "code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Pool, form: Any, change: bool) -> None:
        actor = cast(User, request.user)
        fields = {name: getattr(obj, name) for name in CHANGEABLE_POOL_FIELDS}
        if change:
            update_pool(actor=actor, pool=Pool.objects.get(pk=obj.pk), **fields)
        else:
            created = create_pool(actor=actor, parent=obj.parent, code=obj.code, **fields)
            obj.pk = created.pk
            obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The reporting rules inline is saved by ``set_reporting_rules`` (with its audit
        event), not by the formset; left untouched, nothing is written."""
        form.save_m2m()
        for formset in formsets:
            # Writes nothing: it gives the admin's change message what the form changed.
            formset.save(commit=False)
            if not formset.has_changed():
                continue
            rules = [
                (row.cleaned_data["from_amount_ore"], row.cleaned_data["requirement"])
                for row in formset.forms
                if row.cleaned_data and not row.cleaned_data.get("DELETE")
            ]
            set_reporting_rules(actor=cast(User, request.user), pool=form.instance, rules=rules)
