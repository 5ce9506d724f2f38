"""Domain errors raised by services; each surface (CLI, page, protocol) renders them its own way."""


class InvalidInput(ValueError):
    """The caller's input is wrong; the message says how, in one line, and nothing was changed."""


class NotFound(InvalidInput):
    """The named thing does not exist."""
