"""Tables as people have them: a date column, malformed numbers, missing cells, a wrong delimiter, column choice."""

from __future__ import annotations

from pathlib import Path

import keras
import keras_tuner
import numpy as np
import pandas as pd
import pytest

from pipelines.data import load_dataset
from pipelines.data.sources import CsvData, TimeSeriesData
from pipelines.errors import DataError
from search_spaces import RNN

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def weather(tmp_path, rows=120, bad: dict[int, str] | None = None, missing: tuple[int, ...] = ()) -> Path:
    """Daily readings with a date column, a numeric column (some cells malformed or empty) and a rain label."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2021-01-01", periods=rows).strftime("%Y-%m-%d"),
            "station": rng.choice(["north", "south"], rows),
            "temp": rng.normal(15, 5, rows).round(1).astype(object),
            "humidity": rng.uniform(20, 90, rows).round(0),
            "rain": rng.choice(["no", "yes"], rows),
        }
    )
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
    with pytest.raises(
        DataError,
        match=r"column 'temp' is numbers but 2 cells are not \(row 6: '\?0\.2', row 11: "
        r"'12\.\.5'\).*data\.invalid: missing",
    ):
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
    data = load_dataset(
        TimeSeriesData(source="timeseries", path=str(path), target="pm2.5", inputs=["pm2.5", "DEWP"], window=24), seed=1
    )
    expected = int(pd.read_csv(path)["pm2.5"].isna().sum())
    assert f"{expected} missing cells filled from the previous reading ('pm2.5' {expected})" in data.info.notes


def test_imbalanced_classes_get_a_note_and_balanced_weights(tmp_path):
    from pipelines.data.core import balanced_class_weights

    rng = np.random.default_rng(3)
    path = tmp_path / "rare.csv"
    pd.DataFrame(
        {"a": rng.normal(size=400), "b": rng.normal(size=400), "label": np.where(np.arange(400) < 40, "fraud", "ok")}
    ).to_csv(path, index=False)
    data = load_dataset(CsvData(source="csv", path=str(path), target="label"), seed=1)
    counts = np.bincount(data.y_train)
    assert (
        f"classes are imbalanced: 'fraud' has {counts[0]} training rows, 'ok' {counts[1]}; accuracy rewards "
        "answering the common classes, so read the per-class recall and macro F1"
    ) in data.info.notes
    weights = balanced_class_weights(data.y_train)
    assert weights[0] * counts[0] == pytest.approx(weights[1] * counts[1])  # each class weighs the same in all
    assert not any("imbalanced" in n for n in load(weather(tmp_path)).info.notes)


def test_a_forecast_starts_from_the_last_observed_value_and_saves_as_stock_keras(tmp_path):
    """In change mode a network whose last layer learnt nothing predicts the last value plus the mean change of
    the training split: the naive forecast, not something worse. The model uses stock layers only."""
    config = TimeSeriesData(
        source="timeseries",
        path=str(SHARED / "timeseries" / "airline-passengers.csv"),
        target="Passengers",
        window=12,
        test_split=0.15,
        validation_split=0.15,
    )
    data = load_dataset(config, seed=1)
    index = data.info.last_value_index
    assert index == 0 and data.info.forecast_change
    hypermodel = RNN(
        data.info.input_shape,
        None,
        {"cell": "gru", "units": 8},
        preprocess=data.info.preprocess,
        target_scale=data.info.target_scale,
        last_value_index=index,
    )
    model = hypermodel.build(keras_tuner.HyperParameters())
    assert model.layers[-1].name == "from_last_value"
    dense = next(
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense) and layer.trainable and layer.units == 1
    )
    dense.set_weights([np.zeros_like(w) for w in dense.get_weights()])
    predicted = model.predict(data.x_test, verbose=0).ravel()
    change = data.y_train - data.x_train[:, -1, index]
    assert predicted == pytest.approx(data.x_test[:, -1, index] + change.mean(), rel=1e-5)
    model.save(tmp_path / "forecast.keras")
    loaded = keras.saving.load_model(tmp_path / "forecast.keras")
    assert loaded.predict(data.x_test, verbose=0).ravel() == pytest.approx(predicted, rel=1e-6)


def test_change_mode_needs_the_target_among_the_inputs():
    config = TimeSeriesData(
        source="timeseries",
        path=str(SHARED / "timeseries" / "pollution.csv"),
        target="pm2.5",
        inputs=["DEWP", "TEMP"],
        window=24,
    )
    with pytest.raises(DataError, match=r"target_mode: change predicts the change from the last observed 'pm2\.5'"):
        load_dataset(config, seed=1)
    level = load_dataset(config.model_copy(update={"target_mode": "level"}), seed=1)
    assert level.info.last_value_index is None and not level.info.forecast_change


AIRLINE = SHARED / "timeseries" / "airline-passengers.csv"


def test_rows_are_put_in_time_order_and_each_time_must_be_unique(tmp_path):
    ordered = load_dataset(
        TimeSeriesData(source="timeseries", path=str(AIRLINE), target="Passengers", time_column="Month"), seed=1
    )
    shuffled = tmp_path / "shuffled.csv"
    pd.read_csv(AIRLINE).sample(frac=1.0, random_state=0).to_csv(shuffled, index=False)
    restored = load_dataset(
        TimeSeriesData(source="timeseries", path=str(shuffled), target="Passengers", time_column="Month"), seed=1
    )
    assert "rows put in the order of 'Month': the file was not in time order" in restored.info.notes
    assert np.array_equal(restored.x_test, ordered.x_test) and np.array_equal(restored.y_test, ordered.y_test)
    repeated = tmp_path / "repeated.csv"
    frame = pd.read_csv(AIRLINE)
    frame.loc[5, "Month"] = frame.loc[4, "Month"]
    frame.to_csv(repeated, index=False)
    with pytest.raises(DataError, match=r"data\.time_column: row 7 \('1949-05'\) repeats an earlier time"):
        load_dataset(
            TimeSeriesData(source="timeseries", path=str(repeated), target="Passengers", time_column="Month"), seed=1
        )


def test_a_season_adds_the_value_one_season_back_and_a_seasonal_naive_baseline():
    from pipelines.baselines import trivial_baseline

    data = load_dataset(
        TimeSeriesData(
            source="timeseries",
            path=str(AIRLINE),
            target="Passengers",
            time_column="Month",
            season=12,
            test_split=0.15,
            validation_split=0.15,
        ),
        seed=1,
    )
    assert data.info.input_shape == (12, 2) and data.info.season_index == 1
    x = np.concatenate([data.x_train, data.x_val, data.x_test])  # chronological splits, in order
    y = np.concatenate([data.y_train, data.y_val, data.y_test])
    assert np.array_equal(x[12:, -1, 1], y[:-12])  # at the last step: the target twelve forecasts earlier
    baseline = trivial_baseline(data)
    seasonal = np.abs(data.y_val - data.x_val[:, -1, 1]).mean()
    naive = np.abs(data.y_val - data.x_val[:, -1, 0]).mean()
    assert seasonal < naive and baseline.name == "the seasonal naive forecast (the value one season back)"
    assert baseline.value == pytest.approx(np.abs(data.y_test - data.x_test[:, -1, 1]).mean())
