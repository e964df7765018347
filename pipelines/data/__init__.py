"""Data sets as train / validation / test splits plus what the model builders need to know.

The test split is cut first and only ever used for the final evaluation of a
trained model; hyperparameters are chosen on the validation split.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.data.core import Dataset, DatasetInfo, batches, head, split

# Each source's loader, by module and function name: the modules import (scikit-learn, pandas) only when data load.
BUILTIN_LOADERS = {
    "digits": "digits",
    **dict.fromkeys(("iris", "wine", "breast_cancer", "diabetes"), "sklearn_set"),
    **dict.fromkeys(("adding", "long_range", "ends"), "synthetic"),
    "scaled_features": "scaled_features",
}
FILE_LOADERS = {"images": ("images", "image_folder"), "timeseries": ("timeseries", "time_series")}
# These also take explicit validation and test files.
SPLIT_FILE_LOADERS = {
    "csv": ("files", "csv_table"),
    "npz": ("files", "npz_arrays"),
    "text": ("files", "text_classification"),
}


def __getattr__(name: str):
    """The data's types and helpers, imported on first use: reading an experiment file names this package but
    loads no data, so it does not wait for scikit-learn and pandas to import."""
    if name in ("Dataset", "DatasetInfo", "batches", "head", "split"):
        from pipelines.data import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_dataset(config, seed: int, base_dir: Path = Path(".")) -> Dataset:
    import importlib

    from pipelines.data.sources import data_paths

    def loader(module: str, name: str):
        return getattr(importlib.import_module(f"pipelines.data.{module}"), name)

    if config.source in BUILTIN_LOADERS:
        return loader("builtin", BUILTIN_LOADERS[config.source])(config, seed)
    paths = data_paths(config, base_dir)
    if config.source in ("mnist", "fashion_mnist"):
        return loader("idx", "mnist")(config, seed, paths.get("path"))
    if config.source in SPLIT_FILE_LOADERS:
        extras = {name: paths[f"{name}_path"] for name in ("validation", "test") if f"{name}_path" in paths}
        return loader(*SPLIT_FILE_LOADERS[config.source])(config, seed, paths["path"], extras)
    return loader(*FILE_LOADERS[config.source])(config, seed, paths["path"])


__all__ = ["Dataset", "DatasetInfo", "batches", "head", "load_dataset", "split"]
