"""KerasTuner's own tuners, each given one MLflow child run per trial.

The hooks are KerasTuner's public ones: `run_trial` wraps a trial, and
`on_epoch_end` (called by KerasTuner's own callback) sees every epoch, which
KerasTuner itself does not keep: only the best step survives in its records,
so the learning curves are logged here, as they happen.
"""

from __future__ import annotations

import gc
import math
import tempfile
import time
import warnings
from collections import defaultdict
from pathlib import Path

import keras
import keras_tuner
import numpy as np

from pipelines import evaluation, memory
from pipelines.data import Dataset, batches, head
from pipelines.tracking import SearchTracker, finite_metrics
from reports import figures
from reports.store import EPOCH_METRICS_TAG, ORPHAN_TAG, TEST_METRICS

ALGORITHMS = {
    "random": keras_tuner.RandomSearch,
    "hyperband": keras_tuner.Hyperband,
    "bayesian": keras_tuner.BayesianOptimization,
    "grid": keras_tuner.GridSearch,
}


class DivergenceGuard(keras.callbacks.Callback):
    """A loss that is NaN, infinite or exploding fails the trial with the epoch named, instead of training on garbage.

    Exploding means above `bound`, or `growth` times the first epoch's loss.
    Losses here are on standardized scales (cross-entropy, or squared error of
    a standardized target), where a healthy loss is a few units at most; a
    diverged one reaches millions without ever becoming NaN, and the trial
    would otherwise count as finished.
    """

    def __init__(self, bound: float = 1e6, growth: float = 1e3):
        super().__init__()
        self.bound, self.growth = bound, growth
        self.first: float | None = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if not math.isfinite(loss):
            raise keras_tuner.errors.FailedTrialError(f"diverged: loss became {loss} at epoch {epoch}")
        self.first = loss if self.first is None else self.first
        if loss > self.bound or (self.first > 0 and loss > self.growth * self.first):
            raise keras_tuner.errors.FailedTrialError(
                f"diverged: loss reached {loss:.3g} at epoch {epoch} (first epoch {self.first:.3g}; a trial fails "
                f"above {self.bound:.0e} or {self.growth:.0f} times its first epoch). Lower the learning rate or "
                "add clipnorm.")


def active_values(hp: keras_tuner.HyperParameters) -> dict:
    """The trial's hyperparameters that take effect: conditional ones only under their parent value."""
    return {
        name: value
        for name, value in hp.values.items()
        if not name.startswith("tuner/") and hp.is_active(name)
    }


def val_loss_rise(history) -> float:
    """How far validation loss climbed after its lowest epoch: the size of the overfitting the run went into."""
    losses = [v for v in history.history.get("val_loss", []) if math.isfinite(v)]
    return float(losses[-1] - min(losses)) if losses else float("nan")


def trial_score(histories, objective: str, direction: str) -> float:
    """KerasTuner's score: best epoch of each execution, averaged over executions."""
    pick = max if direction == "max" else min
    values = [pick(h.history[objective]) for h in histories if h.history.get(objective)]
    return float(np.mean(values)) if values else float("nan")


