"""Which search a process carries on: a new one, or with `--resume` the experiment's latest, and the claim that
only one process does.

The store is opened once for it (`open_tracker`): a new search creates the
store when it is new, `--resume` never does and reads the latest search in
the same go. Carrying on is refused rather than guessed at: with
nothing to resume, a finished search, a search another process holds, a
changed experiment file, or KerasTuner's folder gone. A search is claimed by
an OS lock on a file in its KerasTuner folder, held for the life of the
process that runs it: the operating system releases it when that process
ends, however it ends, so a crashed search is free to resume and a running
one is never resumed twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import filelock

from pipelines.config import Experiment
from pipelines.errors import ResumeError
from pipelines.tracking.tracker import SearchTracker
from reports.store.errors import StoreError
from reports.store.names import BUDGET_SPENT, PROJECT_PARAM, read_metric
from reports.store.trials import latest_search

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient

CLAIM_FILE = "search.lock"


def claim_search(project_dir: Path) -> filelock.BaseFileLock | None:
    """Lock the search in `project_dir` for this process; None when another process holds it."""
    project_dir.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(project_dir / CLAIM_FILE), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        return None
    return lock


def open_tracker(experiment: Experiment, resume: bool) -> tuple[SearchTracker, Run | None]:
    """The search's tracker and, with `resume`, the parent run of the experiment's latest search, read as the
    store opens: a new search creates the store when it is new; `--resume` never does."""
    try:
        tracker = SearchTracker.open(experiment.tracking_uri, experiment.name, create=not resume)
    except StoreError as exc:
        if not resume:
            raise
        raise ResumeError(f"{experiment.source_file}: --resume: {exc}") from None
    previous = latest_search(tracker.client, experiment.name) if resume else None
    if previous is not None:
        tracker.budget_spent_before = read_metric(previous.data.metrics, BUDGET_SPENT, 0.0)
    return tracker, previous


def claim_resumed(
    previous: Run | None, experiment: Experiment, settings: dict, client: MlflowClient
) -> filelock.BaseFileLock:
    """This process's claim on the search `--resume` carries on (`previous`, its parent run), after checking that
    carrying it on is safe and meaningful."""
    where = f"{experiment.source_file}: --resume"
    if previous is None:
        raise ResumeError(
            f"{where}: no earlier search of {experiment.name!r} in {experiment.tracking_uri}. "
            "Run without --resume to start one."
        )
    run_id, stored = previous.info.run_id, previous.data.params
    _refuse_finished(previous.info.status, run_id, experiment, where)
    changed = changed_settings(settings, stored)
    if changed:
        raise ResumeError(
            f"{where}: the experiment changed since parent run {run_id} ({', '.join(changed)}). "
            "Restore it, or run without --resume to start a new search."
        )
    project_dir = Path(experiment.tuner_dir) / stored.get(PROJECT_PARAM, "?")
    if not project_dir.is_dir():
        raise ResumeError(
            f"{where}: KerasTuner's folder {project_dir} of parent run {run_id} is gone. "
            "Run without --resume to start a new search."
        )
    claim = claim_search(project_dir)
    if claim is None:
        raise ResumeError(
            f"{where}: parent run {run_id} is being run by another process (it holds "
            f"{project_dir / CLAIM_FILE}). Wait for it or stop it first."
        )
    try:  # read again under the claim: the process that held it may have finished the search meanwhile
        _refuse_finished(client.get_run(run_id).info.status, run_id, experiment, where)
    except ResumeError:
        claim.release()
        raise
    return claim


def changed_settings(settings: dict, stored: dict[str, str]) -> list[str]:
    """The settings whose value differs from the one the search's parent run recorded."""
    return [key for key, value in settings.items() if key in stored and stored[key] != str(value)]


def _refuse_finished(status: str, run_id: str, experiment: Experiment, where: str) -> None:
    if status == "FINISHED":
        raise ResumeError(
            f"{where}: the latest search of {experiment.name!r} (parent run {run_id}) finished. "
            "Run without --resume to start a new search."
        )
