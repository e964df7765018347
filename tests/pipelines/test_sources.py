"""Every data source runs through a short real search; raw input reaches the model unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.data import load_dataset
from pipelines.search import run_search
from tests.conftest import write_experiment

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SMALL = {"depth": 1, "units": 8, "batch_size": 64, "optimizer": "adam", "learning_rate": 0.01, "dropout": 0.0}
SMALL_RNN = {**SMALL, "units": 8, "cell": "gru"}
SMALL_CNN = {"depth": 1, "filters": 4, "batch_size": 64, "optimizer": "adam", "learning_rate": 0.01, "dropout": 0.0,
             "kernel_size": 3}


def _npz(tmp: Path) -> str:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5)).astype("float32")
    np.savez(tmp / "arrays.npz", x=x, y=(x[:, 0] > 0).astype(int))
    return str(tmp / "arrays.npz")


def _text_folder(tmp: Path) -> str:
    for label, words in (("sport", "ball goal match team"), ("food", "bread soup rice salad")):
        (tmp / "texts" / label).mkdir(parents=True)
        for i in range(15):
            (tmp / "texts" / label / f"{i}.txt").write_text(f"{words} {i}")
    return str(tmp / "texts")


CASES = {
    "digits as flat features": ({"source": "digits", "layout": "flat"}, "mlp", SMALL, "val_accuracy"),
    "digits as rows in sequence": ({"source": "digits", "layout": "sequence"}, "rnn", SMALL_RNN, "val_accuracy"),
    "iris": ({"source": "iris"}, "mlp", SMALL, "val_accuracy"),
    "wine": ({"source": "wine"}, "mlp", SMALL, "val_accuracy"),
    "breast_cancer": ({"source": "breast_cancer"}, "mlp", SMALL, "val_accuracy"),
    "diabetes regression": ({"source": "diabetes"}, "mlp", SMALL, "val_mae"),
    "MNIST IDX folder": ({"source": "mnist", "path": str(SHARED / "mnist"), "limit": 600}, "cnn", SMALL_CNN, "val_accuracy"),
    "CSV without header, target by position": (
        {"source": "csv", "path": str(SHARED / "tabular" / "sonar.csv"), "header": False, "target": -1}, "mlp", SMALL,
        "val_accuracy"),
    "NPZ": (_npz, "mlp", SMALL, "val_accuracy"),
    "SMS spam text": (
        {"source": "text", "path": str(SHARED / "text" / "SMSSpamCollection"), "text_column": "SMS",
         "label_column": "Label"}, "rnn", {**SMALL_RNN, "max_tokens": 2000, "sequence_length": 20, "embedding_dim": 8},
        "val_accuracy"),
    "text folder": (_text_folder, "cnn", {**SMALL_CNN, "embedding_dim": 4, "sequence_length": 8}, "val_accuracy"),
    "airline time series": (
        {"source": "timeseries", "path": str(SHARED / "timeseries" / "airline-passengers.csv"), "target": "Passengers",
         "window": 12}, "rnn", SMALL_RNN, "val_mae"),
    "pollution time series with gaps": (
        {"source": "timeseries", "path": str(SHARED / "timeseries" / "pollution.csv"), "target": "pm2.5",
         "inputs": ["pm2.5", "DEWP", "TEMP", "PRES", "Iws"], "window": 24, "missing": "fill"}, "mlp", SMALL, "val_mae"),
    "adding problem": ({"source": "adding", "length": 20, "samples": 300}, "rnn", SMALL_RNN, "val_mae"),
    "long-range classification": ({"source": "long_range", "length": 20, "samples": 300}, "rnn", SMALL_RNN, "val_accuracy"),
}


@pytest.mark.parametrize("data, family, space, objective", CASES.values(), ids=CASES.keys())
def test_source_runs_a_short_search(tmp_path, data, family, space, objective):
    if callable(data):
        data = {"source": "npz" if data is _npz else "text", "path": data(tmp_path)}
    path = write_experiment(tmp_path, data=data, family=family, search_space=space, objective=objective,
                            tuner={"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0})
    result = run_search(load_experiment(path), Console(quiet=True))
    assert result.best_trial_id is not None
    assert np.isfinite(result.best_score)
    metric = "test_mae" if objective == "val_mae" else "test_accuracy"
    assert np.isfinite(result.trials.iloc[0][metric])


def test_logged_text_model_classifies_raw_strings(tmp_path):
    import mlflow

    path = write_experiment(
        tmp_path, data={"source": "text", "path": _text_folder(tmp_path)}, family="rnn",
        search_space={**SMALL_RNN, "embedding_dim": 4, "sequence_length": 6},
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 3, "patience": 0})
    result = run_search(load_experiment(path), Console(quiet=True))
    model = mlflow.keras.load_model(result.best_model_uri)
    probabilities = model.predict(np.array(["ball goal team", "soup rice bread"], dtype=object), verbose=0)
    assert probabilities.shape == (2, 2)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_logged_tabular_model_predicts_on_raw_rows(tmp_path):
    """Standardization was fitted on the training split and lives in the model: raw sonar rows go straight in."""
    import mlflow

    data = {"source": "csv", "path": str(SHARED / "tabular" / "sonar.csv"), "header": False, "target": -1}
    path = write_experiment(tmp_path, data=data, family="mlp", search_space=SMALL,
                            tuner={"algorithm": "random", "max_trials": 1, "epochs": 2, "patience": 0})
    experiment = load_experiment(path)
    result = run_search(experiment, Console(quiet=True))
    dataset = load_dataset(experiment.data, experiment.seed)
    model = mlflow.keras.load_model(result.best_model_uri)
    predicted = model.predict(dataset.x_test, verbose=0).argmax(axis=1)
    assert dataset.x_test.max() > 0.9  # raw readings, not standardized
    assert np.mean(predicted == dataset.y_test) == pytest.approx(result.trials.iloc[0]["test_accuracy"])
