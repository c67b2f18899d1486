from typing import Any

from django.core.management.base import BaseCommand

from pulje.accounts.mfa import reencrypt_secrets


class Command(BaseCommand):
    help = (
        "Encrypt every stored second-factor secret again with the first key of "
        "MFA_ENCRYPTION_KEY (after a new key was put first). Safe to run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = reencrypt_secrets()
        self.stdout.write(f"Encrypted {count} second-factor secrets with the current key.")
