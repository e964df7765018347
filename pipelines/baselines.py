"""The simplest answer a network must beat, and whether the best network beats it beyond noise.

The trivial baseline is the training split's majority class (classification)
or its mean (regression), scored on the test split before any trial. After
the search the best model is compared with it sample by sample on that same
test split: the mean per-sample gain (correct answers, or absolute error
saved) must exceed twice its standard error, so a network that only matches
chance by luck of the draw is not called better.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pipelines.data import Dataset
from reports.store import TEST_ACCURACY, TEST_MAE, metric_label

Z = 2.0  # standard errors a gain must exceed to count


@dataclasses.dataclass(frozen=True)
class Baseline:
    name: str  # as a sentence names it: "the majority class (7)"
    metric: str  # one of TEST_METRICS: accuracy for classes, MAE for values
    value: float
    predictions: np.ndarray  # one per test sample: a class index, or a value


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The best model against the baseline on n test samples: mean per-sample gain and its standard error."""

    baseline: Baseline
    model_value: float
    gain: float
    standard_error: float
    n: int

    @property
    def better(self) -> bool:
        return self.gain > Z * self.standard_error and self.gain > 0

    def sentence(self) -> str:
        metric = metric_label(self.baseline.metric)
        verdict = "beats" if self.better else "is no better than"
        return (f"the best model's {metric} {self.model_value:.4g} {verdict} the {self.baseline.value:.4g} of "
                f"{self.baseline.name} on the {self.n} test samples (gain per sample {self.gain:.3g} ± "
                f"{self.standard_error:.2g} standard error; called better only beyond {Z:.0f} standard errors)")


def trivial_baseline(data: Dataset) -> Baseline:
    """The training split's majority class for classes; for a forecast, the naive one (the last observed value)
    or, with a season, the seasonal naive one (the value one season back), whichever is closer on the
    validation split; else the training split's mean."""
    info, y_train, y_test = data.info, data.y_train, data.y_test
    if info.last_value_index is not None:
        candidates = [("the naive forecast (the last observed value)", info.last_value_index)]
        if info.season_index is not None:
            candidates.append(("the seasonal naive forecast (the value one season back)", info.season_index))
        name, index = min(candidates, key=lambda c: np.abs(data.y_val - data.x_val[:, -1, c[1]]).mean())
        predictions = data.x_test[:, -1, index]
        return Baseline(name, TEST_MAE, float(np.abs(y_test - predictions).mean()), predictions)
    class_names = info.class_names
    if class_names:
        majority = int(np.bincount(y_train.astype(int)).argmax())
        predictions = np.full(len(y_test), majority)
        return Baseline(f"the majority class ({class_names[majority]})", TEST_ACCURACY,
                        float((predictions == y_test).mean()), predictions)
    mean = float(np.mean(y_train))
    predictions = np.full(len(y_test), mean)
    return Baseline("predicting the training mean", TEST_MAE, float(np.abs(y_test - mean).mean()), predictions)


def compare(baseline: Baseline, y_test: np.ndarray, model_output: np.ndarray) -> Comparison:
    """Per-sample gain of the model over the baseline: correct-answer difference, or absolute error saved."""
    if baseline.metric == TEST_ACCURACY:
        predicted = model_output.argmax(axis=1)
        model_value = float((predicted == y_test).mean())
        gain = (predicted == y_test).astype(float) - (baseline.predictions == y_test).astype(float)
    else:
        predicted = model_output.reshape(len(y_test))
        model_value = float(np.abs(y_test - predicted).mean())
        gain = np.abs(y_test - baseline.predictions) - np.abs(y_test - predicted)
    n = len(gain)
    error = float(gain.std(ddof=1) / math.sqrt(n)) if n > 1 else float("inf")
    return Comparison(baseline, model_value, float(gain.mean()), error, n)
