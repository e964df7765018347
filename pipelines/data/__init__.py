"""Data sets as train / validation / test splits plus what the model builders need to know.

The test split is cut first and only ever used for the final evaluation of a
trained model; hyperparameters are chosen on the validation split.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines.data import builtin, files, idx, images, timeseries
from pipelines.data.core import Dataset, DatasetInfo, batches, head, split
from pipelines.data.sources import data_paths

FILE_LOADERS: dict[str, Callable[..., Dataset]] = {
    "images": images.image_folder,
    "timeseries": timeseries.time_series,
}
# These also take explicit validation and test files.
SPLIT_FILE_LOADERS: dict[str, Callable[..., Dataset]] = {
    "csv": files.csv_table,
    "npz": files.npz_arrays,
    "text": files.text_classification,
}
BUILTIN_LOADERS: dict[str, Callable[..., Dataset]] = {
    "digits": builtin.digits,
    "iris": builtin.sklearn_set,
    "wine": builtin.sklearn_set,
    "breast_cancer": builtin.sklearn_set,
    "diabetes": builtin.sklearn_set,
    "adding": builtin.synthetic,
    "long_range": builtin.synthetic,
    "ends": builtin.synthetic,
}


def load_dataset(config, seed: int, base_dir: Path = Path(".")) -> Dataset:
    if config.source in BUILTIN_LOADERS:
        return BUILTIN_LOADERS[config.source](config, seed)
    paths = data_paths(config, base_dir)
    if config.source in ("mnist", "fashion_mnist"):
        return idx.mnist(config, seed, paths.get("path"))
    if config.source in SPLIT_FILE_LOADERS:
        extras = {name: paths[f"{name}_path"] for name in ("validation", "test") if f"{name}_path" in paths}
        return SPLIT_FILE_LOADERS[config.source](config, seed, paths["path"], extras)
    return FILE_LOADERS[config.source](config, seed, paths["path"])


__all__ = ["Dataset", "DatasetInfo", "batches", "head", "load_dataset", "split"]
