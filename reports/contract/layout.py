"""The MLflow store: how it is opened, the names of its layout, and the readers both sides share.

The training side (pipelines) writes with these names and the read side
(reports) reads with them; this module imports nothing that trains, so
reports and trial tables work anywhere the store is reachable.

A store is opened once per process. MLflow migrates a fresh SQLite
database the first time a process touches it, with no lock between
processes: several searches started at once on a new store each run the
migration and leave the database half-migrated for good. Here the first
opening in each process holds a lock file beside the database, so exactly one
process creates the tables and the others wait, then find them; the tables
are made in a file beside the database and renamed into place
(`reports/contract/sqlite_store.py`), so a kill meanwhile leaves no half-made store.
Readers never create a store: a report on a store that is not there says so.
"""

from __future__ import annotations

import contextlib
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import filelock

if TYPE_CHECKING:  # MLflow and pandas load on first use: validating an experiment file reads these names only
    import pandas as pd
    from mlflow.tracking import MlflowClient

from reports.contract.errors import StoreError
from reports.contract.objectives import OBJECTIVES, objective_step, standing
from reports.contract.sqlite_store import ensure_complete

LOCK_TIMEOUT_S = 600  # migrating a new store takes seconds; a lock held this long belongs to a hung process
_opened: dict[str, MlflowClient] = {}


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a `sqlite:///` URI (relative to the working directory), else None."""
    prefix = "sqlite:///"
    return Path(tracking_uri[len(prefix) :]) if tracking_uri.startswith(prefix) else None


def open_store(tracking_uri: str, create: bool = True) -> MlflowClient:
    """A client on the store at `tracking_uri`, its tables created and migrated first if it is new.

    With `create=False` (readers, `--resume`), a SQLite file that does not
    exist is an error instead of a new, empty store left behind.
    """
    if tracking_uri in _opened:
        return _opened[tracking_uri]
    path = sqlite_path(tracking_uri)
    if path is not None and not create and not path.is_file():
        raise StoreError(
            f"no MLflow store at {tracking_uri} ({path.resolve()} does not exist). "
            "Run a search first, or pass --tracking-uri of the store that holds it."
        )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if path is None:
        client = _client(tracking_uri)
    else:
        with filelock.FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_S):
            client = ensure_complete(path, _client)
    _opened[tracking_uri] = client
    return client


def open_reader(tracking_uri: str):
    """A reader of the store at `tracking_uri` for the read side (reports, trials tables): for a SQLite file, the
    `SqliteReader`, which answers without importing MLflow; else MLflow's client. It never creates a store."""
    path = sqlite_path(tracking_uri)
    if path is None or tracking_uri in _opened:
        return open_store(tracking_uri, create=False)
    if not path.is_file():
        open_store(tracking_uri, create=False)  # says there is no store there
    from reports.contract.sqlite_reader import SqliteReader

    return SqliteReader(path, tracking_uri)


def store_misses() -> tuple[type[Exception], ...]:
    """What reading a run or a file the store does not hold raises: the SQLite reader's LookupError or OSError,
    or MLflow's exception. It is asked for as the miss happens, so MLflow's is named only once MLflow is loaded
    (before, it cannot have raised one)."""
    mlflow_exceptions = sys.modules.get("mlflow.exceptions")
    return (LookupError, OSError, *((mlflow_exceptions.MlflowException,) if mlflow_exceptions else ()))


def _client(tracking_uri: str) -> MlflowClient:
    """A client whose first calls create and migrate the tracking store's and the model registry's tables."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    client.search_experiments(max_results=1)
    client.search_registered_models(max_results=1)
    return client


EXPERIMENT_KIND_TAG = "mlflow.experimentKind"  # which view MLflow 3's UI opens an experiment in
MODEL_TRAINING = "custom_model_development"  # its runs table and charts; without the tag it opens the GenAI view


def experiment_id(client: MlflowClient, name: str) -> str:
    """The experiment's id, created first if it is new, and marked as model training so that the MLflow UI opens
    it on its runs (an experiment an older version made is marked when a search reuses it). On a SQLite store its
    artifacts go in `mlruns/` beside the database (MLflow's default is the working directory of whichever
    process creates it)."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.tags.get(EXPERIMENT_KIND_TAG) != MODEL_TRAINING:
            client.set_experiment_tag(found.experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING)
        return found.experiment_id
    path = sqlite_path(client.tracking_uri)
    location = (path.resolve().parent / "mlruns").as_uri() if path is not None else None
    return client.create_experiment(name, artifact_location=location, tags={EXPERIMENT_KIND_TAG: MODEL_TRAINING})


@contextlib.contextmanager
def mlflow_helpers_on(tracking_uri: str):
    """MLflow's model helpers (`mlflow.keras.load_model`, `models:/` and `runs:/` URIs) read a process-global
    tracking URI and take none: it is set only around their calls, and restored after."""
    import mlflow

    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(before)


