"""The test suite's settings: pulje's own, computed as for development (``DEBUG=1``: the
development secret key, the outbox mail backend, plain static storage, no HTTPS redirect), so
plain ``pytest`` and ``mypy`` need nothing in the shell. pytest-django then runs each test
with ``settings.DEBUG`` off, as production serves pages; tests/core/test_settings.py checks the
production defaults by computing the settings afresh."""

import os
from pathlib import Path

os.environ.setdefault("DEBUG", "1")

from pulje.settings import *  # noqa: F403

# The suite makes thousands of users; a fast hash keeps it quick (production keeps Django's).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The CVR register as recorded (tests/registry/cvr/<cvr>.json): nothing is fetched from outside.
CVR_LOOKUP = "pulje.registry.cvr.RecordedCvrLookup"
CVR_RECORDINGS = str(Path(__file__).resolve().parent / "registry" / "cvr")

# Letters are sent at once; the undo window's tests set their own.
LETTERS_UNDO_MINUTES = 0
