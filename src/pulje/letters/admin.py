from django.contrib import admin

from pulje.core.admin import AuditedAdmin, ReadOnlyAdmin
from pulje.letters.models import Letter, LetterTemplate


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ("pk", "application", "kind", "created_at", "sent_at")
    list_filter = ("kind",)
    list_select_related = ("application",)


@admin.register(LetterTemplate)
class LetterTemplateAdmin(AuditedAdmin):
    """A call's wording of its letters (typst markup; placeholders in docs/letters.md)."""

    list_display = ("call", "kind", "updated_at")
    list_filter = ("kind",)
    list_select_related = ("call",)
