"""Data sets as a new user brings them, with a minimal experiment file: a series in sales units, a small table whose
trials tie on validation accuracy. Real searches, read back from MLflow."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from mlflow.tracking import MlflowClient

from benchmarks.workloads import monthly_sales
from tests.conftest import searched


def _minimal_search(tmp_path, name: str, data: dict, family: str, **extra):
    """`runner.py search` on a minimal file (name, data, family, 4 trials); its parent run and trial runs."""
    spec = {"name": name, "data": data, "family": family, "tuner": {"max_trials": 4}, **extra}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    proc = searched(path, timeout=900)
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name(name).experiment_id])
    (parent,) = [r for r in runs if r.data.tags.get("automl.role") == "search"]
    children = [r for r in runs if r.data.tags.get("automl.role") == "trial"]
    return proc, parent, children


def _verdict(parent, key: str) -> tuple[float, float]:
    metrics = parent.data.metrics
    return (
        metrics[f"vs_baseline/{key}/gain_per_test_sample"],
        metrics[f"vs_baseline/{key}/gain_per_test_sample_se"],
    )


@pytest.mark.slow
def test_a_monthly_series_in_sales_units_trains_and_is_no_worse_than_the_naive_forecast(tmp_path):
    """108 months near 15,000: a first epoch's squared error near 2e6 in those units is a good start, not a
    divergence; every trial failed so before the loss was put on the target's scale."""
    monthly_sales(tmp_path / "sales.csv")
    data = {"source": "timeseries", "path": "sales.csv", "target": "sales", "window": 12}
    proc, parent, children = _minimal_search(tmp_path, "sales", data, "rnn")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert len(finished) >= 3, [c.data.tags.get("failure_reason") for c in children]
    assert parent.data.params["baseline.trivial"].startswith("the naive forecast")
    gain, error = _verdict(parent, "trivial")
    assert gain >= -2 * error, (gain, error)  # never worse than the naive forecast
    assert 100 < parent.data.metrics["vs_baseline/trivial/test/mae"] < 5_000  # scored in sales units


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_breast_cancer_with_a_minimal_file_is_never_worse_than_logistic_regression(tmp_path, seed):
    """569 rows, 91 for validation: trials tie at a step of 1/91, and the best is chosen on evidence. The depth-0
    trial starts as the fitted logistic regression, and ends within noise of it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from pipelines.config import load_experiment
    from pipelines.data import load_dataset
    from pipelines.tracking.packaging import load_keras

    proc, parent, children = _minimal_search(tmp_path, "cancer", {"source": "breast_cancer"}, "mlp", seed=seed)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert parent.data.params["baseline.model"].startswith("logistic regression")
    gain, error = _verdict(parent, "model")
    assert gain >= -2 * error, (gain, error)

    (linear,) = [c for c in children if int(c.data.tags["trial_id"]) == 0]  # the obvious model comes first
    assert linear.data.params["depth"] == "0" and linear.data.params["wide"] == "True"
    experiment = load_experiment(tmp_path / "cancer.yaml")
    dataset = load_dataset(experiment.data, experiment.seed, tmp_path)
    model = load_keras(f"runs:/{linear.info.run_id}/model", f"sqlite:///{tmp_path}/mlflow.db")
    network = model.predict(dataset.x_test, verbose=0).argmax(axis=1) == dataset.y_test
    assert network.mean() == pytest.approx(linear.data.metrics["test/accuracy"])
    fits = [
        make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(dataset.x_train, dataset.y_train)
        for c in (0.01, 0.1, 1.0)
    ]
    chosen = max(fits, key=lambda f: f.score(dataset.x_val, dataset.y_val))
    paired = network.astype(float) - (chosen.predict(dataset.x_test) == dataset.y_test)
    spread = paired.std(ddof=1) / math.sqrt(len(paired)) if np.any(paired) else 0.0
    assert abs(paired.mean()) <= 2 * spread + 1e-9, (paired.mean(), spread)
