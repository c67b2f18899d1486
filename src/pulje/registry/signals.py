"""What the registry announces to the apps above it.

``organisations_verified`` is sent inside the transaction that vouches for one or more
organisations' CVR numbers (a caseworker's verification, an import of associations), with
``actor`` (who vouched; None for pulje itself) and ``cvrs`` (a frozenset of CVR numbers).
Screening sits above the registry and reads it, so the registry must not import it: the
registry announces, screening listens (``casework.apps`` connects the re-screening of the
applications that name them). A receiver runs in the same transaction and its exception is
not caught: a re-screening that fails undoes the verification, as one act.
"""

from django.dispatch import Signal

organisations_verified = Signal()
