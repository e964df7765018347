"""Defaults read from the data, for what a minimal experiment file leaves out, each said once and logged.

A minimal file names the data and the family; the objective follows from the
task (accuracy for classes, mean absolute error for values), and the epochs
from the training split's size: a small data set gives few gradient steps an
epoch, so it gets more epochs, and early stopping's patience grows with them.
"""

from __future__ import annotations

import math
from typing import Final

REGRESSION_SOURCES = ("timeseries", "diabetes", "adding")  # the sources whose target is a value
TARGET_STEPS = 3000  # gradient steps a trial may take at batch size 32 ...
MIN_EPOCHS, MAX_EPOCHS = 20, 100  # ... within these epochs
# tuner.pruning when the file does not say. Measured (benchmarks/results/search_efficiency.md, 5 seeds): on the
# digits and sonar MLPs pruning trained 22-38% fewer epochs but took as long on the clock, as each trial's fixed cost
# outweighs its epochs, and on sonar most pruned searches did not reach unpruned random search's median best.
PRUNING_DEFAULT: Final = "none"
CHOSEN_PARAM = "chosen_from_data"  # on the parent: which settings the runner chose, comma-separated


def objective_for(data) -> str:
    """The objective that fits a data section's task: val_mae for values, val_accuracy for classes."""
    data = data if isinstance(data, dict) else {}
    regression = data.get("source") in REGRESSION_SOURCES or data.get("task") == "regression"
    return "val_mae" if regression else "val_accuracy"


def epochs_for(train_samples: int) -> tuple[int, int]:
    """Epochs enough for about TARGET_STEPS steps at batch size 32 (within MIN_EPOCHS and MAX_EPOCHS), and a
    patience of a fifth of them, at least 5."""
    steps = max(1, math.ceil(train_samples / 32))
    epochs = min(MAX_EPOCHS, max(MIN_EPOCHS, round(TARGET_STEPS / steps)))
    return epochs, max(5, epochs // 5)


def with_data_defaults(experiment, train_samples: int):
    """The experiment with every setting the file left to the data filled in, and the sentence that says what was
    chosen (None when the file chose everything)."""
    chosen, words = list(experiment.chosen_for_user), []
    if "objective" in chosen:
        words.append(
            f"objective {experiment.objective} ({'values' if experiment.objective == 'val_mae' else 'classes'})"
        )
    tuner = experiment.tuner
    epochs, _ = epochs_for(train_samples)
    epochs = tuner.epochs or epochs
    update = {k: v for k, v in (("epochs", epochs), ("patience", max(5, epochs // 5))) if getattr(tuner, k) is None}
    if update:
        experiment = experiment.model_copy(update={"tuner": tuner.model_copy(update=update)})
        chosen += [f"tuner.{k}" for k in update]
        if "epochs" in update:
            words.append(
                f"epochs {epochs} (about {TARGET_STEPS:,} steps of 32 of the {train_samples:,} training samples)"
            )
        if "patience" in update:
            words.append(f"patience {update['patience']} (a fifth of the epochs, at least 5)")
    if not words:
        return experiment, None
    experiment = experiment.model_copy(update={"chosen_for_user": tuple(chosen)})
    return experiment, "Chosen from the data (write them in the file to change them): " + "; ".join(words) + "."
