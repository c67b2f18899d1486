from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    """The secretariat's desk: the queue per call and its bulk actions, above screening,
    assessment and decisions (it calls all three); it has no tables of its own."""

    name = "pulje.desk"
    verbose_name = _("Secretariat's desk")
