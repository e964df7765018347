"""Tables as people have them: a date column, malformed numbers, missing cells, a wrong delimiter, column choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipelines.data import load_dataset
from pipelines.errors import DataError
from pipelines.sources import CsvData, TimeSeriesData

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def weather(tmp_path, rows=120, bad: dict[int, str] | None = None, missing: tuple[int, ...] = ()) -> Path:
    """Daily readings with a date column, a numeric column (some cells malformed or empty) and a rain label."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"date": pd.date_range("2021-01-01", periods=rows).strftime("%Y-%m-%d"),
                          "station": rng.choice(["north", "south"], rows),
                          "temp": rng.normal(15, 5, rows).round(1).astype(object),
                          "humidity": rng.uniform(20, 90, rows).round(0),
                          "rain": rng.choice(["no", "yes"], rows)})
    for row, text in (bad or {}).items():
        frame.loc[row, "temp"] = text
    for row in missing:
        frame.loc[row, "humidity"] = None
    path = tmp_path / "weather.csv"
    frame.to_csv(path, index=False)
    return path


def load(path: Path, **keys):
    return load_dataset(CsvData(source="csv", path=str(path), target="rain", **keys), seed=1)


def test_a_date_column_is_left_out_with_a_note_or_becomes_calendar_features(tmp_path):
    path = weather(tmp_path)
    plain = load(path)
    assert any("column 'date' holds dates: left out" in note for note in plain.info.notes), plain.info.notes
    assert plain.info.input_shape == (4,)  # station one-hot (2), temp, humidity
    calendar = load(path, dates="features")
    assert calendar.info.input_shape == (8,)  # and day of year (sine, cosine), weekday, month
    assert any("turned into day of year" in note for note in calendar.info.notes)


def test_malformed_numbers_are_named_with_their_rows_and_can_be_made_missing(tmp_path):
    path = weather(tmp_path, bad={4: "?0.2", 9: "12..5"})
    with pytest.raises(DataError, match=r"column 'temp' is numbers but 2 cells are not \(row 6: '\?0\.2', row 11: "
                                        r"'12\.\.5'\).*data\.invalid: missing"):
        load(path)
    with pytest.raises(DataError, match=r"2 input cells are missing \('temp' 2\)\. Set data\.missing: fill"):
        load(path, invalid="missing")
    filled = load(path, invalid="missing", missing="fill")
    assert np.isfinite(filled.x_train).all()
    assert any("2 missing input cells filled with the training rows' median ('temp' 2)" in n for n in filled.info.notes)
    dropped = load(path, invalid="missing", missing="drop")
    assert sum(dropped.info.sizes.values()) == 118


def test_columns_are_chosen_by_name_and_checked_against_the_header(tmp_path):
    path = weather(tmp_path)
    assert load(path, inputs=["temp", "humidity"]).info.input_shape == (2,)
    assert load(path, drop=["station"]).info.input_shape == (2,)
    with pytest.raises(DataError, match=r"data\.drop: no column named 'stations'; the columns are date, station"):
        load(path, drop=["stations"])
    with pytest.raises(DataError, match=r"data\.inputs: 'rain' is the target"):
        load(path, inputs=["rain", "temp"])


def test_a_wrong_delimiter_names_the_one_to_use(tmp_path):
    path = tmp_path / "semicolons.csv"
    path.write_text("a;b;label\n1;2;x\n3;4;y\n5;6;x\n")
    with pytest.raises(DataError, match=r"the rows seem split by ';'\. Set data\.delimiter: ';'"):
        load_dataset(CsvData(source="csv", path=str(path), target=0, delimiter=","), seed=1)


def test_filled_gaps_of_a_real_series_are_counted_in_a_note():
    path = SHARED / "timeseries" / "pollution.csv"
    data = load_dataset(TimeSeriesData(source="timeseries", path=str(path), target="pm2.5", inputs=["pm2.5", "DEWP"],
                                       window=24), seed=1)
    expected = int(pd.read_csv(path)["pm2.5"].isna().sum())
    assert f"{expected} missing cells filled from the previous reading ('pm2.5' {expected})" in data.info.notes
