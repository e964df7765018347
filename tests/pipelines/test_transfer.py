"""Transfer from a model logged to MLflow: digits 0-4 teach a CNN, digits 5-9 reuse its frozen layers."""

from __future__ import annotations

import keras
import keras_tuner
import mlflow
import numpy as np
import pytest
from rich.console import Console

from pipelines.config import load_experiment
from pipelines.search import search_experiment
from pipelines.tracking.packaging import load_keras
from search_spaces import CNN as CNN_FAMILY
from tests.conftest import write_experiment

pytestmark = pytest.mark.slow  # real searches taking minutes on 2 cores: CI runs them, the fast lane does not

TRAINING = {"dropout": 0.0, "optimizer": "adam", "learning_rate": 0.01, "batch_size": 64}
CNN = {"depth": 2, "filters": 8, "kernel_size": 3, **TRAINING}


def _base_model(tmp_path, name: str, epochs: int) -> str:
    """A CNN searched on digits 0-4 for `epochs`: its best model's runs:/ URI, to transfer from."""
    source = write_experiment(
        tmp_path,
        name=name,
        data={"source": "digits", "classes": [0, 1, 2, 3, 4]},
        search_space=CNN,
        tuner={"algorithm": "random", "max_trials": 1, "epochs": epochs, "patience": 0},
    )
    return f"runs:/{search_experiment(load_experiment(source), Console(quiet=True)).parent_run_id}/best_model"


def test_transfer_from_a_logged_run_keeps_frozen_layers_unchanged(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    base_uri = _base_model(tmp_path, "digits-0-4", epochs=3)

    target = write_experiment(
        tmp_path,
        name="digits-5-9",
        family="transfer",
        base_model=base_uri,
        data={"source": "digits", "classes": [5, 6, 7, 8, 9]},
        search_space={"frozen_layers": [2, "all"], "mode": "feature_extraction", **TRAINING},
        tuner={"algorithm": "grid", "max_trials": 2, "epochs": 2, "patience": 0},
        ensemble="none",  # the best model is then one trial's, whose layers are compared below
    )
    result = search_experiment(load_experiment(target), Console(quiet=True))

    assert sorted(result.trials["frozen_layers"]) == [-1, 2]
    assert result.trials["test/accuracy"].notna().all()
    base = load_keras(base_uri, uri)
    tuned = load_keras(result.best_model_uri, uri)
    frozen = int(result.trials.iloc[0]["frozen_layers"])
    base_layers = [layer for layer in base.layers if not isinstance(layer, keras.layers.InputLayer)][:-1]
    tuned_body = [layer for layer in tuned.get_layer("base").layers if not isinstance(layer, keras.layers.InputLayer)]
    count = len(base_layers) if frozen == -1 else frozen
    compared = 0
    for before, after in zip(base_layers[:count], tuned_body[:count], strict=False):
        for w_before, w_after in zip(before.get_weights(), after.get_weights(), strict=False):
            np.testing.assert_array_equal(w_before, w_after)
            compared += 1
    assert compared >= 2  # at least one convolution's kernel and bias were checked


def test_fine_tuning_logs_both_phases_as_one_curve(tmp_path):
    target = write_experiment(
        tmp_path,
        name="fine",
        family="transfer",
        base_model=_base_model(tmp_path, "base", epochs=1),
        data={"source": "digits", "classes": [5, 6, 7, 8, 9]},
        search_space={"frozen_layers": 1, "mode": "fine_tuning", **TRAINING},
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 4, "patience": 0},
    )
    result = search_experiment(load_experiment(target), Console(quiet=True))
    client = mlflow.tracking.MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    history = client.get_metric_history(result.trials.iloc[0]["run_id"], "per_epoch/val_loss")
    assert sorted(m.step for m in history) == [0, 1, 2, 3]
    assert result.trials.iloc[0]["trial/epochs"] == 4
    # The rate changes at the switch to fine-tuning, so its curve is logged: 0.01, then 0.01 x fine_tune_factor
    # (0.01 by default, the Keras guide's rate about 100 times lower).
    rates = client.get_metric_history(result.trials.iloc[0]["run_id"], "per_epoch/learning_rate")
    assert [round(m.value, 6) for m in sorted(rates, key=lambda m: m.step)] == [0.01, 0.01, 0.0001, 0.0001]


def test_base_model_from_a_keras_file_and_a_bad_reference(tmp_path):
    import pytest

    from pipelines.errors import DataError
    from pipelines.setup import load_base_model

    base = CNN_FAMILY((8, 8, 1), 5, CNN).build(keras_tuner.HyperParameters())
    base.save(tmp_path / "base.keras")
    experiment = load_experiment(
        write_experiment(
            tmp_path,
            family="transfer",
            base_model="base.keras",
            data={"source": "digits", "classes": [5, 6, 7, 8, 9]},
            search_space={},
            tuner={"algorithm": "random"},
        )
    )
    loaded = load_base_model(experiment)
    for before, after in zip(base.get_weights(), loaded.get_weights(), strict=False):
        np.testing.assert_array_equal(before, after)
    missing = load_experiment(
        write_experiment(
            tmp_path,
            family="transfer",
            base_model="runs:/0123456789abcdef0123456789abcdef/best_model",
            search_space={},
            tuner={"algorithm": "random"},
        )
    )
    with pytest.raises(DataError, match=r"base_model: cannot load 'runs:/0123456789abcdef0123456789abcdef/best_model'"):
        load_base_model(missing)
