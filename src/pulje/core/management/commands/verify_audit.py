from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pulje.core.audit import GENESIS_HASH, find_chain_problems
from pulje.core.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero on an edited or deleted event."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = list(find_chain_problems())
        for problem in problems:
            self.stderr.write(f"audit event {problem.seq}: {problem.message}")
        if problems:
            raise CommandError(f"The audit trail has {len(problems)} problem(s).")
        last = AuditEvent.objects.order_by("-seq").first()
        count, head = (last.seq, last.hash) if last else (0, GENESIS_HASH)
        self.stdout.write(self.style.SUCCESS(f"The audit trail of {count} events is intact."))
        # Kept outside the database (a log, a ticket), the head hash lets a later check prove
        # that nobody with database access rewrote the whole chain since.
        self.stdout.write(f"Head: {head}")
