from typing import Any

from django.core.management.base import BaseCommand

from pulje.demo.data import DEMO_PASSWORD, DEMO_TOTP_SECRET
from pulje.demo.scenario import load_demo


class Command(BaseCommand):
    help = "Load the 2020 loneliness-pool demo through pulje's own services. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = load_demo()
        created = ", ".join(f"{count} {what}" for what, count in summary.created.items())
        self.stdout.write(f"Demo loaded; created this time: {created}.")
        self.stdout.write(
            "Log in with a code by e-mail; the demo shows its e-mails at /udbakke/. "
            f"The password login (/konto/log-ind/adgangskode/) takes {DEMO_PASSWORD} for all:"
        )
        for login in summary.logins:
            self.stdout.write(f"  {login.email:<28} {login.role}")
        self.stdout.write(
            "Staff, caseworkers and funders then type a code from an authenticator app set up "
            f"with the key {DEMO_TOTP_SECRET} (or from `oathtool --totp -b {DEMO_TOTP_SECRET}`)."
        )
