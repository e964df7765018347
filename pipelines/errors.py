"""Errors a user can fix in an experiment, its data or a resume; `RunnerError` is their common base."""

from reports.store.errors import RunnerError


class ConfigError(RunnerError):
    """The experiment file cannot be used as written."""


class DataError(RunnerError):
    """The data set is missing, malformed, or does not fit the model family."""


class ResumeError(RunnerError):
    """`--resume` has no search to carry on, or carrying it on would mix two different searches."""


__all__ = ["ConfigError", "DataError", "ResumeError", "RunnerError"]
