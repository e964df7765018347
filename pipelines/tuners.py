"""KerasTuner's own tuners, each given one MLflow child run per trial.

The hooks are KerasTuner's public ones: `run_trial` wraps a trial in its run,
and a callback (`pipelines.tracking.recorder.TrialRecorder`) given to every fit logs
its epochs and keeps the best epoch's weights. What needs KerasTuner's private
parts (a trial's checkpoint, one execution's fit, the grid oracle's order) goes
through `pipelines.kerastuner_compat`. Which tuner an algorithm uses, and with
which arguments, is its entry in `pipelines.algorithms`.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import math
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import keras
import keras_tuner
import numpy as np

from pipelines import evaluation, memory
from pipelines.algorithms import ALGORITHMS
from pipelines.data import Dataset
from pipelines.data.core import balanced_class_weights
from pipelines.data.encoding import raw_example
from pipelines.ensemble import PREDICTIONS_FILE, predictions_file
from pipelines.kerastuner_compat import (
    build_and_fit,
    checkpoint_path,
    is_worker,
    pausing_when_idle,
    quiet_failed_trials,
    whole_state_files,
)
from pipelines.oracles import make_oracle
from pipelines.progress import SearchProgress
from pipelines.pruning import RULES, PruningRule, StoreCurves, TrialPruned, TrialPruning
from pipelines.seams import HyperModel, Trial, Tuner
from pipelines.search_context import SearchContext
from pipelines.time_budget import TimeBudget
from pipelines.tracking.artifact_process import ArtifactProcess
from pipelines.tracking.history import copy_history
from pipelines.tracking.packaging import save_package
from pipelines.tracking.recorder import TrialRecorder, predict
from pipelines.tracking.tracker import SearchTracker
from reports.store.names import (
    DURATION,
    EPOCH_METRICS_TAG,
    EPOCHS,
    LOSS_GAP,
    NEAR_ZERO,
    ORPHAN_TAG,
    PARAMETERS,
    PEAK_MEMORY,
    PRUNED_TAG,
    STOPPED_TAG,
    TEST,
    TEST_METRICS,
    VAL_LOSS_RISE,
    VALIDATION,
    evidence_loss,
    objective_metric,
    read_metric,
)
from reports.store.objectives import objective_step, standing

if TYPE_CHECKING:
    from rich.console import Console


class DivergenceGuard(keras.callbacks.Callback):
    """A loss that is NaN, infinite or exploding fails the trial with the epoch named, instead of training on garbage.

    Exploding means above `bound`, or `growth` times the first epoch's loss,
    both on the loss divided by `unit`. The families' losses are on
    standardized scales (cross-entropy, or the squared error over the
    training target's variance: `value_loss_weight`), where a healthy loss is
    a few units at most whatever the data's units; a diverged one reaches
    millions without ever becoming NaN, and the trial would otherwise count as
    finished. A builder that compiles its own regression has its loss in the
    target's units squared: its `unit` is the target's variance.
    """

    def __init__(self, bound: float = 1e6, growth: float = 1e3, unit: float = 1.0):
        super().__init__()
        self.bound, self.growth, self.unit = bound, growth, unit
        self.first: float | None = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        if not math.isfinite(loss):
            raise keras_tuner.errors.FailedTrialError(f"diverged: loss became {loss} at epoch {epoch + 1}")
        loss /= self.unit
        self.first = loss if self.first is None else self.first
        if loss > self.bound or (self.first > 0 and loss > self.growth * self.first):
            raise keras_tuner.errors.FailedTrialError(
                f"diverged: loss reached {loss:.3g} at epoch {epoch + 1} (first epoch {self.first:.3g}; a "
                f"trial fails above {self.bound:.0e} or {self.growth:.0f} times its first epoch). Lower the "
                "learning rate or add clipnorm."
            )


def active_values(hp: keras_tuner.HyperParameters) -> dict:
    """The trial's hyperparameters that take effect: conditional ones only under their parent value."""
    return {name: value for name, value in hp.values.items() if not name.startswith("tuner/") and hp.is_active(name)}


def trial_name(trial_id: str, typed: dict) -> str:
    """A trial run's name: its searched values first, as the runs table cuts a name to its first 15 characters or
    so, then its number: "optimizer=adam learning_rate=0.003 (trial 7)"."""
    values = " ".join(f"{k}={v}" for k, v in typed.items())
    values = values if len(values) <= 80 else values[:79] + "…"
    return f"{values} (trial {trial_id})" if values else f"trial {trial_id}"


def trial_score(histories, objective: str, direction: str) -> float:
    """KerasTuner's score: best epoch of each execution, averaged over executions."""
    pick = max if direction == "max" else min
    values = [pick(h.history[objective]) for h in histories if h.history.get(objective)]
    return float(np.mean(values)) if values else float("nan")


class KeptModel(NamedTuple):
    """The best trial's model so far, kept alive (one model at a time), so the search's closing steps log and
    compare it without building it again."""

    trial_id: str
    standing: tuple  # its place in the ranking (`objectives.standing`): the objective, then the tie-breakers
    model: keras.Model
    test_predictions: np.ndarray


class TrackedTuner(keras_tuner.Tuner):
    """KerasTuner's tuner over one of the runner's oracles (`pipelines.oracles`), each trial a tracked MLflow run;
    see `make_tuner`."""

    def __init__(
        self,
        oracle: keras_tuner.Oracle,
        hypermodel: HyperModel,
        *,
        tracker: SearchTracker,
        dataset: Dataset,
        progress,
        artifacts: ArtifactProcess,
        log_models: bool = True,
        max_retries: int = 1,
        pruning: PruningRule | None = None,
        **kwargs,
    ):
        # KerasTuner's own: not super(), which for TrackedHyperband is keras_tuner.Hyperband's, whose __init__ only
        # builds an oracle of its own in place of `oracle`.
        keras_tuner.Tuner.__init__(self, oracle, hypermodel, **kwargs)
        self.tracker = tracker
        self.dataset = dataset
        self.progress = progress
        self.log_models = log_models
        self.max_retries = max_retries
        objective = oracle.objective
        judge = (
            None
            if pruning is None
            else TrialPruning(pruning, StoreCurves(tracker.client, objective.name, objective.direction), tracker)
        )
        self.recorder = TrialRecorder(tracker, progress, objective.name, objective.direction, dataset, judge)
        self.artifacts = artifacts
        self.best_so_far: KeptModel | None = None  # of the trials this process trained
        if is_worker():
            self.oracle: Any = pausing_when_idle(self.oracle)

    def on_trial_begin(self, trial: Trial):
        super().on_trial_begin(trial)
        self.progress.trial_started(trial.trial_id)
        self._trial_began = time.monotonic()
        self._shown: dict = {"test": {}, "epochs": None, "pruned": None}  # what the trial's line shows at its end

    def on_trial_end(self, trial: Trial):
        super().on_trial_end(trial)
        values = self.hypermodel.space.as_typed(active_values(trial.hyperparameters))
        reason = (
            (trial.message or "").strip().splitlines()[-1].split(": ", 1)[-1] if trial.status != "COMPLETED" else ""
        )
        seconds = self._shown.get("seconds", time.monotonic() - self._trial_began)  # the duration MLflow holds
        status = f"pruned at epoch {self._shown['pruned']}" if self._shown["pruned"] else trial.status
        self.progress.trial_ended(
            trial.trial_id,
            status,
            trial.score,
            values,
            self._shown["test"],
            self._shown["epochs"],
            seconds,
            reason[:200],
        )
        self.recorder.release()  # KerasTuner clears the session and collects garbage before the next build

    def run_trial(self, trial: Trial, *args, **kwargs):
        """Train and log one trial, unless MLflow shows it already finished or kept killing its process.

        KerasTuner hands a trial that was running when its process died to
        the next process again, and keeps no count of how often. The trial's
        runs in MLflow are that record: a FINISHED one means the process died
        after logging the trial but before KerasTuner saved its end (its
        score is handed back, not trained again); each orphaned run is an
        attempt that killed the process, and past `max_retries` of them the
        trial fails instead of killing every resume.
        """
        self.artifacts.log_ready()
        earlier = self.tracker.trial_runs(trial.trial_id)
        finished = [r for r in earlier if r.info.status == "FINISHED"]
        if finished:
            objective = self.oracle.objective.name
            return {objective: read_metric(finished[-1].data.metrics, objective_metric(objective), float("nan"))}
        crashes = sum(ORPHAN_TAG in r.data.tags for r in earlier)
        hp = trial.hyperparameters
        started = time.monotonic()
        memory.reset_peak()
        values = active_values(hp)
        typed = self.hypermodel.space.as_typed(values)
        with self.tracker.trial_run(
            trial.trial_id, typed, trial_name(trial.trial_id, typed), self.oracle.objective.name
        ):
            self.tracker.log_text(json.dumps(values, indent=1), "hyperparameters.json")  # every value, exact
            if crashes > self.max_retries:
                raise keras_tuner.errors.FailedTrialError(
                    f"the search process died during this trial {crashes} times (max_retries: {self.max_retries}); "
                    "it is not tried again. A trial that kills its process usually runs out of memory: lower "
                    "batch_size or the model's size."
                )
            continued = {}
            if "tuner/trial_id" in hp.values:  # Hyperband trains on from an earlier trial's checkpoint
                continued = copy_history(self.tracker, hp.values["tuner/trial_id"], hp.values["tuner/initial_epoch"])
            self.recorder.start_trial(self.executions_per_trial, continued)
            callbacks = [*kwargs.pop("callbacks", []), DivergenceGuard(unit=self.hypermodel.loss_unit), self.recorder]
            pruned = None
            histories: Any  # KerasTuner's: one History per execution, or the score it learns from
            try:
                histories = self._fit_executions(trial, *args, callbacks=callbacks, **kwargs)
            except TrialPruned as stop:  # still a finished trial, kept at its best epoch so far
                pruned = stop
            finally:
                self.tracker.set_tag(EPOCH_METRICS_TAG, ",".join(self.recorder.logged_curves()))
            self.recorder.finish_trial()
            objective = self.oracle.objective
            if pruned is None:
                score = trial_score(histories, objective.name, objective.direction)
            else:  # no finite epoch (nan) fails the trial in _evaluate
                score = math.nan if self.recorder.best is None else self.recorder.best
                histories = {objective.name: score}  # what KerasTuner (and Bayesian optimization) learns from it
                self.tracker.set_tag(PRUNED_TAG, str(pruned.epoch))
                self._shown["pruned"] = pruned.epoch
            self._evaluate(trial, typed, score)
            self.recorder.log_executions()
            self._shown.update(epochs=self.recorder.epochs, seconds=time.monotonic() - started)
            self.tracker.log_metrics(
                {
                    EPOCHS: self.recorder.epochs,
                    DURATION: self._shown["seconds"],
                    VAL_LOSS_RISE: self.recorder.val_loss_rise(),
                    LOSS_GAP: self.recorder.loss_gap(),
                    PEAK_MEMORY: memory.peak_mb(),
                }
            )
        return histories

    def _fit_executions(self, trial, *args, callbacks: list, **kwargs) -> list:
        """KerasTuner's `Tuner.run_trial` without its checkpoint: that one writes the weights to disk at every
        epoch that improves the objective; the recorder keeps them in memory instead, and `_evaluate` writes
        them once, where KerasTuner's `load_model` and Hyperband's next round read them."""
        hp = trial.hyperparameters
        if "tuner/epochs" in hp.values:  # as Hyperband's own `run_trial`: a round's epochs, from where the last ended
            kwargs.update(epochs=hp.values["tuner/epochs"], initial_epoch=hp.values["tuner/initial_epoch"])
        return [
            build_and_fit(self, trial, *args, callbacks=copy.deepcopy(callbacks), **kwargs)
            for _ in range(self.executions_per_trial)
        ]

    def load_model(self, trial):
        # A fresh model has no optimizer state to restore; only the weights matter here.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            return super().load_model(trial)

    def _evaluate(self, trial: Trial, typed: dict, score: float) -> None:
        """Final scores of the best epoch's weights on validation and test, and the model; the files for people
        (test-split tables and curves, figures) are written by the artifact process while the next trial trains."""
        model = self.recorder.kept_model()
        if model is None:
            raise keras_tuner.errors.FailedTrialError(
                f"no epoch had a finite {self.oracle.objective.name}, so there are no weights to keep"
            )
        model.save_weights(checkpoint_path(self, trial.trial_id))
        data, info = self.dataset, self.dataset.info
        results = {
            objective_metric(self.oracle.objective.name): score,
            PARAMETERS: model.count_params(),
            NEAR_ZERO: evaluation.near_zero_share(model),
        }
        predictions = {"validation": predict(model, data.x_val), "test": predict(model, data.x_test)}
        scorer: Callable[..., dict[str, float]]
        if info.num_classes is None:
            scorer, test = evaluation.regression_scores, None
        else:
            scorer, test = evaluation.classification_scores, (data.y_test, predictions["test"], info.class_names)
        results.update(scorer(data.y_val, predictions["validation"], VALIDATION))
        results.update(scorer(data.y_test, predictions["test"], TEST))
        uri = None
        if self.log_models:  # first, so that the scores are the logged model's too
            with tempfile.TemporaryDirectory() as tmp:
                package = save_package(model, info.encoding, Path(tmp) / "model", raw_example(data))
                uri = self.tracker.log_model("model", package, typed)
        self.tracker.log_metrics(results, model_uri=uri)
        self._shown["test"] = {k: results[k] for k in TEST_METRICS if k in results}
        with tempfile.TemporaryDirectory() as tmp:
            kept = Path(tmp) / PREDICTIONS_FILE  # what an ensemble of the trials is chosen and scored from
            kept.write_bytes(predictions_file(predictions["validation"], predictions["test"]))
            self.tracker.log_files(evaluation.write_layer_table(model, Path(tmp) / "layers.csv"), kept)
        self.artifacts.submit(
            self.tracker.run, f"trial {trial.trial_id}", self.recorder.curves, self.recorder.best_epoch, test
        )
        objective = self.oracle.objective
        step = objective_step(objective.name, info.sizes.get("validation", 0), self.executions_per_trial)
        place = standing(score, evidence_loss(results), results[PARAMETERS], objective.direction, step)
        if math.isfinite(score) and (self.best_so_far is None or place < self.best_so_far.standing):
            self.best_so_far = KeptModel(trial.trial_id, place, model, predictions["test"])


class TrackedHyperband(TrackedTuner, keras_tuner.Hyperband):
    """The tracked tuner with Hyperband's own steps: a round's epochs from its trial, and its model started from
    the previous round's checkpoint."""


def make_tuner(
    config, hypermodel: HyperModel, budget: TimeBudget | None = None, *, objective, seed: int, **kwargs
) -> keras_tuner.Tuner:
    """The tracked tuner over the oracle `config.algorithm` names (`pipelines.oracles`), with the algorithm's own
    settings from the experiment file; it starts no trial once `budget` is spent."""
    quiet_failed_trials()
    whole_state_files()
    algorithm = ALGORITHMS[config.algorithm]
    oracle = make_oracle(
        algorithm,
        algorithm.arguments(config, len(hypermodel.space.searched)),
        hypermodel.space,
        None if is_worker() else budget,  # a worker's oracle is the chief's, which keeps the budget
        objective=objective,
        seed=seed,
    )
    tuner = TrackedHyperband if algorithm.tuner == "Hyperband" else TrackedTuner
    return tuner(
        oracle, hypermodel, executions_per_trial=config.executions_per_trial, max_retries=config.max_retries, **kwargs
    )


def experiment_tuner(search: SearchContext, progress: SearchProgress, budget: TimeBudget | None) -> keras_tuner.Tuner:
    """The tracked tuner of an experiment's search, in KerasTuner's folder `tuner_dir/project`."""
    experiment = search.experiment
    return make_tuner(
        experiment.tuner,
        search.hypermodel,
        budget,
        objective=keras_tuner.Objective(experiment.objective, direction=experiment.direction),
        seed=experiment.seed,
        directory=experiment.tuner_dir,
        project_name=search.project,
        tracker=search.tracker,
        dataset=search.dataset,
        progress=progress,
        artifacts=search.artifacts,
        log_models=experiment.log_trial_models,
        pruning=pruning_rule(experiment.tuner, experiment.direction),
    )


def pruning_rule(config, direction: str) -> PruningRule | None:
    """The experiment's pruning rule, or None without pruning."""
    if config.pruning == "none":
        return None
    return RULES[config.pruning](direction, config.warmup_epochs(), config.pruning_startup_trials)


@contextlib.contextmanager
def tuner_with_progress(search: SearchContext) -> Iterator[tuple[keras_tuner.Tuner, SearchProgress]]:
    """The search's tracked tuner and its progress display, as a search in one process and a chief open them."""
    experiment, tuner_cfg = search.experiment, search.experiment.tuner
    max_trials = tuner_cfg.max_trials if ALGORITHMS[tuner_cfg.algorithm].budget_in_trials else None
    budget = time_budget(tuner_cfg.time_budget, search.tracker)
    with SearchProgress(
        search.console, max_trials, tuner_cfg.epochs, experiment.objective, experiment.direction, budget
    ) as progress:
        yield experiment_tuner(search, progress, budget), progress


def time_budget(seconds: float | None, tracker: SearchTracker) -> TimeBudget | None:
    """The search's time budget, its clock started now, less what earlier attempts of the search spent (the
    parent run's record, which `--resume` carries on); None without one."""
    if seconds is None:
        return None
    return TimeBudget(seconds, tracker.budget_spent_before, tracker.record_budget_spent)


def run_tuner(search: SearchContext) -> Tuner:
    """Train the search's trials in this process (a search without workers, or one worker of a search)."""
    experiment, dataset, tuner_cfg = search.experiment, search.dataset, search.experiment.tuner
    with tuner_with_progress(search) as (tuner, _):
        # Validation loss, not accuracy: accuracy moves in steps of 1/len(val) and plateaus early.
        callbacks = (
            [keras.callbacks.EarlyStopping("val_loss", patience=tuner_cfg.patience)] if tuner_cfg.patience else []
        )
        fit_args, validation_data = dataset.fit_data()
        weights = (
            {"class_weight": balanced_class_weights(dataset.y_train)} if experiment.class_weight == "balanced" else {}
        )
        # KerasTuner collects garbage before building each model. With TensorFlow, MLflow and matplotlib loaded,
        # a full collection walks about a million long-lived objects (0.5 s each time); frozen, they are skipped
        # and a collection walks only what the trials made.
        gc.freeze()
        try:
            search_until_done(
                tuner,
                search.tracker,
                search.console,
                *fit_args,
                validation_data=validation_data,
                epochs=tuner_cfg.epochs,
                callbacks=callbacks,
                verbose=0,
                **weights,
            )
        except BaseException:
            search.artifacts.close()  # every finished trial's artifacts logged, also when the search is interrupted
            raise
    return tuner


def search_until_done(tuner, tracker: SearchTracker, console: Console, *args, **kwargs) -> None:
    """KerasTuner's search; its stop after too many consecutive failed trials is recorded, not raised."""
    try:
        tuner.search(*args, **kwargs)
    except RuntimeError as exc:
        if "consecutive failures" not in str(exc):
            raise
        reason = str(exc).splitlines()[0]
        tracker.set_tag(STOPPED_TAG, reason)
        console.print(f"[yellow]search stopped: {reason}[/]")
