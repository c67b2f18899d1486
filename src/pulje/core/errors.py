"""The one shape of a refusal: a service was asked for something its rules do not allow, and
wrote nothing.

Every app's refusal subclasses ``Refused``, so a form, a view or (later) the API handles one
type: ``message`` is for the person, in the active language; ``code`` is a stable snake_case
name for the code that reacts to it (the API will map it to a status); ``field`` names the
input it concerns, when there is one.
"""


class Refused(Exception):
    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field
