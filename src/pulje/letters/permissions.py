"""Who may follow a job and read a letter.

- A job is followed by who queued it and by the caseworkers (and the funder) of its call;
  it is retried by who queued it and the call's caseworkers.
- A letter is read by the members of the organisation it is addressed to and by the call's
  caseworkers; nobody else learns that it exists (404).
"""

from pulje.accounts.models import User
from pulje.calls.permissions import can_oversee_call, can_work_call
from pulje.core.jobs import Job
from pulje.letters.models import Letter


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
    if application.organisation.memberships.filter(user=user).exists():
        return True
    return can_work_call(user, application.call)
