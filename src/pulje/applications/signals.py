"""What the applications app announces to the apps above it.

``application_submitted`` is sent by ``services.submit_application`` inside the submission's
transaction, right after the application's move to submitted, with ``actor`` (the applicant
who submitted) and ``application`` (the locked row, now submitted). Screening sits above
applications (it reads the call's rules and the application), so applications must not
import it: applications announces, screening listens (``casework.apps`` connects
``screen_application``). A receiver runs in the same transaction and its exception is not
caught (``send``, not ``send_robust``): a screening that fails rolls the whole submission
back, as one act.
"""

from django.dispatch import Signal

application_submitted = Signal()
