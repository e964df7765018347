"""A real tiny search through the command line, checked by reading the MLflow store back."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import mlflow
import pandas as pd
import pytest

from pipelines.tracking.packaging import load_keras
from tests.conftest import EPOCHS, OBJECTIVE, ROOT


def test_one_parent_and_one_finished_child_per_trial(finished_search):
    parents, children = finished_search["parents"], finished_search["children"]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert len(children) == 2
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    assert {c.info.status for c in children} == {"FINISHED"}


def test_children_hold_the_searched_hyperparameters_and_every_active_one_in_a_file(finished_search):
    client = finished_search["client"]
    by_optimizer = {c.data.params["optimizer"]: c for c in finished_search["children"]}
    assert set(by_optimizer) == {"adam", "sgd"}
    for optimizer, child in by_optimizer.items():
        assert set(child.data.params) == {"optimizer"}  # the fixed ones are on the parent
        name = child.info.run_name.removeprefix("best: ")  # values first: the runs table cuts a name short
        assert name == f"optimizer={optimizer} (trial {child.data.tags['trial_id']})"
        exact = json.loads(Path(client.download_artifacts(child.info.run_id, "hyperparameters.json")).read_text())
        assert exact["depth"] == 1 and exact["filters"] == 8 and exact["batch_size"] == 64
        assert "regularization" not in exact
        assert ("momentum" in exact) == (optimizer == "sgd")  # conditional: active under SGD only
    parent = finished_search["parents"][0]
    assert parent.data.params["search_space.momentum"] == "0.9" and parent.data.params["search_space.depth"] == "1"
    # MLflow 3's UI opens a model-training experiment on its runs table, not on its GenAI traces view.
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    # Only what could take effect: no regularizer is searched, so its strength is not a setting of this search.
    assert "search_space.regularization" not in parent.data.params
    # What a person types in the UI's search box finds the trial.
    found = client.search_runs([parent.info.experiment_id], "params.optimizer = 'sgd'")
    assert [r.info.run_id for r in found] == [by_optimizer["sgd"].info.run_id]


@pytest.mark.parametrize("key", ["loss", "accuracy", "val_loss", "val_accuracy"])
def test_learning_curves_have_one_point_per_epoch(finished_search, key):
    for child in finished_search["children"]:
        history = finished_search["client"].get_metric_history(child.info.run_id, "per_epoch/" + key)
        assert sorted(m.step for m in history) == list(range(EPOCHS))


def test_children_hold_final_scores_and_pictures(finished_search):
    client = finished_search["client"]
    for child in finished_search["children"]:
        metrics = child.data.metrics
        for key in (OBJECTIVE, "validation/accuracy", "test/accuracy", "test/f1_macro", "trial/parameters"):
            assert key in metrics
        assert 0.0 <= metrics["test/accuracy"] <= 1.0
        history = client.get_metric_history(child.info.run_id, "per_epoch/val_accuracy")
        assert metrics[OBJECTIVE] == pytest.approx(max(m.value for m in history))
        # Overfitting in two numbers: the rise of validation loss after its lowest epoch, and its gap over the
        # training loss at the last epoch.
        val_loss, loss = (
            [m.value for m in sorted(client.get_metric_history(child.info.run_id, key), key=lambda m: m.step)]
            for key in ("per_epoch/val_loss", "per_epoch/loss")
        )
        assert metrics["trial/val_loss_rise"] == pytest.approx(val_loss[-1] - min(val_loss), abs=1e-6)
        assert metrics["trial/loss_gap"] == pytest.approx(val_loss[-1] - loss[-1], abs=1e-6)
        artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
        assert {
            "confusion_matrix.png",
            "confusion_matrix.csv",
            "learning_curves.png",
            "per_class_report.csv",
        } <= artifacts
        matrix = pd.read_csv(
            client.download_artifacts(child.info.run_id, "confusion_matrix.csv", str(finished_search["tmp"])),
            index_col=0,
        )
        assert matrix.shape == (10, 10)
        assert matrix.to_numpy().sum() == 360  # the whole test split, 20% of 1,797 digits


def test_parent_names_the_best_trial_and_registers_its_model(finished_search):
    parent = finished_search["parents"][0]
    children = finished_search["children"]
    best = max(children, key=lambda c: c.data.metrics[OBJECTIVE])
    assert parent.data.params["best_trial_id"] == best.data.tags["trial_id"]
    assert parent.data.params["best_run_id"] == best.info.run_id
    assert parent.data.params["best.optimizer"] == best.data.params["optimizer"]
    assert "optimizer" not in parent.data.params  # selecting all runs shows no duplicate of the best trial
    assert best.data.tags["automl.best_trial"] == "true"
    logged = {m.name for m in finished_search["client"].search_logged_models([parent.info.experiment_id])}
    assert logged == {"model", "best_model"}  # each trial's and the search's, in the runs table's Models column
    # The parent shows the search's outcome under the trials' names: the best score and the best trial's curves.
    assert parent.data.metrics[OBJECTIVE] == pytest.approx(best.data.metrics[OBJECTIVE])
    assert parent.data.metrics["test/accuracy"] == pytest.approx(best.data.metrics["test/accuracy"])
    assert [
        m.value for m in finished_search["client"].get_metric_history(parent.info.run_id, "per_epoch/val_loss")
    ] == [m.value for m in finished_search["client"].get_metric_history(best.info.run_id, "per_epoch/val_loss")]
    assert best.info.run_name.startswith("best: optimizer=")
    assert sum(c.info.run_name.startswith("best: ") for c in children) == 1
    assert parent.data.params["tuner.algorithm"] == "grid"
    assert parent.data.tags["family"] == "cnn"
    # MLflow's own source tags: the entry point, runner.py, and the commit of the checkout it ran from.
    assert parent.data.tags["mlflow.source.name"].endswith("runner.py")
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert parent.data.tags.get("mlflow.source.git.commit") == (commit or None)
    artifacts = {a.path for a in finished_search["client"].list_artifacts(parent.info.run_id)}
    assert {"trials.csv", "search_space.yaml"} <= artifacts
    versions = finished_search["client"].search_model_versions("name='e2e'")
    assert len(versions) == 1
    assert finished_search["client"].get_model_version_by_alias("e2e", "champion").version == versions[0].version
    model = load_keras("models:/e2e@champion", finished_search["uri"])
    assert model.output_shape == (None, 10)
    # The logged models carry their scores, so MLflow's Models tab ranks them; the version says what it is.
    for logged_model in finished_search["client"].search_logged_models([parent.info.experiment_id]):
        keys = {m.key for m in logged_model.metrics}
        assert (
            {OBJECTIVE, "test/accuracy", "validation/accuracy"} <= keys
            if logged_model.name == "model"
            else {OBJECTIVE, "test/accuracy"} <= keys
        ), (logged_model.name, keys)
    assert versions[0].description.startswith(f"Trial {parent.data.params['best_trial_id']} of the grid search")
    assert versions[0].tags["trial_id"] == parent.data.params["best_trial_id"]


def test_runs_read_well_in_the_mlflow_ui(finished_search):
    """A dated search name, the best trial tagged, and a description on the parent's page."""
    parent = finished_search["parents"][0]
    assert re.fullmatch(r"grid search \d{4}-\d\d-\d\d \d\d:\d\d", parent.info.run_name)
    best_id = parent.data.params["best_run_id"]
    tagged = [c.info.run_id for c in finished_search["children"] if c.data.tags.get("automl.best_trial") == "true"]
    assert tagged == [best_id]
    note = parent.data.tags["mlflow.note.content"]
    assert f"**trial {parent.data.params['best_trial_id']}**" in note and best_id in note
    assert "2 trial runs, 2 finished, 0 failed" in note
    to_beat = parent.data.params["baseline." + parent.data.params["baseline.to_beat"]]
    assert f"Baseline: the best model's test accuracy {parent.data.metrics['test/accuracy']:.4g} " in note
    assert f"of {to_beat} on the 360 test samples" in note
    assert "registered as version 1 of 'e2e', now its champion" in note


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


