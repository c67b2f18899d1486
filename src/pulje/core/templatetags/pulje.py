from django import template
from django.db.models import Model

from pulje.core.audit import action_label as audit_action_label
from pulje.core.iban import format_iban
from pulje.core.money import format_dkk
from pulje.core.workflow import allowed

register = template.Library()


@register.filter
def dkk(ore: int | None) -> str:
    """``{{ pool.budget_ore|dkk }}`` → ``15.000.000 kr.``"""
    if ore is None:
        return ""
    return format_dkk(ore)


# DKFDS has an alert (class ``alert-<kind>`` and icon ``#<kind>``) for these message levels;
# any other level (debug, info) is shown as information.
ALERT_KINDS = frozenset({"error", "warning", "success"})


@register.filter
def alert_kind(level_tag: str) -> str:
    """``{{ message.level_tag|alert_kind }}`` → ``error``, ``warning``, ``success`` or ``info``"""
    return level_tag if level_tag in ALERT_KINDS else "info"


@register.filter
def action_label(action: str) -> str:
    """``{{ event.action|action_label }}`` → ``Oprettet``"""
    return audit_action_label(action)


@register.filter
def iban(value: str) -> str:
    """``{{ organisation.payment_iban|iban }}`` → ``DK50 0040 0440 1162 43``"""
    return format_iban(value or "")


@register.filter
def may(obj: Model, action: str) -> bool:
    """``{% if application|may:"withdraw" %}``: whether the object's workflow table lets it
    move by that action now (``core.workflow.allowed``)."""
    return allowed(obj, action)
