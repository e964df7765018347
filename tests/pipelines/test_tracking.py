"""The model registry keeps one champion: a search's best model becomes a new version only when it scores better."""

from __future__ import annotations

import keras
import mlflow
import numpy as np
import pandas as pd

from pipelines.data.encoding import ArrayInputs, Encoding
from pipelines.tracking.packaging import save_package
from pipelines.tracking.registry import register_champion
from pipelines.tracking.tracker import SearchTracker
from reports.store.names import CHAMPION_ALIAS, objective_metric
from reports.store.opening import mlflow_helpers_on
from reports.store.trials import champion_version


def test_a_new_version_only_when_it_beats_the_champion(tmp_path):
    tracker = SearchTracker.open(f"sqlite:///{tmp_path}/mlflow.db", "champions")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    x = np.zeros((2, 3), dtype="float32")
    encoding = Encoding(ArrayInputs((3,)), ("no", "yes"))
    said, runs = [], []
    for score in (0.90, 0.85, 0.95, 0.95):
        with tracker.search_run("search", {}) as run_id:
            tracker.log_params({"objective": "val_accuracy"})
            tracker.log_metrics({objective_metric("val_accuracy"): score})
            package = save_package(model, encoding, tmp_path / f"package-{len(runs)}")
            uri = tracker.log_model("best_model", package, {"units": 2})
            said.append(
                register_champion(tracker, "champions", uri, score, "max", f"scored {score}", {"score": str(score)})
            )
            runs.append(run_id)
    assert said[0] == "registered as version 1 of 'champions', now its champion"
    assert said[1] == "not registered: version 1 of 'champions' scored 0.9, and this search 0.85; it stays the champion"
    assert said[2] == "registered as version 2 of 'champions', now its champion"
    assert said[3].startswith("not registered: version 2")  # a tie does not replace the champion
    versions = tracker.client.search_model_versions("name='champions'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    champion = champion_version(tracker.client, "champions")
    assert champion.run_id == runs[2] and CHAMPION_ALIAS in champion.aliases
    assert champion_version(tracker.client, "no-such-model") is None
    # Each model is an MLflow logged model of its run (the runs table's Models column) that loads back by URI.
    logged = tracker.client.search_logged_models([tracker.experiment_id])
    assert len(logged) == 4 and {m.source_run_id for m in logged} == set(runs)
    champion_model = tracker.client.get_run(runs[2]).outputs.model_outputs[0].model_id
    # The version and its logged model name each other, as MLflow's register_model links them for the UI.
    assert champion.source == f"models:/{champion_model}"
    assert (
        tracker.client.get_logged_model(champion_model).tags["mlflow.modelVersions"]
        == '[{"name": "champions", "version": "2"}]'
    )
    assert champion.description == "scored 0.95" and champion.tags == {"score": "0.95"}
    assert logged[0].params == {"units": "2"}
    with mlflow_helpers_on(tracker.tracking_uri):
        for uri in (f"runs:/{runs[2]}/best_model", f"models:/{champion_model}", "models:/champions@champion"):
            answers = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame(x, columns=["x0", "x1", "x2"]))
            assert list(answers.columns) == ["prediction", "probability_no", "probability_yes"]
            assert set(answers["prediction"]) <= {"no", "yes"} and len(answers) == 2


def test_epochs_are_written_together_with_their_own_times_and_all_of_them_when_the_run_ends(tmp_path):
    """Per-epoch metrics wait up to a second to be written in one batch (a write costs a tenth of a small model's
    epoch); each keeps the time its epoch ended, and none is lost when the run ends, normally or by an error."""
    import time

    import pytest

    from pipelines.tracking.tracker import EPOCH_WRITE_S
    from reports.store.names import PER_EPOCH

    tracker = SearchTracker.open(f"sqlite:///{tmp_path}/mlflow.db", "epochs")
    with tracker.search_run("search", {}):
        with tracker.trial_run("0", {}, "trial 0", "val_loss") as run:
            for epoch in range(3):
                tracker.log_epoch({"loss": 1.0 / (epoch + 1), "val_loss": float("nan")}, epoch)
                time.sleep(0.05)
            held = tracker.client.get_metric_history(run, PER_EPOCH + "loss")
        with pytest.raises(RuntimeError), tracker.trial_run("1", {}, "trial 1", "val_loss") as failed:
            tracker.log_epoch({"loss": 2.0}, 0)
            raise RuntimeError("the trial's error")
    assert EPOCH_WRITE_S >= 0.5 and len(held) <= 1  # the first epoch, at most, was written while the trial ran
    history = sorted(tracker.client.get_metric_history(run, PER_EPOCH + "loss"), key=lambda m: m.step)
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]
    stamps = [m.timestamp for m in history]
    assert stamps == sorted(stamps) and stamps[2] - stamps[0] >= 90  # each epoch's own time, 50 ms apart
    assert not tracker.client.get_metric_history(run, PER_EPOCH + "val_loss")  # not finite: not logged
    assert [m.value for m in tracker.client.get_metric_history(failed, PER_EPOCH + "loss")] == [2.0]
    assert tracker.client.get_run(failed).info.status == "FAILED"
