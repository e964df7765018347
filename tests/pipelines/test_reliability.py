"""Nothing lost, nothing run twice: concurrent first use of a store, racing resumes, trials that kill their process,
a process killed between MLflow's record of a trial and KerasTuner's, diverging losses, useless best models."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import keras
import keras_tuner
import numpy as np
import pytest
from mlflow.tracking import MlflowClient

from pipelines.tuners import DivergenceGuard
from tests.conftest import OBJECTIVE, ROOT, searched
from tests.processes import (
    EPOCHS,
    by_trial,
    experiment,
    free_port,
    kill_while_training,
    runs,
    search,
    start_mlflow_server,
    stop_mlflow_server,
)

OPEN_AND_LOG = textwrap.dedent("""
    import sys
    from reports.store.opening import open_store
    client = open_store(sys.argv[1])
    try:
        experiment_id = client.create_experiment("shared")
    except Exception:  # another process created it first
        experiment_id = client.get_experiment_by_name("shared").experiment_id
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "m", 1.0)
    client.set_terminated(run.info.run_id)
""")


def test_eight_processes_opening_one_fresh_store_all_succeed_and_leave_it_usable(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    procs = [
        subprocess.Popen([sys.executable, "-c", OPEN_AND_LOG, uri], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, "\n".join(e[-800:] for e in errors)
    # Usable afterwards, by a ninth process too.
    ninth = subprocess.run(
        [sys.executable, "-c", OPEN_AND_LOG, uri], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert ninth.returncode == 0, ninth.stderr[-2000:]
    client = MlflowClient(tracking_uri=uri)
    runs_logged = client.search_runs([client.get_experiment_by_name("shared").experiment_id])
    assert len(runs_logged) == 9 and all(r.data.metrics["m"] == 1.0 for r in runs_logged)


@pytest.mark.slow
def test_four_resumes_at_once_exactly_one_carries_the_search_on(tmp_path):
    path = experiment(tmp_path)
    kill_while_training(path, finished_trials=1)
    procs = [search(path, "--resume") for _ in range(4)]
    results = [(p.wait(timeout=600), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2, 2, 2], [err[-1500:] for _, err in results]
    for code, err in results:
        if code == 2:
            assert "is being run by another process" in err or "finished" in err, err[-1500:]
    parents, children = runs(tmp_path)
    assert [p.info.status for p in parents] == ["FINISHED"]
    assert "failure_reason" not in parents[0].data.tags
    assert by_trial(children) == {"0": ["FINISHED"], "1": ["FINISHED", "KILLED"]}


@pytest.mark.slow
def test_a_trial_that_keeps_killing_its_process_fails_after_max_retries(tmp_path):
    path = experiment(tmp_path, tuner={"max_retries": 1})
    kill_while_training(path, 1)  # trial 1, first attempt
    kill_while_training(path, 1, "--resume")  # its retry
    resumed = search(path, "--resume")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    parents, children = runs(tmp_path)
    assert [p.info.status for p in parents] == ["FINISHED"]
    assert by_trial(children) == {"0": ["FINISHED"], "1": ["FAILED", "KILLED", "KILLED"]}
    failed = next(c for c in children if c.info.status == "FAILED")
    assert "died during this trial 2 times (max_retries: 1)" in failed.data.tags["failure_reason"]
    project = parents[0].data.params["tuner.project"]
    trial = json.loads((tmp_path / "tuner" / project / "trial_1" / "trial.json").read_text())
    assert trial["status"] == "FAILED"  # KerasTuner agrees, so no later resume runs it again


@pytest.mark.slow
def test_a_trial_logged_but_not_ended_in_kerastuner_is_taken_from_mlflow_not_run_again(tmp_path):
    """The state a kill leaves between the child run's end and KerasTuner's end_trial, written as that kill leaves
    it."""
    path = experiment(tmp_path, tuner={"epochs": 2})
    finished = search(path)
    assert finished.wait(timeout=600) == 0, finished.communicate()[1][-3000:]
    parents, children = runs(tmp_path)
    parent = parents[0]
    score = next(c for c in children if c.data.tags["trial_id"] == "1").data.metrics[OBJECTIVE]
    project = tmp_path / "tuner" / parent.data.params["tuner.project"]
    trial_file = project / "trial_1" / "trial.json"
    trial = json.loads(trial_file.read_text())
    trial.update(status="RUNNING", score=None, metrics={"metrics": {}})
    trial_file.write_text(json.dumps(trial))
    oracle_file = project / "oracle.json"
    oracle = json.loads(oracle_file.read_text())
    oracle["ongoing_trials"] = {"tuner0": "1"}
    oracle["end_order"] = [t for t in oracle["end_order"] if t != "1"]
    oracle_file.write_text(json.dumps(oracle))
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    client.set_terminated(parent.info.run_id, "KILLED")

    resumed = search(path, "--resume")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    parents_after, children_after = runs(tmp_path)
    assert [p.info.status for p in parents_after] == ["FINISHED"]
    assert by_trial(children_after) == {"0": ["FINISHED"], "1": ["FINISHED"]}  # one FINISHED run per trial
    ended = json.loads(trial_file.read_text())
    assert ended["status"] == "COMPLETED" and ended["score"] == pytest.approx(score)


def test_a_loss_that_explodes_without_becoming_nan_fails_the_trial_with_its_epoch():
    """Full-batch SGD on y = x above the stable learning rate: the squared error doubles every epoch, finite."""
    x = np.linspace(-1.7, 1.7, 64, dtype="float32").reshape(-1, 1)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.2), loss="mse")
    with pytest.raises(
        keras_tuner.errors.FailedTrialError,
        match=r"diverged: loss reached \S+ at epoch \d+ \(first epoch \S+; a trial fails above 1e\+06 "
        r"or 1000 times its first epoch\)",
    ):
        model.fit(x, x, batch_size=64, epochs=60, verbose=0, callbacks=[DivergenceGuard()])


def _regression_at(scale: float, learning_rate: float, optimizer: str = "sgd"):
    """An MLP's fit on y = scale * (x1 + sin 3 x2) + 10 * scale, as the search compiles it, its loss guarded."""
    from search_spaces import FAMILIES

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2)).astype("float32")
    y = (scale * (x[:, 0] + np.sin(3 * x[:, 1])) + 10 * scale).astype("float32")
    overrides = {"depth": 1, "units": 16, "optimizer": optimizer, "learning_rate": learning_rate, "momentum": 0.0}
    hypermodel = FAMILIES["mlp"]((2,), None, overrides, target_scale=(float(y.std()), float(y.mean())))
    keras.utils.set_random_seed(0)
    model = hypermodel.build(keras_tuner.HyperParameters())
    history = model.fit(x, y, batch_size=32, epochs=30, verbose=0, callbacks=[DivergenceGuard()])
    return history.history


