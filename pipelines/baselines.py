"""What a network must beat, and whether the best network beats it beyond noise.

Two baselines per search, on the same split as the networks:

- the trivial one: the training split's majority class, its mean, or for a
  series the naive forecast (the last value) or the seasonal naive one,
  whichever is closer on validation;
- a fitted scikit-learn model suited to the input: logistic regression on
  standardized inputs (tables, flattened images; gradient boosting too on
  tables of up to 200 columns), TF-IDF with logistic regression on text, ridge regression for
  values and for a series' window. Its settings are chosen on the validation
  split, as the networks' are, and it is fitted by the background worker while
  the first trial trains.

After the search the best network is compared with each sample by sample on
the test split: the mean per-sample gain (correct answers, or absolute error
saved) must exceed twice its standard error to be called better, so a
network that only matches a baseline by luck of the draw is not.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from reports.store.names import TEST_ACCURACY, TEST_MAE, metric_label
from reports.store.objectives import improves
from reports.verdict import baseline_sentence
from reports.words import logged

if TYPE_CHECKING:  # the worker process that fits the model baseline loads no Keras
    from pipelines.data import Dataset

Z = 2.0  # standard errors a gain must exceed to count
MAX_FIT_ROWS = 20_000  # a model baseline on more training rows fits on a seeded sample of this many
SMALL_TABLE = 200  # tables up to this many columns also get gradient boosting (images and windows do not)


@dataclasses.dataclass(frozen=True)
class Baseline:
    key: str  # "trivial" or "model": where its numbers are logged (baseline/<key>/...)
    name: str  # as a sentence names it: "the majority class (7)"
    metric: str  # TEST_ACCURACY for classes, TEST_MAE for values
    value: float  # on the test split
    validation: float  # the same measure on the validation split: what picks the baseline to beat
    predictions: np.ndarray  # one per test sample: a class index, or a value

    def better_than(self, other: Baseline) -> bool:
        """Better on validation: the test split never chooses."""
        return improves(self.validation, other.validation, "max" if self.metric == TEST_ACCURACY else "min")


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The best model against a baseline on n test samples: mean per-sample gain and its standard error."""

    baseline: Baseline
    model_value: float
    gain: float
    standard_error: float
    n: int

    @property
    def better(self) -> bool:
        return called(self.gain, self.standard_error) == "beats"

    def advice(self) -> str:
        """What to do about a model that is not better: where the test split is too small to tell a gain of the
        size seen, say so and how many samples would; else look at the search itself."""
        if self.standard_error == 0 and self.gain == 0:
            return (
                f"The two were right (or wrong) on the same {self.n:,} test samples: a test split this size "
                "cannot tell them apart."
            )
        if self.gain > 0:
            needed = math.ceil(self.n * (Z * self.standard_error / self.gain) ** 2)
            return (
                f"The test split is too small to tell: a gain of this size would be called with about {needed:,} "
                f"test samples ({self.n:,} here)."
            )
        if -self.gain <= Z * self.standard_error:
            return "The difference is within noise: on this data the simpler model does as well."
        return "Check the data, the learning rate and the budget."

    def numbers(self) -> str:
        """Both test scores, n, and the gain with its standard error: what a verdict on them rests on."""
        return (
            f"{metric_label(self.baseline.metric)} {self.model_value:.4g} against {self.baseline.value:.4g} on the "
            f"{self.n:,} test samples, a gain per sample of {self.gain:.3g} ± {self.standard_error:.2g} standard "
            f"error; a difference is called only beyond {Z:g} standard errors"
        )

    def sentence(self) -> str:
        return baseline_sentence(
            self.baseline.metric,
            self.model_value,
            self.baseline.name,
            self.baseline.value,
            self.gain,
            self.standard_error,
            self.n,
            Z,
        )


def called(gain: float, standard_error: float) -> str:
    """A gain over a baseline in a word: "beats" or "worse" only beyond `Z` standard errors, else "no better"."""
    if gain > Z * standard_error and gain > 0:
        return "beats"
    return "worse" if -gain > Z * standard_error else "no better"


