"""Every shipped experiment file runs for real, shrunk to one trial of one epoch, in one MLflow store."""

from __future__ import annotations

import pytest
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.search import search_experiment
from tests.conftest import ROOT, tiny_copy

pytestmark = pytest.mark.slow  # real searches taking minutes on 2 cores: CI runs them, the fast lane does not

FILES = sorted((ROOT / "experiments").glob("*.yaml"))
TINY = {"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0}


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """A store that already holds the model the transfer experiment starts from, whatever order tests run in."""
    store = tmp_path_factory.mktemp("experiments")
    base = load_experiment(tiny_copy(ROOT / "experiments" / "digits_0_4_cnn.yaml", store, TINY, prefix="base-"))
    assert search_experiment(base, Console(quiet=True)).best_trial_id is not None
    return store


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_experiment_file_runs(path, store):
    experiment = load_experiment(tiny_copy(path, store, TINY))
    result = search_experiment(experiment, Console(quiet=True))
    assert result.best_trial_id is not None, result.trials
    assert result.report_path.is_file()
