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

from reports.store import (EPOCH_METRICS_TAG, FAILURE_TAG, HOST_TAG, ORPHAN_TAG, PID_TAG, ROLE_TAG, TRIAL_ID_TAG,
                           children, open_store, trial_runs)


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
        self.client = open_store(tracking_uri)
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
            tags={ROLE_TAG: "trial", TRIAL_ID_TAG: trial_id},
            params={TRIAL_ID_TAG: trial_id, **params},
        )

    def trial_runs(self, trial_id: str) -> list:
        return trial_runs(self.client, self.parent_run_id, trial_id)

    def copy_history(self, trial_id: str, before_step: int) -> dict[str, list[tuple[int, float]]]:
        """Log an earlier trial's curves, up to `before_step`, into the active run and return them.

        A Hyperband trial trains on from an earlier trial's weights, with epoch
        numbers that continue; copying the earlier epochs keeps its curves whole.
        """
        client = self.client
        earlier = children(client, self.parent_run_id,
                           f"tags.`{TRIAL_ID_TAG}` = '{trial_id}' and attributes.status = 'FINISHED'")
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

    def delete_tag(self, key: str) -> None:
        run_id = mlflow.active_run().info.run_id
        if key in self.client.get_run(run_id).data.tags:
            self.client.delete_tag(run_id, key)

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
        mlflow.set_tag(FAILURE_TAG, f"{type(exc).__name__}: {exc}"[:5000])
        mlflow.end_run(RunStatus.to_string(RunStatus.FAILED))
        raise
    except BaseException:
        mlflow.end_run(RunStatus.to_string(RunStatus.KILLED))
        raise
    mlflow.end_run()


def close_orphans(client, parent_run_id: str) -> list[str]:
    """Mark KILLED the child runs a dead process left RUNNING (a SIGKILL gives it no chance to).

    They are tagged as orphans: each is an attempt at its trial that killed
    the process, and the count of them bounds how often a trial is retried.
    """
    orphans = [r.info.run_id for r in children(client, parent_run_id, "attributes.status = 'RUNNING'")]
    for run_id in orphans:
        client.set_tag(run_id, FAILURE_TAG, "the search process ended without closing this run")
        client.set_tag(run_id, ORPHAN_TAG, "true")
        client.set_terminated(run_id, RunStatus.to_string(RunStatus.KILLED))
    return orphans
