from django.contrib import admin

from pulje.core.admin import AuditedAdmin, ReadOnlyAdmin
from pulje.registry.models import HousingDepartment, Municipality, Organisation, Region


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]


@admin.register(Municipality)
class MunicipalityAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]


class DepartmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = HousingDepartment
    extra = 0
    autocomplete_fields = ["municipality"]
    can_delete = False


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "cvr", "kind", "housing_number", "municipality"]
    list_filter = ["kind", "municipality__region"]
    search_fields = ["name", "cvr", "housing_number"]
    autocomplete_fields = ["municipality"]
    list_select_related = ["municipality"]
    # A verification is a caseworker's act with its own audit event (registry/services/
    # verification.py); a form here must not clear or forge it.
    readonly_fields = ["verified_at", "verified_by"]


@admin.register(HousingDepartment)
class HousingDepartmentAdmin(AuditedAdmin):
    list_display = ["organisation", "number", "name", "municipality", "homes"]
    list_filter = ["municipality__region"]
    search_fields = ["name", "number", "organisation__name", "organisation__cvr"]
    autocomplete_fields = ["organisation", "municipality"]
    list_select_related = ["organisation", "municipality"]
