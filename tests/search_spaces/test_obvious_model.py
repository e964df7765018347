"""The obvious model is a point of every default space: logistic regression at mlp depth 0, TF-IDF with logistic
regression as the text encoder `bag`, ridge regression as a series' linear skip. Checked against scikit-learn's
own fits on real data."""

from __future__ import annotations

import math
import subprocess
import sys

import keras
import keras_tuner
import numpy as np
import pytest

from pipelines.config import load_experiment
from pipelines.data import load_dataset
from pipelines.setup import build_hypermodel
from tests.conftest import ROOT, write_experiment

SHARED = (ROOT / ".." / "shared" / "data").resolve()


def _experiment(tmp_path, data: dict, family: str, space: dict, **tuner):
    path = write_experiment(
        tmp_path, data=data, family=family, search_space=space, tuner={"algorithm": "grid", **tuner}
    )
    experiment = load_experiment(path)
    return experiment, load_dataset(experiment.data, experiment.seed, path.parent)


def _paired(right_a: np.ndarray, right_b: np.ndarray) -> tuple[float, float]:
    """Mean per-sample gain of a over b and its standard error."""
    gain = right_a.astype(float) - right_b.astype(float)
    return float(gain.mean()), float(gain.std(ddof=1) / math.sqrt(len(gain)))


@pytest.mark.slow
@pytest.mark.parametrize("csv", ["sonar.csv", "banknote_authentication.csv"])
def test_depth_zero_matches_logistic_regression_within_noise(tmp_path, csv):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = {"source": "csv", "path": str(SHARED / "tabular" / csv), "header": False, "target": -1}
    experiment, dataset = _experiment(
        tmp_path, data, "mlp", {"depth": 0, "wide": False, "optimizer": "adam", "learning_rate": 0.01, "batch_size": 16}
    )
    keras.utils.set_random_seed(0)
    hypermodel = build_hypermodel(experiment, dataset)
    model = hypermodel.build(keras_tuner.HyperParameters())
    assert [type(layer).__name__ for layer in model.layers[1:]] == ["Normalization", "Dense"]
    model.fit(
        dataset.x_train,
        dataset.y_train,
        validation_data=(dataset.x_val, dataset.y_val),
        epochs=300,
        batch_size=16,
        verbose=0,
        callbacks=[keras.callbacks.EarlyStopping("val_loss", patience=30, restore_best_weights=True)],
    )
    network = model.predict(dataset.x_test, verbose=0).argmax(axis=1) == dataset.y_test
    fits = [
        make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(dataset.x_train, dataset.y_train)
        for c in (0.01, 0.1, 1.0)
    ]
    chosen = max(fits, key=lambda f: f.score(dataset.x_val, dataset.y_val))
    gain, error = _paired(network, chosen.predict(dataset.x_test) == dataset.y_test)
    assert abs(gain) <= 2 * error + 1e-9, (gain, error, network.mean())


TABLES = {
    "sonar": {"source": "csv", "path": str(SHARED / "tabular" / "sonar.csv"), "header": False, "target": -1},
    "banknote": {
        "source": "csv",
        "path": str(SHARED / "tabular" / "banknote_authentication.csv"),
        "header": False,
        "target": -1,
    },
    "breast_cancer": {"source": "breast_cancer"},
    "wine": {"source": "wine"},
}


