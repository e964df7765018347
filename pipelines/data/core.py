"""Splits, checks and the preprocessing that travels inside the model.

Every loader hands raw arrays to `make_dataset`, which checks them, splits
them (the test split first, stratified and seeded) and fits preprocessing on
the training split only. The preprocessing becomes the model's first layer,
so the logged model predicts on raw input and no statistic leaks from the
validation or test split.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

import numpy as np
from sklearn.model_selection import train_test_split

from pipelines.errors import DataError

if TYPE_CHECKING:
    from pathlib import Path

    import keras
    import pandas as pd

    from pipelines.data.encoding import Encoding, Inputs
    from pipelines.data.text import TextFacts

Preprocess = Callable[[], "keras.layers.Layer"]  # made when a model is built: reading data loads no TensorFlow


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    name: str
    source: str
    input_shape: tuple[int, ...]
    num_classes: int | None
    class_names: tuple[str, ...]
    sizes: dict[str, int]
    digest: str
    preprocess: Preprocess | None = None
    vocabulary: tuple[str, ...] | None = None
    target_scale: tuple[float, float] | None = None  # (std, mean) of a regression target on the training split
    notes: tuple[str, ...] = ()  # what loading changed (columns left out, cells filled, rows dropped), in words
    last_value_index: int | None = None  # a series whose target is an input: its position among the inputs
    season_index: int | None = None  # a series with a season: the input holding the target one season back
    forecast_change: bool = False  # the model predicts the change from that last value, not the level
    text: TextFacts | None = None  # texts: the bag of words' vocabulary and weights, the texts' lengths
    inputs: Inputs | None = None  # how raw data becomes the model's input (`pipelines.data.encoding`)
    example: pd.DataFrame | None = None  # a few raw rows of a table or series, the logged models' input example

    @property
    def task(self) -> str:
        return "regression" if self.num_classes is None else "classification"

    @property
    def encoding(self) -> Encoding:
        """What predict needs beside the Keras model: the raw inputs' encoding and the class names."""
        from pipelines.data.encoding import ArrayInputs, Encoding

        inputs = self.inputs or ArrayInputs(self.input_shape)
        return Encoding(inputs, self.class_names if self.num_classes is not None else None)


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Arrays, or for streamed sources tf.data pipelines of (x, y) pairs with the labels also as arrays."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    info: DatasetInfo
    files: dict[str, np.ndarray] | None = None  # a streamed source's file names per split

    @property
    def streamed(self) -> bool:
        return self.files is not None

    def fit_data(self) -> tuple[tuple, tuple | object]:
        """Positional arguments and validation_data for fit: (x, y) arrays, or (pairs,) when streamed."""
        if self.streamed:
            return (self.x_train,), self.x_val
        return (self.x_train, self.y_train), (self.x_val, self.y_val)

    def records(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What identifies each split for MLflow: the arrays, or a streamed source's file names."""
        xs = self.files or {"train": self.x_train, "validation": self.x_val, "test": self.x_test}
        return {
            "train": (xs["train"], self.y_train),
            "validation": (xs["validation"], self.y_val),
            "test": (xs["test"], self.y_test),
        }


def batches(x, size: int = 256):
    """Arrays as they are; a tf.data pipeline batched, for predict."""
    return x.batch(size).prefetch(-1) if hasattr(x, "batch") else x


def head(x, count: int) -> np.ndarray:
    """The first samples as an array (an input example), from arrays or a stream of pairs."""
    if isinstance(x, np.ndarray):
        return x[:count]
    return np.stack([sample.numpy() for sample, _ in x.take(count)])


def split_indices(
    y: np.ndarray,
    test_split: float,
    validation_split: float,
    seed: int,
    stratify: bool,
    shuffle: bool = True,
    given: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Row indices of train, validation and test: test cut first, then validation from the rest.

    `given` names a split per row ("validation", "test", or "" for rows to be
    split): rows from explicit validation or test files keep their split, and
    that share is then not cut from the other rows.
    """
    given = np.asarray(given if given is not None else [""] * len(y), dtype=object)
    parts = {name: np.flatnonzero(given == name) for name in ("validation", "test")}
    free = np.flatnonzero(given == "")
    try:
        for name, share in (("test", test_split), ("validation", validation_split)):
            if len(parts[name]) == 0:
                free, parts[name] = train_test_split(
                    free, test_size=share, random_state=seed, shuffle=shuffle, stratify=y[free] if stratify else None
                )
    except ValueError as exc:
        raise DataError(
            f"cannot split {len(free)} samples into train, validation and test ({exc}). "
            "Lower test_split / validation_split or use more data."
        ) from None
    parts["train"] = free
    return parts


def split(x: np.ndarray, y: np.ndarray, *how, **more):
    """x_train, y_train, x_val, y_val, x_test, y_test: the rows `split_indices(y, *how, **more)` gives."""
    parts = split_indices(y, *how, **more)
    return tuple(array[parts[name]] for name in ("train", "validation", "test") for array in (x, y))


def digest(*arrays: np.ndarray) -> str:
    h = hashlib.sha256()
    for array in arrays:
        h.update(
            np.ascontiguousarray(array).tobytes() if array.dtype != object else "\x1f".join(map(str, array)).encode()
        )
    return h.hexdigest()[:16]


def normalizer(x_train: np.ndarray) -> Preprocess:
    """Per-feature standardization with the training split's statistics, as a layer."""
    axes = tuple(range(x_train.ndim - 1))
    mean, variance = x_train.mean(axis=axes), x_train.var(axis=axes)
    variance = np.where(variance > 0, variance, 1.0)

    def layer():
        import keras

        return keras.layers.Normalization(mean=mean, variance=variance)

    return layer


def rescaler(scale: float) -> Preprocess:
    def layer():
        import keras

        return keras.layers.Rescaling(scale)

    return layer


def check_arrays(x: np.ndarray, y: np.ndarray, where: str, class_names: tuple[str, ...] | None) -> None:
    if len(x) != len(y):
        raise DataError(f"{where}: {len(x)} samples but {len(y)} labels; x and y must have the same length.")
    if len(x) == 0:
        raise DataError(f"{where}: no samples. Check the file or folder.")
    if x.dtype != object and not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).sum())
        raise DataError(f"{where}: {bad} values are NaN or infinite. Fill or drop them before the search.")
    if class_names is not None and len(np.unique(y)) < 2:
        raise DataError(f"{where}: only one class ({class_names[int(y[0])]!r}); classification needs at least two.")
    if class_names is None and not np.isfinite(np.asarray(y, dtype="float64")).all():
        raise DataError(f"{where}: the target has NaN or infinite values. Fill or drop them before the search.")
    if class_names is not None and np.bincount(y).min() < 3:
        rare = int(np.argmin(np.bincount(y)))
        raise DataError(
            f"{where}: class {class_names[rare]!r} has fewer than 3 samples; the stratified "
            "train / validation / test split needs at least 3 per class."
        )


