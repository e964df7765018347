"""Reading a search back: its trial runs, its newest search run, its champion, and the trials table (one row per
trial run, ranked best first) that the report, the command line and the closing steps share.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # MLflow and pandas load on first use
    import pandas as pd
    from mlflow.tracking import MlflowClient

from reports.store.names import (
    CHAMPION_ALIAS,
    DURATION,
    EPOCHS,
    EVIDENCE_LOSSES,
    FAILURE_TAG,
    OBJECTIVE_METRIC,
    OBJECTIVE_PARAM,
    PARAMETERS,
    PEAK_MEMORY,
    PRUNED_TAG,
    ROLE_TAG,
    TEST_METRICS,
    TRIAL_ID_TAG,
    evidence_loss,
    objective_metric,
    read_metric,
    test_metric_of,
)
from reports.store.objectives import OBJECTIVES, objective_step, standing


def children(client: MlflowClient, parent_run_id: str, condition: str = "") -> list:
    """The child runs of a parent run, optionally filtered further (`attributes.status = 'RUNNING'`)."""
    return _children_of(client, client.get_run(parent_run_id), condition)


def _children_of(client: MlflowClient, parent, condition: str = "") -> list:
    query = f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'" + (f" and {condition}" if condition else "")
    return client.search_runs([parent.info.experiment_id], query, max_results=50000)


def metric_points(client: MlflowClient, run_id: str, metric: str) -> list[tuple[int, float]]:
    """A metric's history in a run as (step, value) points, in step order: every reader of a curve reads it so."""
    return sorted((m.step, m.value) for m in client.get_metric_history(run_id, metric))


def trial_runs(client: MlflowClient, parent_run_id: str, trial_id: str) -> list:
    """Every run of one trial under a search, oldest first: reruns after a crash add runs."""
    runs = children(client, parent_run_id, f"tags.`{TRIAL_ID_TAG}` = '{trial_id}'")
    return sorted(runs, key=lambda r: r.info.start_time)


def champion_version(client: MlflowClient, name: str):
    """The registered model's champion version, or None (no such model yet, or no champion)."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, CHAMPION_ALIAS)
    except MlflowException:
        return None


def latest_search(client: MlflowClient, experiment_name: str):
    """The newest parent run of an experiment, or None."""
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None:
        return None
    runs = client.search_runs(
        [experiment.experiment_id],
        f"tags.`{ROLE_TAG}` = 'search'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return runs[0] if runs else None


def _typed(values: list) -> list:
    """MLflow stores params as text; numbers become numbers again so they sort and format as such."""
    import pandas as pd

    try:
        return pd.to_numeric(pd.Series(values, dtype=object)).tolist()
    except (ValueError, TypeError):
        return values


PRUNED = "PRUNED"  # a trials table's status of a run that pruning stopped (FINISHED in MLflow, with PRUNED_TAG)


def trial_status(run) -> str:
    """A trial run's status in a trials table: MLflow's, or PRUNED for a finished run that pruning stopped."""
    return PRUNED if run.info.status == "FINISHED" and PRUNED_TAG in run.data.tags else run.info.status


def status_text(row) -> str:
    """A trials table row's status in words: finished, failed, pruned at epoch 4."""
    if row["status"] == PRUNED:
        return f"pruned at epoch {int(row['pruned_at'])}"
    return str(row["status"]).lower()


def best_finished(trials: pd.DataFrame) -> pd.Series | None:
    """The best trial that finished with a finite score (a NaN or infinite score never wins), from a trials
    table sorted best first; None if there is none. A pruned trial counts: it is best only if its score is."""
    import numpy as np

    finished = trials[trials["status"].isin(["FINISHED", PRUNED]) & np.isfinite(trials[OBJECTIVE_METRIC].astype(float))]
    return None if finished.empty else finished.iloc[0]


def trials_frame(client: MlflowClient, parent_run_id: str, direction: str = "max") -> pd.DataFrame:
    """One row per trial run of a search, read back from MLflow, ranked best first (`ranked`): what the UI, the
    CLI and reports share."""
    import pandas as pd

    parent = client.get_run(parent_run_id)  # read once: its experiment, and the objective it ranks by
    runs = _children_of(client, parent)
    if not runs:
        return pd.DataFrame(columns=["trial_id", "status", "pruned_at", OBJECTIVE_METRIC, "run_id"])
    params = parent.data.params
    objective = params.get(OBJECTIVE_PARAM)
    named = objective_metric(objective) if objective in OBJECTIVES else OBJECTIVE_METRIC
    always = [EPOCHS, DURATION]  # present even when every trial failed
    shown = test_metric_of(params.get("data.task")) if "data.task" in params else None
    optional = [
        m
        for m in (*TEST_METRICS, *EVIDENCE_LOSSES, PEAK_MEMORY, PARAMETERS)
        if m == shown or any(m in r.data.metrics for r in runs)
    ]
    names = sorted({p for r in runs for p in r.data.params if p != TRIAL_ID_TAG})  # a param in older stores
    frame = pd.DataFrame(
        {
            "trial_id": [r.data.tags.get(TRIAL_ID_TAG) for r in runs],
            "status": [trial_status(r) for r in runs],
            "pruned_at": [int(r.data.tags[PRUNED_TAG]) if PRUNED_TAG in r.data.tags else None for r in runs],
            OBJECTIVE_METRIC: [read_metric(r.data.metrics, named, float("nan")) for r in runs],
            **{m: [r.data.metrics.get(m, float("nan")) for r in runs] for m in [*always, *optional]},
            **{p: _typed([r.data.params.get(p) for r in runs]) for p in names},
            "run_id": [r.info.run_id for r in runs],
            FAILURE_TAG: [r.data.tags.get(FAILURE_TAG, "") for r in runs],
        }
    )
    return ranked(frame, direction, search_step(params))


def _number(row) -> float:
    """A trial's number from its id ("07" -> 7), so that the earlier trial sorts first."""
    text = str(row.get("trial_id"))
    return int(text) if text.isdigit() else math.inf


def search_step(params: dict[str, str]) -> float | None:
    """The smallest step a search's objective can take (`objectives.objective_step`), from its parent's params."""
    size, executions = (params.get(k, "") for k in ("data.validation_size", "tuner.executions_per_trial"))
    size_n, executions_n = (int(text) if text.isdigit() else default for text, default in ((size, 0), (executions, 1)))
    return objective_step(params.get(OBJECTIVE_PARAM, ""), size_n, executions_n)


def ranked(trials: pd.DataFrame, direction: str, step: float | None) -> pd.DataFrame:
    """The trials best first by `objectives.standing`: objective within its step, then validation loss, then
    parameters; the earlier trial only among trials equal on all three."""
    keys = [
        (*standing(row[OBJECTIVE_METRIC], evidence_loss(row), row.get(PARAMETERS), direction, step), _number(row))
        for _, row in trials.iterrows()
    ]
    order = sorted(range(len(trials)), key=lambda i: keys[i])
    return trials.iloc[order].reset_index(drop=True)
