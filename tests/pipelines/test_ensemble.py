"""The ensemble of the best trials: selection on validation, one Keras model, and its place in a real search."""

from __future__ import annotations

import json

import keras
import mlflow
import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from pipelines.config import load_experiment
from pipelines.data import load_dataset
from pipelines.data.encoding import ArrayInputs, Encoding
from pipelines.ensemble import choose_ensemble, select
from pipelines.tracking.packaging import save_package
from reports.store.names import ENSEMBLE, ENSEMBLE_TAG, ENSEMBLE_WEIGHTS_PARAM, TEST_ACCURACY
from search_spaces.ensemble_model import ensemble_model, heaviest_member
from tests import processes
from tests.conftest import searched, write_experiment


def _one_hot(labels: np.ndarray, sure: float, classes: int = 2) -> np.ndarray:
    out = np.full((len(labels), classes), (1 - sure) / (classes - 1))
    out[np.arange(len(labels)), labels] = sure
    return out


def _accuracy_then_loss(y):
    def place(outputs):
        answered = outputs[np.arange(len(y)), y]
        return (-round((outputs.argmax(axis=1) == y).mean() * len(y)), float(-np.log(answered).mean()))

    return place


def test_two_trials_wrong_on_different_rows_are_averaged_and_one_that_is_better_everywhere_stays_alone():
    y = np.array([0, 1] * 50)
    truth = _one_hot(y, 0.9)
    left, right = truth.copy(), truth.copy()
    left[:20] = _one_hot(1 - y[:20], 0.6)  # each wrong, but unsure, on rows the other gets right
    right[20:40] = _one_hot(1 - y[20:40], 0.6)
    chosen = select({"left": left, "right": right}, _accuracy_then_loss(y), 5)
    assert set(chosen.weights) == {"left", "right"}
    assert sum(chosen.weights.values()) == pytest.approx(1.0)
    averaged = chosen.combine({"left": left, "right": right})
    assert (averaged.argmax(axis=1) == y).mean() == 1.0 > (left.argmax(axis=1) == y).mean()

    alone = select({"sure": truth, "left": left}, _accuracy_then_loss(y), 5)
    assert alone.weights == {"sure": 1.0}


def test_the_ensemble_kept_is_the_round_that_placed_best_not_the_last():
    y = np.array([0, 1] * 50)
    a, b = _one_hot(y, 0.9), _one_hot(y, 0.8)
    b[:5] = _one_hot(1 - y[:5], 0.9)
    chosen = select({"a": a, "b": b}, _accuracy_then_loss(y), 4)
    assert min(chosen.places) == _accuracy_then_loss(y)(chosen.combine({"a": a, "b": b}))


def test_an_ensemble_that_beats_the_best_trial_on_validation_is_scored_on_test_against_it():
    y_val, y_test = np.array([0, 1] * 50), np.array([0, 1] * 40)
    library = {}
    for name, wrong in (("0", slice(0, 20)), ("1", slice(20, 40))):
        val, test = _one_hot(y_val, 0.9), _one_hot(y_test, 0.9)
        val[wrong], test[wrong] = _one_hot(1 - y_val[wrong], 0.6), _one_hot(1 - y_test[wrong], 0.6)
        library[name] = (val, test)
    best_validation = {"validation/accuracy": 0.8, "validation/loss": 0.5}
    found = choose_ensemble(library, "0", best_validation, y_val, y_test, True, "val_accuracy", 5)
    assert found is not None and found.beats_best_trial
    assert found.validation["validation/accuracy"] == 1.0 and found.test[TEST_ACCURACY] == 1.0
    assert found.gain == pytest.approx(20 / 80) and found.standard_error > 0
    worse = {"validation/accuracy": 1.0, "validation/loss": 0.01}  # a best trial the ensemble cannot pass
    assert not choose_ensemble(library, "0", worse, y_val, y_test, True, "val_accuracy", 5).beats_best_trial


