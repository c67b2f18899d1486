from django.contrib import admin

from pulje.core.admin import ReadOnlyAdmin
from pulje.ledger.models import Entry, GrantAccount, PoolAccount


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "kind", "pool", "target", "grant", "amount_ore", "reverses"]
    list_filter = ["kind"]
    list_select_related = ["pool", "target", "grant", "reverses"]
    search_fields = ["text", "key", "grant__reference"]


@admin.register(PoolAccount)
class PoolAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "pool",
        "budget_ore",
        "delegated_ore",
        "committed_ore",
        "paid_ore",
        "recovered_ore",
    ]
    list_select_related = ["pool"]


@admin.register(GrantAccount)
class GrantAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "title",
        "pool",
        "recipient",
        "committed_ore",
        "paid_ore",
        "recovered_ore",
    ]
    list_select_related = ["pool", "recipient"]
    search_fields = ["reference", "title", "recipient__name"]
