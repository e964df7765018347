"""Data sets as train / validation / test splits plus what the model builders need to know.

The test split is cut first and only ever used for the final evaluation of a
trained model; hyperparameters are chosen on the validation split.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.data import builtin, files, idx, images, timeseries
from pipelines.data.core import Dataset, DatasetInfo, batches, head, split
from pipelines.errors import DataError

FILE_LOADERS = {
    "csv": files.csv_table,
    "npz": files.npz_arrays,
    "text": files.text_classification,
    "images": images.image_folder,
    "timeseries": timeseries.time_series,
}
BUILTIN_LOADERS = {
    "digits": builtin.digits,
    "iris": builtin.sklearn_set,
    "wine": builtin.sklearn_set,
    "breast_cancer": builtin.sklearn_set,
    "diabetes": builtin.sklearn_set,
    "adding": builtin.synthetic,
    "long_range": builtin.synthetic,
}


def resolve(path: str, base_dir: Path) -> Path:
    """A relative path is read from the experiment file's folder, so a file runs from any working directory."""
    resolved = (base_dir / path).resolve() if not Path(path).is_absolute() else Path(path)
    if not resolved.exists():
        raise DataError(f"data.path: {resolved} does not exist. Paths are relative to the experiment file's folder.")
    return resolved


def load_dataset(config, seed: int, base_dir: Path = Path(".")) -> Dataset:
    if config.source in BUILTIN_LOADERS:
        return BUILTIN_LOADERS[config.source](config, seed)
    if config.source in ("mnist", "fashion_mnist"):
        return idx.mnist(config, seed, resolve(config.path, base_dir) if config.path else None)
    return FILE_LOADERS[config.source](config, seed, resolve(config.path, base_dir))


__all__ = ["Dataset", "DatasetInfo", "batches", "head", "load_dataset", "split"]
