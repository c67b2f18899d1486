"""Reads for the letters' pages and for other apps' pages that show letters."""

from collections.abc import Sequence

from pulje.core.jobs import Job
from pulje.letters.models import Letter


def job_with_letters(job_id: int) -> Job:
    """The job with its call and creator; raises Job.DoesNotExist."""
    return Job.objects.select_related("call__pool", "created_by").get(pk=job_id)


def letters_of_job(job: Job) -> list[Letter]:
    """The letters of a job's decisions (made by it or by an earlier job), by reference.
    One query."""
    return list(
        Letter.objects.filter(decision_id__in=job.payload.get("decision_ids", []))
        .select_related("application__organisation")
        .order_by("application__reference", "kind")
    )


def letters_for_applications(application_ids: Sequence[int]) -> dict[int, list[Letter]]:
    """The letters of these applications by application id, newest first. One query, for
    the dashboard's list and an application's own page alike."""
    found: dict[int, list[Letter]] = {pk: [] for pk in application_ids}
    for letter in Letter.objects.filter(application_id__in=application_ids).select_related(
        "application"
    ):
        found[letter.application_id].append(letter)
    return found
