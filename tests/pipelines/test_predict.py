"""Using the model: a search's champion answers new data as the user has it, from Python, the command line and a
served endpoint, with the labels as written; bad data is one line that says what to fix.

Each search is real and tiny; the answers are compared with the search's own test scores on the same rows.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.data import load_dataset
from pipelines.errors import DataError
from pipelines.predict import load, predict
from pipelines.search import search_experiment
from reports.store.opening import mlflow_helpers_on
from tests.conftest import ROOT, write_experiment

SHARED = ROOT.parent / "shared" / "data"
LINEAR = {"depth": 0, "learning_rate": 0.05, "batch_size": 32, "optimizer": "adam", "dropout": 0.0}
pytestmark = pytest.mark.slow


def weather_table(rows: int, seed: int) -> pd.DataFrame:
    """A text category that decides the label, a date column, numbers with missing cells, string labels."""
    rng = np.random.default_rng(seed)
    weather = rng.choice(["rain", "sun", "cloud"], rows)
    temperature = rng.normal(15, 5, rows).round(1)
    temperature[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame(
        {
            "day": pd.date_range(f"202{seed}-01-01", periods=rows, freq="D").strftime("%Y-%m-%d"),
            "weather": weather,
            "temperature": temperature,
            "humidity": rng.integers(30, 90, rows),
            "activity": np.where(weather == "sun", "walk", "stay"),
        }
    )


@pytest.fixture(scope="module")
def weather(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("weather")
    weather_table(240, 1).to_csv(tmp / "train.csv", index=False)
    weather_table(80, 2).to_csv(tmp / "test.csv", index=False)
    data = {
        "source": "csv",
        "path": "train.csv",
        "test_path": "test.csv",
        "target": "activity",
        "missing": "fill",
        "dates": "features",
    }
    path = write_experiment(
        tmp,
        name="weather",
        data=data,
        family="mlp",
        search_space=LINEAR,
        tuner={"algorithm": "grid", "epochs": 15, "patience": 0},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    return {"tmp": tmp, "result": result, "uri": result.experiment.tracking_uri}


def test_the_champion_answers_raw_rows_with_the_labels_and_the_searchs_test_accuracy(weather):
    rows = pd.read_csv(weather["tmp"] / "test.csv")
    with mlflow_helpers_on(weather["uri"]):
        model = mlflow.pyfunc.load_model("models:/weather@champion")
        signature = mlflow.models.get_model_info("models:/weather@champion").signature
    assert [(c["name"], c["type"]) for c in signature.inputs.to_dict()] == [
        ("day", "string"),
        ("weather", "string"),
        ("temperature", "double"),
        ("humidity", "long"),
    ]
    answers = model.predict(rows.drop(columns="activity"))
    assert list(answers.columns) == ["prediction", "probability_stay", "probability_walk"]
    assert set(answers["prediction"]) == {"stay", "walk"}
    accuracy = float((answers["prediction"] == rows["activity"]).mean())
    assert accuracy == pytest.approx(weather["result"].trials.iloc[0]["test/accuracy"], abs=1e-9)
    assert accuracy > 0.9  # the category decides the label: a model that reads it right gets nearly every row


def test_automl_predict_writes_the_answers_with_each_rows_line_in_the_file(weather):
    out = weather["tmp"] / "answers.csv"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "runner.py"), "predict", "weather", "test.csv", "--out", str(out)]
        + ["--tracking-uri", weather["uri"]],
        capture_output=True,
        text=True,
        cwd=weather["tmp"],
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    answers = pd.read_csv(out)
    rows = pd.read_csv(weather["tmp"] / "test.csv")
    assert list(answers.columns) == ["row", "prediction", "probability_stay", "probability_walk"]
    assert list(answers["row"]) == list(range(2, 82))  # the line of each row in the file, under its header
    accuracy = float((answers["prediction"] == rows["activity"]).mean())
    assert accuracy == pytest.approx(weather["result"].trials.iloc[0]["test/accuracy"], abs=1e-9)
    assert "80 predictions by models:/weather@champion: " in proc.stdout
    assert "Data: 1 columns the model does not read ignored ('activity')" in proc.stdout
    assert "missing cells filled with the training median" in proc.stdout  # the test file has gaps too


def test_bad_rows_are_named_and_odd_ones_noted(weather, tmp_path):
    """Missing and malformed columns stop predict with what to fix; extra columns and unseen categories are
    answered, with a note that counts them."""
    model = load("models:/weather@champion", weather["uri"])
    rows = pd.read_csv(weather["tmp"] / "test.csv").drop(columns="activity")

    def answer(frame):
        path = tmp_path / "rows.csv"
        frame.to_csv(path, index=False)
        return predict("weather", path, weather["uri"], loaded=model)

    with pytest.raises(DataError, match=r"rows.csv: column 'weather' is missing; the model reads 'day', 'weather'"):
        answer(rows.drop(columns="weather"))
    with pytest.raises(DataError, match=r"column 'humidity' holds numbers in training, but 1 cells are not numbers "):
        answer(rows.assign(humidity=["humid", *rows["humidity"][1:]]))
    with pytest.raises(DataError, match=r"row 2: 'humid'"):
        answer(rows.assign(humidity=["humid", *rows["humidity"][1:]]))
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty.csv: the file is empty"):
        predict("weather", tmp_path / "empty.csv", weather["uri"], loaded=model)
    odd = answer(rows.assign(weather=["snow", "snow", "hail", *rows["weather"][3:]], remark="x"))
    assert "1 columns the model does not read ignored ('remark')" in odd.notes
    assert "column 'weather': 3 cells hold values not seen in training ('snow', 'hail'), encoded as unseen" in " ".join(
        odd.notes
    )
    assert len(odd.answers) == 80 and odd.answers["prediction"].notna().all()


def test_a_bad_file_exits_2_with_one_line_and_no_traceback(weather):
    (weather["tmp"] / "no_weather.csv").write_text("day,temperature,humidity\n2025-01-01,3.0,40\n")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "runner.py"), "predict", "weather", "no_weather.csv"]
        + ["--tracking-uri", weather["uri"]],
        capture_output=True,
        text=True,
        cwd=weather["tmp"],
        timeout=300,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "error: no_weather.csv: column 'weather' is missing; the model reads 'day', 'weather', 'temperature', "
        "'humidity'. Add it with the same name."
    ]


def test_the_keras_file_with_its_encoding_beside_it_answers_as_the_champion(weather):
    rows = pd.read_csv(weather["tmp"] / "test.csv")
    from_file = predict(str(weather["result"].best_model_path), rows, weather["uri"]).answers
    from_registry = predict("weather", rows, weather["uri"]).answers
    pd.testing.assert_frame_equal(from_file, from_registry)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mlflow_models_serve_answers_raw_rows_over_http(weather):
    port = _free_port()
    # As in an activated virtual environment: MLflow starts its server (uvicorn) by name.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": weather["uri"], "PATH": path}
    log = weather["tmp"] / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/weather@champion"]
            + ["--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
            env=env,
            cwd=weather["tmp"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                    break
            except OSError:
                assert server.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "the model server did not answer /ping in 120 s"
                time.sleep(1)
        rows = pd.read_csv(weather["tmp"] / "test.csv").head(6)
        body = {"dataframe_split": json.loads(rows.drop(columns="activity").to_json(orient="split", index=False))}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/invocations",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            answers = json.loads(response.read())["predictions"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert [a["prediction"] for a in answers] == list(rows["activity"])
    assert all(abs(a["probability_stay"] + a["probability_walk"] - 1) < 1e-5 for a in answers)


def _search(tmp: Path, name: str, **changes):
    path = write_experiment(tmp, name=name, **changes)
    experiment = load_experiment(path)
    return experiment, search_experiment(experiment, Console(quiet=True))


def _test_score(result, metric: str) -> float:
    return float(result.trials.iloc[0][metric])


def test_sms_texts_are_answered_ham_or_spam_from_a_text_file_as_the_search_scored_them(tmp_path):
    table = pd.read_csv(SHARED / "text" / "SMSSpamCollection", sep="\t", quoting=3)
    table.iloc[:400].to_csv(tmp_path / "train.tsv", sep="\t", index=False)
    held_out = table.iloc[400:550]
    held_out.to_csv(tmp_path / "test.tsv", sep="\t", index=False)
    data = {"source": "text", "path": "train.tsv", "test_path": "test.tsv", "text_column": "SMS", "label_column": 0}
    experiment, result = _search(
        tmp_path,
        "sms",
        data=data,
        family="rnn",
        search_space={"encoder": "bag", "learning_rate": 0.01, "batch_size": 32, "dropout": 0.0},
        tuner={"algorithm": "grid", "epochs": 2, "patience": 0},
    )
    # One text per line, as a user keeps new messages; the answers keep their order.
    (tmp_path / "new.txt").write_text("\n".join(held_out["SMS"].str.replace("\n", " ")), encoding="utf-8")
    answers = predict(result.best_model_uri, tmp_path / "new.txt", experiment.tracking_uri).answers
    assert list(answers.columns) == ["line", "prediction", "probability_ham", "probability_spam"]
    accuracy = float((answers["prediction"] == held_out["Label"].to_numpy()).mean())
    assert accuracy == pytest.approx(_test_score(result, "test/accuracy"), abs=1e-9)
    # The same file as the search read it: the text column by its name, the label column ignored.
    again = predict(result.best_model_uri, tmp_path / "test.tsv", experiment.tracking_uri)
    assert list(again.answers["prediction"]) == list(answers["prediction"])
    assert again.notes == []


def test_digit_images_are_answered_from_their_pixels_as_the_search_scored_them(tmp_path):
    experiment, result = _search(tmp_path, "digits", log_trial_models=True, tuner={"algorithm": "grid", "epochs": 2})
    dataset = load_dataset(experiment.data, experiment.seed)
    pixels = pd.DataFrame(dataset.x_test.reshape(len(dataset.x_test), -1), columns=[f"x{i}" for i in range(64)])
    with mlflow_helpers_on(experiment.tracking_uri):
        answers = mlflow.pyfunc.load_model(result.best_model_uri).predict(pixels)
    accuracy = float((answers["prediction"].astype(int) == dataset.y_test).mean())
    assert accuracy == pytest.approx(_test_score(result, "test/accuracy"), abs=1e-9)
    np.savez(tmp_path / "new.npz", x=dataset.x_test[:7])
    from_file = predict(result.best_model_uri, tmp_path / "new.npz", experiment.tracking_uri).answers
    assert list(from_file["prediction"]) == list(answers["prediction"][:7])
    assert list(from_file["index"]) == list(range(7))


def test_a_series_answers_every_window_and_the_last_is_the_next_value(tmp_path):
    data = {"source": "timeseries", "path": str(SHARED / "timeseries" / "airline-passengers.csv")}
    data |= {"target": "Passengers", "window": 12, "time_column": "Month"}
    experiment, result = _search(
        tmp_path,
        "airline",
        data=data,
        family="mlp",
        objective="val_mae",
        search_space={"depth": 1, "units": 8, "learning_rate": 0.01, "batch_size": 32, "dropout": 0.0},
        tuner={"algorithm": "grid", "epochs": 3, "patience": 0},
    )
    dataset = load_dataset(experiment.data, experiment.seed)
    prediction = predict(experiment.name, data["path"], experiment.tracking_uri)
    answers = prediction.answers
    assert list(answers.columns) == ["window_end (Month)", "prediction"]
    assert len(answers) == 144 - 12 + 1  # every window, the last one ending at the last month
    assert answers.iloc[-1, 0] == "1960-12"
    tested = answers["prediction"].to_numpy()[-1 - len(dataset.y_test) : -1]  # the test windows, then the next
    mae = float(np.abs(tested - dataset.y_test).mean())
    assert mae == pytest.approx(_test_score(result, "test/mae"), rel=1e-6)
    assert "the forecast after the last window (1960-12): " in prediction.summary()
    rows = pd.read_csv(data["path"])
    with pytest.raises(DataError, match=r"5 rows, but the model reads windows of 12 rows: give at least 12 rows"):
        predict(experiment.name, rows.head(5), experiment.tracking_uri)
    # Rows in any order are put in time order first, as in training.
    shuffled = predict(experiment.name, rows.sample(frac=1, random_state=0), experiment.tracking_uri).answers
    np.testing.assert_allclose(shuffled["prediction"], answers["prediction"], rtol=1e-6)


def test_an_image_folder_is_answered_file_by_file(tmp_path):
    from tests.pipelines.test_sources import SMALL_CNN, write_digit_images

    folder = write_digit_images(tmp_path)
    experiment, result = _search(
        tmp_path,
        "images",
        data={"source": "images", "path": str(folder), "color": "grayscale"},
        family="cnn",
        search_space=SMALL_CNN,
        tuner={"algorithm": "grid", "epochs": 2, "patience": 0},
    )
    dataset = load_dataset(experiment.data, experiment.seed)
    answers = predict(result.best_model_uri, folder, experiment.tracking_uri).answers
    assert len(answers) == 80 and answers.columns[0] == "file"
    by_file = dict(zip(answers["file"], answers["prediction"], strict=True))
    tested = [by_file[f] for f in dataset.files["test"]]
    accuracy = float(
        np.mean([label == dataset.info.class_names[y] for label, y in zip(tested, dataset.y_test, strict=True)])
    )
    assert accuracy == pytest.approx(_test_score(result, "test/accuracy"), abs=1e-9)


def test_a_model_logged_by_an_earlier_version_still_answers_the_encoded_matrix(tmp_path):
    """Earlier versions logged the Keras model alone (MLflow's Keras flavour): it takes the encoded matrix and
    answers class indices, and predict says so."""
    import keras

    from pipelines.tracking.tracker import SearchTracker

    tracker = SearchTracker.open(f"sqlite:///{tmp_path}/mlflow.db", "old")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    folder = tmp_path / "old_model"
    folder.mkdir()
    x = np.array([[0.0, 1.0, 2.0], [3.0, 1.0, 0.0]], dtype="float32")
    mlflow.keras.save_model(model, str(folder), input_example=x)
    with tracker.search_run("search", {}):
        uri = tracker.log_model("best_model", folder)
    pd.DataFrame(x, columns=["a", "b", "c"]).to_csv(tmp_path / "rows.csv", index=False)
    prediction = predict(uri, tmp_path / "rows.csv", tracker.tracking_uri)
    assert prediction.notes[0].startswith("this model was logged by an earlier version of the runner")
    expected = model.predict(x, verbose=0)
    assert list(prediction.answers["prediction"]) == [str(k) for k in expected.argmax(axis=1)]
    np.testing.assert_allclose(prediction.answers[["probability_0", "probability_1"]], expected, rtol=1e-5)
