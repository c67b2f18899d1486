from django.contrib import admin

from pulje.core.admin import AuditedAdmin, ReadOnlyAdmin
from pulje.decisions.models import Decision, DecisionTerms


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    """Decisions are written through the services (the decision page, the queue); staff may
    look."""

    list_display = ("application", "outcome", "amount_ore", "accept_by", "accepted_at")
    list_filter = ("outcome", "application__call")
    search_fields = ("application__reference", "application__title")
    list_select_related = ("application",)


@admin.register(DecisionTerms)
class DecisionTermsAdmin(AuditedAdmin):
    """A call's terms for its grants (days to accept); a call without uses 30 days."""

    list_display = ("call", "accept_days")
    list_select_related = ("call",)
