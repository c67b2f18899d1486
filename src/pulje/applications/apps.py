from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "pulje.applications"
    verbose_name = _("Applications")

    def ready(self) -> None:
        # Registers the application's machine, which templates ask (``application|may:…``).
        from pulje.applications import workflow  # noqa: F401
