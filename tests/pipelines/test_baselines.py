"""Every search is measured against simple models fitted on the same split: on the shared real data sets, and in
a search whose network loses to one, whose report then says so first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from pipelines.baselines import Baseline, compare, model_baseline, model_baseline_inputs, trivial_baseline
from pipelines.config import load_experiment
from pipelines.data import load_dataset
from reports.store.names import TEST_ACCURACY
from tests.conftest import ROOT, searched, write_experiment

EXPERIMENTS = ROOT / "experiments"
SHARED = ROOT.parent / "shared" / "data"


def baselines(experiment_file: str):
    experiment = load_experiment(EXPERIMENTS / experiment_file)
    data = load_dataset(experiment.data, experiment.seed, EXPERIMENTS)
    return data, trivial_baseline(data), model_baseline(*model_baseline_inputs(data), experiment.seed)


def test_text_gets_tf_idf_with_logistic_regression_chosen_on_validation():
    data, trivial, model = baselines("sms_spam_rnn.yaml")
    assert model.name.startswith("TF-IDF of words and word pairs with logistic regression (C=")
    assert model.value == pytest.approx(np.mean(model.predictions == data.y_test))
    assert model.value > trivial.value + 0.05  # spam has words that give it away: 0.987 against 0.866 here
    assert model.better_than(trivial)


def test_a_series_gets_ridge_regression_on_its_window():
    data, trivial, model = baselines("airline_rnn.yaml")
    assert model.name.startswith("ridge regression on the standardized inputs")
    assert model.value == pytest.approx(np.abs(data.y_test - model.predictions).mean())
    assert model.value < trivial.value  # a trend and a season a linear model of the last 12 months follows


def test_a_small_table_also_tries_gradient_boosting_and_keeps_the_better_on_validation():
    data, trivial, model = baselines("sonar_mlp.yaml")
    x = model_baseline_inputs(data)
    assert x[0].shape[1] == 60  # small enough for gradient boosting to be one of the candidates
    assert model.validation >= trivial.validation
    from sklearn.ensemble import HistGradientBoostingClassifier

    boosted = HistGradientBoostingClassifier(random_state=0).fit(x[0], x[1])
    assert model.validation >= np.mean(boosted.predict(x[2]) == x[3])  # the chosen one is at least as good


def test_a_baseline_fitted_on_a_sample_of_the_training_rows_says_so_inside_its_name():
    """Inside the name's parentheses: the sentence goes on "... on the N test samples"."""
    from pipelines.baselines import MAX_FIT_ROWS

    x = np.random.default_rng(0).normal(size=(MAX_FIT_ROWS + 50, 3))
    y = x @ np.array([1.0, 2.0, 3.0])
    model = model_baseline(x, y, x[:100], y[:100], x[:100], y[:100], False)
    assert model.name.startswith("ridge regression on the standardized inputs (alpha=")
    assert model.name.endswith(f"; fitted on {MAX_FIT_ROWS:,} of the {MAX_FIT_ROWS + 50:,} training rows)")


def test_a_comparison_counts_a_difference_only_beyond_two_standard_errors():
    y = np.array([0, 1] * 50)
    majority = Baseline("trivial", "the majority class (0)", TEST_ACCURACY, 0.5, 0.5, np.zeros(100, dtype=int))
    tie = compare(majority, y, np.eye(2)[majority.predictions])
    assert tie.gain == 0 and not tie.better and "is no better than the 0.5 of the majority class" in tie.sentence()
    three_more = majority.predictions.copy()
    three_more[[1, 3, 5]] = 1  # right on three more samples of 100: a gain of 0.03, its standard error 0.017
    small = compare(majority, y, np.eye(2)[three_more])
    assert small.gain == pytest.approx(0.03) and not small.better
    perfect = compare(majority, y, np.eye(2)[y])
    assert perfect.better and "the best model's test accuracy 1 beats the 0.5 of" in perfect.sentence()


@pytest.mark.slow
def test_a_network_that_loses_to_ridge_regression_says_so_in_its_reports_first_sentence(tmp_path):
    """The shared airline series with one small recurrent network trained for a few epochs: a linear model of
    the last twelve months does better, and the search must say so before anything else."""
    path = write_experiment(
        tmp_path,
        name="airline-short",
        family="rnn",
        objective="val_mae",
        data={
            "source": "timeseries",
            "path": str(SHARED / "timeseries" / "airline-passengers.csv"),
            "target": "Passengers",
            "time_column": "Month",
            "season": 12,
            "window": 12,
            "test_split": 0.15,
            "validation_split": 0.15,
        },
        search_space={"cell": "gru", "units": 8, "optimizer": "adam", "learning_rate": 0.001, "batch_size": 16},
        tuner={"algorithm": "grid", "max_trials": 1, "epochs": 3, "patience": 0},
    )
    proc = searched(path, COLUMNS="400")
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = " ".join(proc.stdout.split())
    assert "Warning: the best model's test mae" in out and "of ridge regression on the standardized inputs" in out
    report = next(Path(tmp_path, "tuner").rglob("report.pdf"))
    text = " ".join(PdfReader(report).pages[0].extract_text().split())
    first = text.split("Hyperparameter search: airline-short", 1)[1].strip()
    assert first.startswith("The best model's test mae "), first[:300]
    sentence = first.split(" standard errors)", 1)[0]
    assert ("is worse than the" in sentence or "is no better than the" in sentence) and "ridge regression" in sentence
