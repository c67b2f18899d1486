from django import template
from django.db.models import Model

from pulje.core.audit import action_label as audit_action_label
from pulje.core.money import format_dkk
from pulje.core.workflow import allowed
from pulje.registry.forms import format_iban

register = template.Library()


@register.filter
def dkk(ore: int | None) -> str:
    """``{{ pool.budget_ore|dkk }}`` → ``15.000.000 kr.``"""
    if ore is None:
        return ""
    return format_dkk(ore)


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
