"""Errors a user can fix, kept apart from bugs so the command line shows them without a traceback."""


class RunnerError(Exception):
    """Bad input: the message says what is wrong, where, and how to fix it."""


class ConfigError(RunnerError):
    """The experiment file cannot be used as written."""


class DataError(RunnerError):
    """The data set is missing, malformed, or does not fit the model family."""


class ResumeError(RunnerError):
    """`--resume` has no search to carry on, or carrying it on would mix two different searches."""
