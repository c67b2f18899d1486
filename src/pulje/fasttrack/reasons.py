"""Why the fast track did not grant an application, as codes with their facts; the message is
rendered when read, in the reader's language (as screening's reasons are)."""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pulje.applications.models import ApplicationStatus
from pulje.applications.rules import render

MESSAGES: dict[str, Promise] = {
    "paused": _("The band's fast track is paused: the application waits until it is resumed."),
    "remarks": _("Screening made remarks, so a caseworker looks at the application."),
    "failed": _("The application failed screening."),
    "not_screened": _("The application is no longer waiting for a decision (it is “%(status)s”)."),
    "over_max": _(
        "The application asks for %(amount_ore)s, more than the fast track grants (%(max_ore)s)."
    ),
    "no_money": _(
        "The band has %(available_ore)s left, less than the %(amount_ore)s the application "
        "asks for."
    ),
    "refused": _("The decision was refused: %(message)s"),
}


def message(code: str, params: Mapping[str, Any]) -> str:
    """The reason ``code`` with its facts, in the active language ("" for none)."""
    if not code:
        return ""
    shown = dict(params)
    if "status" in shown:
        shown["status"] = str(ApplicationStatus(shown["status"]).label).lower()
    return render(MESSAGES[code], shown, {})
