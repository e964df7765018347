"""The runner's rules live in named oracle subclasses, at KerasTuner's extension point, not in rebound methods."""

from __future__ import annotations

import ast
import inspect

import keras_tuner

from pipelines.oracles import ORACLES, Bayesian, Grid, Hyperband, Random
from pipelines.time_budget import TimeBudget
from search_spaces import MLP
from tests.conftest import ROOT


def _oracle(cls, tmp_path, budget=None, **arguments):
    """`cls` over an MLP's space that searches depth (0 is the obvious model) and units, as a tuner builds it."""
    hypermodel = MLP((4,), 2, {"depth": [1, 0], "units": [8, 16], "learning_rate": 0.01})
    hp = keras_tuner.HyperParameters()
    hypermodel.build(hp)
    if cls in (Random, Bayesian):
        arguments["space"] = hypermodel.space
    oracle = cls(objective="val_loss", hyperparameters=hp, budget=budget, seed=1, **arguments)
    oracle._set_project_dir(str(tmp_path), cls.__name__)
    return oracle


def test_no_oracle_method_is_rebound_anywhere():
    """Nowhere in the runner is a method of an oracle, or of a worker's client of one, assigned on an object."""
    from keras_tuner.src.distribute.oracle_client import OracleClient

    methods = {
        name
        for cls in (keras_tuner.Oracle, OracleClient, *ORACLES.values())
        for name, value in inspect.getmembers(cls)
        if callable(value) and not name.startswith("__")
    }
    assert {"populate_space", "create_trial", "end_trial", "_check_consecutive_failures"} <= methods
    rebound = []
    for path in sorted({*ROOT.glob("pipelines/**/*.py"), *ROOT.glob("search_spaces/**/*.py"), ROOT / "runner.py"}):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in methods:
                    rebound.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(target)}")
    assert rebound == []


def test_random_and_bayesian_search_start_from_the_obvious_model_and_grid_and_hyperband_do_not(tmp_path):
    for cls in (Random, Bayesian):
        oracle = _oracle(cls, tmp_path, max_trials=3)
        first = oracle.create_trial("a")
        assert first.hyperparameters.values["depth"] == 0, cls
        oracle.update_trial(first.trial_id, {"val_loss": 1.0})
        first.status = "COMPLETED"
        oracle.end_trial(first)
        assert oracle.create_trial("a").status == "RUNNING"  # then the algorithm's own choices
    grid = _oracle(Grid, tmp_path, max_trials=4)
    assert grid.create_trial("a").hyperparameters.values["depth"] == 1  # the grid's first point, as written
    assert _oracle(Hyperband, tmp_path, max_epochs=9, factor=3).create_trial("a").status == "RUNNING"


def test_every_oracle_stops_starting_trials_once_the_budget_is_spent(tmp_path):
    spent = TimeBudget(1.0, spent_before=2.0)
    left = TimeBudget(3600.0)
    arguments = {Random: {"max_trials": 5}, Bayesian: {"max_trials": 5}, Grid: {"max_trials": 5}}
    for cls in ORACLES.values():
        own = arguments.get(cls, {"max_epochs": 9, "factor": 3})
        assert _oracle(cls, tmp_path / "spent", spent, **own).create_trial("a").status == "STOPPED", cls
        assert _oracle(cls, tmp_path / "left", left, **own).create_trial("a").status == "RUNNING", cls
