"""The `data:` section of an experiment file: one schema per kind of source, told apart by `source`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from pipelines.errors import DataError

# Values a file writes for "unknown": a list for every input column, or a list per column ({insulin: [0]}).
MissingValues = list[str | float] | dict[str, list[str | float]] | None
MISSING_VALUES_HELP = (
    "cell values that mean unknown, made missing: a list for every input column, or a list per "
    "column, e.g. {insulin: [0], bmi: [0]}"
)


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Splits(StrictModel):
    test_split: float = Field(0.2, gt=0, lt=1, description="share of all samples held out for the final test")
    validation_split: float = Field(0.2, gt=0, lt=1, description="share of the rest used to choose hyperparameters")
    train_per_class: int | None = Field(
        None,
        ge=1,
        description="keep only this many training samples per class (few-shot); validation and test stay whole",
    )


class FileSplits(Splits):
    validation_path: str | None = Field(None, description="a file of the same kind used as the validation split")
    test_path: str | None = Field(None, description="a file of the same kind used as the test split")


class DigitsData(Splits):
    source: Literal["digits"]
    layout: Literal["image", "flat", "sequence"] = "image"
    classes: list[int] | None = Field(None, description="keep only these digits, e.g. [0, 1, 2, 3, 4]")


class SklearnData(Splits):
    source: Literal["iris", "wine", "breast_cancer", "diabetes"]


class MnistData(Splits):
    source: Literal["mnist", "fashion_mnist"]
    path: str | None = Field(None, description="folder of the published IDX files; none: Keras' download")
    layout: Literal["image", "flat", "sequence"] = "image"
    limit: int | None = Field(None, ge=10, description="use only the first N images")


class CsvData(FileSplits):
    source: Literal["csv"]
    path: str
    target: str | int = Field(description="label column: its name, or its position (0-based, -1 = last)")
    header: bool = True
    delimiter: str | None = Field(None, description="none: detected from the file")
    task: Literal["classification", "regression"] = "classification"
    inputs: list[str | int] | None = Field(None, description="the input columns; default: all but the target")
    drop: list[str | int] = Field(default_factory=list, description="columns to leave out")
    dates: Literal["drop", "features"] = Field("drop", description="date columns: left out, or calendar features")
    invalid: Literal["error", "missing"] = Field(
        "error", description="cells of a number column that are not numbers: an error naming them, or missing values"
    )
    missing: Literal["error", "fill", "drop"] = Field(
        "error", description="missing input cells: an error, the training rows' median, or the row dropped"
    )
    missing_values: MissingValues = Field(None, description=MISSING_VALUES_HELP)


class NpzData(FileSplits):
    source: Literal["npz"]
    path: str
    task: Literal["classification", "regression"] = "classification"


class TextData(FileSplits):
    source: Literal["text"]
    path: str = Field(
        description="a CSV/TSV file with a text and a label column, or a folder with a sub-folder of .txt files "
        "per class"
    )
    text_column: str | int = 1
    label_column: str | int = 0
    delimiter: str | None = None
    header: bool = True


class ImageFolderData(Splits):
    source: Literal["images"]
    path: str = Field(description="a folder with one sub-folder of images per class")
    image_size: tuple[int, int] | None = Field(
        None, description="[height, width] to resize to; none: all images must share one size"
    )
    color: Literal["grayscale", "rgb"] = "rgb"


class TimeSeriesData(Splits):
    source: Literal["timeseries"]
    path: str
    target: str = Field(description="the column to forecast")
    inputs: list[str] | None = Field(None, description="input columns (default: every numeric column)")
    window: int = Field(12, ge=1, description="past steps the model sees")
    horizon: int = Field(1, ge=1, description="how many steps ahead the target is")
    missing: Literal["fill", "drop"] = "fill"
    invalid: Literal["error", "missing"] = Field(
        "error", description="cells of a number column that are not numbers: an error naming them, or missing values"
    )
    missing_values: MissingValues = Field(None, description=MISSING_VALUES_HELP)
    test_split: float = Field(0.2, gt=0, lt=1)
    time_column: str | None = Field(
        None, description="a date/time column: rows are put in its order, and it is never an input"
    )
    season: int | None = Field(
        None,
        ge=1,
        description="rows per season (12 for monthly data with a yearly "
        "cycle): adds the target one season back as an input and as a baseline",
    )
    target_mode: Literal["change", "level"] = Field(
        "change",
        description="change: the network predicts the change "
        "from the last observed target, so learning nothing scores the "
        "naive forecast; level: the value itself",
    )


class SyntheticData(Splits):
    source: Literal["adding", "long_range", "ends"]
    length: int = Field(50, ge=2, description="time steps T")
    samples: int = Field(3000, ge=30)


class ScaledFeaturesData(Splits):
    source: Literal["scaled_features"]
    samples: int = Field(3000, ge=30)
    features: int = Field(10, ge=2, description="input columns, each a standard normal times its scale")
    decades: float = Field(
        4.0, ge=0, description="the scales run evenly in powers of ten over this many, centred on 1, left unscaled"
    )


DataConfig = Annotated[
    DigitsData
    | SklearnData
    | MnistData
    | CsvData
    | NpzData
    | TextData
    | ImageFolderData
    | TimeSeriesData
    | SyntheticData
    | ScaledFeaturesData,
    Field(discriminator="source"),
]

SOURCE_MODELS: dict[str, type[StrictModel]] = {
    tag: model
    for model in (
        DigitsData,
        SklearnData,
        MnistData,
        CsvData,
        NpzData,
        TextData,
        ImageFolderData,
        TimeSeriesData,
        SyntheticData,
        ScaledFeaturesData,
    )
    for tag in get_args(model.model_fields["source"].annotation)
}


# What each source's paths must be: a file, a folder, or either (text: a table, or a folder of class folders).
FILE, FOLDER, EITHER = "a file", "a folder", "a file or a folder"
PATH_KINDS = {
    "csv": FILE,
    "npz": FILE,
    "timeseries": FILE,
    "text": EITHER,
    "images": FOLDER,
    "mnist": FOLDER,
    "fashion_mnist": FOLDER,
}
PATH_KEYS = ("path", "validation_path", "test_path")


def resolve(path: str, base_dir: Path, source: str, key: str = "path") -> Path:
    """A data path, relative to the experiment file's folder so a file runs from any working directory, checked to
    be there and of the kind its source reads."""
    resolved = (base_dir / path).resolve() if not Path(path).is_absolute() else Path(path)
    if not resolved.exists():
        raise DataError(f"data.{key}: {resolved} does not exist. Paths are relative to the experiment file's folder.")
    kind = PATH_KINDS.get(source, EITHER)
    if (kind == FILE and not resolved.is_file()) or (kind == FOLDER and not resolved.is_dir()):
        found = "a folder" if resolved.is_dir() else "not a regular file"
        raise DataError(f"data.{key}: {resolved} is {found}; source: {source} reads {kind} there.")
    return resolved


def data_paths(config, base_dir: Path) -> dict[str, Path]:
    """Each path the data section gives, resolved and checked: cheap, so a wrong path fails before anything loads."""
    return {
        key: resolve(getattr(config, key), base_dir, config.source, key)
        for key in PATH_KEYS
        if getattr(config, key, None)
    }
