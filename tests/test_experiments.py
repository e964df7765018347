"""Every shipped experiment file runs for real, shrunk to one trial of one epoch, in one MLflow store."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.search import run_search
from tests.conftest import ROOT

# The transfer experiment reads the model the digits 0-4 experiment registers: run that one first.
FILES = sorted((ROOT / "experiments").glob("*.yaml"), key=lambda p: (p.name.startswith("transfer"), p.name))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("experiments")


def shrunk_copy(path: Path, tmp: Path) -> Path:
    config = yaml.safe_load(path.read_text())
    data = config["data"]
    if "path" in data:
        data["path"] = str((path.parent / data["path"]).resolve())
    if data["source"] == "mnist":
        data["limit"] = 600
    if data["source"] in ("adding", "long_range", "ends"):
        data["samples"] = 300
    config["tuner"] = {"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0}
    config["tracking_uri"] = f"sqlite:///{tmp}/mlflow.db"
    config["tuner_dir"] = str(tmp / "tuner")
    config["log_trial_models"] = False
    copy = tmp / path.name
    copy.write_text(yaml.safe_dump(config))
    return copy


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_experiment_file_runs(path, store):
    experiment = load_experiment(shrunk_copy(path, store))
    result = run_search(experiment, Console(quiet=True))
    assert result.best_trial_id is not None, result.trials
    assert result.report_path.is_file()
