"""Whether `--resume` may carry on an experiment's latest search, and which one.

Carrying on is refused rather than guessed at: with nothing to resume, a
finished search, a search whose process is still alive, a changed experiment
file, or KerasTuner's folder gone.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pipelines.config import Experiment
from pipelines.errors import ResumeError
from pipelines.tracking import HOST_TAG, PID_TAG, latest_search


def resumable_search(experiment: Experiment, settings: dict):
    """The parent run `--resume` carries on, after checking that carrying it on is safe and meaningful."""
    where = f"{experiment.source_file}: --resume"
    previous = latest_search(experiment.name)
    if previous is None:
        raise ResumeError(f"{where}: no earlier search of {experiment.name!r} in {experiment.tracking_uri}. "
                          "Run without --resume to start one.")
    run_id, status, tags = previous.info.run_id, previous.info.status, previous.data.tags
    if status == "FINISHED":
        raise ResumeError(f"{where}: the latest search of {experiment.name!r} (parent run {run_id}) finished. "
                          "Run without --resume to start a new search.")
    pid = int(tags.get(PID_TAG, "0"))
    if tags.get(HOST_TAG) == socket.gethostname() and pid != os.getpid() and _process_alive(pid):
        raise ResumeError(f"{where}: parent run {run_id} is still being run by process {pid}. "
                          "Wait for it or stop it first.")
    stored = previous.data.params
    changed = [key for key, value in settings.items() if key in stored and stored[key] != str(value)]
    if changed:
        raise ResumeError(f"{where}: the experiment changed since parent run {run_id} ({', '.join(changed)}). "
                          "Restore it, or run without --resume to start a new search.")
    project_dir = Path(experiment.tuner_dir) / stored.get("tuner.project", "?")
    if not project_dir.is_dir():
        raise ResumeError(f"{where}: KerasTuner's folder {project_dir} of parent run {run_id} is gone. "
                          "Run without --resume to start a new search.")
    return previous


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return pid > 0