class TrackedTuner:
    """Mixed in before a KerasTuner tuner class; see `make_tuner`."""

    def __init__(self, *args, tracker: SearchTracker, dataset: Dataset, progress, log_models: bool = True,
                 max_retries: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = tracker
        self.dataset = dataset
        self.progress = progress
        self.log_models = log_models
        self.max_retries = max_retries

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self.progress.trial_started(trial.trial_id)
        self._trial_began = time.monotonic()
        self._shown: dict = {"test": {}, "epochs": None}  # what the trial's line shows when it ends

    def on_epoch_end(self, trial, model, epoch, logs=None):
        super().on_epoch_end(trial, model, epoch, logs=logs)
        logs = {**(logs or {}), "learning_rate": learning_rate(model)}
        self.progress.epoch_ended(epoch, logs)
        if self._execution.index:  # later executions (seeds) get curves of their own, grouped by prefix in the UI
            self.tracker.log_epoch({f"execution_{self._execution.index}/{k}": v for k, v in logs.items()}, epoch)
        else:
            self.tracker.log_epoch(logs, epoch)
            for key, value in finite_metrics(logs).items():
                self._curves[key].append((epoch, value))
        if self.executions_per_trial > 1:
            self._execution.epoch_ended(model, logs.get(self.oracle.objective.name))

    def _build_and_fit_model(self, trial, *args, **kwargs):
        """One execution; with several per trial, each is scored on the test split so seeds can be compared."""
        self._execution.start()
        history = super()._build_and_fit_model(trial, *args, **kwargs)
        if self.executions_per_trial > 1:
            self._execution.finish(self.dataset, history)
        return history

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        searched = set(self.hypermodel.space.searched)
        values = {k: v for k, v in active_values(trial.hyperparameters).items() if k in searched}
        reason = (trial.message or "").strip().splitlines()[-1].split(": ", 1)[-1] if trial.status != "COMPLETED" else ""
        self.progress.trial_ended(trial.trial_id, trial.status, trial.score, values, self._shown["test"],
                                  self._shown["epochs"], time.monotonic() - self._trial_began, reason[:200])
        # Without this, every trial's graphs and weights stay reachable and a long search keeps growing.
        keras.backend.clear_session()
        gc.collect()

    def run_trial(self, trial, *args, **kwargs):
        """Train and log one trial, unless MLflow shows it already finished or kept killing its process.

        KerasTuner hands a trial that was running when its process died to
        the next process again, and keeps no count of how often. The trial's
        runs in MLflow are that record: a FINISHED one means the process died
        after logging the trial but before KerasTuner saved its end (its
        score is handed back, not trained again); each orphaned run is an
        attempt that killed the process, and past `max_retries` of them the
        trial fails instead of killing every resume.
        """
        earlier = self.tracker.trial_runs(trial.trial_id)
        finished = [r for r in earlier if r.info.status == "FINISHED"]
        if finished:
            return {self.oracle.objective.name: finished[-1].data.metrics.get("score", float("nan"))}
        crashes = sum(ORPHAN_TAG in r.data.tags for r in earlier)
        hp = trial.hyperparameters
        started = time.monotonic()
        memory.reset_peak()
        self._curves: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._execution = ExecutionScores(self.oracle.objective.direction)
        with self.tracker.trial_run(trial.trial_id, active_values(hp)):
            if crashes > self.max_retries:
                raise keras_tuner.errors.FailedTrialError(
                    f"the search process died during this trial {crashes} times (max_retries: {self.max_retries}); "
                    "it is not tried again. A trial that kills its process usually runs out of memory: lower "
                    "batch_size or the model's size.")
            if "tuner/trial_id" in hp.values:  # Hyperband trains on from an earlier trial's checkpoint
                self._curves.update(self.tracker.copy_history(hp.values["tuner/trial_id"], hp.values["tuner/initial_epoch"]))
            callbacks = [*kwargs.pop("callbacks", []), DivergenceGuard()]
            try:
                histories = super().run_trial(trial, *args, callbacks=callbacks, **kwargs)
            finally:
                self.tracker.set_tag(EPOCH_METRICS_TAG, ",".join(sorted(self._curves)))
            score = trial_score(histories, self.oracle.objective.name, self.oracle.objective.direction)
            epochs = max(len(h.epoch) for h in histories)
            self._evaluate(trial)
            self._execution.log(self.tracker)
            self._shown["epochs"] = epochs
            self.tracker.log_metrics({"score": score, "epochs": epochs, "duration_s": time.monotonic() - started,
                                      "val_loss_rise": np.mean([val_loss_rise(h) for h in histories]),
                                      "peak_memory_mb": memory.peak_mb()})
        return histories

    def load_model(self, trial):
        # A fresh model has no optimizer state to restore; only the weights matter here.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            return super().load_model(trial)

    def _evaluate(self, trial) -> None:
        """Final scores of the best epoch's weights on validation and test, with pictures."""
        model = self.load_model(trial)
        data, info = self.dataset, self.dataset.info
        title = f"trial {trial.trial_id}"
        results = {"parameters": model.count_params(), "near_zero_weights": evaluation.near_zero_share(model)}
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            files = [
                evaluation.write_layer_table(model, tmp / "layers.csv"),
                figures.learning_curves(self._curves, title, tmp / "learning_curves.png"),
            ]
            val_predictions = model.predict(batches(data.x_val), verbose=0)
            test_predictions = model.predict(batches(data.x_test), verbose=0)
            if info.num_classes is None:
                results.update(evaluation.regression_scores(data.y_val, val_predictions, "final_val"))
                results.update(evaluation.regression_scores(data.y_test, test_predictions, "test"))
            else:
                results.update(evaluation.classification_scores(data.y_val, val_predictions, "final_val"))
                results.update(evaluation.classification_scores(data.y_test, test_predictions, "test"))
                test_files, areas = evaluation.write_test_artifacts(
                    data.y_test, test_predictions, info.class_names, tmp, f"{title}, test")
                files += test_files
                results.update(areas)
            self.tracker.log_metrics(results)
            self._shown["test"] = {k: results[k] for k in TEST_METRICS if k in results}
            self.tracker.log_files(*files)
            if self.log_models:
                self.tracker.log_model(model, "model", head(data.x_test, 5))


class ExecutionScores:
    """Test scores of each execution of a trial (KerasTuner's `executions_per_trial`, one seed each).

    KerasTuner averages the executions' objective and keeps one checkpoint;
    the spread between seeds, which says whether two settings really differ,
    is kept here: each execution's best-epoch weights are scored on the test split.
    """

    def __init__(self, direction: str):
        self.better = (lambda a, b: a > b) if direction == "max" else (lambda a, b: a < b)
        self.index = -1
        self.results: list[dict[str, float]] = []

    def start(self) -> None:
        self.index += 1
        self.best, self.weights, self.model = None, None, None

    def epoch_ended(self, model, objective_value) -> None:
        if objective_value is not None and math.isfinite(objective_value) and (
                self.best is None or self.better(objective_value, self.best)):
            self.best, self.weights, self.model = objective_value, model.get_weights(), model

    def finish(self, data: Dataset, history) -> None:
        if self.model is None:
            return
        self.model.set_weights(self.weights)
        predictions = self.model.predict(batches(data.x_test), verbose=0)
        scorer = evaluation.regression_scores if data.info.num_classes is None else evaluation.classification_scores
        self.results.append({"score": self.best, **scorer(data.y_test, predictions, "test"),
                             "near_zero_weights": evaluation.near_zero_share(self.model),
                             "val_loss_rise": val_loss_rise(history)})
        self.weights = self.model = None

    def log(self, tracker: SearchTracker) -> None:
        """Each value per execution (step = execution), and their mean and standard deviation."""
        if not self.results:
            return
        for step, result in enumerate(self.results):
            tracker.log_metrics({f"execution_{key}": value for key, value in result.items()}, step=step)
        for key in self.results[0]:
            values = np.array([r[key] for r in self.results])
            tracker.log_metrics({f"{key}_mean": values.mean(), f"{key}_std": values.std(ddof=1) if len(values) > 1 else 0.0})


def learning_rate(model) -> float:
    """The optimizer's rate now, schedules included, so a curve shows what the optimizer really used."""
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def make_tuner(config, hypermodel, **kwargs) -> keras_tuner.Tuner:
    """The KerasTuner tuner `config.algorithm` names, with its own settings from the experiment file, tracked."""
    # KerasTuner prints the traceback of every failed trial to stderr when this is on (its default); the reason is
    # in the trial's line and its run's failure_reason tag instead.
    keras_tuner.src.config.DEBUG = False
    base = ALGORITHMS[config.algorithm]
    tuner_cls = type(f"Tracked{base.__name__}", (TrackedTuner, base), {})
    if config.algorithm == "hyperband":
        kwargs.update(max_epochs=config.epochs, factor=config.factor, hyperband_iterations=config.iterations)
    else:
        kwargs["max_trials"] = config.max_trials
    if config.algorithm == "bayesian":
        kwargs.update(num_initial_points=config.initial_points_for(len(hypermodel.space.searched)),
                      alpha=config.alpha, beta=config.beta)
    return tuner_cls(hypermodel, executions_per_trial=config.executions_per_trial, max_retries=config.max_retries,
                     **kwargs)
