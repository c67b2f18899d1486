"""Writes to applications: drafts (``drafts``), attachments (``attachments``), submission
(``submission``) and withdrawal (``withdrawal``).

An application's status changes only through ``workflow.transition``, by its table, with a
compare-and-swap on the status. Every state change and every attachment writes an audit event
in the same transaction; saving a draft does not (it is the applicant's unfinished text, kept
in the draft itself). A refusal (``ApplicationRefused``) writes nothing at all.
"""

# What ``submit_application(confirmed=…)`` compares, read where the applicant checks: a
# selector, named here with the submission it belongs to.
from pulje.applications.selectors import fingerprint
from pulje.applications.services.attachments import (
    MAX_ATTACHMENTS,
    add_attachment,
    remove_attachment,
)
from pulje.applications.services.drafts import not_open_to, save_draft, start_application
from pulje.applications.services.submission import Submission, send_receipt, submit_application
from pulje.applications.services.withdrawal import withdraw_application

__all__ = [
    "MAX_ATTACHMENTS",
    "Submission",
    "add_attachment",
    "fingerprint",
    "not_open_to",
    "remove_attachment",
    "save_draft",
    "send_receipt",
    "start_application",
    "submit_application",
    "withdraw_application",
]
