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
        from pulje.registry.signals import organisations_verified

        application_submitted.connect(
            screen_on_submission, weak=False, dispatch_uid="casework.screen_on_submission"
        )
        organisations_verified.connect(
            screen_on_verification, weak=False, dispatch_uid="casework.screen_on_verification"
        )


def screen_on_submission(
    sender: object, *, actor: "User", application: "Application", **kwargs: object
) -> None:
    """Screen a submitted application in its submission's transaction, as pulje
    (``applications.signals.application_submitted``)."""
    from pulje.casework import services

    services.screen_application(actor=actor, application=application, on_submission=True)


def screen_on_verification(
    sender: object, *, actor: "User | None", cvrs: frozenset[str], **kwargs: object
) -> None:
    """Screen again, in the verification's transaction, the applications whose screening
    found one of the newly verified partners unknown (``registry.signals.
    organisations_verified``)."""
    from pulje.casework import services

    services.screen_again_for_verified_partners(actor=actor, cvrs=cvrs)
