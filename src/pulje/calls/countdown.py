"""The time left until a call's deadline, as words: "4 dage, 3 timer tilbage".

The page renders the text on the server, so it is right without JavaScript;
``static/src/countdown.js`` re-renders it while the page is open, from the same translated
wording (``countdown_texts``), so the two never disagree.
"""

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _days(count: int) -> str:
    return ngettext("%(count)s day", "%(count)s days", count) % {"count": count}


def _hours(count: int) -> str:
    return ngettext("%(count)s hour", "%(count)s hours", count) % {"count": count}


def _minutes(count: int) -> str:
    return ngettext("%(count)s minute", "%(count)s minutes", count) % {"count": count}


def _pair(first: str, second: str) -> str:
    return _("%(first)s, %(second)s left") % {"first": first, "second": second}


def time_left(deadline: dt.datetime, now: dt.datetime) -> str:
    """Days and hours left, or hours and minutes on the last day; whole units, rounded down,
    so the page never promises more time than there is."""
    if deadline <= now:
        return _("The deadline has passed")
    minutes = int((deadline - now).total_seconds() // 60)
    if minutes < 1:
        return _("Less than a minute left")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _pair(_days(days), _hours(hours))
    if hours:
        return _pair(_hours(hours), _minutes(minutes))
    return _("%(only)s left") % {"only": _minutes(minutes)}


def countdown_texts() -> dict[str, str]:
    """The wording of ``time_left`` for the script, with ``{n}``, ``{first}``, ``{second}``
    and ``{only}`` where the numbers and parts go. Singular and plural are the forms for 1
    and 2: Danish and English have only these two."""
    n = "{n}"
    return {
        "day_one": ngettext("%(count)s day", "%(count)s days", 1) % {"count": n},
        "day_other": ngettext("%(count)s day", "%(count)s days", 2) % {"count": n},
        "hour_one": ngettext("%(count)s hour", "%(count)s hours", 1) % {"count": n},
        "hour_other": ngettext("%(count)s hour", "%(count)s hours", 2) % {"count": n},
        "minute_one": ngettext("%(count)s minute", "%(count)s minutes", 1) % {"count": n},
        "minute_other": ngettext("%(count)s minute", "%(count)s minutes", 2) % {"count": n},
        "pair": _pair("{first}", "{second}"),
        "only": _("%(only)s left") % {"only": "{only}"},
        "soon": _("Less than a minute left"),
        "passed": _("The deadline has passed"),
    }
