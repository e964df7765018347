"""What a trial's training leaves behind, recorded by one Keras callback that KerasTuner hands to every fit.

KerasTuner keeps only the best step of each metric; the learning curves are
logged here, epoch by epoch, as they happen. The weights of the best epoch
are kept in memory too (the ones KerasTuner's checkpoint holds), so the
trial is scored and logged without rebuilding its model from the checkpoint.
"""

from __future__ import annotations

import math
from collections import defaultdict

import keras
import numpy as np

from pipelines import evaluation, interrupts
from pipelines.data import Dataset, batches
from pipelines.pruning import TrialPruning
from pipelines.tracking.tracker import SearchTracker, finite_metrics
from reports.store.names import (
    INPUT_GRADIENT,
    INPUT_GRADIENT_TRAINED,
    LOSS_GAP,
    NEAR_ZERO,
    OBJECTIVE_METRIC,
    PER_EXECUTION,
    TEST,
    VAL_LOSS_RISE,
)
from reports.store.objectives import improves

LEARNING_RATE = "learning_rate"  # a curve of the optimizer's rate, epoch by epoch


def learning_rate(model) -> float:
    """The optimizer's rate now, schedules included, so a curve shows what the optimizer really used."""
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


class TrialRecorder(keras.callbacks.Callback):
    """Logs every epoch to the open trial run and keeps the trial's curves and best weights.

    KerasTuner deep-copies a search's callbacks once for each execution of a
    trial (`executions_per_trial`, one seed each); this one hands itself back
    from the copy, so that one instance sees every execution, and takes the
    copy as the start of the next execution (an execution may call `fit`
    more than once: transfer fine-tuning trains in two phases). The first
    execution's curves are the trial's; later ones are logged under
    `per_epoch/execution_<k>/`. With several executions, each one's best-epoch
    weights are also scored on the test split: the spread between seeds is
    what says whether two settings really differ.
    """

    def __init__(
        self,
        tracker: SearchTracker,
        progress,
        objective: str,
        direction: str,
        dataset: Dataset,
        pruning: TrialPruning | None = None,
    ):
        super().__init__()
        self.tracker, self.progress, self.dataset, self.pruning = tracker, progress, dataset, pruning
        self.objective = objective
        self.direction = direction
        self.start_trial(executions=1)

    def __deepcopy__(self, memo):
        self._finish_execution()
        self.execution += 1
        self._execution_best, self._execution_weights, self._execution_epoch, self._val_losses = None, None, None, []
        self._gaps: list[float] = []
        self._trained = 0
        return self

    def start_trial(self, executions: int, curves: dict | None = None) -> None:
        """Forget the last trial; `curves` are earlier epochs this trial continues (Hyperband)."""
        self.executions = executions
        self.curves: dict[str, list[tuple[int, float]]] = defaultdict(list, curves or {})
        self.execution = -1
        self._execution_weights, self._val_losses, self._gaps = None, [], []
        self.best: float | None = None  # over all executions, as KerasTuner's checkpoint
        self.best_weights, self.best_model, self.best_epoch = None, None, None
        self.results: list[dict[str, float]] = []  # one per execution, when there are several
        self._continues = bool(curves)  # a Hyperband round starts from trained weights: nothing is at its start
        self._gradients: list[np.ndarray] = []  # each execution's input gradient at initialization
        self._trained_gradients: dict[int, np.ndarray] = {}  # and at its end (fine-tuning: after its second phase)
        self._trained = 0
        self.epochs = 0  # trained by this trial: the most of any execution
        if self.pruning is not None:
            self.pruning.start_trial()

    def finish_trial(self) -> None:
        """The last execution is over (KerasTuner's `run_trial` returned, or pruning stopped it). The learning
        rate's curve is logged only where it changed (a schedule, fine-tuning's second phase): a constant one is
        the trial's param already, and MLflow draws it as a flat line at zero on a -0.5 to 0.5 axis."""
        self._finish_execution()
        if LEARNING_RATE in self.logged_curves():
            self.tracker.log_curves({LEARNING_RATE: self.curves[LEARNING_RATE]})
        if self._gradients:
            self.tracker.log_steps(INPUT_GRADIENT, np.mean(self._gradients, axis=0))
        if self._trained_gradients:
            self.tracker.log_steps(INPUT_GRADIENT_TRAINED, np.mean(list(self._trained_gradients.values()), axis=0))

    def logged_curves(self) -> list[str]:
        """The curves this trial logs to MLflow: Keras' metrics, and the learning rate where it changed."""
        constant = len({value for _, value in self.curves.get(LEARNING_RATE, [])}) <= 1
        return sorted(k for k in self.curves if not (k == LEARNING_RATE and constant))

    def on_train_begin(self, logs=None):
        """Before an execution's first epoch (not fine-tuning's second phase, not a Hyperband continuation):
        the untrained network's gradient over the input's steps."""
        if self._trained == 0 and not self._continues:
            norms = evaluation.input_gradient_norms(self.model, self.dataset.x_val, self.dataset.y_val)
            if norms is not None:
                self._gradients.append(norms)

    def on_train_end(self, logs=None):
        """After an execution's training (each phase: the last one stays), where the gradient was taken before."""
        if self._gradients:
            norms = evaluation.input_gradient_norms(self.model, self.dataset.x_val, self.dataset.y_val)
            if norms is not None:
                self._trained_gradients[self.execution] = norms

    def on_epoch_end(self, epoch, logs=None):
        interrupts.check()
        logs = dict(logs or {})
        self.progress.epoch_ended(epoch, logs)
        self._trained += 1
        self.epochs = max(self.epochs, self._trained)
        if self.execution:
            self.tracker.log_epoch({f"execution_{self.execution}/{k}": v for k, v in logs.items()}, epoch)
        else:
            self.tracker.log_epoch(logs, epoch)
            for key, value in finite_metrics({**logs, LEARNING_RATE: learning_rate(self.model)}).items():
                self.curves[key].append((epoch, value))
        if "val_loss" in logs:
            self._val_losses.append(logs["val_loss"])
            if "loss" in logs:
                self._gaps.append(logs["val_loss"] - logs["loss"])
        value = logs.get(self.objective)
        if (
            value is not None
            and math.isfinite(value)
            and (self._execution_best is None or improves(value, self._execution_best, self.direction))
        ):
            self._execution_best, self._execution_weights, self._execution_epoch = (
                value,
                self.model.get_weights(),
                epoch,
            )
        if self.pruning is not None and not self.execution:  # raises TrialPruned when the trial stops here
            self.pruning.check(epoch + 1, self._execution_best)

    def _finish_execution(self) -> None:
        if self._execution_weights is None:  # no execution yet, or none with a finite objective
            return
        if self.best is None or improves(self._execution_best, self.best, self.direction):
            self.best, self.best_weights, self.best_model = self._execution_best, self._execution_weights, self.model
            self.best_epoch = self._execution_epoch
        if self.executions > 1:
            self.model.set_weights(self._execution_weights)
            self.results.append(
                {
                    OBJECTIVE_METRIC: self._execution_best,
                    **score_on_test(self.model, self.dataset),
                    NEAR_ZERO: evaluation.near_zero_share(self.model),
                    VAL_LOSS_RISE: val_loss_rise(self._val_losses),
                    LOSS_GAP: last_finite(self._gaps),
                }
            )
        self._execution_weights = None

    def kept_model(self):
        """The trial's model with its best epoch's weights, or None when no epoch had a finite objective."""
        if self.best_model is not None:
            self.best_model.set_weights(self.best_weights)
        return self.best_model

    def val_loss_rise(self) -> float:
        """Mean over executions of how far validation loss climbed after its lowest epoch."""
        return self._over_executions(VAL_LOSS_RISE, val_loss_rise(self._val_losses))

    def loss_gap(self) -> float:
        """Mean over executions of how far validation loss stood above training loss at the last epoch."""
        return self._over_executions(LOSS_GAP, last_finite(self._gaps))

    def _over_executions(self, key: str, own: float) -> float:
        """The mean of `key` over the executions' results; with one execution, `own`: this trial's own epochs,
        not those a Hyperband trial continues."""
        return float(np.mean([r[key] for r in self.results])) if self.results else own

    def log_executions(self) -> None:
        """Each execution's values (step = execution), and their mean and standard deviation."""
        if not self.results:
            return
        for step, result in enumerate(self.results):
            self.tracker.log_metrics({PER_EXECUTION + key: value for key, value in result.items()}, step=step)
        for key in self.results[0]:
            values = np.array([r[key] for r in self.results])
            self.tracker.log_metrics(
                {
                    f"{PER_EXECUTION}{key}_mean": values.mean(),
                    f"{PER_EXECUTION}{key}_std": values.std(ddof=1) if len(values) > 1 else 0.0,
                }
            )

    def release(self) -> None:
        """Drop the trial's model and weights, so a long search does not keep every trial's alive."""
        self.best_weights = self.best_model = self._execution_weights = None
        self.set_model(None)


def last_finite(values) -> float:
    """The last finite value, NaN when there is none."""
    return next((float(v) for v in reversed(values) if math.isfinite(v)), float("nan"))


def val_loss_rise(losses) -> float:
    """How far validation loss climbed after its lowest epoch: the size of the overfitting the run went into."""
    losses = [v for v in losses if math.isfinite(v)]
    return float(losses[-1] - min(losses)) if losses else float("nan")


def predict(model, x, chunk: int = 512) -> np.ndarray:
    """The model's outputs on `x`. Arrays are fed to the model directly, a chunk at a time: `predict` traces a
    new function for each new model (and again for a short last batch), which costs more than the predictions
    of a small model. A stream from files goes through `predict`."""
    if hasattr(x, "batch"):
        return model.predict(batches(x), verbose=0)
    return np.concatenate(
        [keras.ops.convert_to_numpy(model(x[i : i + chunk], training=False)) for i in range(0, len(x), chunk)]
    )


def score_on_test(model, data: Dataset) -> dict[str, float]:
    scorer = evaluation.regression_scores if data.info.num_classes is None else evaluation.classification_scores
    return scorer(data.y_test, predict(model, data.x_test), TEST)
