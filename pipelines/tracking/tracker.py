"""Writing a search to MLflow: one parent run per search, one nested child run per KerasTuner trial.

The names written are those of `reports.store.names`, which the reports read with.
Child runs name their parent by id (`parent_run_id`), never through state of
the process that started the search, so a worker on another machine can log
its trials under the same parent; every write goes through a journal that
keeps it while a tracking server is down.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.entities import RunStatus, RunTag
from mlflow.tracking import MlflowClient

from pipelines.tracking.journal import JournaledWriter, StoreUnreachable, bound_http_retries
from reports.store.names import (
    BUDGET_SPENT,
    FAILURE_TAG,
    HOST_TAG,
    ORPHAN_TAG,
    PER_EPOCH,
    PID_TAG,
    ROLE_TAG,
    TRIAL_ID_TAG,
    WORKER_TAG,
    objective_metric,
    read_metric,
)
from reports.store.opening import experiment_id, open_store
from reports.store.trials import children, trial_runs

EPOCH_WRITE_S = 1.0  # per-epoch metrics reach the store at most this late (see `SearchTracker.log_epoch`)


def finite_metrics(values: Mapping[str, Any]) -> dict[str, float]:
    """MLflow rejects NaN on some stores and plots it badly on others: keep finite numbers only."""
    out = {}
    for key, value in values.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[key] = number
    return out


class EpochPoints:
    """The open run's per-epoch points, held and written at most once every `EPOCH_WRITE_S` and when the run ends:
    one write costs about 6 ms on SQLite, a tenth of a small model's epoch. MLflow's asynchronous mode costs more
    here, as closing a run waits about a second for its queue to drain."""

    def __init__(self, writer: JournaledWriter):
        self.writer = writer
        self._points: list[tuple[str, float, int]] = []
        self._stamps: list[int] = []
        self._written_at = 0.0

    def add(self, run: str, logs: Mapping[str, Any], epoch: int) -> None:
        """One epoch's Keras logs, each under `per_epoch/` and its Keras name, with the epoch's own time."""
        stamp = int(time.time() * 1000)
        for key, value in finite_metrics(logs).items():
            self._points.append((PER_EPOCH + key, value, epoch))
            self._stamps.append(stamp)
        if time.monotonic() - self._written_at >= EPOCH_WRITE_S:
            self.write(run)

    def write(self, run: str) -> None:
        """Write the points held."""
        if self._points:
            self.writer.log_metric_points(run, self._points, stamps=self._stamps)
        self._points, self._stamps = [], []
        self._written_at = time.monotonic()


class SearchTracker:
    """Opens the parent run, hands out child runs, and closes both with an honest status.

    Every write names its run explicitly, through a `JournaledWriter`: a
    tracking server that goes down mid-search costs a journal entry, not a
    trial. The writes go to the innermost open run: the trial's while one is
    open, else the search's.
    """

    def __init__(self, client: MlflowClient, tracking_uri: str, experiment_name: str):
        self.client = client
        self.budget_spent_before = 0.0  # seconds of time budget spent by earlier attempts of a resumed search
        self.tracking_uri = tracking_uri
        self.writer = JournaledWriter(self.client, tracking_uri)
        self.experiment_name = experiment_name
        self._parent_run_id: str | None = None
        self._experiment_id: str | None = None
        self.worker_id: str | None = None  # the tuner id of a worker process of a distributed search
        self._open: list[str] = []  # keys of the open runs, innermost last
        self._failures: dict[str, str] = {}  # open runs to end FAILED, with the reason
        self._epochs = EpochPoints(self.writer)  # of the open run, not written yet

    @classmethod
    def open(cls, tracking_uri: str, experiment_name: str, create: bool = True) -> SearchTracker:
        """A tracker on the store at `tracking_uri`, the store created when new unless `create` is False (then a
        missing SQLite store is a StoreError)."""
        bound_http_retries(tracking_uri)
        return cls(open_store(tracking_uri, create=create), tracking_uri, experiment_name)

    @property
    def parent_run_id(self) -> str:
        """The search's parent run, once `search_run` opened it or `join` named it."""
        if self._parent_run_id is None:
            raise RuntimeError("no parent run yet: open one with search_run, or join one")
        return self._parent_run_id

    @property
    def experiment_id(self) -> str:
        if self._experiment_id is None:
            raise RuntimeError("no parent run yet: open one with search_run, or join one")
        return self._experiment_id

    @property
    def run(self) -> str:
        return self._open[-1]

    @contextlib.contextmanager
    def search_run(self, run_name: str, tags: Mapping[str, str], resume_run_id: str | None = None) -> Iterator[str]:
        """A new parent run, or the earlier one reopened (`resume_run_id`) to carry on its search; a study's run
        too, which names its own role in `tags`."""
        from mlflow.tracking.context.registry import resolve_tags

        all_tags = {
            **resolve_tags(),  # MLflow's own: the user, the entry point and, in a git checkout, its commit
            ROLE_TAG: "search",
            **tags,
            PID_TAG: str(os.getpid()),
            HOST_TAG: socket.gethostname(),
        }
        if resume_run_id:
            self.client.update_run(resume_run_id, status="RUNNING")
            self.client.log_batch(resume_run_id, tags=[RunTag(k, v) for k, v in all_tags.items()])
            run = self.client.get_run(resume_run_id)
        else:
            run = self.client.create_run(
                experiment_id(self.client, self.experiment_name), run_name=run_name, tags=all_tags
            )
        self._parent_run_id, self._experiment_id = run.info.run_id, run.info.experiment_id
        with self._scope(self.parent_run_id):
            yield self.parent_run_id

    def join(self, parent_run_id: str, worker_id: str) -> None:
        """Log trials under a search another process runs (a worker of a distributed search); the parent run
        stays that process's to open and close."""
        parent = self.client.get_run(parent_run_id)
        self._parent_run_id, self._experiment_id = parent_run_id, parent.info.experiment_id
        self.budget_spent_before = read_metric(parent.data.metrics, BUDGET_SPENT, 0.0)
        self.worker_id = worker_id

    def record_budget_spent(self, total: float) -> None:
        """The time budget spent so far, on the parent run; its step the milliseconds spent, so the latest is the
        last across attempts."""
        self.writer.log_batch(self.parent_run_id, metrics={BUDGET_SPENT: total}, step=int(total * 1000))

    @contextlib.contextmanager
    def trial_run(self, trial_id: str, params: dict[str, Any], run_name: str, objective: str) -> Iterator[str]:
        tags = {ROLE_TAG: "trial", TRIAL_ID_TAG: trial_id, "mlflow.parentRunId": self.parent_run_id}
        if self.worker_id:
            tags.update({WORKER_TAG: self.worker_id, PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})
        key = self.writer.create_run(self.experiment_id, run_name, tags)
        # The objective is the run's first metric, NaN until the trial ends: MLflow's Compare page plots the
        # metric a run wrote first by default (and sorts it first elsewhere).
        self.writer.log_batch(key, metrics={objective_metric(objective): math.nan}, params=params)
        with self._scope(key):
            yield key

    @contextlib.contextmanager
    def _scope(self, key: str) -> Iterator[None]:
        """A run that always ends with an honest status.

        An exception makes it FAILED with the reason as a tag; Ctrl-C or SIGTERM
        (KeyboardInterrupt / SystemExit) makes it KILLED, never FINISHED and never
        left RUNNING. A store that stayed unreachable leaves it open, for
        `--resume` to carry on once the journal is sent.
        """
        self._open.append(key)
        try:
            try:
                yield
            finally:
                self._epochs.write(key)
        except StoreUnreachable:
            raise
        except Exception as exc:
            self.writer.log_batch(key, tags={FAILURE_TAG: f"{type(exc).__name__}: {exc}"[:5000]})
            self.writer.set_terminated(key, RunStatus.to_string(RunStatus.FAILED))
            raise
        except BaseException:
            self.writer.set_terminated(key, RunStatus.to_string(RunStatus.KILLED))
            raise
        finally:
            self._open.pop()
        reason = self._failures.pop(key, None)
        if reason is not None:
            self.writer.log_batch(key, tags={FAILURE_TAG: reason})
        status = RunStatus.FINISHED if reason is None else RunStatus.FAILED
        self.writer.set_terminated(key, RunStatus.to_string(status))

    def end_failed(self, reason: str) -> None:
        """End the innermost open run FAILED with `reason` when its scope closes: a search that ran as it should
        but found nothing (no trial finished) is a failed run, not an error to raise."""
        self._failures[self.run] = reason

    def trial_runs(self, trial_id: str) -> list:
        """The trial's runs in the store; none known while the store is down."""
        return [] if self.writer.offline else trial_runs(self.client, self.parent_run_id, trial_id)

    def log_curves(self, curves: dict[str, list[tuple[int, float]]]) -> None:
        """Learning curves into the open run (each point at its epoch)."""
        self.writer.log_metric_points(
            self.run, [(PER_EPOCH + key, value, step) for key, points in curves.items() for step, value in points]
        )

    def log_steps(self, metric: str, values) -> None:
        """One value per step (a sequence's time steps) as the history of `metric` in the open run."""
        self.writer.log_metric_points(self.run, [(metric, float(value), step) for step, value in enumerate(values)])

    def log_epoch(self, logs: Mapping[str, Any], epoch: int) -> None:
        """One epoch's Keras logs into the open run (see `EpochPoints`)."""
        self._epochs.add(self.run, logs, epoch)

    def log_metrics(self, values: Mapping[str, Any], step: int | None = None, model_uri: str | None = None) -> None:
        """Metrics of the open run; with `model_uri` (models:/<id>) also of that logged model, so MLflow's
        Models tab shows and ranks models by them."""
        model_id = model_uri.removeprefix("models:/") if model_uri else None
        self.writer.log_batch(self.run, metrics=finite_metrics(values), step=step, model_id=model_id)

    def set_tag(self, key: str, value: str) -> None:
        self.writer.log_batch(self.run, tags={key: value})

    def delete_tag(self, key: str) -> None:
        if key in self.client.get_run(self.run).data.tags:
            self.client.delete_tag(self.run, key)

    def log_params(self, values: Mapping[str, Any]) -> None:
        self.writer.log_batch(self.run, params=dict(values))

    def log_files(self, *paths: Path) -> None:
        for path in paths:
            self.writer.log_artifacts(self.run, path)

    def log_text(self, text: str, name: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            self.writer.log_artifacts(self.run, path)

    def log_table(self, frame: pd.DataFrame, name: str) -> None:
        self.log_text(frame.to_csv(index=False), name)

    def log_model(self, name: str, package: Path, params: Mapping[str, Any] | None = None) -> str | None:
        """A model folder (`packaging.save_package`) as an MLflow logged model of the open run (the runs table's
        Models column). Returns its `models:/<id>` URI, or None while the store is down (the journal logs it
        when the store is back).

        Logged through the client: `mlflow.pyfunc.log_model` works only on a process-global URI."""
        model_id = self.writer.log_model(
            self.run, self.experiment_id, name, package, {k: str(v) for k, v in (params or {}).items()}
        )
        return f"models:/{model_id}" if model_id else None


def close_orphans(client, parent_run_id: str, worker_id: str | None = None) -> list[str]:
    """Mark KILLED the child runs a dead process left RUNNING (a SIGKILL gives it no chance to): all of them,
    or those of one worker of a distributed search (`worker_id`), whose other workers still run theirs.

    They are tagged as orphans: each is an attempt at its trial that killed
    the process, and the count of them bounds how often a trial is retried.
    """
    condition = "attributes.status = 'RUNNING'" + (f" and tags.`{WORKER_TAG}` = '{worker_id}'" if worker_id else "")
    orphans = [r.info.run_id for r in children(client, parent_run_id, condition)]
    for run_id in orphans:
        client.set_tag(run_id, FAILURE_TAG, "the search process ended without closing this run")
        client.set_tag(run_id, ORPHAN_TAG, "true")
        client.set_terminated(run_id, RunStatus.to_string(RunStatus.KILLED))
    return orphans