def trivial_baseline(data: Dataset) -> Baseline:
    """The training split's majority class for classes; for a forecast, the naive one (the last observed value)
    or, with a season, the seasonal naive one (the value one season back), whichever is closer on the
    validation split; else the training split's mean."""
    info, y_train = data.info, data.y_train
    if info.last_value_index is not None:
        candidates = [(logged("logged.naive"), info.last_value_index)]
        if info.season_index is not None:
            candidates.append((logged("logged.seasonal_naive"), info.season_index))
        scored = [(np.abs(data.y_val - data.x_val[:, -1, index]).mean(), name, index) for name, index in candidates]
        validation, name, index = min(scored)
        predictions = data.x_test[:, -1, index]
        return Baseline(
            "trivial", name, TEST_MAE, float(np.abs(data.y_test - predictions).mean()), float(validation), predictions
        )
    if info.class_names:
        majority = int(np.bincount(y_train.astype(int)).argmax())  # DummyClassifier's most_frequent, ties low
        predictions = np.full(len(data.y_test), majority)
        return Baseline(
            "trivial",
            logged("logged.majority", name=info.class_names[majority]),
            TEST_ACCURACY,
            float((predictions == data.y_test).mean()),
            float((data.y_val == majority).mean()),
            predictions,
        )
    mean = float(np.mean(y_train))
    return Baseline(
        "trivial",
        logged("logged.training_mean"),
        TEST_MAE,
        float(np.abs(data.y_test - mean).mean()),
        float(np.abs(data.y_val - mean).mean()),
        np.full(len(data.y_test), mean),
    )


def model_baseline_inputs(data: Dataset) -> tuple | None:
    """What the worker needs to fit the model baseline (plain arrays, no Keras), or None when the data are
    streamed from files (image folders), where no baseline is fitted."""
    if data.streamed:
        return None
    return (
        data.x_train,
        data.y_train,
        data.x_val,
        data.y_val,
        data.x_test,
        data.y_test,
        data.info.num_classes is not None,
    )


def model_baseline(x_train, y_train, x_val, y_val, x_test, y_test, classes: bool, seed: int = 0) -> Baseline:
    """The best on validation of a few scikit-learn models suited to the input; see the module's docstring."""
    available = len(x_train)
    rows = np.random.default_rng(seed).permutation(available)[:MAX_FIT_ROWS]
    x_train, y_train = x_train[rows], y_train[rows]
    sampled = f"fitted on {len(rows):,} of the {available:,} training rows" if len(rows) < available else ""
    best = None
    for name, model in _candidates(x_train, classes):
        model.fit(_inputs(x_train), y_train)
        validation = _score(model, x_val, y_val, classes)
        if best is None or (validation > best[1] if classes else validation < best[1]):
            best = (name, validation, model)
    assert best is not None, "there is always a candidate"
    name, validation, model = best
    predictions = model.predict(_inputs(x_test))
    value = _score(model, x_test, y_test, classes)
    if sampled:  # inside the name's parentheses: the name is followed by "on the N test samples"
        name = f"{name[:-1]}; {sampled})" if name.endswith(")") else f"{name} ({sampled})"
    return Baseline("model", name, TEST_ACCURACY if classes else TEST_MAE, value, validation, predictions)


def _inputs(x: np.ndarray) -> np.ndarray:
    """Texts as they are; anything else as one row of numbers per sample (images and windows flattened)."""
    return x if x.dtype == object or x.dtype.kind in "US" else x.reshape(len(x), -1)


def _score(model, x, y, classes: bool) -> float:
    predicted = model.predict(_inputs(x))
    return float((predicted == y).mean()) if classes else float(np.abs(y - predicted).mean())


def _candidates(x_train: np.ndarray, classes: bool):
    """(name, unfitted model) pairs: each setting a name of its own, so the one chosen says what it is.
    scikit-learn's modules are imported per kind of input: they take a second or more to import."""
    from sklearn.pipeline import make_pipeline

    if x_train.dtype == object or x_train.dtype.kind in "US":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        for c in (1.0, 10.0, 100.0):
            yield (
                f"TF-IDF of words and word pairs with logistic regression (C={c:g})",
                make_pipeline(
                    TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                    LogisticRegression(C=c, max_iter=2000),
                ),
            )
        return
    from sklearn.preprocessing import StandardScaler

    table = x_train.ndim == 2 and x_train.shape[1] <= SMALL_TABLE
    if classes:
        from sklearn.linear_model import LogisticRegression

        for c in (0.01, 0.1, 1.0):
            yield (
                logged("logged.logistic", c=f"{c:g}"),
                make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)),
            )
        if table:
            from sklearn.ensemble import HistGradientBoostingClassifier

            yield logged("logged.boosting"), HistGradientBoostingClassifier(random_state=0)
        return
    from sklearn.linear_model import Ridge

    for alpha in (0.1, 10.0, 1000.0):
        yield (
            logged("logged.ridge", alpha=f"{alpha:g}"),
            make_pipeline(StandardScaler(), Ridge(alpha=alpha)),
        )
    if table:
        from sklearn.ensemble import HistGradientBoostingRegressor

        yield logged("logged.boosting"), HistGradientBoostingRegressor(random_state=0)


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
