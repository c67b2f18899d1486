from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.registry.imports import (
    ASSOCIATION_COLUMNS,
    ImportFileError,
    ImportRefused,
    read_table,
)
from pulje.registry.management.commands._imports import active_user, counts_line, refusal
from pulje.registry.services.association_import import import_associations
from pulje.registry.services.verification import VerificationRefused


class Command(BaseCommand):
    help = (
        "Import partner organisations (associations, libraries, social organisations) from a "
        "CSV or XLSX file (docs/registry-import.md), verified. Refuses the whole file if a row "
        "is bad. Safe to run again: an unchanged file changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and count what would change, writing nothing.",
        )
        parser.add_argument(
            "--actor",
            metavar="EMAIL",
            help="The e-mail address of the caseworker the audit events name as the actor "
            "(default: none, as for a change the system made).",
        )

    def handle(
        self, *args: Any, file: Path, dry_run: bool, actor: str | None, **options: Any
    ) -> None:
        user = None if actor is None else active_user(actor)
        try:
            result = import_associations(
                actor=user, table=read_table(file, ASSOCIATION_COLUMNS), dry_run=dry_run
            )
        except ImportFileError as error:
            raise CommandError(f"{file}: {error}") from error
        except ImportRefused as refused:
            raise refusal(file, refused, self.stderr) from refused
        except VerificationRefused as refused:
            raise CommandError(refused.message) from refused
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written. The file would give:"))
        self.stdout.write(counts_line(_("Partner organisations"), result.organisations))
        self.stdout.write(
            ngettext(
                "%(count)d organisation already registered is now verified.",
                "%(count)d organisations already registered are now verified.",
                result.verified,
            )
            % {"count": result.verified}
        )
