from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from pulje.core.money import format_dkk
from pulje.decisions.services import lapse_overdue_grants


class Command(BaseCommand):
    help = (
        "Lapse every grant not accepted by its accept-by date and release its commitment to "
        "the pool. Safe to run repeatedly: run it daily (cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = lapse_overdue_grants(now=timezone.now())
        self.stdout.write(
            f"{result.lapsed} grant(s) lapsed, {format_dkk(result.released_ore)} released."
        )
