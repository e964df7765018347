"""A real tiny search through the command line, checked by reading the MLflow store back."""

from __future__ import annotations

import json

import mlflow
import pandas as pd
import pytest

from tests.conftest import EPOCHS


def test_one_parent_and_one_finished_child_per_trial(finished_search):
    parents, children = finished_search["parents"], finished_search["children"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert len(children) == 2
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    assert {c.info.status for c in children} == {"FINISHED"}


def test_children_hold_active_hyperparameters_only(finished_search):
    by_optimizer = {c.data.params["optimizer"]: c.data.params for c in finished_search["children"]}
    assert set(by_optimizer) == {"adam", "sgd"}
    assert by_optimizer["sgd"]["momentum"] == "0.9"
    assert "momentum" not in by_optimizer["adam"]
    for params in by_optimizer.values():
        assert params["depth"] == "1" and params["filters"] == "8" and params["batch_size"] == "64"
        assert "regularization" not in params


@pytest.mark.parametrize("key", ["loss", "accuracy", "val_loss", "val_accuracy"])
def test_learning_curves_have_one_point_per_epoch(finished_search, key):
    for child in finished_search["children"]:
        history = finished_search["client"].get_metric_history(child.info.run_id, key)
        assert sorted(m.step for m in history) == list(range(EPOCHS))


def test_children_hold_final_scores_and_pictures(finished_search):
    client = finished_search["client"]
    for child in finished_search["children"]:
        metrics = child.data.metrics
        for key in ("score", "final_val_accuracy", "test_accuracy", "test_f1_macro", "parameters"):
            assert key in metrics
        assert 0.0 <= metrics["test_accuracy"] <= 1.0
        history = client.get_metric_history(child.info.run_id, "val_accuracy")
        assert metrics["score"] == pytest.approx(max(m.value for m in history))
        artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
        assert {"confusion_matrix.png", "confusion_matrix.csv", "learning_curves.png", "per_class_report.csv"} <= artifacts
        matrix = pd.read_csv(client.download_artifacts(child.info.run_id, "confusion_matrix.csv", str(finished_search["tmp"])), index_col=0)
        assert matrix.shape == (10, 10)
        assert matrix.to_numpy().sum() == 360  # the whole test split, 20% of 1,797 digits


def test_parent_names_the_best_trial_and_registers_its_model(finished_search):
    parent = finished_search["parents"][0]
    children = finished_search["children"]
    best = max(children, key=lambda c: c.data.metrics["score"])
    assert parent.data.params["best_trial_id"] == best.data.tags["trial_id"]
    assert parent.data.params["best_run_id"] == best.info.run_id
    assert parent.data.params["optimizer"] == best.data.params["optimizer"]
    assert parent.data.metrics["best_score"] == pytest.approx(best.data.metrics["score"])
    assert parent.data.params["tuner.algorithm"] == "grid"
    assert parent.data.tags["family"] == "cnn"
    artifacts = {a.path for a in finished_search["client"].list_artifacts(parent.info.run_id)}
    assert {"trials.csv", "search_space.yaml"} <= artifacts
    versions = finished_search["client"].search_model_versions("name='e2e'")
    assert len(versions) == 1
    model = mlflow.keras.load_model(f"models:/e2e/{versions[0].version}")
    assert model.output_shape == (None, 10)


def test_terminal_shows_the_summary_and_best_model_path(finished_search):
    out = finished_search["stdout"]
    parent = finished_search["parents"][0]
    assert "trials by val_accuracy" in out
    assert f"best trial {parent.data.params['best_trial_id']}" in out
    assert "best_model.keras" in out
    assert any(p.name == "best_model.keras" for p in (finished_search["tmp"] / "tuner").rglob("*.keras"))


def test_parent_records_the_data_splits_as_mlflow_dataset_inputs(finished_search):
    inputs = finished_search["parents"][0].inputs.dataset_inputs
    contexts = {next(t.value for t in i.tags if t.key == "mlflow.data.context"): i.dataset for i in inputs}
    assert set(contexts) == {"train", "validation", "test"}
    assert {d.name for d in contexts.values()} == {"digits-image"}
    assert len({d.digest for d in contexts.values()}) == 3
    assert json.loads(contexts["test"].profile)["features_shape"] == [360, 8, 8, 1]
    assert json.loads(contexts["train"].profile)["targets_shape"] == [1149]
    parent_params = finished_search["parents"][0].data.params
    assert parent_params["data.test_size"] == "360" and parent_params["data.train_size"] == "1149"
