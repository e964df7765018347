"""How data as a user has it becomes the model's input, and the model's output an answer in the user's words.

What is fitted on the training split and does not live in a Keras layer (the
table's columns, categories, fill values and date features; a text, image or
series column's name; a series' window; the class names) is one `Encoding`,
made by the loader in `pipelines/data/`. The search encodes its own rows with
it, it is saved as JSON beside every logged model, and `predict` (the pyfunc
model, `automl predict`, `mlflow models serve`) reads it back: the encoding is
written once. Standardization, rescaling, text vectorization and a target's
scale are layers of the Keras model itself, so they need nothing here.

Each kind of input reads a `pandas.DataFrame` of raw columns (what MLflow's
pyfunc and its server hand over) and can read a file or folder for
`automl predict` (`read`), with an id per row for the answers.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pipelines.data import columns
from pipelines.errors import DataError

PROBABILITY = "probability_"  # an answer's column per class: probability_spam
PREDICTION = "prediction"  # an answer's column: the label as the user wrote it, or a value in the target's unit
DATE_FEATURES = ("day_sin", "day_cos", "weekday", "month")
SHOWN = 3  # values quoted in a note or an error
ROW = "__row__"  # a series' rows' places in the file, carried through sorting and gaps to name each window


def mlflow_type(values: pd.Series) -> str:
    """A number column's type in the signature as training read it: MLflow refuses integers where it expects
    doubles ("Can not safely convert int64 to float64"), so a column of whole numbers is "long"."""
    return "long" if pd.api.types.is_integer_dtype(values) else "double"


def _where(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("source", "the data"))


def _row_names(frame: pd.DataFrame, rows: np.ndarray) -> str:
    """Rows as a person counts them in the file: the first data row is row 2, under the header."""
    offset = int(frame.attrs.get("first_row", 2))
    return ", ".join(f"row {int(i) + offset}" for i in rows[:SHOWN])


def _required(frame: pd.DataFrame, names: list[str], notes: list[str], what: str) -> pd.DataFrame:
    """The frame's columns `names` (as text), the others ignored with a note; a missing one is an error."""
    frame = frame.rename(columns=str)
    absent = [n for n in names if n not in frame.columns]
    if absent:
        raise DataError(
            f"{_where(frame)}: {what} {', '.join(map(repr, absent[:SHOWN]))} "
            f"{'is' if len(absent) == 1 else 'are'} missing; the model reads {', '.join(map(repr, names[:20]))}"
            f"{' ...' if len(names) > 20 else ''}. Add {'it' if len(absent) == 1 else 'them'} with the same name."
        )
    extra = [c for c in frame.columns if c not in names]
    if extra:
        notes.append(f"{len(extra)} columns the model does not read ignored ({', '.join(map(repr, extra[:SHOWN]))})")
    if frame.empty:
        raise DataError(f"{_where(frame)}: no rows to predict.")
    return frame[names]


def _numbers(values: pd.Series, frame: pd.DataFrame, invalid: str, notes: list[str]) -> pd.Series:
    """A column the model reads as numbers: text in it is an error, or (`invalid: missing`, as the search was run)
    a missing value."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    parsed = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & parsed.isna()
    if bad.any():
        quoted = ", ".join(
            f"{_row_names(frame, np.array([i]))}: {values.iloc[i]!r}" for i in np.flatnonzero(bad)[:SHOWN]
        )
        if invalid == "error":
            raise DataError(
                f"{_where(frame)}: column {values.name!r} holds numbers in training, but {int(bad.sum())} cells "
                f"are not numbers ({quoted}). Fix them or leave them empty."
            )
        notes.append(f"column {values.name!r}: {int(bad.sum())} cells that are not numbers made missing ({quoted})")
    return parsed.astype("float64")


def _filled(values: pd.Series, fill: float, notes: list[str]) -> np.ndarray:
    empty = values.isna()
    if empty.any():
        notes.append(f"column {values.name!r}: {int(empty.sum())} missing cells filled with the training median")
    return values.fillna(fill).to_numpy("float32")


def _as_text(values: pd.Series) -> pd.Series:
    """Cells as the categories were written in training; a missing cell (NaN, None) is the category "nan"."""
    return values.astype(object).where(values.notna(), np.nan).astype(str)


def date_features(values: pd.Series) -> pd.DataFrame:
    """Day of the year as sine and cosine, weekday and month: NaN where a cell is not a date."""
    when = pd.to_datetime(values.astype(str), errors="coerce", format="mixed")
    angle = 2 * np.pi * (when.dt.dayofyear - 1) / 365.25
    parts = (np.sin(angle), np.cos(angle), when.dt.weekday, when.dt.month)
    return pd.DataFrame({f"{values.name}.{s}": p.astype("float64") for s, p in zip(DATE_FEATURES, parts, strict=True)})


class Inputs:
    """One kind of raw input. `encode` turns a frame of raw columns into what the Keras model takes, adding to
    `notes` what it changed; `read` reads a file or folder into such a frame and one id per row."""

    kind: ClassVar[str]
    KINDS: ClassVar[dict[str, type[Inputs]]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        Inputs.KINDS[cls.kind] = cls

    def columns(self) -> list[tuple[str, str]]:
        """The input columns and their MLflow types ("double", "string"), for the model's signature."""
        raise NotImplementedError

    def encode(self, frame: pd.DataFrame, notes: list[str]) -> Any:
        raise NotImplementedError

    def read(self, path: Path) -> tuple[pd.DataFrame, pd.Series]:
        raise NotImplementedError

    def answer_ids(self, frame: pd.DataFrame, ids: pd.Series) -> pd.Series:
        """The ids of the answers to `frame`: one per row (a series answers one per window)."""
        return ids.reset_index(drop=True)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **dataclasses.asdict(self)}  # type: ignore[call-overload]

    @staticmethod
    def from_dict(data: dict) -> Inputs:
        data = dict(data)
        cls = Inputs.KINDS[data.pop("kind")]
        return cls(**data)


