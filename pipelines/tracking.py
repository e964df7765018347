"""MLflow layout of a search: one parent run per search, one nested child run per KerasTuner trial.

Child runs name their parent by id (`parent_run_id`), never through state of
the process that started the search, so a worker on another machine can log
its trials under the same parent.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import mlflow
import mlflow.data
import pandas as pd
import yaml
from mlflow.entities import Metric, RunStatus
from mlflow.tracking import MlflowClient

ROLE_TAG = "automl.role"
EPOCH_METRICS_TAG = "automl.epoch_metrics"  # which metrics of a trial are per-epoch curves
PID_TAG, HOST_TAG = "automl.pid", "automl.host"  # which process runs a search, so --resume can tell it is gone
TEST_METRICS = ("test_accuracy", "test_mae")
# Columns of the trials table that are not hyperparameters.
TRIAL_COLUMNS = ("trial_id", "status", "score", *TEST_METRICS, "epochs", "duration_s", "peak_memory_mb",
                 "parameters", "run_id", "continues_trial", "continues_run_id")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path(__file__).parent
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


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


class SearchTracker:
    """Opens the parent run, hands out child runs, and closes both with an honest status."""

    def __init__(self, tracking_uri: str, experiment_name: str):
        mlflow.set_tracking_uri(tracking_uri)
        self.experiment_name = experiment_name
        self.parent_run_id: str | None = None

    @contextlib.contextmanager
    def search_run(self, run_name: str, tags: Mapping[str, str], resume_run_id: str | None = None) -> Iterator[str]:
        """A new parent run, or the earlier one reopened (`resume_run_id`) to carry on its search."""
        mlflow.set_experiment(self.experiment_name)
        commit = _git_commit()
        all_tags = {ROLE_TAG: "search", **tags, **({"git_commit": commit} if commit else {}),
                    PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
        start = {"run_id": resume_run_id} if resume_run_id else {"run_name": run_name}
        with _run_scope(tags=all_tags, **start) as run_id:
            self.parent_run_id = run_id
            yield run_id

    def trial_run(self, trial_id: str, params: Mapping[str, Any]) -> contextlib.AbstractContextManager[str]:
        return _run_scope(
            run_name=f"trial {trial_id}",
            nested=True,
            parent_run_id=self.parent_run_id,
            tags={ROLE_TAG: "trial", "trial_id": trial_id},
            params={"trial_id": trial_id, **params},
        )

    def copy_history(self, trial_id: str, before_step: int) -> dict[str, list[tuple[int, float]]]:
        """Log an earlier trial's curves, up to `before_step`, into the active run and return them.

        A Hyperband trial trains on from an earlier trial's weights, with epoch
        numbers that continue; copying the earlier epochs keeps its curves whole.
        """
        client = MlflowClient()
        earlier = _children(self.parent_run_id, f"tags.trial_id = '{trial_id}' and attributes.status = 'FINISHED'")
        if not earlier:
            return {}
        run_id = earlier[0].info.run_id
        curves = {}
        for key in earlier[0].data.tags.get(EPOCH_METRICS_TAG, "").split(","):
            points = [(m.step, m.value) for m in client.get_metric_history(run_id, key) if m.step < before_step]
            if points:
                curves[key] = sorted(points)
        mlflow.log_params({"continues_trial": trial_id, "continues_run_id": run_id})
        metrics = [Metric(key, value, int(time.time() * 1000), step) for key, points in curves.items()
                   for step, value in points]
        if metrics:
            client.log_batch(mlflow.active_run().info.run_id, metrics=metrics)
        return curves

    @staticmethod
    def log_epoch(logs: Mapping[str, Any], epoch: int) -> None:
        # One synchronous call per epoch: about 6 ms on SQLite. MLflow's asynchronous mode
        # costs more here, as closing a run waits about a second for its queue to drain.
        mlflow.log_metrics(finite_metrics(logs), step=epoch)

    @staticmethod
    def log_metrics(values: Mapping[str, Any], step: int | None = None) -> None:
        mlflow.log_metrics(finite_metrics(values), step=step)

    @staticmethod
    def log_dataset(name: str, source: str, splits: Mapping[str, tuple[Any, Any]]) -> None:
        """Each split as an MLflow dataset input (context = split), so runs on other data never compare by mistake."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
            for context, (x, y) in splits.items():
                features = x.astype(str) if x.dtype == object else x
                mlflow.log_input(mlflow.data.from_numpy(features, targets=y, source=source, name=name), context=context)

    @staticmethod
    def set_tag(key: str, value: str) -> None:
        mlflow.set_tag(key, value)

    @staticmethod
    def log_params(values: Mapping[str, Any]) -> None:
        mlflow.log_params(dict(values))

    @staticmethod
    def log_files(*paths: Path) -> None:
        for path in paths:
            mlflow.log_artifact(str(path))

    @staticmethod
    def log_yaml(data: Any, name: str) -> None:
        mlflow.log_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), name)

    @staticmethod
    def log_table(frame: pd.DataFrame, name: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            frame.to_csv(path, index=False)
            mlflow.log_artifact(str(path))

    @staticmethod
    def log_model(model, name: str, x_example, registered_name: str | None = None) -> str:
        """The model in MLflow's Keras flavour, with a signature and an input example from real rows.

        Saved to a folder and then logged as artifacts: `mlflow.keras.log_model`
        writes the input example before it creates its folder and fails.
        """
        signature = mlflow.models.infer_signature(x_example, model.predict(x_example, verbose=0))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.mkdir()
            mlflow.keras.save_model(model, str(path), signature=signature, input_example=x_example,
                                    pip_requirements=["keras", "tensorflow"])
            mlflow.log_artifacts(str(path), name)
        uri = f"runs:/{mlflow.active_run().info.run_id}/{name}"
        if registered_name:
            mlflow.register_model(uri, registered_name)
        return uri


@contextlib.contextmanager
def _run_scope(params: Mapping[str, Any] | None = None, tags: Mapping[str, str] | None = None,
               **start_kwargs) -> Iterator[str]:
    """A run that always ends with an honest status.

    An exception makes it FAILED with the reason as a tag; Ctrl-C or SIGTERM
    (KeyboardInterrupt / SystemExit) makes it KILLED, never FINISHED and never
    left RUNNING.
    """
    run = mlflow.start_run(**start_kwargs)
    if tags:
        mlflow.set_tags(dict(tags))
    if params:
        mlflow.log_params(dict(params))
    try:
        yield run.info.run_id
    except Exception as exc:
        mlflow.set_tag("failure_reason", f"{type(exc).__name__}: {exc}"[:5000])
        mlflow.end_run(RunStatus.to_string(RunStatus.FAILED))
        raise
    except BaseException:
        mlflow.end_run(RunStatus.to_string(RunStatus.KILLED))
        raise
    mlflow.end_run()


def _typed(column: pd.Series) -> pd.Series:
    """MLflow stores params as text; numbers become numbers again so they sort and format as such."""
    try:
        return pd.to_numeric(column)
    except (ValueError, TypeError):
        return column


def _children(parent_run_id: str, condition: str = "") -> list:
    parent = MlflowClient().get_run(parent_run_id)
    query = f"tags.`mlflow.parentRunId` = '{parent_run_id}'" + (f" and {condition}" if condition else "")
    return MlflowClient().search_runs([parent.info.experiment_id], query, max_results=50000)


def close_orphans(parent_run_id: str) -> list[str]:
    """Mark KILLED the child runs a dead process left RUNNING (a SIGKILL gives it no chance to)."""
    orphans = [r.info.run_id for r in _children(parent_run_id, "attributes.status = 'RUNNING'")]
    client = MlflowClient()
    for run_id in orphans:
        client.set_tag(run_id, "failure_reason", "the search process ended without closing this run")
        client.set_terminated(run_id, RunStatus.to_string(RunStatus.KILLED))
    return orphans


def latest_search(experiment_name: str):
    """The newest parent run of an experiment, or None."""
    experiment = MlflowClient().get_experiment_by_name(experiment_name)
    if experiment is None:
        return None
    runs = MlflowClient().search_runs([experiment.experiment_id], f"tags.`{ROLE_TAG}` = 'search'",
                                      order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0] if runs else None


def trials_frame(parent_run_id: str, direction: str = "max") -> pd.DataFrame:
    """One row per trial of a search, read back from MLflow: what the UI, the CLI and reports share."""
    parent = MlflowClient().get_run(parent_run_id)
    runs = mlflow.search_runs(
        experiment_ids=[parent.info.experiment_id],
        filter_string=f"tags.`mlflow.parentRunId` = '{parent_run_id}'",
        output_format="pandas",
    )
    if runs.empty:
        return pd.DataFrame(columns=["trial_id", "status", "score", "run_id"])
    params = sorted(c for c in runs.columns if c.startswith("params.") and c != "params.trial_id")
    always = ["metrics.score", "metrics.epochs", "metrics.duration_s"]  # present even when every trial failed
    optional = [*TEST_METRICS, "peak_memory_mb", "parameters"]
    wanted = [*always, *[f"metrics.{m}" for m in optional if f"metrics.{m}" in runs]]
    frame = pd.DataFrame(
        {
            "trial_id": runs["tags.trial_id"],
            "status": runs["status"],
            **{c.removeprefix("metrics."): runs[c] if c in runs else float("nan") for c in wanted},
            **{c.removeprefix("params."): _typed(runs[c]) for c in params},
            "run_id": runs["run_id"],
        }
    )
    return frame.sort_values("score", ascending=direction != "max", na_position="last").reset_index(drop=True)
