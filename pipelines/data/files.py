"""The user's own files: a CSV table, an NPZ of arrays, text for classification."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.data import columns
from pipelines.data.core import Dataset, encode_labels, make_dataset, read_from, split_indices
from pipelines.data.encoding import TableInputs, TextInputs
from pipelines.data.sources import CsvData, NpzData, TextData
from pipelines.errors import DataError
from pipelines.logs import load_tensorflow

MAX_CATEGORIES = 50  # a text column with more distinct values is free text or an id, not a category
VOCABULARY_SIZE = 20000
EXAMPLE_ROWS = 5  # raw rows kept as the logged models' input example


def _sniff(path: Path) -> str:
    with path.open(encoding="utf-8", errors="replace") as f:
        sample = "".join(f.readline() for _ in range(5))
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(path: Path, delimiter: str | None, header: bool) -> pd.DataFrame:
    """A delimited table; a tab-separated one is read without quoting, as TSV files are written."""
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty.")
    delimiter = delimiter or _sniff(path)
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    try:
        frame = pd.read_csv(path, sep=delimiter, header=0 if header else None, quoting=quoting)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read as a table ({exc}). Check data.delimiter and data.header.") from None
    if frame.empty:
        raise DataError(f"{path}: the table has no rows.")
    columns.delimiter_hint(frame, path, delimiter)
    frame = unquoted(frame)
    frame.attrs["source"] = str(path)  # named in the encoding's messages
    return frame


QUOTES = ("'", '"')


def unquoted(frame: pd.DataFrame) -> pd.DataFrame:
    """The table without the quotes that wrap every cell of a column (or a header), which the reader keeps, and
    with a column of numbers read as numbers: files converted from ARFF write labels as '1' and '-1', a TSV is
    read without quoting, and pandas before 3 reads a number beyond float's range (1e400) as text, which made
    its column a category. Quoted, the classes would be named "'1'"."""

    def strip(text: str) -> str:
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in QUOTES else text

    def quoted(text: pd.Series) -> bool:
        return text.str.len().ge(2).all() and any(text.str[0].eq(q).all() and text.str[-1].eq(q).all() for q in QUOTES)

    frame = frame.rename(columns=lambda name: strip(name) if isinstance(name, str) else name)
    for name in frame.columns:
        cells = frame[name]
        if pd.api.types.is_numeric_dtype(cells) or cells.dropna().empty:
            continue
        if quoted(cells.dropna().astype(str)):
            cells = cells.map(lambda v: strip(v) if isinstance(v, str) else v)
        frame[name] = _as_numbers(cells)
    return frame


def _as_numbers(cells: pd.Series) -> pd.Series:
    """The column as numbers (whole ones as integers) when every cell is a number as Python reads one (1e400 is
    inf, which pandas 2 does not parse), else as it is."""
    numbers = pd.to_numeric(cells, errors="coerce")
    if numbers.notna().sum() == cells.notna().sum():
        return numbers
    try:
        return cells.map(lambda v: float(v) if isinstance(v, str) else v).astype("float64")
    except (TypeError, ValueError):
        return cells


def column(frame: pd.DataFrame, key: str | int, path: Path, what: str) -> str | int:
    """A column by name, or by position (negative counts from the end)."""
    if isinstance(key, int):
        if not -len(frame.columns) <= key < len(frame.columns):
            raise DataError(f"{path}: data.{what}: position {key} is outside the {len(frame.columns)} columns.")
        return frame.columns[key]
    if key not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:20]))
        raise DataError(
            f"{path}: data.{what}: no column named {key!r}; the columns are {shown}. "
            "For a file without a header row set header: false and give a position."
        )
    return key


def with_extras(read, path: Path, extras: dict[str, Path], length=len):
    """The main file's records followed by those of the explicit validation / test files, and each row's split."""
    parts = [read(path), *(read(p) for p in extras.values())]
    given = np.concatenate(
        [np.full(length(part), name, dtype=object) for part, name in zip(parts, ["", *extras], strict=False)]
    )
    return parts, given


def csv_table(config: CsvData, seed: int, path: Path, extras: dict[str, Path]) -> Dataset:
    parts, given = with_extras(lambda p: read_table(p, config.delimiter, config.header), path, extras)
    if any(list(part.columns) != list(parts[0].columns) for part in parts[1:]):
        raise DataError(f"{path}: the validation or test file has other columns than {path.name}; they must match.")
    frame = pd.concat(parts, ignore_index=True)
    target = column(frame, config.target, path, "target")
    notes: list[str] = []
    names = columns.chosen(frame, target, config.inputs, config.drop, path, column)
    frame = columns.mark_missing(frame, config.missing_values, names, path, notes)
    names, dates = columns.dates(frame, names, config.dates, notes)
    frame = columns.numbers(frame, [n for n in names if n not in dates], config.invalid, path, notes)
    kept = columns.missing_rows(frame, names, config.missing, path, notes)
    frame, given = frame[kept].reset_index(drop=True), given[kept]
    y_raw = frame[target]
    if config.task == "regression":
        y, classes = pd.to_numeric(y_raw, errors="coerce").to_numpy("float32"), None
    else:
        y, classes = encode_labels(y_raw.to_numpy(), str(path))
    # make_dataset splits the rows again with the same ids, labels and seed, so the partitions are identical.
    train_rows = split_indices(
        y,
        config.test_split,
        config.validation_split,
        seed,
        stratify=classes is not None and np.bincount(y).min() >= 3,
        given=given,
    )["train"]
    table = TableInputs.fit(frame[names], dates, train_rows, config, target, parts[0])
    dataset = make_dataset(
        table.encode(frame[names], []),  # the encoding predict uses: the same code for the search's rows
        y,
        **read_from(path),
        class_names=classes,
        config=config,
        seed=seed,
        given=given,
        notes=tuple(notes),
        inputs=table,
    )
    example = parts[0][names].dropna().head(EXAMPLE_ROWS).rename(columns=str)  # as read: text, numbers, dates
    return dataclasses.replace(dataset, info=dataclasses.replace(dataset.info, example=example))


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        arrays = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(
            f"{path}: not an NPZ archive ({str(exc).splitlines()[0][:120]}). Save it with np.savez(path, x=..., y=...)."
        ) from None
    if not hasattr(arrays, "files"):  # a single .npy array, not an archive of named arrays
        raise DataError(f"{path}: holds one array, not the arrays x and y. Save it with np.savez(path, x=..., y=...).")
    with arrays:
        missing = [k for k in ("x", "y") if k not in arrays]
        if missing:
            raise DataError(
                f"{path}: no array named {', '.join(missing)}; the file has {', '.join(arrays.files) or 'none'}. "
                "Save it with np.savez(path, x=..., y=...)."
            )
        x, y = arrays["x"].astype("float32"), arrays["y"]
    if len(x) != len(y):
        raise DataError(f"{path}: x has {len(x)} samples but y has {len(y)}; they must have the same length.")
    return x, y


def npz_arrays(config: NpzData, seed: int, path: Path, extras: dict[str, Path]) -> Dataset:
    parts, given = with_extras(_read_npz, path, extras, length=lambda pair: len(pair[0]))
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    if config.task == "regression":
        y, names = y.astype("float32"), None
    else:
        y, names = encode_labels(y, str(path))
    return make_dataset(
        x,
        y,
        **read_from(path),
        class_names=names,
        config=config,
        seed=seed,
        given=given,
    )


def _text_folder(path: Path) -> tuple[np.ndarray, np.ndarray]:
    texts, labels = [], []
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        for file in sorted(folder.glob("*.txt")):
            texts.append(file.read_text(encoding="utf-8", errors="replace"))
            labels.append(folder.name)
    if not texts:
        raise DataError(f"{path}: no .txt files in class sub-folders; expected {path}/<class>/<file>.txt.")
    return np.array(texts, dtype=object), np.array(labels, dtype=object)


def _read_texts(config: TextData, path: Path) -> tuple[np.ndarray, np.ndarray, TextInputs]:
    """The texts, their labels, and the column predict reads them from: the table's own (by name, or by position
    without a header row), or `text` for a folder."""
    if path.is_dir():
        return (*_text_folder(path), TextInputs())
    frame = read_table(path, config.delimiter, config.header)
    text_col = column(frame, config.text_column, path, "text_column")
    label_col = column(frame, config.label_column, path, "label_column")
    frame = frame.dropna(subset=[text_col, label_col])
    return (
        frame[text_col].astype(str).to_numpy(dtype=object),
        frame[label_col].to_numpy(dtype=object),
        TextInputs(str(text_col), config.delimiter, config.header),
    )


def text_classification(config: TextData, seed: int, path: Path, extras: dict[str, Path]) -> Dataset:
    """Raw strings in, so the logged model classifies raw text; the vocabulary comes from the training split."""
    parts, given = with_extras(lambda p: _read_texts(config, p), path, extras, length=lambda pair: len(pair[0]))
    texts = np.concatenate([p[0] for p in parts])
    y, names = encode_labels(np.concatenate([p[1] for p in parts]).astype(str), str(path))
    dataset = make_dataset(
        texts,
        y,
        **read_from(path),
        class_names=names,
        config=config,
        seed=seed,
        preprocess=None,
        given=given,
        inputs=parts[0][2],
    )
    load_tensorflow()  # the tokenizer, once the texts are read and checked; TensorFlow's notices to the log
    import keras

    from pipelines.data.text import text_facts

    vectorizer = keras.layers.TextVectorization(max_tokens=VOCABULARY_SIZE)
    vectorizer.adapt(dataset.x_train.astype(str))
    vocabulary = tuple(vectorizer.get_vocabulary())
    facts = text_facts(dataset.x_train, vectorizer)
    return dataclasses.replace(dataset, info=dataclasses.replace(dataset.info, vocabulary=vocabulary, text=facts))
