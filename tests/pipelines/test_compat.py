"""Every private API of KerasTuner and MLflow the runner touches is still there, as the compat modules use it.

`pipelines/kerastuner_compat.py` and `reports/contract/mlflow_compat.py` hold
every such touch; a release that moves one fails here, naming it, before any
search fails on it.
"""

from __future__ import annotations

import inspect

import keras_tuner
import mlflow.data
import numpy as np
from mlflow.entities import Dataset as DatasetEntity

from pipelines import kerastuner_compat
from reports.contract import mlflow_compat
from reports.contract.layout import open_store
from search_spaces import MLP


def _grid_oracle(tmp_path):
    tuner = keras_tuner.GridSearch(
        MLP((4,), 2, {"learning_rate": [0.001, 0.01]}),
        objective="val_loss",
        max_trials=2,
        directory=str(tmp_path),
        project_name="grid",
    )
    return tuner, tuner.oracle


def test_the_tuner_s_checkpoint_and_build_and_fit_are_where_the_runner_calls_them(tmp_path):
    tuner, _ = _grid_oracle(tmp_path)
    assert kerastuner_compat.checkpoint_path(tuner, "07").startswith(str(tmp_path / "grid" / "trial_07"))
    parameters = list(inspect.signature(keras_tuner.Tuner._build_and_fit_model).parameters)
    assert (
        parameters[:2] == ["self", "trial"]
        and inspect.signature(keras_tuner.Tuner._build_and_fit_model).parameters["kwargs"].kind
        is inspect.Parameter.VAR_KEYWORD
    )
    assert kerastuner_compat.is_worker() is False  # no KERASTUNER_ORACLE_* in a test's environment


def test_kerastuner_s_debug_flag_and_condition_prints_can_be_quieted():
    from keras_tuner.src import config
    from keras_tuner.src.engine import conditions

    kerastuner_compat.quiet_failed_trials()
    assert config.DEBUG is False
    kerastuner_compat.quiet_condition_prints()
    assert "print(" in inspect.getsource(conditions.Parent.to_proto) or conditions.print(1) is None


def test_the_oracle_service_and_the_failure_check_are_there(tmp_path):
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    assert hasattr(protos.get_service_grpc(), "add_OracleServicer_to_server") and callable(OracleServicer)
    _, oracle = _grid_oracle(tmp_path)
    stops = []
    kerastuner_compat.stop_instead_of_raising(oracle, stops.append)
    oracle.max_consecutive_failed_trials = 1
    trial = oracle.create_trial("tuner0")
    trial.status, trial.message = kerastuner_compat.TrialStatus.FAILED, "boom"
    oracle.end_trial(trial)  # KerasTuner raises in here; the wrapped check stops the search instead
    assert stops == ["Number of consecutive failures exceeded the limit of 1."]
    assert oracle.max_trials == len(oracle.trials) == 1


def test_the_grid_oracle_s_order_is_rebuilt_from_the_trials_it_reloaded(tmp_path):
    _, oracle = _grid_oracle(tmp_path)
    for _ in range(2):
        trial = oracle.create_trial("tuner0")
        oracle.update_trial(trial.trial_id, {"val_loss": 1.0})
        oracle.end_trial(trial)
    assert oracle.start_order and hasattr(oracle, "_ordered_ids") and hasattr(oracle, "_populate_next")

    def links(ordered):
        return {trial_id: ordered.next(trial_id) for trial_id in oracle.start_order}

    order = links(oracle._ordered_ids)
    oracle._ordered_ids, oracle._populate_next = None, None  # as a reloaded oracle has them: not at all
    kerastuner_compat.restore_grid_order(oracle)
    assert links(oracle._ordered_ids) == order and oracle._populate_next == list(oracle.start_order)


def test_mlflow_s_engine_map_and_dataset_entity_are_where_the_runner_reads_them(tmp_path):
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    open_store(uri).search_experiments()
    assert uri in SqlAlchemyStore._engine_map
    mlflow_compat.dispose_engine(uri)
    assert uri not in SqlAlchemyStore._engine_map
    dataset = mlflow.data.from_numpy(np.zeros((2, 3)), targets=np.zeros(2), source="here", name="zeros")
    assert isinstance(mlflow_compat.dataset_entity(dataset), DatasetEntity)