# The layout of the store. A search is a parent run (role "search"), each KerasTuner trial a nested
# child run (role "trial"); a study is a run of its own (role "study") that its searches name by tag.
ROLE_TAG = "automl.role"
TRIAL_ID_TAG = "trial_id"  # KerasTuner's trial id; it also starts the run's name. Not a param: the Compare page
# would plot it as if it were a hyperparameter
FAILURE_TAG = "failure_reason"  # why a run ended FAILED or KILLED
ORPHAN_TAG = "automl.orphaned"  # set on a trial's run its process died in: such runs count the trial's attempts
EPOCH_METRICS_TAG = "automl.epoch_metrics"  # which metrics of a trial are per-epoch curves
PID_TAG, HOST_TAG = "automl.pid", "automl.host"  # which process runs a search, or a trial
WORKER_TAG = "automl.worker"  # the KerasTuner tuner id of the worker process that ran a trial
CHIEF_TAG = "automl.chief"  # host:port of a distributed search's oracle, where `runner.py worker` joins it
STUDY_TAG, SWEEP_TAG = "study_run_id", "study_sweep"
BEST_TRIAL_PARAM, BEST_RUN_PARAM = "best_trial_id", "best_run_id"
BEST_PARAM_PREFIX = "best."  # the best trial's searched values on the parent: best.learning_rate
PROJECT_PARAM = "tuner.project"  # the search's KerasTuner folder under tuner_dir, where --resume finds it
STOPPED_TAG = "stopped_early"  # why KerasTuner ended a search before its budget (consecutive failed trials)
BASELINE_PARAM_PREFIX = "baseline."  # each baseline's name as a param: baseline.model, baseline.trivial
BEST_BASELINE_PARAM = "baseline.to_beat"  # the key of the better baseline on validation, the one the report states
BEATS_BASELINE_TAG = "automl.beats_baseline"
PRUNED_TAG = "automl.pruned"  # on a trial run that pruning stopped (it is FINISHED): the epoch it stopped after
BEST_TRIAL_TAG = "automl.best_trial"  # "true" on the child run of the search's best trial
NOTE_TAG = "mlflow.note.content"  # MLflow shows it as the run's description
CHAMPION_ALIAS = "champion"  # the registered model's version that scored best so far
SEARCH_SPACE_PREFIX = "search_space."  # each hyperparameter's spec as the file gave it, one line: {min: 1, max: 3}
DATA_NOTES_PARAM = "data.notes"  # what loading changed in the data, in words, " | " between notes
OBJECTIVE_PARAM = "objective"  # on the parent: which of OBJECTIVES the search ranks by (its value: objective_metric)
# On the parent, fANOVA's ranking of the hyperparameters (reports/analysis.py), fitted once: a column names the
# finished trials it was fitted to, so a report after more trials fitted it again.
IMPORTANCE_FILE, IMPORTANCE_FITTED_TO = "importance.csv", "fitted_to"

# Metric names. The MLflow UI draws a run's charts in sections named by the text before a metric's last "/", the
# sections in sorted order, so a trial shows objective/, then per_epoch/ (its learning curves), then test/; the
# parent's comparisons with the baselines, vs_baseline/, come after them. Keras' own names follow: per_epoch/val_loss.
OBJECTIVE_METRIC = "objective"  # a trials table's column: each trial's objective_metric
PER_EPOCH = "per_epoch/"  # the learning curves, one step per epoch; later executions under per_epoch/execution_<k>/
TEST, VALIDATION = "test/", "validation/"  # the kept (best-epoch) weights scored on a split: test/accuracy, test/mae
TRIAL = "trial/"  # what a trial cost and what its model is
EPOCHS, DURATION, PEAK_MEMORY = TRIAL + "epochs", TRIAL + "duration_s", TRIAL + "peak_memory_mb"
PARAMETERS, NEAR_ZERO, VAL_LOSS_RISE = TRIAL + "parameters", TRIAL + "near_zero_weights", TRIAL + "val_loss_rise"
# At initialization, the size of the loss's gradient reaching each input step of a sequence (step = time step,
# mean over executions): how far back the untrained network can learn from, the vanishing gradient drawn.
INPUT_GRADIENT = TRIAL + "input_gradient_norm"
LOSS_GAP = TRIAL + "loss_gap"  # validation loss minus training loss at the last epoch: the curves' gap, overfitting
PER_EXECUTION = "per_execution/"  # executions_per_trial > 1: each one's values (step = execution), _mean and _std
TEST_ACCURACY, TEST_MAE = TEST + "accuracy", TEST + "mae"
TEST_METRICS = (TEST_ACCURACY, TEST_MAE)  # the test score a trial is shown with: for classes, for values
# The kept weights' validation loss, for classes (cross-entropy) and for values (squared error): what breaks a tie
# on the objective (see reports/contract/objectives.py).
EVIDENCE_LOSSES = (VALIDATION + "loss", VALIDATION + "mse")
TEST_F1_MACRO = TEST + "f1_macro"  # beside accuracy where classes are imbalanced: each class counts the same
BASELINE_KEYS = ("trivial", "model")  # the baselines of a search (see pipelines/baselines.py)
VS_BASELINE = "vs_baseline/"  # on the parent: each baseline's scores and the best model's gain over it
ENSEMBLE = "ensemble/"  # on the parent: the ensemble's scores, ensemble/validation/accuracy, ensemble/test/accuracy
ENSEMBLE_GAIN = ENSEMBLE + "gain_over_best_trial_per_test_sample"  # and _se: paired, on the test split
ENSEMBLE_WEIGHTS_PARAM = "ensemble.weights"  # the trials the ensemble chose and their weights, as JSON
ENSEMBLE_BEST_TRIAL = ENSEMBLE + "best_trial/"  # the best trial's validation score beside the ensemble's
ENSEMBLE_TAG = "automl.ensemble"  # on the parent: "kept" (it is the best model), else why it is not
BUDGET_SPENT = "search/time_budget_spent_s"  # on the parent: the time budget spent, at each trial's start


