"""Data sets as train / validation / test splits plus what the model builders need to know.

The test split is cut first and only ever used for the final evaluation of a
trained model; hyperparameters are chosen on the validation split.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
from sklearn import datasets as sk_datasets
from sklearn.model_selection import train_test_split

from pipelines.config import DataConfig
from pipelines.errors import DataError


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    name: str
    input_shape: tuple[int, ...]
    num_classes: int | None
    class_names: tuple[str, ...]
    sizes: dict[str, int]
    digest: str

    @property
    def task(self) -> str:
        return "regression" if self.num_classes is None else "classification"


@dataclasses.dataclass(frozen=True)
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    info: DatasetInfo


def split(x: np.ndarray, y: np.ndarray, test_split: float, validation_split: float, seed: int, stratify: bool):
    """Stratified, seeded three-way split: test first, then validation from the rest."""
    try:
        x_rest, x_test, y_rest, y_test = train_test_split(
            x, y, test_size=test_split, random_state=seed, stratify=y if stratify else None
        )
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=validation_split, random_state=seed, stratify=y_rest if stratify else None
        )
    except ValueError as exc:
        raise DataError(
            f"cannot split {len(x)} samples into train, validation and test ({exc}). "
            "Lower test_split / validation_split or use more data."
        ) from None
    return x_train, y_train, x_val, y_val, x_test, y_test


def _digest(x: np.ndarray, y: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(x).tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    return h.hexdigest()[:16]


def _digits(layout: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """scikit-learn's 8x8 digits, pixel values 0-16 scaled to 0-1 (a fixed scale: nothing to leak)."""
    bunch = sk_datasets.load_digits()
    x = (bunch.images / 16.0).astype("float32")
    shapes = {"image": (-1, 8, 8, 1), "flat": (-1, 64), "sequence": (-1, 8, 8)}
    return x.reshape(shapes[layout]), bunch.target.astype("int64"), tuple(str(c) for c in bunch.target_names)


def load_dataset(config: DataConfig, seed: int) -> Dataset:
    x, y, class_names = _digits(config.layout)
    parts = split(x, y, config.test_split, config.validation_split, seed, stratify=True)
    x_train, y_train, x_val, y_val, x_test, y_test = parts
    info = DatasetInfo(
        name=f"{config.source}-{config.layout}",
        input_shape=x.shape[1:],
        num_classes=len(class_names),
        class_names=class_names,
        sizes={"train": len(x_train), "validation": len(x_val), "test": len(x_test)},
        digest=_digest(x, y),
    )
    return Dataset(x_train, y_train, x_val, y_val, x_test, y_test, info)
