"""A search on several worker processes: this process is KerasTuner's chief, and supervises the workers.

The search process keeps everything that is the search's own (the parent
run, the baselines, the oracle, the best model, the report); the workers only
train trials and log them. The oracle is served over KerasTuner's gRPC
service (`pipelines.distributed.oracle_service`); the local workers are kept alive by
`pipelines.distributed.local_workers`; workers on other machines join with `runner.py worker`.
The search ends when the oracle has handed out its budget, every local
worker has been told to stop, and no trial is still under way anywhere.
"""

from __future__ import annotations

import dataclasses
import math
import time
from pathlib import Path

from pipelines.distributed.local_workers import LocalWorkers
from pipelines.distributed.oracle_service import LOOPBACK, NO_AUTH_WARNING, OracleServer
from pipelines.progress import SearchProgress
from pipelines.seams import Tuner
from pipelines.search_context import SearchContext
from pipelines.tracking.tracker import SearchTracker
from pipelines.tuners import active_values, tuner_with_progress
from reports.store.names import (
    CHIEF_TAG,
    DURATION,
    EPOCHS,
    FAILURE_TAG,
    PRUNED_TAG,
    STOPPED_TAG,
    TEST_METRICS,
    WORKER_TAG,
)
from reports.store.trials import trial_runs

POLL_S = 0.5


@dataclasses.dataclass(frozen=True)
class Distribution:
    """`search --workers N`: N local worker processes, and where the chief listens for them and for others."""

    workers: int
    host: str = LOOPBACK
    port: int = 0


def run_chief(search: SearchContext, distribution: Distribution) -> Tuner:
    """Serve the search's oracle to its workers until every trial is done; the tuner, for the closing steps."""
    experiment, tracker, console = search.experiment, search.tracker, search.console
    with tuner_with_progress(search) as (tuner, progress):
        tuner.oracle.verbose = 0  # the trials' lines come from the view below, not from KerasTuner's display
        tuner.save()  # where `--resume` reloads the oracle from
        stops: list[str] = []
        with OracleServer(tuner.oracle, distribution.host, distribution.port, stops.append) as server:
            tracker.set_tag(CHIEF_TAG, server.address)
            if distribution.host != LOOPBACK:
                console.print(f"[yellow]{NO_AUTH_WARNING.format(host=distribution.host)}[/]")
            log_dir = Path(tuner.project_dir) / "workers"
            console.print(
                f"Chief (KerasTuner's oracle) on {server.address}; {distribution.workers} local workers, "
                f"logs in {log_dir}. Another machine joins with `runner.py worker {experiment.source_file} "
                f"--chief HOST:{server.port}`.",
                highlight=False,
            )
            view = TrialsView(tuner, tracker, progress)
            with LocalWorkers(
                experiment.source_file,
                server.address,
                tracker.parent_run_id,
                distribution.workers,
                log_dir,
                tracker.client,
                console,
            ) as workers:
                while not (workers.finished and not tuner.oracle.ongoing_trials):
                    workers.check()
                    view.update()
                    time.sleep(POLL_S)
            view.update()
        if stops:
            tracker.set_tag(STOPPED_TAG, stops[0])
            console.print(f"[yellow]search stopped: {stops[0]}[/]")
    return tuner


class TrialsView:
    """One progress view of the whole search, from the oracle: the trials under way and on which worker, and a
    line per ended trial, with its test scores read from its MLflow run."""

    def __init__(self, tuner, tracker: SearchTracker, progress: SearchProgress):
        self.tuner, self.tracker, self.progress = tuner, tracker, progress
        self.shown = set(tuner.oracle.end_order)  # ended in an earlier process of this search

    def update(self) -> None:
        oracle = self.tuner.oracle
        self.progress.running({trial.trial_id: tuner_id for tuner_id, trial in list(oracle.ongoing_trials.items())})
        for trial_id in list(oracle.end_order):
            if trial_id not in self.shown:
                self.shown.add(trial_id)
                self._ended(oracle.trials[trial_id])

    def _ended(self, trial) -> None:
        runs = trial_runs(self.tracker.client, self.tracker.parent_run_id, trial.trial_id)
        run = runs[-1].data if runs else None
        metrics = run.metrics if run else {}
        values = self.tuner.hypermodel.space.as_typed(active_values(trial.hyperparameters))
        reason = (run.tags.get(FAILURE_TAG, "") if run and trial.status != "COMPLETED" else "").splitlines()
        on = f" on {run.tags[WORKER_TAG]}" if run and WORKER_TAG in run.tags else ""
        score = trial.score if trial.score is not None else math.nan
        status = f"pruned at epoch {run.tags[PRUNED_TAG]}" if run and PRUNED_TAG in run.tags else trial.status
        self.progress.trial_ended(
            f"{trial.trial_id}{on}",
            status,
            score,
            values,
            {k: metrics[k] for k in TEST_METRICS if k in metrics},
            int(metrics[EPOCHS]) if EPOCHS in metrics else None,
            metrics.get(DURATION, math.nan),
            reason[-1][:200] if reason else "",
        )
