from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pulje.core.money import format_dkk
from pulje.ledger.selectors import find_ledger_discrepancies


class Command(BaseCommand):
    help = (
        "Verify every ledger invariant and every stored balance against the entries. "
        "Exits non-zero, naming the pool and the figure, on any difference."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        problems = find_ledger_discrepancies()
        for problem in problems:
            figures = ""
            if problem.stored is not None and problem.expected is not None:
                figures = (
                    f": stored {format_dkk(problem.stored)}, "
                    f"entries say {format_dkk(problem.expected)}"
                )
            self.stderr.write(f"{problem.subject}, {problem.figure} {problem.message}{figures}")
        if problems:
            raise CommandError(f"The ledger has {len(problems)} problem(s).")
        self.stdout.write(self.style.SUCCESS("The ledger is consistent."))