def encode_labels(y, where: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class labels of any type to 0..k-1, with their names in sorted order."""
    values = np.asarray(y)
    if values.dtype != object and np.issubdtype(values.dtype, np.floating) and not np.isfinite(values).all():
        raise DataError(f"{where}: the labels have NaN or infinite values. Drop those rows.")
    classes, codes = np.unique(values.astype(str) if values.dtype == object else values, return_inverse=True)
    return codes.astype("int64"), tuple(str(c) for c in classes)


IMBALANCED = 0.2  # the smallest class under this share of the largest
IMBALANCED_NOTE = "classes are imbalanced"  # how the data's note on it begins


def imbalance(y_train: np.ndarray, class_names: tuple[str, ...]) -> list[str]:
    """A note when the training split's smallest class is under a fifth of its largest: accuracy then rewards
    ignoring the small class, which per-class recall and macro F1 show (the advice on `class_weight` is the
    search's, which knows whether it is on: `pipelines.setup.class_weight_advice`)."""
    counts = np.bincount(y_train, minlength=len(class_names))
    small, large = int(np.argmin(counts)), int(np.argmax(counts))
    if counts[small] >= IMBALANCED * counts[large]:
        return []
    return [
        f"{IMBALANCED_NOTE}: {class_names[small]!r} has {counts[small]:,} training rows, "
        f"{class_names[large]!r} {counts[large]:,}; accuracy rewards answering the common classes, so read "
        f"the per-class recall and macro F1"
    ]


def balanced_class_weights(y_train: np.ndarray) -> dict[int, float]:
    """Keras class weights that give every class the same total weight: n / (classes x count)."""
    counts = np.bincount(y_train)
    return {k: float(len(y_train) / (len(counts) * c)) for k, c in enumerate(counts) if c}


class Origin(TypedDict):
    """Where data came from, as `make_dataset` is told it: its name, its source, and where an error points."""

    name: str
    source: str
    where: str


def _first_per_class(parts: tuple, count: int, class_names: tuple[str, ...] | None, where: str) -> tuple:
    """The split with only the first `count` training samples of each class (`data.train_per_class`)."""
    if class_names is None:
        raise DataError(f"{where}: data.train_per_class needs classes, but this is a regression task. Remove it.")
    keep = np.sort(np.concatenate([np.flatnonzero(parts[1] == k)[:count] for k in range(len(class_names))]))
    return (parts[0][keep], parts[1][keep], *parts[2:])


def _preprocess_layer(preprocess: str | float | None, x_train: np.ndarray) -> Preprocess | None:
    """What `make_dataset`'s `preprocess` makes: a normalizer fitted on the training split, a fixed rescaling,
    or nothing."""
    if preprocess == "normalize":
        return normalizer(x_train.astype("float32"))
    if isinstance(preprocess, float):
        return rescaler(preprocess)
    return None


def read_from(path: Path) -> Origin:
    """The origin of data read from the file or folder at `path`."""
    return {"name": path.stem, "source": str(path), "where": str(path)}


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    *,
    name: str,
    source: str,
    class_names: tuple[str, ...] | None,
    config,
    seed: int,
    where: str,
    preprocess: str | float | None = "normalize",
    shuffle: bool = True,
    given: np.ndarray | None = None,
    notes: tuple[str, ...] = (),
    inputs: Inputs | None = None,
) -> Dataset:
    """Check, split and describe raw arrays; `class_names=None` means regression.

    `preprocess`: "normalize" (fitted on the training split), a float (a fixed
    rescaling, e.g. 1/255 for pixels), or None. `inputs`: how raw data becomes
    `x` (default: `x` is the raw data, numbers of its shape).
    """
    task = "regression" if class_names is None else "classification"
    check_arrays(x, y, where, class_names)
    parts = split(x, y, config.test_split, config.validation_split, seed, task == "classification", shuffle, given)
    if getattr(config, "train_per_class", None):
        parts = _first_per_class(parts, config.train_per_class, class_names, where)
    if class_names is not None:
        notes = (*notes, *imbalance(parts[1], class_names))
    info = DatasetInfo(
        name=name,
        source=source,
        input_shape=tuple(x.shape[1:]),
        num_classes=None if class_names is None else len(class_names),
        class_names=class_names or (),
        sizes={"train": len(parts[0]), "validation": len(parts[2]), "test": len(parts[4])},
        digest=digest(x, np.asarray(y)),
        preprocess=_preprocess_layer(preprocess, parts[0]),
        target_scale=None if task == "classification" else (float(parts[1].std() or 1.0), float(parts[1].mean())),
        notes=notes,
        inputs=inputs,
    )
    x_train, y_train, x_val, y_val, x_test, y_test = parts
    return Dataset(x_train, y_train, x_val, y_val, x_test, y_test, info)