def objective_metric(objective: str) -> str:
    """A trial's objective at its kept epoch (KerasTuner's score, the mean over executions), named for what it is
    and which way is better: objective/val_loss - lower is better. The last value of per_epoch/val_loss, which a
    runs table shows beside it, is the last epoch's. On the parent, the best trial's score."""
    return f"objective/{objective} - {'higher' if OBJECTIVES[objective] == 'max' else 'lower'} is better"


def test_metric_of(task: str | None) -> str:
    """The test score of a search's task ("classification", "regression"): what its trials and baselines are
    shown with, also when no trial logged one."""
    return TEST_MAE if task == "regression" else TEST_ACCURACY


def validation_measure(objective: str, classes: bool) -> str:
    """The kept weights' validation score an objective stands for (`pipelines.evaluation`): validation/accuracy
    for val_accuracy, validation/mse for a regression's val_loss."""
    name = objective.removeprefix("val_")
    return VALIDATION + ("mse" if name == "loss" and not classes else name)


def evidence_loss(metrics) -> float | None:
    """A trial's validation loss that breaks ties (`EVIDENCE_LOSSES`), from its metrics or its trials row."""
    return next((float(metrics[m]) for m in EVIDENCE_LOSSES if m in metrics and metrics[m] == metrics[m]), None)


def on_validation(test_metric: str) -> str:
    """A test metric's name on the validation split: test/accuracy -> validation/accuracy."""
    return VALIDATION + test_metric.removeprefix(TEST)


def baseline_metric(key: str, metric: str) -> str:
    """A baseline's score on the parent: vs_baseline/model/test/accuracy, vs_baseline/trivial/validation/mae."""
    return f"{VS_BASELINE}{key}/{metric}"


def gain_metrics(key: str) -> tuple[str, str]:
    """The best model's mean gain per test sample over a baseline, and its standard error, on the parent."""
    return f"{VS_BASELINE}{key}/gain_per_test_sample", f"{VS_BASELINE}{key}/gain_per_test_sample_se"


def read_metric(metrics: dict[str, float], name: str, default=None, best: bool = False):
    """A metric by its name, or by the name a store made by an earlier version gave it, so its searches still
    read and report: objective; on the parent (`best`) best/objective and best/test/accuracy, baseline/...,
    best/gain_over_<key>_baseline."""
    if name in metrics:
        return metrics[name]
    if name.startswith(VS_BASELINE) and "/gain_per_test_sample" in name:
        key, _, rest = name.removeprefix(VS_BASELINE).partition("/")
        legacy = f"best/gain_over_{key}_baseline" + ("_se" if rest.endswith("_se") else "")
    elif name.startswith(VS_BASELINE):
        legacy = "baseline/" + name.removeprefix(VS_BASELINE)
    elif name.startswith("objective/"):
        legacy = "best/objective" if best else "objective"
    else:
        legacy = f"best/{name}" if best else name
    return metrics.get(legacy, default)


# Columns of the trials table that are not hyperparameters.
TRIAL_COLUMNS = (
    "trial_id",
    "status",
    "pruned_at",
    OBJECTIVE_METRIC,
    *TEST_METRICS,
    *EVIDENCE_LOSSES,
    EPOCHS,
    DURATION,
    PEAK_MEMORY,
    PARAMETERS,
    "run_id",
    FAILURE_TAG,  # its column: why the trial failed, else ""
    "continues_trial",
    "continues_run_id",
)


def metric_label(metric: str) -> str:
    """A metric's name in a sentence: test/accuracy -> test accuracy."""
    return metric.replace("/", " ").replace("_", " ")


def children(client: MlflowClient, parent_run_id: str, condition: str = "") -> list:
    """The child runs of a parent run, optionally filtered further (`attributes.status = 'RUNNING'`)."""
    return _children_of(client, client.get_run(parent_run_id), condition)


def _children_of(client: MlflowClient, parent, condition: str = "") -> list:
    query = f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'" + (f" and {condition}" if condition else "")
    return client.search_runs([parent.info.experiment_id], query, max_results=50000)


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
