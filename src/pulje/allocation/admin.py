from django.contrib import admin

from pulje.allocation.models import AllocationRun
from pulje.core.admin import ReadOnlyAdmin


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdmin):
    """Runs are made and confirmed through the services (the allocation pages); staff may
    look."""

    list_display = ("__str__", "method", "status", "grants", "total_ore", "confirmed_at")
    list_filter = ("status", "method", "call")
    list_select_related = ("call",)
