"""Who may follow a job and read a letter.

- A job is followed by who queued it and by the caseworkers (and the funder) of its call;
  it is retried by who queued it and the call's caseworkers.
- A letter is read by the members of the organisation it is addressed to and by the call's
  caseworkers; nobody else learns that it exists (404).
"""

from django.http import Http404

from pulje.accounts.models import User
from pulje.calls.permissions import can_oversee_call, can_work_call
from pulje.core.jobs import Job
from pulje.letters.models import Letter
from pulje.letters.selectors import job_with_letters
from pulje.registry.permissions import is_member


def can_follow_job(user: User, job: Job) -> bool:
    if job.created_by_id == user.pk:
        return True
    return job.call is not None and can_oversee_call(user, job.call)


def can_retry_job(user: User, job: Job) -> bool:
    if job.created_by_id == user.pk:
        return True
    return job.call is not None and can_work_call(user, job.call)


def can_read_letter(user: User, letter: Letter) -> bool:
    application = letter.application
    if is_member(user, application.organisation):
        return True
    return can_work_call(user, application.call)


def get_job_for_follower_or_404(user: User, pk: int) -> Job:
    """A job ``user`` may follow, with its letters."""
    try:
        job = job_with_letters(pk)
    except Job.DoesNotExist:
        raise Http404 from None
    if not can_follow_job(user, job):
        raise Http404
    return job


def get_letter_for_reader_or_404(user: User, pk: int) -> Letter:
    """A letter ``user`` may read, with its application's call, pool and organisation."""
    letter = (
        Letter.objects.select_related("application__call__pool", "application__organisation")
        .filter(pk=pk)
        .first()
    )
    if letter is None or not can_read_letter(user, letter):
        raise Http404
    return letter
