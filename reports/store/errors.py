"""Errors a user can fix, kept apart from bugs so the command line shows them without a traceback.

They live on the lowest floor, beside the store, so that the read side
(reports) and the training side (pipelines) raise the same kind of error.
"""


class RunnerError(Exception):
    """Bad input: the message says what is wrong, where, and how to fix it."""


class StoreError(RunnerError):
    """The MLflow store is not there, or cannot be opened."""


class ReportError(RunnerError):
    """The search to report on cannot be found or the report cannot be written."""
