"""The names of the store's layout: every run role, tag, param and metric both sides use, and the few rules that
build a name from another. The training side writes with them and the read side reads with them; one definition
each, so a name is changed in one place.
"""

from reports.store.objectives import OBJECTIVES

EXPERIMENT_KIND_TAG = "mlflow.experimentKind"  # which view MLflow 3's UI opens an experiment in
MODEL_TRAINING = "custom_model_development"  # its runs table and charts; without the tag it opens the GenAI view


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
# mean over executions): how far back the untrained network can learn from, the vanishing gradient drawn; and the
# same at the end of training: how far back the trained network reaches.
INPUT_GRADIENT = TRIAL + "input_gradient_norm"
INPUT_GRADIENT_TRAINED = INPUT_GRADIENT + "_trained"
LOSS_GAP = TRIAL + "loss_gap"  # validation loss minus training loss at the last epoch: the curves' gap, overfitting
PER_EXECUTION = "per_execution/"  # executions_per_trial > 1: each one's values (step = execution), _mean and _std
TEST_ACCURACY, TEST_MAE = TEST + "accuracy", TEST + "mae"
TEST_METRICS = (TEST_ACCURACY, TEST_MAE)  # the test score a trial is shown with: for classes, for values
# The kept weights' validation loss, for classes (cross-entropy) and for values (squared error): what breaks a tie
# on the objective (see reports/store/objectives.py).
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