@pytest.mark.parametrize("scale", [1e4, 1e-4])
def test_a_target_in_any_unit_trains_and_its_real_divergence_is_still_caught(scale):
    """The loss of values is the squared error over the target's variance, so a good first epoch of a target near
    1e4 is not a divergence (in its units the loss is near 1e8), and a learning rate of 10 diverges at any unit,
    also near 1e-4, where the loss in units would stay under any bound."""
    history = _regression_at(scale, 0.01, "adam")
    assert history["loss"][-1] < 0.5 * history["loss"][0] < 2.0  # it learns; and the loss is on the unit scale
    assert 0.01 * scale < history["mae"][-1] < 0.7 * history["mae"][0]  # the metric stays in the target's units
    with pytest.raises(keras_tuner.errors.FailedTrialError, match="diverged: loss (became nan|reached)"):
        _regression_at(scale, 10.0)


def test_a_best_model_no_better_than_the_majority_class_is_not_registered(tmp_path):
    """Labels drawn at random, 85% of them one class: no network can beat always answering that class."""
    rng = np.random.default_rng(0)
    np.savez(
        tmp_path / "noise.npz", x=rng.normal(size=(400, 6)).astype("float32"), y=(rng.random(400) < 0.15).astype(int)
    )
    path = experiment(
        tmp_path,
        name="noise",
        family="mlp",
        data={"source": "npz", "path": "noise.npz"},
        search_space={"depth": 1, "units": 8, "learning_rate": 0.01, "optimizer": "adam"},
        tuner={"max_trials": 1, "epochs": 3},
    )
    proc = searched(path, COLUMNS="400")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = " ".join(proc.stdout.split())
    assert "is no better than the" in out and "of the majority class (0) on the 80 test samples" in out, out[-2000:]
    assert "The model was not registered: it does no better than the majority class (0) (test accuracy " in out
    assert "on the 80 test samples, a gain per sample of" in out.split("The model was not registered", 1)[1]
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    assert client.search_registered_models() == []
    parents, _ = runs(tmp_path, "noise")
    assert parents[0].data.tags["automl.beats_baseline"] == "false"
    assert parents[0].data.metrics["vs_baseline/trivial/test/accuracy"] == pytest.approx(
        parents[0].data.metrics["test/accuracy"], abs=0.05
    )


@pytest.mark.slow
def test_a_tracking_server_stopped_and_restarted_mid_search_loses_no_epoch(tmp_path):
    """A real `mlflow server` goes down while trial 0 trains and comes back some epochs later: the search goes on
    from a journal, and afterwards the store holds every epoch of every trial, each trial FINISHED once."""
    port = free_port()
    backend = f"sqlite:///{tmp_path}/server.db"
    server = start_mlflow_server(backend, tmp_path, port)
    path = experiment(tmp_path, name="outage", tracking_uri=f"http://127.0.0.1:{port}")
    proc = search(path)
    client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 300
    while True:  # until trial 0 has logged two epochs
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-3000:]
        found = client.get_experiment_by_name("outage")
        trials = client.search_runs([found.experiment_id], "tags.trial_id = '0'") if found else []
        if trials and len(client.get_metric_history(trials[0].info.run_id, "per_epoch/loss")) >= 2:
            break
        time.sleep(0.3)
    stop_mlflow_server(server)
    time.sleep(8)  # epochs go by with the store down
    server = start_mlflow_server(backend, tmp_path, port)
    try:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        said = " ".join(out.split())
        assert "does not answer. Training goes on" in said and "answers again" in said, said[-3000:]
        parents = client.search_runs([found.experiment_id], "tags.`automl.role` = 'search'")
        children = client.search_runs([found.experiment_id], "tags.`automl.role` = 'trial'")
        assert [p.info.status for p in parents] == ["FINISHED"]
        assert by_trial(children) == {"0": ["FINISHED"], "1": ["FINISHED"]}
        for child in children:
            steps = sorted(m.step for m in client.get_metric_history(child.info.run_id, "per_epoch/val_loss"))
            assert steps == list(range(EPOCHS)), (child.data.tags["trial_id"], steps)
            assert {"confusion_matrix.png", "learning_curves.png"} <= {
                a.path for a in client.list_artifacts(child.info.run_id)
            }
        project = tmp_path / "tuner" / parents[0].data.params["tuner.project"]
        assert not (project / "tracking-journal.jsonl").exists()  # all of it sent
    finally:
        stop_mlflow_server(server)
