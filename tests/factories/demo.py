"""The demo scenario, loaded as `make demo` loads it."""

from io import StringIO

from django.core.management import call_command


def load_demo() -> str:
    """Run ``load_demo``; what it printed."""
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()
