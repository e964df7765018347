"""Shared fixtures: tiny experiment files that write only under tmp_path."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "true")

import keras  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402

TINY = {
    "seed": 3,
    "data": {"source": "digits"},
    "family": "cnn",
    "search_space": {
        "depth": 1,
        "filters": 8,
        "kernel_size": 3,
        "dropout": 0.0,
        "learning_rate": 0.01,
        "batch_size": 64,
        "momentum": 0.9,
        "optimizer": ["adam", "sgd"],
    },
    "tuner": {"algorithm": "grid", "max_trials": 2, "epochs": 3, "patience": 0},
}


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    keras.backend.clear_session()
    yield


def write_experiment(directory, name="tiny", **changes):
    """A tiny experiment file in `directory`, its MLflow store and tuner state beside it."""
    config = {
        "name": name,
        **TINY,
        "tracking_uri": f"sqlite:///{directory}/mlflow.db",
        "tuner_dir": str(directory / "tuner"),
    }
    config.update(changes)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def experiment_file(tmp_path):
    return write_experiment(tmp_path)
