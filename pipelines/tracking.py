"""MLflow layout of a search: one parent run per search, one nested child run per KerasTuner trial.

Child runs name their parent by id (`parent_run_id`), never through state of
the process that started the search, so a worker on another machine can log
its trials under the same parent.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import mlflow
import mlflow.data
import pandas as pd
import yaml
from mlflow.entities import RunStatus
from mlflow.tracking import MlflowClient

ROLE_TAG = "automl.role"
TEST_METRICS = ("test_accuracy", "test_mae")
# Columns of the trials table that are not hyperparameters.
TRIAL_COLUMNS = ("trial_id", "status", "score", *TEST_METRICS, "epochs", "duration_s", "run_id", "continues_trial")


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
    def search_run(self, run_name: str, tags: Mapping[str, str]) -> Iterator[str]:
        mlflow.set_experiment(self.experiment_name)
        commit = _git_commit()
        all_tags = {ROLE_TAG: "search", **tags, **({"git_commit": commit} if commit else {})}
        with _run_scope(run_name=run_name, tags=all_tags) as run_id:
            self.parent_run_id = run_id
            yield run_id

    def trial_run(self, trial_id: str, params: Mapping[str, Any]) -> contextlib.AbstractContextManager[str]:
        return _run_scope(
            run_name=f"trial {trial_id}",
            nested=True,
            parent_run_id=self.parent_run_id,
            tags={ROLE_TAG: "trial", "trial_id": trial_id},
            params=params,
        )

    @staticmethod
    def log_epoch(logs: Mapping[str, Any], epoch: int) -> None:
        # One synchronous call per epoch: about 6 ms on SQLite. MLflow's asynchronous mode
        # costs more here, as closing a run waits about a second for its queue to drain.
        mlflow.log_metrics(finite_metrics(logs), step=epoch)

    @staticmethod
    def log_metrics(values: Mapping[str, Any]) -> None:
        mlflow.log_metrics(finite_metrics(values))

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
        """The model in MLflow's Keras flavour, with a signature inferred from a real input.

        The signature is passed instead of an input example: this flavour writes
        an input example before creating its folder and fails.
        """
        signature = mlflow.models.infer_signature(x_example, model.predict(x_example, verbose=0))
        info = mlflow.keras.log_model(
            model,
            name=name,
            signature=signature,
            registered_model_name=registered_name,
            pip_requirements=["keras", "tensorflow"],
        )
        return info.model_uri


@contextlib.contextmanager
def _run_scope(params: Mapping[str, Any] | None = None, **start_kwargs) -> Iterator[str]:
    """A run that always ends with an honest status.

    An exception makes it FAILED with the reason as a tag; Ctrl-C or SIGTERM
    (KeyboardInterrupt / SystemExit) makes it KILLED, never FINISHED and never
    left RUNNING.
    """
    run = mlflow.start_run(**start_kwargs)
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
    params = sorted(c for c in runs.columns if c.startswith("params."))
    always = ["metrics.score", "metrics.epochs", "metrics.duration_s"]  # present even when every trial failed
    wanted = [*always, *[f"metrics.{m}" for m in TEST_METRICS if f"metrics.{m}" in runs]]
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
