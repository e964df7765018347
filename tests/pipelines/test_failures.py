"""A trial that fails is recorded as FAILED with its reason; a search with no finished trial still reports."""

from __future__ import annotations

import pytest
from mlflow.tracking import MlflowClient
from pypdf import PdfReader

from tests.conftest import ROOT, searched, write_experiment

DIVERGES = {  # this CNN's loss is NaN from the first epoch on digits
    "depth": 3,
    "filters": 8,
    "activation": "leaky_relu",
    "initializer": "ones",
    "optimizer": "sgd",
    "learning_rate": 10.0,
    "momentum": 0.99,
    "dropout": 0.0,
    "batch_size": 64,
}


def test_diverging_trials_fail_with_reason_and_the_search_still_reports(tmp_path):
    path = write_experiment(
        tmp_path,
        name="diverges",
        search_space={**DIVERGES, "kernel_size": [3, 5]},
        tuner={"algorithm": "grid", "max_trials": 2, "epochs": 3, "patience": 0},
    )
    proc = searched(path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    said = " ".join(proc.stdout.split())
    assert "No trial finished with a finite score. The reason of every failed trial: diverged: loss became nan" in said

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("diverges").experiment_id])
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(children) == 2
    for child in children:
        assert child.info.status == "FAILED"
        assert child.data.tags["failure_reason"] == "FailedTrialError: diverged: loss became nan at epoch 1"
    assert parent.info.status == "FAILED"
    assert "no trial finished with a finite score" in parent.data.tags["failure_reason"]
    assert "best_trial_id" not in parent.data.params

    report = client.download_artifacts(parent.info.run_id, "report.pdf", str(tmp_path))
    text = "\n".join(page.extract_text() for page in PdfReader(report).pages)
    assert "none: no trial finished with a finite score" in text
    assert "2: 0 finished, 2 failed" in text
    assert "failed: FailedTrialError: diverged: loss became nan at epoch 1" in text


@pytest.mark.slow
def test_a_series_whose_trials_all_fail_is_still_reported_in_its_own_measure(tmp_path):
    """With no trial's test score logged, the trials table and the baselines on page 1 still speak of test MAE, the
    measure of a search of values, not of test accuracy."""
    path = write_experiment(
        tmp_path,
        name="falls",
        data={
            "source": "timeseries",
            "path": str(ROOT.parent / "shared" / "data" / "timeseries" / "airline-passengers.csv"),
            "target": "Passengers",
            "window": 12,
        },
        family="rnn",
        objective="val_mae",
        search_space={
            "units": 4,
            "cell": "gru",
            "optimizer": "sgd",
            "learning_rate": 10.0,
            "momentum": 0.99,
            "linear_skip": False,
        },
        tuner={"algorithm": "grid", "max_trials": 1, "epochs": 2, "patience": 0},
    )
    proc = searched(path)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "test mae" in proc.stdout and "test acc." not in proc.stdout
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    (parent,) = client.search_runs(
        [client.get_experiment_by_name("falls").experiment_id], "tags.`automl.role` = 'search'"
    )
    report = client.download_artifacts(parent.info.run_id, "report.pdf", str(tmp_path))
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(report).pages).split())
    assert "baseline (trivial) the naive forecast (the last observed value): test mae" in text
    assert "test accuracy" not in text