@pytest.mark.parametrize("wide", [False, True])
@pytest.mark.parametrize("table", TABLES)
def test_an_untrained_depth_zero_model_answers_as_logistic_regression(tmp_path, table, wide):
    """Before any training the depth-0 trial is the model baseline's logistic regression, with or without the
    wide path (which starts at zero): the same answer on every test row, the same probabilities."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    experiment, dataset = _experiment(tmp_path, TABLES[table], "mlp", {"depth": 0, "wide": wide})
    hypermodel = build_hypermodel(experiment, dataset)
    network = hypermodel.build(keras_tuner.HyperParameters()).predict(dataset.x_test, verbose=0)
    fits = [
        make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(dataset.x_train, dataset.y_train)
        for c in (0.01, 0.1, 1.0)
    ]
    chosen = max(fits, key=lambda f: f.score(dataset.x_val, dataset.y_val))
    assert (network.argmax(axis=1) == chosen.predict(dataset.x_test)).mean() >= 0.99
    np.testing.assert_allclose(network, chosen.predict_proba(dataset.x_test), atol=2e-3)


def test_an_untrained_series_model_with_the_linear_skip_forecasts_as_ridge_regression(tmp_path):
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = {
        "source": "timeseries",
        "path": str(SHARED / "timeseries" / "airline-passengers.csv"),
        "target": "Passengers",
        "window": 12,
        "time_column": "Month",
    }
    experiment, dataset = _experiment(tmp_path, data, "rnn", {"linear_skip": True, "units": 4, "cell": "gru"})
    assert experiment.objective == "val_mae"  # the minimal file's objective follows the task
    hypermodel = build_hypermodel(experiment, dataset)
    model = hypermodel.build(keras_tuner.HyperParameters())
    network = model.predict(dataset.x_val, verbose=0).reshape(-1)
    flat = [x.reshape(len(x), -1) for x in (dataset.x_train, dataset.x_val)]
    last = [x[:, -1, 0] for x in (dataset.x_train, dataset.x_val)]
    fits = [
        make_pipeline(StandardScaler(), Ridge(alpha=a)).fit(flat[0], dataset.y_train - last[0])
        for a in (0.1, 10.0, 1000.0)
    ]
    ridge = min(np.abs(f.predict(flat[1]) + last[1] - dataset.y_val).mean() for f in fits)
    naive = np.abs(last[1] - dataset.y_val).mean()
    untrained = np.abs(network - dataset.y_val).mean()
    assert untrained == pytest.approx(ridge, rel=0.02), (untrained, ridge, naive)
    assert not model.get_layer("linear_skip").trainable


def test_the_bag_encoder_reads_text_as_tf_idf_and_sequence_length_comes_from_the_texts(tmp_path):
    folder = tmp_path / "texts"
    _texts(folder, np.random.default_rng(0))
    experiment, dataset = _experiment(tmp_path, {"source": "text", "path": str(folder)}, "cnn", {"encoder": "bag"})
    facts = dataset.info.text
    assert len(facts.token_counts) == dataset.info.sizes["train"]
    assert np.percentile(facts.token_counts, 90) == pytest.approx(facts.default_length(), abs=1)
    assert any(" " in token for token in facts.bag_vocabulary)  # word pairs
    hypermodel = build_hypermodel(experiment, dataset)
    assert hypermodel.space.values_of("sequence_length") == (facts.default_length(),)
    model = hypermodel.build(keras_tuner.HyperParameters())
    names = [type(layer).__name__ for layer in model.layers]
    assert "TextVectorization" in names and "Embedding" not in names and "Conv1D" not in names
    # What the output layer reads: which tokens a text holds, times their IDF, at the typical text's length.
    bag = keras.Model(model.inputs, next(layer for layer in model.layers if type(layer).__name__ == "Rescaling").output)
    texts = dataset.x_test[:4].astype(str)
    read = np.asarray(bag(texts))
    vocabulary = list(facts.bag_vocabulary)
    expected = np.zeros_like(read)
    for row, text in enumerate(texts):
        words = text.lower().split()
        for token in set(words) | {" ".join(p) for p in zip(words, words[1:], strict=False)}:
            if token in vocabulary:
                expected[row, 1 + vocabulary.index(token)] = facts.idf[vocabulary.index(token)]
    expected *= facts.bag_scale / np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(read, expected, rtol=1e-4, atol=1e-4)
    cut = facts.cut_note(10)
    longer = sum(n > 10 for n in facts.token_counts)
    assert f"{longer:,} of {len(facts.token_counts):,} training texts are longer" in cut


def test_an_untrained_bag_model_classifies_as_tf_idf_with_logistic_regression(tmp_path):
    """The bag's output layer starts at logistic regression fitted before the search: on SMS spam, before any
    epoch, the model is within noise of the TF-IDF baseline the report compares it with."""
    from pipelines.baselines import model_baseline

    data = {
        "source": "text",
        "path": str(SHARED / "text" / "SMSSpamCollection"),
        "text_column": "SMS",
        "label_column": "Label",
    }
    experiment, dataset = _experiment(tmp_path, data, "rnn", {"encoder": "bag"})
    hypermodel = build_hypermodel(experiment, dataset)
    model = hypermodel.build(keras_tuner.HyperParameters())
    network = model.predict(dataset.x_test, verbose=0).argmax(axis=1) == dataset.y_test
    baseline = model_baseline(
        dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, dataset.x_test, dataset.y_test, classes=True
    )
    gain, error = _paired(network, baseline.predictions == dataset.y_test)
    assert network.mean() > 0.97 and abs(gain) <= 2 * error, (network.mean(), baseline.value, gain, error)


def _texts(folder, rng):
    words = [f"w{i}" for i in range(40)]
    for label, start in (("neg", 0), ("pos", 20)):
        (folder / label).mkdir(parents=True)
        for i in range(30):
            (folder / label / f"{i}.txt").write_text(
                " ".join(rng.choice(words[start : start + 20], int(rng.integers(5, 60))))
            )


@pytest.mark.slow
def test_a_grid_over_both_encoders_with_a_regularizer_trains_every_combination(tmp_path):
    """The bag declares none of the sequence's knobs, and the regularizer's strength is conditional on a knob that
    is itself conditional on the encoder: KerasTuner's grid must find every value it needs in every trial."""
    from rich.console import Console

    from pipelines.search import search_experiment

    _texts(tmp_path / "texts", np.random.default_rng(0))
    path = write_experiment(
        tmp_path,
        data={"source": "text", "path": str(tmp_path / "texts")},
        family="cnn",
        search_space={
            "encoder": ["bag", "sequence"],
            "regularizer": ["none", "l2"],
            "filters": 4,
            "embedding_dim": 4,
            "depth": 1,
        },
        tuner={"algorithm": "grid", "epochs": 1, "patience": 0},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    assert sorted(result.trials["status"]) == ["FINISHED"] * 3  # bag; sequence with none, with l2


@pytest.mark.parametrize(
    "data, family, space, message",
    [
        ({"source": "digits", "layout": "flat"}, "mlp", {"encoder": "bag"}, r"unknown hyperparameter 'encoder'"),
        ({"source": "digits", "layout": "flat"}, "mlp", {"linear_skip": True}, r"unknown hyperparameter 'linear_skip'"),
        ({"source": "digits"}, "cnn", {"wide": True}, r"unknown hyperparameter 'wide'"),
        ({"source": "digits"}, "cnn", {"depth": 0}, r"depth: 0 is out of bounds; use a int between 1 and 12"),
        (
            {"source": "text", "path": "."},
            "rnn",
            {"encoder": "tfidf"},
            r"encoder: 'tfidf' is not valid; use one of bag, "
            r"sequence",
        ),
    ],
)
def test_a_value_that_does_not_fit_the_data_or_family_is_refused_before_tensorflow_loads(
    tmp_path, data, family, space, message
):
    import re

    path = write_experiment(tmp_path, data=data, family=family, search_space=space)
    probe = (
        "import sys\nfrom pipelines.config import load_experiment\ntry:\n    load_experiment(sys.argv[1])\n"
        "except Exception as exc:\n    print(exc)\nprint('tensorflow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    ).stdout
    assert re.search(message, out), out
    assert out.strip().endswith("False"), out


@pytest.mark.slow
def test_a_random_search_starts_from_the_obvious_model_and_then_searches(tmp_path):
    """Trial 0 is logistic regression with its wide path (depth 0); the trials after it are drawn at random."""
    from mlflow.tracking import MlflowClient
    from rich.console import Console

    from pipelines.search import search_experiment

    data = {
        "source": "csv",
        "path": str(SHARED / "tabular" / "banknote_authentication.csv"),
        "header": False,
        "target": -1,
    }
    path = write_experiment(
        tmp_path,
        data=data,
        family="mlp",
        search_space={},
        tuner={"algorithm": "random", "max_trials": 3, "epochs": 2, "patience": 0},
    )
    search_experiment(load_experiment(path), Console(quiet=True))
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("tiny").experiment_id], "tags.`automl.role` = 'trial'")
    params = {r.data.tags["trial_id"]: r.data.params for r in runs}
    assert params["0"]["depth"] == "0" and params["0"]["wide"] == "True"
    assert params["0"]["learning_rate"] == "0.001"  # the catalogue's point, not the range's lowest
    assert len({tuple(sorted(p.items())) for p in params.values()}) == 3