def test_a_constant_learning_rate_is_a_param_not_a_flat_curve(finished_search):
    for child in finished_search["children"]:
        assert not finished_search["client"].get_metric_history(child.info.run_id, "per_epoch/learning_rate")
        history = finished_search["client"].get_metric_history(child.info.run_id, "per_epoch/val_loss")
        assert sorted(m.step for m in history) == list(range(EPOCHS))


def test_children_hold_roc_and_precision_recall_curves(finished_search):
    client = finished_search["client"]
    for child in finished_search["children"]:
        path = client.download_artifacts(child.info.run_id, "roc_pr_curves.json", str(finished_search["tmp"]))
        curves = json.loads(open(path).read())
        assert set(curves) == {str(d) for d in range(10)}  # one-vs-rest, one curve per digit
        for curve in curves.values():
            assert curve["fpr"][0] == 0.0 and curve["fpr"][-1] == 1.0
            assert len(curve["precision"]) == len(curve["recall"])
        macro = sum(c["roc_auc"] for c in curves.values()) / 10
        assert child.data.metrics["test/roc_auc_macro"] == pytest.approx(macro)
        assert 0.5 < macro <= 1.0
        assert "roc_pr_curves.png" in {a.path for a in client.list_artifacts(child.info.run_id)}


def test_each_child_holds_its_model_with_signature_and_input_example(finished_search):
    """A trial's model is a pyfunc on raw pixels, one column each, that answers the digit and its probabilities."""
    child = finished_search["children"][0]
    uri = f"runs:/{child.info.run_id}/model"
    info = mlflow.models.Model.load(uri)
    assert "python_function" in info.flavors
    assert [c["name"] for c in info.signature.inputs.to_dict()] == [f"x{i}" for i in range(64)]
    assert [c["name"] for c in info.signature.outputs.to_dict()] == [
        "prediction",
        *(f"probability_{d}" for d in range(10)),
    ]
    example = info.load_input_example(mlflow.artifacts.download_artifacts(uri))
    assert example.shape == (5, 64) and example.to_numpy().max() > 1  # raw pixels 0-16
    answers = mlflow.pyfunc.load_model(uri).predict(example)
    probabilities = answers[[f"probability_{d}" for d in range(10)]].to_numpy()
    assert probabilities.sum(axis=1) == pytest.approx([1.0] * 5, abs=1e-4)
    assert list(answers["prediction"]) == [str(k) for k in probabilities.argmax(axis=1)]


