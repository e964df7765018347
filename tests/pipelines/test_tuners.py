"""Each KerasTuner algorithm runs a real tiny search and logs one child run per trial."""

from __future__ import annotations

import keras
import keras_tuner
import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.search import search_experiment
from pipelines.tuners import trial_score
from tests.conftest import OBJECTIVE, write_experiment

pytestmark = pytest.mark.slow  # real searches taking minutes on 2 cores: CI runs them, the fast lane does not


@pytest.mark.parametrize("algorithm", ["random", "hyperband", "bayesian", "grid"])
def test_every_algorithm_completes_a_tracked_search(tmp_path, algorithm):
    path = write_experiment(
        tmp_path,
        name=f"algo-{algorithm}",
        search_space={
            "depth": [1, 2],
            "filters": 4,
            "dropout": 0.0,
            "optimizer": "adam",
            "learning_rate": 0.01,
            "batch_size": 128,
        },
        tuner={
            "algorithm": algorithm,
            "max_trials": 2,
            "epochs": 2,
            "patience": 0,
            **({"factor": 2} if algorithm == "hyperband" else {}),
        },  # shorter rounds need epochs >= factor
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    parent = client.get_run(result.parent_run_id)
    children = client.search_runs([parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{result.parent_run_id}'")
    assert parent.info.status == "FINISHED"
    assert len(children) == len(result.trials) >= 2
    assert {c.info.status for c in children} == {"FINISHED"}
    assert "model" not in {a.path for a in client.list_artifacts(children[0].info.run_id)}  # log_trial_models: false
    assert parent.data.params["best_trial_id"] == result.best_trial_id
    assert result.report_path.is_file()


def _history(values) -> keras.callbacks.History:
    history = keras.callbacks.History()
    history.history = {"val_accuracy": values}
    return history


def test_trial_score_is_the_best_epoch_averaged_over_executions():
    histories = [_history([0.5, 0.9, 0.8]), _history([0.6, 0.7])]
    assert trial_score(histories, "val_accuracy", "max") == pytest.approx(0.8)
    assert trial_score(histories, "val_accuracy", "min") == pytest.approx(0.55)


def test_hyperband_continuations_keep_whole_learning_curves(tmp_path):
    path = write_experiment(
        tmp_path,
        name="hyperband-curves",
        search_space={
            "depth": 1,
            "filters": 4,
            "dropout": 0.0,
            "optimizer": "adam",
            "learning_rate": {"min": 0.003, "max": 0.03, "sampling": "log"},
            "batch_size": 128,
        },
        tuner={"algorithm": "hyperband", "epochs": 4, "patience": 0},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    parent = client.get_run(result.parent_run_id)
    children = client.search_runs([parent.info.experiment_id], f"tags.`mlflow.parentRunId` = '{result.parent_run_id}'")
    continuing = [c for c in children if "continues_run_id" in c.data.params]
    assert continuing, "Hyperband with max_epochs 4 continues trials in its later rounds"
    for child in continuing:
        earlier = [
            (m.step, m.value)
            for m in sorted(
                client.get_metric_history(child.data.params["continues_run_id"], "per_epoch/val_loss"),
                key=lambda m: m.step,
            )
        ]
        whole = [
            (m.step, m.value)
            for m in sorted(client.get_metric_history(child.info.run_id, "per_epoch/val_loss"), key=lambda m: m.step)
        ]
        assert [step for step, _ in whole] == list(range(len(whole)))  # epochs continue, from 0, none overwritten
        assert len(whole) > len(earlier)
        assert whole[: len(earlier)] == earlier  # the earlier trial's epochs, copied as they were


def test_each_execution_of_a_trial_is_scored_so_seeds_can_be_compared(tmp_path):
    path = write_experiment(
        tmp_path,
        name="executions",
        search_space={
            "depth": 1,
            "filters": 4,
            "dropout": 0.0,
            "optimizer": "adam",
            "learning_rate": 0.01,
            "batch_size": 128,
        },
        tuner={"algorithm": "grid", "max_trials": 1, "epochs": 2, "patience": 0, "executions_per_trial": 3},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    child = client.get_run(result.trials["run_id"][0])
    per_execution = sorted(
        client.get_metric_history(child.info.run_id, "per_execution/test/accuracy"), key=lambda m: m.step
    )
    assert [m.step for m in per_execution] == [0, 1, 2]
    values = np.array([m.value for m in per_execution])
    assert len(set(values)) > 1  # three seeds, three different models
    assert child.data.metrics["per_execution/test/accuracy_mean"] == pytest.approx(values.mean())
    assert child.data.metrics["per_execution/test/accuracy_std"] == pytest.approx(values.std(ddof=1))
    scores = [m.value for m in client.get_metric_history(child.info.run_id, "per_execution/objective")]
    assert child.data.metrics[OBJECTIVE] == pytest.approx(np.mean(scores))  # KerasTuner's average over executions
    for key in ("loss", "execution_1/loss", "execution_2/val_accuracy"):
        assert sorted(m.step for m in client.get_metric_history(child.info.run_id, "per_epoch/" + key)) == [0, 1]


def test_bayesian_optimization_proposes_trials_of_its_own(tmp_path):
    """5 searched hyperparameters and 8 trials: KerasTuner's default would spend all 8 (15) at random."""
    space = {
        "depth": {"min": 1, "max": 3},
        "units": [16, 32, 64],
        "dropout": {"min": 0.0, "max": 0.5},
        "optimizer": ["adam", "rmsprop"],
        "learning_rate": {"min": 0.0003, "max": 0.03, "sampling": "log"},
        "batch_size": 128,
    }
    values = {}
    for algorithm in ("random", "bayesian"):
        path = write_experiment(
            tmp_path,
            name=algorithm,
            family="mlp",
            data={"source": "digits", "layout": "flat"},
            search_space=space,
            objective="val_loss",
            tuner={"algorithm": algorithm, "max_trials": 8, "epochs": 2, "patience": 0},
        )
        result = search_experiment(load_experiment(path), Console(quiet=True))
        trials = result.trials.sort_values("trial_id")
        values[algorithm] = [
            tuple(row[["depth", "units", "dropout", "optimizer", "learning_rate"]]) for _, row in trials.iterrows()
        ]
    assert len(values["bayesian"]) == 8
    assert values["bayesian"][:4] == values["random"][:4], values  # the random start: the same draws as random search
    assert all(b != r for b, r in zip(values["bayesian"][4:], values["random"][4:], strict=False)), (
        values
    )  # then the model proposes


def grid_oracle(folder, oracle=None):
    """The runner's grid oracle (or `oracle`, KerasTuner's) over 2 x 2 combinations."""
    from pipelines.oracles import Grid

    hp = keras_tuner.HyperParameters()
    hp.Choice("optimizer", ["adam", "sgd"])
    hp.Choice("learning_rate", [0.01, 0.003])
    grid = (oracle or Grid)(objective=keras_tuner.Objective("score", "max"), max_trials=10, hyperparameters=hp)
    grid._set_project_dir(str(folder), "grid")
    return grid


def test_a_grid_oracle_hands_every_worker_a_trial_and_each_combination_once(tmp_path):
    kerastuner = grid_oracle(tmp_path / "kerastuner", keras_tuner.oracles.GridSearchOracle)
    assert [kerastuner.create_trial(worker).status for worker in "abc"] == ["RUNNING", "RUNNING", "IDLE"]
    oracle = grid_oracle(tmp_path)
    trials = [oracle.create_trial(worker) for worker in ("a", "b", "c", "d")]
    assert [t.status for t in trials] == ["RUNNING"] * 4
    assert (
        len({(t.hyperparameters.values["optimizer"], t.hyperparameters.values["learning_rate"]) for t in trials}) == 4
    )
    assert oracle.create_trial("e").status == "IDLE"  # the grid is used up; the oracle waits for the four


def _end(oracle, trial) -> None:
    oracle.update_trial(trial.trial_id, {"score": 1.0})
    trial.status = "COMPLETED"
    oracle.end_trial(trial)


def test_a_reloaded_grid_oracle_carries_on_through_the_rest_of_the_grid(tmp_path):
    first = grid_oracle(tmp_path)
    for tuner_id in ("a", "b"):  # two trials ended, as a search stopped after them leaves them
        _end(first, first.create_trial(tuner_id))
    kerastuner = grid_oracle(tmp_path, keras_tuner.oracles.GridSearchOracle)
    kerastuner.reload()
    with pytest.raises(KeyError):  # KerasTuner's alone: its order of tried combinations was not saved
        while (trial := kerastuner.create_trial("a")).status == "RUNNING":
            _end(kerastuner, trial)
    reloaded = grid_oracle(tmp_path)
    reloaded.reload()
    while (trial := reloaded.create_trial("a")).status == "RUNNING":
        _end(reloaded, trial)
    combinations = sorted(
        (t.hyperparameters.values["optimizer"], t.hyperparameters.values["learning_rate"])
        for t in reloaded.trials.values()
    )
    assert combinations == [("adam", 0.003), ("adam", 0.01), ("sgd", 0.003), ("sgd", 0.01)]
