"""A user's table as people have it: columns chosen by name, dates recognised, malformed numbers named.

Everything changed on the way to the model (a column dropped, a cell made
missing, a row dropped, a cell filled) is said in a note: the search prints
the notes, logs them on its parent run, and the report states them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.errors import DataError

MOSTLY = 0.9  # a text column whose cells are this share of dates (numbers) is a date (number) column
SHOWN = 3  # bad cells quoted in an error


def chosen(frame: pd.DataFrame, target, inputs: list | None, drop: list, path: Path, column) -> list:
    """The input columns: `inputs` if given, else every column but the target and those in `drop`."""
    names = (
        [column(frame, key, path, "inputs") for key in inputs] if inputs else [c for c in frame.columns if c != target]
    )
    dropped = [column(frame, key, path, "drop") for key in drop]
    if target in names:
        raise DataError(f"{path}: data.inputs: {target!r} is the target; it cannot be an input too.")
    names = [c for c in names if c not in dropped]
    if not names:
        raise DataError(f"{path}: data.inputs / data.drop leave no input column; keep at least one.")
    return names


def _looks_like_dates(values: pd.Series) -> bool:
    text = values.dropna().astype(str)
    if text.empty or text.str.fullmatch(r"[-+]?\d+(\.\d+)?").all():
        return False
    parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    return parsed.notna().mean() >= MOSTLY


def dates(frame: pd.DataFrame, names: list, how: str, notes: list[str]) -> tuple[list, list]:
    """Date columns never become categories: dropped with a note, or (`dates: features`) kept, parsed in place
    (a cell that is not a date is then missing), for the encoding to turn into calendar features
    (`encoding.date_features`). Returns the input columns kept and which of them are dates."""
    kept, found = [], []
    for name in names:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) or not _looks_like_dates(values):
            kept.append(name)
            continue
        if how == "drop":
            notes.append(f"column {name!r} holds dates: left out (dates: features turns it into calendar features)")
            continue
        frame[name] = pd.to_datetime(values.astype(str), errors="coerce", format="mixed")
        kept.append(name)
        found.append(name)
        notes.append(f"column {name!r} holds dates: turned into day of year (sine, cosine), weekday and month")
    return kept, found


def mark_missing(frame: pd.DataFrame, spec, names: list, path: Path, notes: list[str]) -> pd.DataFrame:
    """Cells holding a value the file uses for "unknown" (`missing_values`: a list for every input column, or a
    list per column) made missing, so the missing-cell rules and their notes apply to them (a 0 for an unmeasured
    insulin level would otherwise be read as a measurement)."""
    if not spec:
        return frame
    per_column = spec if isinstance(spec, dict) else {name: spec for name in names}
    unknown = [name for name in per_column if name not in frame.columns]
    if unknown:
        raise DataError(
            f"{path}: data.missing_values: no column named {unknown[0]!r}; the columns are "
            f"{', '.join(map(str, frame.columns[:20]))}."
        )
    for name, values in per_column.items():
        marked = frame[name].isin(values) | frame[name].astype(str).isin([str(v) for v in values])
        if marked.any():
            frame[name] = frame[name].mask(marked)
            notes.append(
                f"column {name!r}: {int(marked.sum())} cells holding "
                f"{', '.join(f'{v:g}' if isinstance(v, float) else repr(v) for v in values)} "
                "(data.missing_values) made missing"
            )
    return frame


def numbers(frame: pd.DataFrame, names: list, how: str, path: Path, notes: list[str]) -> pd.DataFrame:
    """A text column that is mostly numbers has malformed cells: named with their rows, or made missing."""
    for name in names:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values):
            continue
        parsed = pd.to_numeric(values, errors="coerce")
        present = values.notna()
        bad = present & parsed.isna()
        if not bad.any() or parsed[present].notna().mean() < MOSTLY:
            continue
        rows = ", ".join(f"row {i + 2}: {values[i]!r}" for i in np.flatnonzero(bad)[:SHOWN])  # +2: header, 1-based
        if how == "error":
            raise DataError(
                f"{path}: column {name!r} is numbers but {int(bad.sum())} cells are not ({rows}). Fix "
                "them, or set data.invalid: missing to treat them as missing values (see data.missing)."
            )
        frame[name] = parsed
        notes.append(f"column {name!r}: {int(bad.sum())} cells that are not numbers made missing ({rows})")
    return frame


def missing_counts(empty: pd.DataFrame) -> str:
    """How many cells are missing in each column that has any: "'temp' 2, 'humidity' 1"."""
    return ", ".join(f"{name!r} {int(count)}" for name, count in empty.sum().items() if count)


def missing_rows(frame: pd.DataFrame, names: list, how: str, path: Path, notes: list[str]) -> np.ndarray:
    """Which rows to keep: those with a missing input are dropped (`missing: drop`), kept for filling (`fill`),
    or an error says how to choose."""
    numeric = [
        n for n in names if pd.api.types.is_numeric_dtype(frame[n]) or pd.api.types.is_datetime64_any_dtype(frame[n])
    ]
    empty = frame[numeric].isna()
    if not empty.any().any():
        return np.ones(len(frame), dtype=bool)
    counts = missing_counts(empty)
    if how == "error":
        raise DataError(
            f"{path}: {int(empty.to_numpy().sum())} input cells are missing ({counts}). Set "
            "data.missing: fill (the training rows' median) or drop (the rows)."
        )
    if how == "drop":
        notes.append(f"{int(empty.any(axis=1).sum())} rows with missing inputs dropped ({counts})")
        return ~empty.any(axis=1).to_numpy()
    notes.append(f"{int(empty.to_numpy().sum())} missing input cells filled with the training rows' median ({counts})")
    return np.ones(len(frame), dtype=bool)


def delimiter_hint(frame: pd.DataFrame, path: Path, delimiter: str) -> None:
    """One column whose name holds another likely delimiter: the file was split at the wrong character."""
    if len(frame.columns) != 1:
        return
    name = str(frame.columns[0])
    other = next((d for d in (";", ",", "\t", "|") if d != delimiter and d in name), None)
    if other:
        raise DataError(
            f"{path}: read as one column {name[:60]!r}...; the rows seem split by {other!r}. Set "
            f"data.delimiter: {other!r}."
        )
