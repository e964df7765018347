"""Every shipped experiment file runs for real, shrunk to one trial of one epoch, in one MLflow store."""

from __future__ import annotations

import pytest
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.search import run_search
from tests.conftest import ROOT, tiny_copy

# The transfer experiment reads the model the digits 0-4 experiment registers: run that one first.
FILES = sorted((ROOT / "experiments").glob("*.yaml"), key=lambda p: (p.name.startswith("transfer"), p.name))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("experiments")


@pytest.mark.xdist_group("experiments")  # one worker, in order, sharing one store
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_experiment_file_runs(path, store):
    experiment = load_experiment(tiny_copy(path, store, {"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0}))
    result = run_search(experiment, Console(quiet=True))
    assert result.best_trial_id is not None, result.trials
    assert result.report_path.is_file()