def _table_rows(path: Path, delimiter: str | None = None, header: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    """A table's rows, each named by its line in the file."""
    from pipelines.data.files import read_table

    frame = read_table(path, delimiter, header)
    frame.attrs["first_row"] = 2 if header else 1
    return frame, pd.Series(np.arange(len(frame)) + frame.attrs["first_row"], name="row")


def read_numbers(path: Path, names: list[str] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Samples as numbers, one column per value: an NPZ's array `x`, or a table; `names` the columns to give
    an NPZ's values."""
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as arrays:
            if "x" not in arrays:
                raise DataError(f"{path}: no array named x; save the samples with np.savez(path, x=...).")
            x = arrays["x"].reshape(len(arrays["x"]), -1)
        if names is not None and x.shape[1] != len(names):
            raise DataError(f"{path}: a sample has {x.shape[1]} values, but the model reads {len(names)}.")
        frame = pd.DataFrame(x, columns=names)
        frame.attrs.update(source=str(path), first_row=0)
        return frame, pd.Series(np.arange(len(frame)), name="index")
    return _table_rows(path)


@dataclasses.dataclass(frozen=True)
class ArrayInputs(Inputs):
    """Numbers of a fixed shape (an NPZ, scikit-learn's sets, the digits, MNIST), one column per value, in C
    order: a sample of shape (8, 8, 1) is 64 columns."""

    kind: ClassVar[str] = "arrays"
    shape: tuple[int, ...]
    names: tuple[str, ...] = ()  # the columns' names; default x0, x1, ...

    def __post_init__(self):
        object.__setattr__(self, "shape", tuple(self.shape))
        if not self.names:
            object.__setattr__(self, "names", tuple(f"x{i}" for i in range(int(np.prod(self.shape)))))
        object.__setattr__(self, "names", tuple(self.names))

    def columns(self) -> list[tuple[str, str]]:
        return [(n, "double") for n in self.names]

    def encode(self, frame: pd.DataFrame, notes: list[str]) -> np.ndarray:
        if isinstance(frame, np.ndarray):
            frame = pd.DataFrame(frame.reshape(len(frame), -1), columns=self.names)
        frame = _required(frame, list(self.names), notes, "column")
        values = np.column_stack([_numbers(frame[n], frame, "error", notes) for n in self.names])
        if np.isnan(values).any():
            raise DataError(f"{_where(frame)}: {int(np.isnan(values).sum())} cells are empty; every value is needed.")
        return values.astype("float32").reshape((len(frame), *self.shape))

    def read(self, path: Path) -> tuple[pd.DataFrame, pd.Series]:
        return read_numbers(path, list(self.names))


@dataclasses.dataclass(frozen=True)
class TableInputs(Inputs):
    """A CSV's input columns as the user has them: numbers (missing ones filled with the training median), text
    categories (one-hot over the training rows' categories; one never seen is all zeros) and dates (calendar
    features)."""

    kind: ClassVar[str] = "table"
    spec: tuple[dict, ...]  # per input column: name, kind (number, category, date), fill or fills, categories
    delimiter: str | None = None
    header: bool = True
    width: int = 0  # the training file's column count, so a file without its target column maps by position
    target: str = ""
    invalid: str = "error"
    missing_values: Any = None

    @classmethod
    def fit(cls, frame: pd.DataFrame, dates: list, train_rows: np.ndarray, config, target, raw: pd.DataFrame):
        """Fitted on the training rows of a frame whose number columns are numbers and `dates` its date
        columns, from the file `raw` as read; a text column with too many distinct values is an error."""
        where = raw.attrs.get("source", "the data")
        from pipelines.data.files import MAX_CATEGORIES

        spec: list[dict[str, Any]] = []
        for name in frame.columns:
            values = frame[name]
            if name in dates:
                fills = date_features(values.iloc[train_rows]).median()
                spec.append({"name": str(name), "kind": "date", "fill": [float(np.nan_to_num(v)) for v in fills]})
            elif pd.api.types.is_numeric_dtype(values):
                spec.append(
                    {
                        "name": str(name),
                        "kind": "number",
                        "type": mlflow_type(raw[name]),
                        "fill": float(np.nan_to_num(values.iloc[train_rows].median())),
                    }
                )
            else:
                distinct = values.nunique(dropna=False)
                if distinct > MAX_CATEGORIES:
                    raise DataError(
                        f"{where}: column {name!r} is text with {distinct} distinct values, too many to encode as "
                        f"categories. Leave it out with data.drop: [{name}], or use source: text for text "
                        "classification."
                    )
                categories = sorted(set(_as_text(values.iloc[train_rows])))
                spec.append({"name": str(name), "kind": "category", "categories": categories})
        missing_values = config.missing_values
        if isinstance(missing_values, dict):
            missing_values = {str(k): v for k, v in missing_values.items()}
        return cls(
            tuple(spec),
            config.delimiter,
            config.header,
            len(raw.columns),
            str(target),
            config.invalid,
            missing_values,
        )

    @property
    def names(self) -> list[str]:
        return [c["name"] for c in self.spec]

    def columns(self) -> list[tuple[str, str]]:
        return [(c["name"], c.get("type", "double") if c["kind"] == "number" else "string") for c in self.spec]

    def _by_position(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A file without a header row holds columns by position; without its target column they shift."""
        if self.header or len(frame.columns) != self.width - 1:
            return frame
        positions = [i for i in range(self.width) if str(i) != str(int(self.target) % self.width)]
        return frame.set_axis([str(p) for p in positions], axis=1)

    def encode(self, frame: pd.DataFrame, notes: list[str]) -> np.ndarray:
        frame = _required(self._by_position(frame.rename(columns=str)), self.names, notes, "column").copy()
        frame = columns.mark_missing(frame, self.missing_values, self.names, Path(_where(frame)), notes)
        parts = []
        for column in self.spec:
            values = frame[column["name"]]
            if column["kind"] == "number":
                parts.append(_filled(_numbers(values, frame, self.invalid, notes), column["fill"], notes)[:, None])
            elif column["kind"] == "date":
                features = date_features(values)
                parts.extend(
                    _filled(features[f], fill, [])[:, None] for f, fill in zip(features, column["fill"], strict=True)
                )
                unknown = int(features.iloc[:, 0].isna().sum())
                if unknown:
                    notes.append(
                        f"column {column['name']!r}: {unknown} cells are not dates: filled with the training median"
                    )
            else:
                text = _as_text(values)
                categories = column["categories"]
                unseen = ~text.isin(categories)
                if unseen.any():
                    shown = ", ".join(map(repr, text[unseen].unique()[:SHOWN]))
                    notes.append(
                        f"column {column['name']!r}: {int(unseen.sum())} cells hold values not seen in training "
                        f"({shown}), encoded as unseen (no category)"
                    )
                parts.append(np.stack([(text == c).to_numpy("float32") for c in categories], axis=1))
        return np.concatenate(parts, axis=1).astype("float32")

    def read(self, path: Path) -> tuple[pd.DataFrame, pd.Series]:
        return _table_rows(path, self.delimiter, self.header)


@dataclasses.dataclass(frozen=True)
class TextInputs(Inputs):
    """Raw texts in one column (tokenized inside the model)."""

    kind: ClassVar[str] = "text"
    column: str = "text"
    delimiter: str | None = None
    header: bool = True

    def columns(self) -> list[tuple[str, str]]:
        return [(self.column, "string")]

    def encode(self, frame: pd.DataFrame, notes: list[str]) -> np.ndarray:
        frame = _required(frame, [self.column], notes, "text column")
        return _as_text(frame[self.column]).replace("nan", "").to_numpy(dtype=object)

    def read(self, path: Path) -> tuple[pd.DataFrame, pd.Series]:
        """A folder: every .txt file below it, one text each; a .txt file: one text per line; else a table with
        the training's text column."""
        if path.is_dir():
            files = sorted(path.rglob("*.txt"))
            if not files:
                raise DataError(f"{path}: no .txt files in the folder or below it.")
            texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
            ids = [str(f.relative_to(path)) for f in files]
        elif path.suffix == ".txt":
            lines = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
            if not lines:
                raise DataError(f"{path}: the file has no text; write one text per line.")
            texts, ids = lines, [str(i + 1) for i in range(len(lines))]
        else:
            frame, ids = _table_rows(path, self.delimiter, self.header)
            return _required(frame, [self.column], [], "text column"), ids
        frame = pd.DataFrame({self.column: texts})
        frame.attrs.update(source=str(path))
        return frame, pd.Series(ids, name="file" if path.is_dir() else "line")


@dataclasses.dataclass(frozen=True)
class ImageInputs(Inputs):
    """Image files by path, decoded as the image source decodes them in training (`images.decode`)."""

    kind: ClassVar[str] = "images"
    size: tuple[int, int]
    channels: int
    resize: bool
    column: ClassVar[str] = "path"

    def columns(self) -> list[tuple[str, str]]:
        return [(self.column, "string")]

    def encode(self, frame: pd.DataFrame, notes: list[str]) -> np.ndarray:
        from pipelines.data.images import decode

        frame = _required(frame, [self.column], notes, "column")
        arrays = []
        for path in frame[self.column].astype(str):
            if not Path(path).is_file():
                raise DataError(f"{_where(frame)}: image {path!r} is not a file.")
            image = np.asarray(decode(path, (self.size[0], self.size[1]), self.channels, True))
            arrays.append(image)
        return np.stack(arrays).astype("float32")

    def read(self, path: Path) -> tuple[pd.DataFrame, pd.Series]:
        from pipelines.data.images import EXTENSIONS

        files = sorted(str(p) for p in (path.rglob("*") if path.is_dir() else [path]) if p.suffix.lower() in EXTENSIONS)
        if not files:
            raise DataError(f"{path}: no images ({', '.join(sorted(EXTENSIONS))}) in the folder or below it.")
        frame = pd.DataFrame({self.column: files})
        frame.attrs.update(source=str(path))
        return frame, pd.Series(files, name="file")


@dataclasses.dataclass(frozen=True)
class SeriesInputs(Inputs):
    """A series' rows as its CSV holds them: put in time order, gaps filled as in training, cut into windows.
    Each window's answer is the forecast `horizon` rows after its last row; the last one is the next value."""

    kind: ClassVar[str] = "series"
    inputs: tuple[str, ...]
    target: str
    window: int
    horizon: int
    missing: str = "fill"
    invalid: str = "error"
    missing_values: Any = None
    time_column: str | None = None
    season: int | None = None
    types: dict = dataclasses.field(default_factory=dict)  # the number columns' signature types (`mlflow_type`)

    def __post_init__(self):
        object.__setattr__(self, "inputs", tuple(self.inputs))

    @property
    def read_columns(self) -> list[str]:
        """The columns a window is made of: the inputs, the target (for a season's input), the time."""
        named = [
            *self.inputs,
            *([self.target] if self.season else []),
            *([self.time_column] if self.time_column else []),
        ]
        return list(dict.fromkeys(named))

    @property
    def lag(self) -> int:
        return (self.season - self.horizon) if self.season else 0

    def columns(self) -> list[tuple[str, str]]:
        return [(n, "string" if n == self.time_column else self.types.get(n, "double")) for n in self.read_columns]

    def rows(self, frame: pd.DataFrame, notes: list[str], where: Path, check_order=None) -> pd.DataFrame:
        """The readings as a window reads them: numbers checked, in time order, gaps filled or dropped, and with a
        season the target one season back. Shared by the search's loader and predict."""
        from pipelines.data.timeseries import in_time_order, season_ago

        readings = [c for c in frame.columns if c != self.time_column]
        frame = columns.mark_missing(frame, self.missing_values, readings, where, notes)
        for name in self.read_columns:
            if name != self.time_column:
                frame[name] = _numbers(frame[name], frame, self.invalid, notes)
        frame = in_time_order(frame.assign(**{ROW: np.arange(len(frame))}), self.time_column, where, notes)
        used = frame[list(dict.fromkeys([*self.inputs, *([self.target] if self.target in frame else [])]))]
        empty = used.isna()
        used = used.assign(**{ROW: frame[ROW]})
        if empty.any().any():
            counts = columns.missing_counts(empty)
            notes.append(
                f"{int(empty.to_numpy().sum())} missing cells filled from the previous reading ({counts})"
                if self.missing == "fill"
                else f"{int(empty.any(axis=1).sum())} rows with missing cells dropped ({counts})"
            )
        used = used.ffill().bfill() if self.missing == "fill" else used.dropna()
        if self.season:
            used = season_ago(used, self.target, self.season, self.lag, notes)
        return used

    @property
    def window_inputs(self) -> list[str]:
        return [*self.inputs, *([f"{self.target} one season ago"] if self.season else [])]

    def encode(self, frame: pd.DataFrame, notes: list[str]) -> np.ndarray:
        frame = _required(frame, self.read_columns, notes, "column").copy()
        used = self.rows(frame, notes, Path(_where(frame)))
        values = used[self.window_inputs].to_numpy("float32")
        if len(values) < self.window:
            needed = self.window + self.lag
            raise DataError(
                f"{_where(frame)}: {len(frame)} rows, but the model reads windows of {self.window} rows"
                + (f" and the target {self.lag} rows before them (data.season)" if self.lag else "")
                + f": give at least {needed} rows."
            )
        index = np.arange(self.window)[None, :] + np.arange(len(values) - self.window + 1)[:, None]
        return values[index]

    def answer_ids(self, frame: pd.DataFrame, ids: pd.Series) -> pd.Series:
        """A window's answer is named by its last row: its time, or its row in the file."""
        frame = _required(frame, self.read_columns, [], "column").copy()
        last_rows = self.rows(frame, [], Path(_where(frame)))[ROW].to_numpy()[self.window - 1 :]
        if self.time_column:
            return pd.Series(frame[self.time_column].to_numpy()[last_rows], name=f"window_end ({self.time_column})")
        return pd.Series(ids.to_numpy()[last_rows], name=f"window_end ({ids.name})")

    def read(self, path: Path) -> tuple[pd.DataFrame, pd.Series]:
        return _table_rows(path)


@dataclasses.dataclass(frozen=True)
class Encoding:
    """The raw inputs' encoding and the class names (None for values): what `predict` needs beside the Keras
    model to take data as the user has it and answer in the user's labels."""

    inputs: Inputs
    class_names: tuple[str, ...] | None = None

    def encode(self, frame: pd.DataFrame, notes: list[str] | None = None):
        return self.inputs.encode(frame, [] if notes is None else notes)

    def answer(self, outputs: np.ndarray) -> pd.DataFrame:
        """The model's outputs as answers: the label and one probability column per class, or the value."""
        outputs = np.asarray(outputs)
        if self.class_names is None:
            return pd.DataFrame({PREDICTION: outputs.reshape(len(outputs)).astype("float64")})
        labels = np.asarray(self.class_names, dtype=object)[outputs.argmax(axis=1)]
        answers = pd.DataFrame({PREDICTION: labels.astype(str)})
        for k, name in enumerate(self.class_names):
            answers[PROBABILITY + name] = outputs[:, k].astype("float64")
        return answers

    def answer_columns(self) -> list[tuple[str, str]]:
        if self.class_names is None:
            return [(PREDICTION, "double")]
        return [(PREDICTION, "string"), *((PROBABILITY + n, "double") for n in self.class_names)]

    def to_json(self) -> str:
        return json.dumps({"inputs": self.inputs.to_dict(), "class_names": self.class_names}, indent=1)

    @staticmethod
    def from_json(text: str) -> Encoding:
        data = json.loads(text)
        names = data.get("class_names")
        return Encoding(Inputs.from_dict(data["inputs"]), tuple(names) if names is not None else None)


def raw_example(dataset, count: int = 5) -> pd.DataFrame | None:
    """A few raw test inputs, as the logged models' input example: the rows a loader kept as they were read (a
    table, a series), or test samples (arrays, texts, image files)."""
    info = dataset.info
    if info.example is not None:
        return info.example
    inputs = info.encoding.inputs
    if isinstance(inputs, ArrayInputs) and isinstance(dataset.x_test, np.ndarray):
        x = dataset.x_test[:count]
        return pd.DataFrame(x.reshape(len(x), -1).astype("float64"), columns=list(inputs.names))
    if isinstance(inputs, TextInputs):
        return pd.DataFrame({inputs.column: dataset.x_test[:count].astype(str)})
    if isinstance(inputs, ImageInputs) and dataset.files is not None:
        return pd.DataFrame({inputs.column: dataset.files["test"][:count]})
    return None
