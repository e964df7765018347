"""A time-series CSV cut into windows: the past `window` steps predict the target `horizon` steps ahead."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.data import columns
from pipelines.data.core import Dataset, make_dataset
from pipelines.data.encoding import SeriesInputs, mlflow_type
from pipelines.data.files import column, read_table
from pipelines.data.sources import TimeSeriesData
from pipelines.errors import DataError


def windows(values: np.ndarray, target: np.ndarray, window: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    count = len(values) - window - horizon + 1
    if count < 1:
        raise DataError(f"{len(values)} rows are too few for window {window} and horizon {horizon}.")
    index = np.arange(window)[None, :] + np.arange(count)[:, None]
    return values[index], target[window + horizon - 1 + np.arange(count)]


def time_series(config: TimeSeriesData, seed: int, path: Path) -> Dataset:
    """Splits are chronological (no shuffling): validation and test are the most recent windows. The rows become
    windows through the series' `SeriesInputs`, as predict's do."""
    frame = read_table(path, None, True)
    raw = frame.copy()  # as read: the logged models' input example
    notes: list[str] = []
    target = column(frame, config.target, path, "target")
    readings = [c for c in frame.columns if c != config.time_column]
    frame = columns.mark_missing(frame, config.missing_values, readings, path, notes)
    frame = columns.numbers(frame, readings, config.invalid, path, notes)  # before sorting: rows as in the file
    inputs = _checked_inputs(frame, config, target, readings, path)
    series = SeriesInputs(
        tuple(map(str, inputs)),
        str(target),
        config.window,
        config.horizon,
        config.missing,
        config.invalid,
        config.missing_values,
        config.time_column,
        config.season,
        {str(c): mlflow_type(raw[c]) for c in (*inputs, target)},
    )
    used = series.rows(frame, notes, path)
    window_inputs = series.window_inputs
    x, y = windows(
        used[window_inputs].to_numpy("float32"), used[target].to_numpy("float32"), config.window, config.horizon
    )
    dataset = make_dataset(
        x,
        y,
        name=f"{path.stem}-w{config.window}-h{config.horizon}",
        source=str(path),
        class_names=None,
        config=config,
        seed=seed,
        where=str(path),
        shuffle=False,
        notes=tuple(notes),
        inputs=series,
    )
    index = window_inputs.index(target) if target in window_inputs else None
    dataset = _from_last_value(dataset, index, config, path)
    example = raw[series.read_columns].dropna().head(config.window + series.lag)
    info = dataclasses.replace(dataset.info, example=example if len(example) == config.window + series.lag else None)
    if config.season:
        info = dataclasses.replace(info, season_index=len(window_inputs) - 1)
    return dataclasses.replace(dataset, info=info)


def _checked_inputs(frame: pd.DataFrame, config: TimeSeriesData, target, readings: list, path: Path) -> list:
    """The columns the windows read (`data.inputs`, else every numeric reading), each checked to be there and a
    number, like the target; a season shorter than the horizon is refused."""
    if config.time_column:
        column(frame, config.time_column, path, "time_column")
    inputs = (
        [column(frame, c, path, "inputs") for c in config.inputs]
        if config.inputs
        else [c for c in readings if pd.api.types.is_numeric_dtype(frame[c])]
    )
    non_numeric = [c for c in inputs if not pd.api.types.is_numeric_dtype(frame[c])]
    if non_numeric:
        raise DataError(f"{path}: data.inputs: {non_numeric} are not numeric; list numeric columns only.")
    if not pd.api.types.is_numeric_dtype(frame[target]):
        raise DataError(f"{path}: data.target: column {target!r} is not numeric.")
    if config.season and config.season < config.horizon:
        raise DataError(
            f"{path}: data.season: {config.season} rows is shorter than the horizon {config.horizon}; "
            "give the season's length in rows (12 for monthly data with a yearly cycle)."
        )
    return inputs


def in_time_order(frame: pd.DataFrame, time_column: str | None, path: Path, notes: list[str]) -> pd.DataFrame:
    """Rows in the order of `time_column` (sorted, with a note, if the file is not), each time once; the time
    column itself is left out, as it is never an input."""
    if not time_column:
        return frame
    name = column(frame, time_column, path, "time_column")
    when = pd.to_datetime(frame[name].astype(str), errors="coerce", format="mixed")
    for problem, rows in (("is not a date or time", when.isna()), ("repeats an earlier time", when.duplicated())):
        if rows.any():
            first = int(np.flatnonzero(rows)[0])
            raise DataError(
                f"{path}: data.time_column: row {first + 2} ({frame[name].iloc[first]!r}) {problem}; "
                f"each row of a series needs its own time in {name!r}."
            )
    if not when.is_monotonic_increasing:
        notes.append(f"rows put in the order of {name!r}: the file was not in time order")
        frame = frame.iloc[np.argsort(when.to_numpy(), kind="stable")].reset_index(drop=True)
    return frame.drop(columns=[name])


def season_ago(used: pd.DataFrame, target: str, season: int, lag: int, notes: list[str]) -> pd.DataFrame:
    """An input holding, at each window's last step, the target one season before the forecast time: with it a
    network can learn the seasonal naive forecast, and the first rows, which have none, are left out."""
    name = f"{target} one season ago"
    used = used.assign(**{name: used[target].shift(lag)}).iloc[lag:].reset_index(drop=True)
    notes.append(
        f"input {name!r} added (the target {season} rows before each forecast); the first {lag} "
        "rows, which have none, left out"
    )
    return used


def _from_last_value(dataset: Dataset, index: int | None, config: TimeSeriesData, path: Path) -> Dataset:
    """Where the target is an input, the naive forecast (its last observed value) is known; in change mode the
    network predicts the change from it, scaled by the training split's changes, so a network that learns
    nothing scores the naive forecast rather than worse."""
    if index is None:
        if config.target_mode == "change":
            raise DataError(
                f"{path}: data.target_mode: change predicts the change from the last observed "
                f"{config.target!r}, so it must be among data.inputs. Add it, or set target_mode: level."
            )
        return dataset
    info = dataclasses.replace(dataset.info, last_value_index=index, forecast_change=config.target_mode == "change")
    if info.forecast_change:
        change = dataset.y_train - dataset.x_train[:, -1, index]
        info = dataclasses.replace(info, target_scale=(float(change.std() or 1.0), float(change.mean())))
    return dataclasses.replace(dataset, info=info)
