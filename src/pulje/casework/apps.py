from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from pulje.accounts.models import User
    from pulje.applications.models import Application


class CaseworkConfig(AppConfig):
    name = "pulje.casework"
    verbose_name = _("Casework")

    def ready(self) -> None:
        from pulje.applications.signals import application_submitted

        application_submitted.connect(
            screen_on_submission, weak=False, dispatch_uid="casework.screen_on_submission"
        )


def screen_on_submission(
    sender: object, *, actor: "User", application: "Application", **kwargs: object
) -> None:
    """Screen a submitted application in its submission's transaction, as pulje
    (``applications.signals.application_submitted``)."""
    from pulje.casework import services

    services.screen_application(actor=actor, application=application, on_submission=True)
