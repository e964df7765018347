"""The network's gradient over a sequence's steps, before and after training: what the vanishing-gradient figures
draw."""

from __future__ import annotations

import keras
import numpy as np
from mlflow.tracking import MlflowClient
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.evaluation import input_gradient_norms
from pipelines.search import search_experiment
from reports.store.names import INPUT_GRADIENT, INPUT_GRADIENT_TRAINED
from reports.store.trials import children
from tests.conftest import write_experiment


def _model(*layers):
    model = keras.Sequential([keras.Input((12, 2)), *layers, keras.layers.Dense(1)])
    model.compile(loss="mse")
    return model


def test_only_the_steps_a_model_reads_get_a_gradient():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 12, 2)).astype("float32"), rng.normal(size=64).astype("float32")
    keras.utils.set_random_seed(0)
    last_only = input_gradient_norms(_model(keras.layers.Lambda(lambda s: s[:, -1, :])), x, y)
    assert last_only.shape == (12,) and last_only[-1] > 0 and not last_only[:-1].any()
    # A recurrent layer whose recurrent weights shrink the state: each step back gets less, the vanishing gradient.
    shrinking = keras.layers.SimpleRNN(8, recurrent_initializer=keras.initializers.Orthogonal(gain=0.3))
    norms = input_gradient_norms(_model(shrinking), x, y)
    assert norms[0] < norms[6] < norms[-1]
    assert input_gradient_norms(_model(keras.layers.Flatten()), x.astype("int32"), y) is None  # tokens: no gradient


def test_a_search_on_sequences_logs_each_step_s_gradient_and_a_table_search_none(tmp_path):
    sequences = write_experiment(
        tmp_path,
        name="adding",
        data={"source": "adding", "length": 15, "samples": 200},
        family="rnn",
        search_space={"cell": ["simple", "lstm"], "units": 4, "learning_rate": 0.01, "batch_size": 32},
        tuner={"algorithm": "grid", "max_trials": 2, "epochs": 1, "patience": 0, "executions_per_trial": 2},
    )
    experiment = load_experiment(sequences)
    result = search_experiment(experiment, Console(quiet=True))
    client = MlflowClient(experiment.tracking_uri)
    for run in children(client, result.parent_run_id):
        before, after = (
            sorted(client.get_metric_history(run.info.run_id, name), key=lambda m: m.step)
            for name in (INPUT_GRADIENT, INPUT_GRADIENT_TRAINED)
        )
        for history in (before, after):
            assert [m.step for m in history] == list(range(15))
            assert all(np.isfinite(m.value) and m.value >= 0 for m in history) and history[-1].value > 0
        assert [m.value for m in before] != [m.value for m in after]  # taken again once the weights trained
    (tmp_path / "images").mkdir()
    images = load_experiment(write_experiment(tmp_path / "images"))
    table = search_experiment(images, Console(quiet=True))
    for run in children(MlflowClient(images.tracking_uri), table.parent_run_id):
        assert INPUT_GRADIENT not in run.data.metrics and INPUT_GRADIENT_TRAINED not in run.data.metrics
