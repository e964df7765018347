"""Data sets that need no file: scikit-learn's bundled sets, synthetic sequence tasks and a table of badly scaled
features."""

from __future__ import annotations

import numpy as np
from sklearn import datasets as sk_datasets

from pipelines.data.core import Dataset, make_dataset
from pipelines.data.encoding import ArrayInputs
from pipelines.data.sources import DigitsData, ScaledFeaturesData, SklearnData, SyntheticData
from pipelines.errors import DataError

LAYOUTS = {
    "image": lambda side: (side, side, 1),
    "flat": lambda side: (side * side,),
    "sequence": lambda side: (side, side),
}


def digits(config: DigitsData, seed: int) -> Dataset:
    """The 8x8 digits as images, 64 features, or 8 time steps of 8 pixels; pixels 0-16 rescaled in the model."""
    bunch = sk_datasets.load_digits()
    x, y = bunch.images.astype("float32"), bunch.target.astype("int64")
    if config.classes is not None:
        unknown = sorted(set(config.classes) - set(range(10)))
        if unknown:
            raise DataError(f"data.classes: {unknown} are not digits; use values from 0 to 9.")
        keep = np.isin(y, config.classes)
        x, y = x[keep], np.searchsorted(sorted(config.classes), y[keep])
    names = tuple(str(c) for c in sorted(config.classes or range(10)))
    x = x.reshape((-1, *LAYOUTS[config.layout](8)))
    return make_dataset(
        x,
        y,
        name=f"digits-{config.layout}",
        source="scikit-learn load_digits",
        class_names=names,
        config=config,
        seed=seed,
        where="digits",
        preprocess=1 / 16,
    )


def sklearn_set(config: SklearnData, seed: int) -> Dataset:
    loader = getattr(sk_datasets, f"load_{config.source}")
    bunch = loader()
    x = bunch.data.astype("float32")
    inputs = ArrayInputs(x.shape[1:], tuple(str(n) for n in bunch.feature_names))  # predict reads them by name
    values = config.source == "diabetes"  # the one scikit-learn set here whose target is a value, not a class
    return make_dataset(
        x,
        bunch.target.astype("float32" if values else "int64"),
        name=config.source,
        source=f"scikit-learn load_{config.source}",
        class_names=None if values else tuple(str(n) for n in bunch.target_names),
        config=config,
        seed=seed,
        where=config.source,
        inputs=inputs,
    )


def adding_problem(samples: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Hochreiter & Schmidhuber's adding problem: sum the two values marked in a long sequence.

    Channel 0 holds uniform values, channel 1 marks one step in each half. Always
    answering 1 (the mean) scores MSE 1/6 = 0.167, the bar a model must beat.
    """
    values = rng.uniform(0, 1, (samples, length))
    markers = np.zeros((samples, length))
    half = length // 2
    first = rng.integers(0, half, samples)
    second = rng.integers(half, length, samples)
    markers[np.arange(samples), first] = 1
    markers[np.arange(samples), second] = 1
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values[np.arange(samples), first] + values[np.arange(samples), second]).astype("float32")
    return x, y


def long_range(samples: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The class is written in the first 3 steps as +1 or -1; the rest is noise the model must carry it across."""
    y = rng.integers(0, 2, samples)
    x = rng.normal(0, 1, (samples, length, 1))
    x[:, :3, 0] = np.where(y[:, None] == 1, 1.0, -1.0) + rng.normal(0, 0.1, (samples, 3))
    return x.astype("float32"), y.astype("int64")


def ends(samples: int, length: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Values in [-1, 1] written in the first and the last 3 steps, noise between; the class is whether they sum
    above 0.

    A forward RNN holds the end fresh but must carry the start across the whole
    sequence (the end alone gets about 75% right); a bidirectional one reads
    each end last in one of its directions.
    """
    start, end = rng.uniform(-1, 1, samples), rng.uniform(-1, 1, samples)
    x = rng.normal(0, 1, (samples, length, 1))
    x[:, :3, 0] = start[:, None] + rng.normal(0, 0.05, (samples, 3))
    x[:, -3:, 0] = end[:, None] + rng.normal(0, 0.05, (samples, 3))
    return x.astype("float32"), (start + end > 0).astype("int64")


def synthetic(config: SyntheticData, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    if config.source == "adding":
        x, y = adding_problem(config.samples, config.length, rng)
        names = None
    elif config.source == "ends":
        x, y = ends(config.samples, config.length, rng)
        names = ("negative", "positive")
    else:
        x, y = long_range(config.samples, config.length, rng)
        names = ("minus", "plus")
    return make_dataset(
        x,
        y,
        name=f"{config.source}-T{config.length}",
        source=f"synthetic {config.source} task",
        class_names=names,
        config=config,
        seed=seed,
        where=config.source,
        preprocess=None,
    )


def scaled_features(config: ScaledFeaturesData, seed: int) -> Dataset:
    """Two classes split by a plane through standard normal features, each column then multiplied by its own scale
    (10 ** -2 to 10 ** 2 for 4 decades) and left so in the model: no normalizing layer.

    The loss is then far steeper along the large columns than along the small
    ones, so one learning rate for every weight is either too large for the
    first or too small for the second; per-weight rates (RMSprop, Adam) are
    not. Label noise of a fifth of the plane's spread caps the accuracy below 1.
    """
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(config.samples, config.features))
    normal = rng.choice([-1.0, 1.0], config.features)
    y = (z @ normal + rng.normal(0, 0.2 * np.sqrt(config.features), config.samples) > 0).astype("int64")
    scales = 10.0 ** np.linspace(-config.decades / 2, config.decades / 2, config.features)
    x = (z * scales).astype("float32")
    names = tuple(f"x{i}_scale_{scale:.2g}" for i, scale in enumerate(scales))
    return make_dataset(
        x,
        y,
        name=f"scaled-features-{config.features}x{config.decades:g}",
        source="synthetic features on scales 10^-d/2 to 10^d/2",
        class_names=("below", "above"),
        config=config,
        seed=seed,
        where=config.source,
        preprocess=None,
        inputs=ArrayInputs(x.shape[1:], names),
    )
