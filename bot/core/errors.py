"""Errors a person should read: the message says what went wrong and what to do."""


class UserError(Exception):
    """Raised by services for bad input or a wrong moment; cogs show `str(err)` as it is."""
