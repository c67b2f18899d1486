"""What the import commands share: the actor their audit events name, the refusal of a file
with bad rows, and the counts they report. (A module whose name starts with "_" is no
command of its own.)"""

from django.core.management.base import CommandError, OutputWrapper
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.accounts.models import User
from pulje.registry.imports import ImportRefused
from pulje.registry.services.housing_import import ChangeCounts


def active_user(email: str) -> User:
    """The user ``--actor`` names; matched exactly, as at login. A deactivated user no longer
    acts in pulje."""
    try:
        return User.objects.get(email=email, is_active=True)
    except User.DoesNotExist:
        raise CommandError(
            _("No active user has the e-mail address %(email)s.") % {"email": email}
        ) from None


def refusal(file: object, refused: ImportRefused, stderr: OutputWrapper) -> CommandError:
    """Every bad row's reasons written to ``stderr``, and the error that ends the command."""
    for message in refused.messages():
        stderr.write(message)
    count = len(refused.rejected)
    return CommandError(
        ngettext(
            "%(file)s: %(count)d row is bad, so nothing was imported.",
            "%(file)s: %(count)d rows are bad, so nothing was imported.",
            count,
        )
        % {"file": file, "count": count}
    )


def counts_line(what: str, counts: ChangeCounts) -> str:
    return _("%(what)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.") % {
        "what": what,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
    }
