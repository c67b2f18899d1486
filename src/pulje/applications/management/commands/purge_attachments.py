from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from pulje.applications.retention import purge_unsubmitted_files


class Command(BaseCommand):
    help = (
        "Delete the files of applications never submitted, PURGE_UNSUBMITTED_FILES_AFTER_DAYS "
        "after the call's deadline (drafts) or the withdrawal. Safe to run repeatedly: run it "
        "daily (cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = purge_unsubmitted_files(now=timezone.now())
        self.stdout.write(
            f"{result.files} file(s) of {result.applications} application(s) never submitted "
            f"deleted ({filesizeformat(result.bytes)}), "
            f"{settings.PURGE_UNSUBMITTED_FILES_AFTER_DAYS} days after the deadline or "
            "withdrawal."
        )
