"""Every data source runs through a short real search; raw input reaches the model unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.data import load_dataset
from pipelines.search import search_experiment
from pipelines.tracking.packaging import load_keras
from reports.store.opening import mlflow_helpers_on
from tests.conftest import write_experiment

pytestmark = pytest.mark.slow  # real searches taking minutes on 2 cores: CI runs them, the fast lane does not

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
SMALL = {"depth": 1, "units": 8, "batch_size": 64, "optimizer": "adam", "learning_rate": 0.01, "dropout": 0.0}
SMALL_RNN = {**SMALL, "units": 8, "cell": "gru"}
SMALL_CNN = {
    "depth": 1,
    "filters": 4,
    "batch_size": 64,
    "optimizer": "adam",
    "learning_rate": 0.01,
    "dropout": 0.0,
    "kernel_size": 3,
}


def _npz(tmp: Path) -> dict:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 5)).astype("float32")
    np.savez(tmp / "arrays.npz", x=x, y=(x[:, 0] > 0).astype(int))
    return {"source": "npz", "path": str(tmp / "arrays.npz")}


def write_digit_images(tmp: Path, sizes=((16, 16),)) -> Path:
    """Real PNG files: scikit-learn digits 0 and 1, upscaled, one sub-folder per class."""
    from PIL import Image
    from sklearn.datasets import load_digits

    bunch = load_digits()
    folder = tmp / "images"
    for label in (0, 1):
        (folder / f"digit-{label}").mkdir(parents=True)
        for i, image in enumerate(bunch.images[bunch.target == label][:40]):
            size = sizes[i % len(sizes)]
            Image.fromarray((image * 15).astype("uint8")).resize(size[::-1]).save(
                folder / f"digit-{label}" / f"{i}.png"
            )
    return folder


def _images(tmp: Path) -> dict:
    return {"source": "images", "path": str(write_digit_images(tmp)), "color": "grayscale"}


def _text_folder_data(tmp: Path) -> dict:
    return {"source": "text", "path": _text_folder(tmp)}


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
    "MNIST IDX folder": (
        {"source": "mnist", "path": str(SHARED / "mnist"), "limit": 600},
        "cnn",
        SMALL_CNN,
        "val_accuracy",
    ),
    "CSV without header, target by position": (
        {"source": "csv", "path": str(SHARED / "tabular" / "sonar.csv"), "header": False, "target": -1},
        "mlp",
        SMALL,
        "val_accuracy",
    ),
    "NPZ": (_npz, "mlp", SMALL, "val_accuracy"),
    "image folder, streamed, augmented": (
        _images,
        "cnn",
        {**SMALL_CNN, "augment_flip": "horizontal", "augment_rotation": 0.1},
        "val_accuracy",
    ),
    "SMS spam text": (
        {
            "source": "text",
            "path": str(SHARED / "text" / "SMSSpamCollection"),
            "text_column": "SMS",
            "label_column": "Label",
        },
        "rnn",
        {**SMALL_RNN, "max_tokens": 2000, "sequence_length": 20, "embedding_dim": 8},
        "val_accuracy",
    ),
    "text folder": (_text_folder_data, "cnn", {**SMALL_CNN, "embedding_dim": 4, "sequence_length": 8}, "val_accuracy"),
    "airline time series": (
        {
            "source": "timeseries",
            "path": str(SHARED / "timeseries" / "airline-passengers.csv"),
            "target": "Passengers",
            "window": 12,
        },
        "rnn",
        SMALL_RNN,
        "val_mae",
    ),
    "pollution time series with gaps": (
        {
            "source": "timeseries",
            "path": str(SHARED / "timeseries" / "pollution.csv"),
            "target": "pm2.5",
            "inputs": ["pm2.5", "DEWP", "TEMP", "PRES", "Iws"],
            "window": 24,
            "missing": "fill",
        },
        "mlp",
        SMALL,
        "val_mae",
    ),
    "adding problem": ({"source": "adding", "length": 20, "samples": 300}, "rnn", SMALL_RNN, "val_mae"),
    "long-range classification": (
        {"source": "long_range", "length": 20, "samples": 300},
        "rnn",
        SMALL_RNN,
        "val_accuracy",
    ),
    "start-and-end classification": (
        {"source": "ends", "length": 20, "samples": 300},
        "rnn",
        SMALL_RNN,
        "val_accuracy",
    ),
}


@pytest.mark.parametrize("data, family, space, objective", CASES.values(), ids=CASES.keys())
def test_source_runs_a_short_search(tmp_path, data, family, space, objective):
    if callable(data):
        data = data(tmp_path)
    path = write_experiment(
        tmp_path,
        data=data,
        family=family,
        search_space=space,
        objective=objective,
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    assert result.best_trial_id is not None
    assert np.isfinite(result.best_score)
    metric = "test/mae" if objective == "val_mae" else "test/accuracy"
    assert np.isfinite(result.trials.iloc[0][metric])


def test_logged_text_model_classifies_raw_strings(tmp_path):
    import mlflow

    path = write_experiment(
        tmp_path,
        data={"source": "text", "path": _text_folder(tmp_path)},
        family="rnn",
        search_space={**SMALL_RNN, "embedding_dim": 4, "sequence_length": 6},
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 3, "patience": 0},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    with mlflow_helpers_on(result.experiment.tracking_uri):
        model = mlflow.pyfunc.load_model(result.best_model_uri)
    answers = model.predict(pd.DataFrame({"text": ["ball goal team", "soup rice bread"]}))
    assert set(answers["prediction"]) <= {"food", "sport"}
    probabilities = answers[["probability_food", "probability_sport"]].to_numpy()
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_logged_tabular_model_predicts_on_raw_rows(tmp_path):
    """Standardization was fitted on the training split and lives in the model: raw sonar rows go straight in."""

    data = {"source": "csv", "path": str(SHARED / "tabular" / "sonar.csv"), "header": False, "target": -1}
    path = write_experiment(
        tmp_path,
        data=data,
        family="mlp",
        search_space=SMALL,
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 2, "patience": 0},
    )
    experiment = load_experiment(path)
    result = search_experiment(experiment, Console(quiet=True))
    dataset = load_dataset(experiment.data, experiment.seed)
    model = load_keras(result.best_model_uri, result.experiment.tracking_uri)
    predicted = model.predict(dataset.x_test, verbose=0).argmax(axis=1)
    assert dataset.x_test.max() > 0.9  # raw readings, not standardized
    assert np.mean(predicted == dataset.y_test) == pytest.approx(result.trials.iloc[0]["test/accuracy"])


def test_image_folder_is_streamed_not_loaded(tmp_path):
    data = load_dataset(load_experiment(write_experiment(tmp_path, data=_images(tmp_path))).data, seed=0)
    assert data.streamed and not isinstance(data.x_train, np.ndarray)
    assert data.info.input_shape == (16, 16, 1)
    assert sum(data.info.sizes.values()) == 80 and len(data.y_train) == data.info.sizes["train"]
    images, labels = next(iter(data.x_train.batch(4)))
    assert images.shape == (4, 16, 16, 1) and float(images.numpy().max()) <= 255.0


def test_mixed_image_sizes_need_a_resize_setting(tmp_path):
    from pipelines.errors import DataError

    folder = write_digit_images(tmp_path, sizes=((16, 16), (12, 12)))
    config = load_experiment(write_experiment(tmp_path, data={"source": "images", "path": str(folder)})).data
    with pytest.raises(DataError, match=r"images of mixed sizes .*Set data.image_size: \[height, width\]"):
        load_dataset(config, seed=0)
    resized = load_experiment(
        write_experiment(tmp_path, data={"source": "images", "path": str(folder), "image_size": [10, 10]})
    ).data
    assert load_dataset(resized, seed=0).info.input_shape == (10, 10, 3)


def test_explicit_validation_and_test_files_are_used_as_given(tmp_path):
    rows = lambda start, stop: "".join(f"{i},{i % 7},{i % 2}\n" for i in range(start, stop))  # noqa: E731
    for name, (start, stop) in {"train.csv": (0, 100), "val.csv": (100, 130), "test.csv": (130, 150)}.items():
        (tmp_path / name).write_text("a,b,label\n" + rows(start, stop))
    data = {
        "source": "csv",
        "path": "train.csv",
        "target": "label",
        "validation_path": "val.csv",
        "test_path": "test.csv",
    }
    experiment = load_experiment(write_experiment(tmp_path, data=data))
    dataset = load_dataset(experiment.data, experiment.seed, tmp_path)
    assert sorted(dataset.x_test[:, 0].astype(int)) == list(range(130, 150))
    assert sorted(dataset.x_val[:, 0].astype(int)) == list(range(100, 130))
    assert sorted(dataset.x_train[:, 0].astype(int)) == list(range(100))


def test_explicit_test_file_alone_leaves_validation_to_be_cut(tmp_path):
    _npz(tmp_path)
    np.savez(tmp_path / "test.npz", x=np.ones((10, 5), "float32"), y=np.array([0, 1] * 5))
    experiment = load_experiment(write_experiment(tmp_path, data={**_npz(tmp_path), "test_path": "test.npz"}))
    dataset = load_dataset(experiment.data, experiment.seed, tmp_path)
    assert len(dataset.x_test) == 10 and (dataset.x_test == 1).all()
    assert len(dataset.x_train) + len(dataset.x_val) == 120 and len(dataset.x_val) == 24


def test_what_loading_changed_is_printed_logged_and_in_the_report(tmp_path, capsys):
    from pypdf import PdfReader

    from tests.pipelines.test_real_files import weather

    path = weather(tmp_path, missing=(3, 7, 8))
    table = pd.read_csv(path)
    table["rain"] = np.where(np.arange(len(table)) % 10 == 0, "yes", "no")  # rain on one day in ten: imbalanced
    table.to_csv(path, index=False)
    experiment = write_experiment(
        tmp_path,
        name="weather",
        family="mlp",
        search_space=SMALL,
        data={"source": "csv", "path": str(path), "target": "rain", "missing": "fill"},
        class_weight="balanced",
        tuner={"algorithm": "grid", "max_trials": 1, "epochs": 1, "patience": 0},
    )
    result = search_experiment(load_experiment(experiment), Console(width=200))
    said = capsys.readouterr().out
    assert "Data: column 'date' holds dates: left out" in said
    assert "Data: 3 missing input cells filled with the training rows' median ('humidity' 3)." in said
    assert "Data: classes are imbalanced: 'yes' has" in said
    assert "class_weight" not in said.split("Data: classes are imbalanced")[1].split("\n\n")[0]  # on already
    assert "Advice: class_weight" not in said
    from reports.store.names import DATA_NOTES_PARAM
    from reports.store.opening import open_store

    parent = open_store(f"sqlite:///{tmp_path}/mlflow.db").get_run(result.parent_run_id)
    assert "3 missing input cells filled" in parent.data.params[DATA_NOTES_PARAM]
    assert parent.data.params["class_weight"] == "balanced"
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(result.report_path).pages).split())
    assert "data as loaded" in text and "3 missing input cells filled with the training rows' median" in text
    assert "test f1 macro" in text  # beside accuracy, where class weights trade one for the other
    assert "consider class_weight" not in text and "weighs the rare classes up" not in text
