from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from pulje.core.audit import record_event, snapshot
from pulje.core.audit_actions import AdminVerb, admin_action
from pulje.core.jobs import Job
from pulje.core.models import AuditEvent

if TYPE_CHECKING:
    from pulje.accounts.models import User


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """For tables that only the product's services write: staff may look, not touch."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Data maintenance in the admin, with an audit event for every save and delete.

    The admin runs each add, change and delete view in a transaction, so the event commits
    with the change (``record_event`` refuses to run outside one).
    """

    # Never copied into the audit trail, which every staff member can read.
    audit_exclude: tuple[str, ...] = ("password",)

    def _fields(self, obj: models.Model) -> list[str]:
        return [
            f.name
            for f in obj._meta.concrete_fields
            if not f.primary_key and f.name not in self.audit_exclude
        ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change:
            stored = type(obj)._default_manager.get(pk=obj.pk)
            before = snapshot(stored, self._fields(stored))
        super().save_model(request, obj, form, change)
        after = snapshot(obj, self._fields(obj))
        if after == before:
            return
        record_event(
            actor=request.user,  # type: ignore[arg-type]
            action=admin_action(
                obj._meta.label_lower, AdminVerb.CHANGED if change else AdminVerb.ADDED
            ),
            obj=obj,
            before=before,
            after=after,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        record_event(
            actor=request.user,  # type: ignore[arg-type]
            action=admin_action(obj._meta.label_lower, AdminVerb.DELETED),
            obj=obj,
            before=snapshot(obj, self._fields(obj)),
        )
        super().delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Rows edited inline (a user's memberships) are changes of their own: audit each one.
        model = formset.model
        label = model._meta.label_lower
        stored = {
            obj.pk: snapshot(obj, self._fields(obj))
            for obj in model._default_manager.filter(
                pk__in=[f.instance.pk for f in formset.initial_forms]
            )
        }
        actor = cast("User", request.user)
        # Recorded before the save, which clears a deleted row's primary key.
        for deleted in formset.deleted_forms:
            if deleted.instance.pk in stored:
                record_event(
                    actor=actor,
                    action=admin_action(label, AdminVerb.DELETED),
                    obj=deleted.instance,
                    before=stored[deleted.instance.pk],
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record_event(
                actor=actor,
                action=admin_action(label, AdminVerb.ADDED),
                obj=obj,
                after=snapshot(obj, self._fields(obj)),
            )
        for obj, _changed_fields in formset.changed_objects:
            record_event(
                actor=actor,
                action=admin_action(label, AdminVerb.CHANGED),
                obj=obj,
                before=stored[obj.pk],
                after=snapshot(obj, self._fields(obj)),
            )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk deletion would bypass delete_model and its audit event; delete one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "occurred_at", "actor", "action", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "action"]
    list_select_related = ["actor"]


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    """Jobs are written by the services and the worker; staff may look."""

    list_display = ("pk", "kind", "status", "done_count", "total", "created_at", "finished_at")
    list_filter = ("kind", "status")
