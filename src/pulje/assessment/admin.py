from django.contrib import admin

from pulje.assessment.models import Assignment, PanelMember, Recommendation, Rubric
from pulje.core.admin import ReadOnlyAdmin


@admin.register(PanelMember)
class PanelMemberAdmin(ReadOnlyAdmin):
    """Written through the services (the panel page); staff may look."""

    list_display = ("user", "call", "added_at")
    list_select_related = ("user", "call")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("application", "assessor", "state", "assigned_at", "submitted_at")
    list_filter = ("state",)
    list_select_related = ("application", "assessor")


@admin.register(Rubric)
class RubricAdmin(ReadOnlyAdmin):
    list_display = ("call", "scale_min", "scale_max", "blind_review", "normalise")
    list_select_related = ("call",)


@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ("application", "recommended", "made_by", "made_at")
    list_select_related = ("application", "made_by")
