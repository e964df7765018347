"""Where the libraries' own messages go: a log file beside the store, so the terminal shows the runner's lines only."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

from pipelines.progress import say
from reports.store.opening import sqlite_path


def library_logs_to_file(
    tracking_uri: str, elsewhere: str | Path, verbose: bool, console, announce: bool = True
) -> None:
    """MLflow, alembic, absl, TensorFlow and Python warnings go to a log file beside the store (for a server, in
    the folder `elsewhere`), not between the runner's own lines (unless --verbose); its path is printed once,
    here or (`announce=False`) by `announce_log_file` once the input is accepted: a refused file makes no log,
    so no line names one."""
    if verbose:
        return
    database = sqlite_path(tracking_uri)
    path = (database.parent if database else Path(elsewhere)) / "automl.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)  # made only when there is a message
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in ("mlflow", "alembic", "absl", "tensorflow", "keras_tuner"):
        logging.getLogger(name).handlers = []  # whatever a library set up for itself
        logging.getLogger(name).propagate = True
    logging.captureWarnings(True)
    global _log_file
    _log_file = path
    if announce:
        announce_log_file(console)


_log_file: Path | None = None  # where library_logs_to_file sends the libraries' messages, once it has


def announce_log_file(console) -> None:
    """The line that names the log file, where there is one."""
    if _log_file is not None:
        say(console, f"library messages go to {_log_file}", "dim")


def load_tensorflow() -> None:
    """Import TensorFlow with its C++ start-up notices (oneDNN, CPU features, absl's "before InitializeLog"
    warning) in the log file: they go to file descriptor 2 while it loads, past Python's logging and past
    TF_CPP_MIN_LOG_LEVEL, so descriptor 2 points at the log file meanwhile. Without a log file (--verbose),
    they stay on the terminal."""
    if "tensorflow" in sys.modules or _log_file is None:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(_log_file, "ab") as log, contextlib.suppress(ImportError):
            os.dup2(log.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quiet_libraries() -> None:
    """The settings that keep the libraries' chatter off the terminal, from the command line or from a script:
    TensorFlow's C++ notices, MLflow's own logging set-up, and a progress bar for every file a report reads.
    A value the user set is kept."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
