from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from pulje.accounts.models import User
    from pulje.applications.models import Application


class FastTrackConfig(AppConfig):
    name = "pulje.fasttrack"
    verbose_name = _("Fast track")

    def ready(self) -> None:
        from pulje.applications.signals import application_submitted

        application_submitted.connect(
            enter_on_submission, weak=False, dispatch_uid="fasttrack.enter_on_submission"
        )


def enter_on_submission(
    sender: object, *, actor: "User", application: "Application", **kwargs: object
) -> None:
    """Put a submitted application in its band's fast track, if the band has one, in the
    submission's transaction; the worker decides it after commit
    (``services.enter_fast_track``)."""
    from pulje.fasttrack import services

    services.enter_fast_track(application=application)
