from typing import Any

from django.core.management.base import BaseCommand

from pulje.demo.scenario import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the 2020 loneliness-pool demo through pulje's own services. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo()
        created = ", ".join(f"{count} {what}" for what, count in summary.created.items())
        self.stdout.write(f"Demo loaded; created this time: {created}.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in summary.logins:
            self.stdout.write(f"  {login.email:<28} {login.role}")
