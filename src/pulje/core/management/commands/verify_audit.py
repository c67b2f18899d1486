from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pulje.core.audit import find_chain_problems
from pulje.core.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero on an edited or deleted event."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(find_chain_problems())
        for problem in problems:
            self.stderr.write(f"audit event {problem.seq}: {problem.message}")
        if problems:
            raise CommandError(f"The audit trail has {len(problems)} problem(s).")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"The audit trail of {count} events is intact."))
