from pulje.core.errors import Refused


class PaymentRefused(Refused):
    """A payment write the rules do not allow; nothing was written."""
