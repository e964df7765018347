"""Shared fixtures: tiny experiment files that write only under tmp_path."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # Test processes (and the searches they start) share the cores: single-threaded, as `--workers` makes its
    # workers. Two processes each with thread pools of a core's count ran these tests' tiny models 25% slower.
    for _name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(_name, "1")

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import mlflow  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

from reports.store.names import objective_metric

ROOT = Path(__file__).resolve().parents[1]


def missing_tool(what: str) -> None:
    """A system tool a test needs is not installed: a failure on CI (`CI=true`), where `.ci/run` installs every
    one, so a test never passes there by not running; elsewhere the test is skipped, saying what to install."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing on CI, where .ci/run installs it")
    pytest.skip(what)


EPOCHS = 3

OBJECTIVE = objective_metric("val_accuracy")  # a trial's score as MLflow names it, for the classes of TINY
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
    "tuner": {"algorithm": "grid", "max_trials": 2, "epochs": EPOCHS, "patience": 0},
}


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    keras.backend.clear_session()
    yield


def searched(path, *options: str, timeout: float = 600, **environment: str) -> subprocess.CompletedProcess:
    """`runner.py search` on the experiment file `path` with `options` (`--resume`), run to its end in the
    file's folder, output captured; `environment` added to this process's (COLUMNS: rich folds its lines at
    the terminal's width)."""
    return subprocess.run(
        [sys.executable, str(ROOT / "runner.py"), "search", str(path), *options],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **environment},
    )


def write_experiment(directory, name="tiny", **changes):
    """A tiny experiment file in `directory`, its MLflow store and tuner state beside it."""
    config = {
        "name": name,
        **TINY,
        "tracking_uri": f"sqlite:///{directory}/mlflow.db",
        "tuner_dir": str(directory / "tuner"),
        "log_trial_models": False,  # finished_search logs them and tests them; elsewhere they only cost time
    }
    config.update(changes)
    path = directory / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def tiny_copy(path: Path, tmp: Path, tuner: dict, edit=None, prefix: str = "") -> Path:
    """A shipped experiment file rewritten for a test: `tuner` merged in, little data, `tmp`'s store.

    `edit` changes the config further before it is written.
    """
    config = yaml.safe_load(path.read_text())
    data = config["data"]
    if "path" in data:
        data["path"] = str((path.parent / data["path"]).resolve())
    if data["source"] == "mnist":
        data["limit"] = 600
    if "samples" in data:
        data["samples"] = 300
    if "builder" in config:
        file, _, function = config["builder"].rpartition(":")
        config["builder"] = f"{(path.parent / file).resolve()}:{function}"
    config["tuner"] = {**config.get("tuner", {}), **tuner}
    if edit:
        edit(config)
    config.update(tracking_uri=f"sqlite:///{tmp}/mlflow.db", tuner_dir=str(tmp / "tuner"), log_trial_models=False)
    copy = tmp / f"{prefix}{path.name}"
    copy.write_text(yaml.safe_dump(config))
    return copy


@pytest.fixture
def experiment_file(tmp_path):
    return write_experiment(tmp_path)


@pytest.fixture(scope="session")
def finished_search(tmp_path_factory):
    """Grid over optimizer [adam, sgd]: two trials, one with the conditional momentum, one without."""
    tmp = tmp_path_factory.mktemp("search")
    path = write_experiment(tmp, name="e2e", log_trial_models=True)
    proc = searched(path, COLUMNS="250")
    assert proc.returncode == 0, proc.stderr[-3000:]
    uri = f"sqlite:///{tmp}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("e2e")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    return {"tmp": tmp, "uri": uri, "stdout": proc.stdout, "client": client, "parents": parents, "children": children}
