"""The same search on Keras' JAX backend: nothing in the runner is TensorFlow-only but streaming files."""

from __future__ import annotations

import importlib.util

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import searched, write_experiment


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="needs jax (the test extra installs jax[cpu])")
def test_a_search_runs_on_the_jax_backend(tmp_path):
    path = write_experiment(
        tmp_path,
        name="on-jax",
        log_trial_models=True,
        tuner={"algorithm": "grid", "max_trials": 2, "epochs": 2, "patience": 0},
    )
    proc = searched(path, KERAS_BACKEND="jax")
    assert proc.returncode == 0, proc.stderr[-3000:]
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("on-jax")
    runs = client.search_runs([experiment.experiment_id])
    parent = next(r for r in runs if r.data.tags.get("automl.role") == "search")
    trials = [r for r in runs if r.data.tags.get("automl.role") == "trial"]
    assert parent.data.tags["keras_backend"] == "jax" and parent.info.status == "FINISHED"
    assert [t.info.status for t in trials] == ["FINISHED", "FINISHED"]
    assert all(t.data.metrics["test/accuracy"] > 0.2 for t in trials)  # learnt: 10 classes, chance is 0.1
    assert len(client.get_metric_history(trials[0].info.run_id, "per_epoch/val_loss")) == 2
    assert {"learning_curves.png", "confusion_matrix.png"} <= {
        a.path for a in client.list_artifacts(trials[0].info.run_id)
    }
