"""Queueing the decision letters: what each letter says is read from the decisions here and
handed to ``pulje.letters`` as plain data, which stores it in the job, so the letter states
what was decided when it was queued and the letters app needs nothing from this one.

Call it in the decisions' transaction (``write._decide`` does) or after it: the job commits
with the decisions or not at all.
"""

from collections.abc import Sequence

from django.utils.translation import gettext as _

from pulje.accounts.models import User
from pulje.core.jobs import Job
from pulje.decisions.selectors import letter_subjects
from pulje.decisions.services.common import DecisionRefused
from pulje.letters.services import queue_letters


def queue_decision_letters(*, actor: User | None, decision_ids: Sequence[int]) -> Job:
    """Queue one job that makes, stores and e-mails the letters of these decisions
    (``letters.services.queue_letters``, with its side effects: the ``Job``, the audit event
    ``letters.job.queued`` and the task), each saying what its decision says now.

    Raises DecisionRefused, having queued nothing, when any of the decisions does not exist.
    """
    ids = sorted(set(decision_ids))
    subjects = letter_subjects(ids)
    missing = sorted(set(ids) - {subject.decision_id for subject in subjects})
    if missing:
        raise DecisionRefused(
            _("These decisions do not exist: %(ids)s.")
            % {"ids": ", ".join(str(pk) for pk in missing)},
            code="unknown_decisions",
        )
    return queue_letters(actor=actor, subjects=subjects)