def test_children_record_trial_id_parameter_count_and_peak_memory(finished_search):
    for child in finished_search["children"]:
        assert child.info.run_name.endswith(f"(trial {child.data.tags['trial_id']})")
        assert child.data.metrics["trial/parameters"] > 0
        assert 100 < child.data.metrics["trial/peak_memory_mb"] < 24 * 1024  # TensorFlow alone takes a few hundred MiB
        assert {"loss", "val_loss"} <= set(child.data.tags["automl.epoch_metrics"].split(","))
        assert "learning_rate" not in child.data.tags["automl.epoch_metrics"]  # constant here: not a curve


def test_the_closing_steps_read_the_trials_from_the_store_once(tmp_path, monkeypatch):
    """The report, the ensemble, the best model and trials.csv all work from one read of the trial runs."""
    from mlflow import MlflowClient
    from rich.console import Console

    import pipelines.search
    from pipelines.config import load_experiment
    from reports.store import names as layout
    from tests.conftest import write_experiment

    reads, closing = [], []
    search_runs, close = MlflowClient.search_runs, pipelines.search.close_search

    def counted(client, experiment_ids, filter_string="", *args, **kwargs):
        if closing and "mlflow.parentRunId" in filter_string:
            reads.append(filter_string.partition(" and ")[2])
        return search_runs(client, experiment_ids, filter_string, *args, **kwargs)

    def closed(*args, **kwargs):
        closing.append(True)
        return close(*args, **kwargs)

    monkeypatch.setattr(MlflowClient, "search_runs", counted)
    monkeypatch.setattr(pipelines.search, "close_search", closed)
    result = pipelines.search.search_experiment(load_experiment(write_experiment(tmp_path)), Console(quiet=True))
    assert closing and len(result.trials) == 2 and result.report_path.is_file()
    # Every trial run once; then only the runs a resumed search may have tagged best before, to untag them.
    assert reads == ["", f"tags.`{layout.BEST_TRIAL_TAG}` = 'true'"]
