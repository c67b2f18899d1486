from django.contrib import admin

from pulje.applications.models import Application, ApplicationVersion
from pulje.core.admin import ReadOnlyAdmin


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    """Applications are written by applicants through the services; staff may look."""

    list_display = ("reference", "title", "organisation", "call", "status", "amount_ore")
    list_filter = ("status", "call")
    search_fields = ("reference", "title", "organisation__name", "organisation__cvr")
    list_select_related = ("organisation", "call")


@admin.register(ApplicationVersion)
class ApplicationVersionAdmin(ReadOnlyAdmin):
    list_display = ("application", "number", "submitted_at", "submitted_by")
    list_select_related = ("application", "submitted_by")
