from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pulje.registry.imports import (
    ImportFileError,
    ImportRefused,
    default_report_path,
    read_table,
    write_rejections,
)
from pulje.registry.management.commands._imports import active_user, counts_line, refusal
from pulje.registry.services.housing_import import import_housing_registry


class Command(BaseCommand):
    help = (
        "Import housing organisations and departments from a CSV or XLSX file "
        "(docs/registry-import.md). Refuses the whole file if a row is bad, unless --partial. "
        "Safe to run again: an unchanged file changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="The .csv or .xlsx file.")
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Import the good rows and write the rejected ones to a report file.",
        )
        parser.add_argument(
            "--report",
            type=Path,
            help="Where --partial writes the rejected rows (default: <file>.afvist.csv).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and count what would change, writing nothing (no report).",
        )
        parser.add_argument(
            "--actor",
            metavar="EMAIL",
            help="The e-mail address of the user the audit events name as the actor "
            "(default: none, as for a change the system made).",
        )

    def handle(
        self,
        *args: Any,
        file: Path,
        partial: bool,
        report: Path | None,
        dry_run: bool,
        actor: str | None,
        **options: Any,
    ) -> None:
        if report is not None and not partial:
            raise CommandError(_("--report is only used with --partial."))
        user = None if actor is None else active_user(actor)
        report = report or default_report_path(file)
        try:
            table = read_table(file)
            # The report is written inside the import's transaction, so a report that cannot
            # be written undoes the import rather than leaving rejected rows unaccounted for.
            with transaction.atomic():
                result = import_housing_registry(
                    actor=user, table=table, partial=partial, dry_run=dry_run
                )
                if partial and not dry_run:
                    write_rejections(report, table, result.rejected)
        except ImportFileError as error:
            raise CommandError(f"{file}: {error}") from error
        except ImportRefused as refused:
            raise refusal(file, refused, self.stderr) from refused
        except OSError as error:
            raise CommandError(
                _("The report %(report)s cannot be written (%(error)s); nothing was imported.")
                % {"report": report, "error": error.strerror or error}
            ) from error

        for rejection in result.rejected:
            for message in rejection.messages():
                self.stderr.write(message)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written. The file would give:"))
        self.stdout.write(counts_line(_("Organisations"), result.organisations))
        self.stdout.write(counts_line(_("Departments"), result.departments))
        if partial:
            count = len(result.rejected)
            rejected = ngettext("%(count)d row rejected.", "%(count)d rows rejected.", count) % {
                "count": count
            }
            if not dry_run:
                rejected += " " + _("The report is %(report)s.") % {"report": report}
            self.stdout.write(rejected)
