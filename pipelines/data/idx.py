"""MNIST and Fashion-MNIST from the published IDX files, or from Keras' download."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from pipelines.data.builtin import LAYOUTS
from pipelines.data.core import Dataset, make_dataset
from pipelines.data.sources import MnistData
from pipelines.errors import DataError

FASHION_NAMES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot")


def read_idx(path: Path) -> np.ndarray:
    """The IDX format: magic (2 zero bytes, type, rank), big-endian dimensions, then unsigned bytes."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes.")
    rank = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(rank))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    return next((p for p in (folder / f"{stem}.gz", folder / stem) if p.is_file()), None)


def load_folder(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Every split found in the folder (train and/or t10k), joined; the runner makes its own splits."""
    xs, ys = [], []
    for prefix in ("train", "t10k"):
        images, labels = _find(folder, f"{prefix}-images-idx3-ubyte"), _find(folder, f"{prefix}-labels-idx1-ubyte")
        if images and labels:
            xs.append(read_idx(images))
            ys.append(read_idx(labels))
    if not xs:
        raise DataError(
            f"{folder}: no IDX files; expected train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz "
            "and/or the t10k-* pair."
        )
    return np.concatenate(xs), np.concatenate(ys)


def mnist(config: MnistData, seed: int, path: Path | None) -> Dataset:
    if path is None:
        from pipelines.logs import load_tensorflow

        load_tensorflow()
        import keras

        module = keras.datasets.mnist if config.source == "mnist" else keras.datasets.fashion_mnist
        (x_a, y_a), (x_b, y_b) = module.load_data()
        x, y = np.concatenate([x_a, x_b]), np.concatenate([y_a, y_b])
    else:
        x, y = load_folder(path)
    if config.limit:
        x, y = x[: config.limit], y[: config.limit]
    x = x.astype("float32").reshape((-1, *LAYOUTS[config.layout](28)))
    names = FASHION_NAMES if config.source == "fashion_mnist" else tuple(str(d) for d in range(10))
    return make_dataset(
        x,
        y.astype("int64"),
        name=f"{config.source}-{config.layout}",
        source=str(path or "keras download"),
        class_names=names,
        config=config,
        seed=seed,
        where=str(path or config.source),
        preprocess=1 / 255,
    )
