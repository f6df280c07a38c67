"""Errors that reach the user as one clear line and exit status 2."""


class UserError(Exception):
    """Bad input the user can fix: the message says what was wrong and what to do."""


class SourceError(UserError):
    """A camera, file or URL that cannot be opened or read."""
