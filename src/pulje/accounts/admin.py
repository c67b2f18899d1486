from typing import cast

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pulje.accounts.models import Membership, Proof, User
from pulje.core.admin import AuditedAdmin
from pulje.core.audit import record_event
from pulje.core.audit_actions import AdminVerb, admin_action

# pulje decides access by membership of organisations, not by Django's groups; an unaudited
# group editor would be a way around the audit trail.
admin.site.unregister(Group)


class MembershipAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """A membership that pulje's administrators add is proven by them (``Proof.STAFF``)."""

    class Meta:
        model = Membership
        fields = ["organisation", "role"]

    def save(self, commit: bool = True) -> Membership:
        membership: Membership = super().save(commit=False)
        if membership.proven_at is None:
            membership.proven_at = timezone.now()
            membership.proof = Proof.STAFF
            membership.needs_secretariat = False
        if commit:
            membership.save()
        return membership


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    form = MembershipAdminForm
    extra = 0
    autocomplete_fields = ["organisation"]
    readonly_fields = ["proven_at", "proof", "needs_secretariat"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, AuditedAdmin):  # type: ignore[type-arg]
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active"]
    search_fields = ["email", "name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "name", "password")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Django's password form saves without ``save_model``; record the change here (never
        the hash itself)."""
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=id).first()
            if user is not None and user.password != before:
                record_event(
                    actor=cast(User, request.user),
                    action=admin_action("accounts.user", AdminVerb.PASSWORD_CHANGED),
                    obj=user,
                )
        return response