def test_the_ensemble_is_one_keras_model_that_packages_and_answers_as_the_weighted_members(tmp_path):
    keras.utils.set_random_seed(0)
    members = {}
    for trial in ("0", "3"):
        inputs = keras.Input((4,))
        members[trial] = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Dense(5)(inputs)))
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    expected = 0.25 * members["0"].predict(x, verbose=0) + 0.75 * members["3"].predict(x, verbose=0)
    model = ensemble_model(members, {"0": 0.25, "3": 0.75})
    model.save(tmp_path / "ensemble.keras")
    loaded = keras.saving.load_model(tmp_path / "ensemble.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)
    encoding = Encoding(ArrayInputs((4,)), ("a", "b", "c"))
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(4)])
    package = save_package(model, encoding, tmp_path / "package", frame.head(2))
    answers = mlflow.pyfunc.load_model(str(package)).predict(frame)
    assert list(answers["prediction"]) == [("a", "b", "c")[k] for k in expected.argmax(axis=1)]
    # A transfer from it starts from the member that counts most; a model that is no ensemble is itself.
    heaviest = heaviest_member(loaded)
    np.testing.assert_allclose(heaviest.predict(x, verbose=0), members["3"].predict(x, verbose=0), atol=1e-6)
    assert heaviest_member(members["0"]) is members["0"]


@pytest.mark.slow
def test_a_search_whose_ensemble_beats_its_best_trial_logs_registers_and_reports_the_ensemble(tmp_path):
    """Three MLPs of different widths on digits: averaged, they answer better than the best of them."""
    space = {"depth": 1, "units": [32, 64, 128], "learning_rate": 0.003, "dropout": 0.0, "optimizer": "adam"}
    space.update(wide=False, batch_size=32)
    path = write_experiment(
        tmp_path,
        name="ensemble",
        seed=42,
        family="mlp",
        search_space=space,
        tuner={"algorithm": "grid", "max_trials": 3, "epochs": 6, "patience": 0},
    )
    done = searched(path)
    assert done.returncode == 0, done.stderr[-3000:]
    parent = processes.runs(tmp_path, "ensemble")[0][0]
    assert parent.data.tags[ENSEMBLE_TAG] == "kept", parent.data.tags[ENSEMBLE_TAG]
    weights = json.loads(parent.data.params[ENSEMBLE_WEIGHTS_PARAM])
    assert len(weights) >= 2 and sum(weights.values()) == pytest.approx(1.0)
    # The parent's test score is the ensemble's, and the model it logged answers with that score.
    assert parent.data.metrics["test/accuracy"] == parent.data.metrics[ENSEMBLE + "test/accuracy"]
    best_keras = next((tmp_path / "tuner").glob("*/best_model.keras"))
    experiment = load_experiment(path)
    data = load_dataset(experiment.data, experiment.seed, tmp_path)
    answered = keras.saving.load_model(best_keras).predict(data.x_test, verbose=0).argmax(axis=1)
    assert (answered == data.y_test).mean() == pytest.approx(parent.data.metrics["test/accuracy"], abs=1e-9)
    report = next((tmp_path / "tuner").glob("*/report.pdf"))
    text = " ".join(PdfReader(report).pages[0].extract_text().split())
    assert "The best model is an ensemble of trials" in text and "gain per test sample over trial" in text
    assert "The best model is an ensemble of trials" in " ".join(done.stdout.split())


@pytest.mark.parametrize(
    ("how", "gain", "opening", "called"),
    [
        ("kept", 0.036, "The best model is an ensemble of trials 0 (0.25), 2 (0.75), better than trial 0", "beyond 2"),
        (
            "not kept: no better than trial 0 on validation",
            0.01,
            "An ensemble of trials 0 (0.25), 2 (0.75) did no",
            "within 2",
        ),
        (
            "not kept: the weights of trials 2 are not here",
            -0.05,
            "An ensemble of trials 0 (0.25), 2 (0.75) is not",
            "a loss",
        ),
    ],
)
def test_the_ensembles_sentence_gives_both_validation_scores_and_calls_the_test_gain_only_beyond_noise(
    how, gain, opening, called
):
    from reports.verdict import ensemble_sentence

    measures = [("validation/accuracy", 0.9653, 0.9653), ("validation/loss", 0.17, 0.28)]
    sentence = ensemble_sentence(how, {"0": 0.25, "2": 0.75}, "0", measures, gain, 0.011, 360)
    assert sentence.startswith(opening)
    assert "validation accuracy 0.9653 against 0.9653, validation loss 0.17 against 0.28" in sentence
    assert f"gain per test sample over trial 0 {gain:.3g} ± 0.011 on 360 samples, {called}" in sentence
