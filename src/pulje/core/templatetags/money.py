from django import template

from pulje.core.money import format_dkk

register = template.Library()


@register.filter
def dkk(ore: int | None) -> str:
    """``{{ pool.budget_ore|dkk }}`` → ``15.000.000 kr.``"""
    if ore is None:
        return ""
    return format_dkk(ore)
