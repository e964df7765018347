"""Every private API of KerasTuner and MLflow the runner touches is still there, as the compat modules use it.

`pipelines/kerastuner_compat.py` and `reports/store/mlflow_compat.py` hold
every such touch; a release that moves one fails here, naming it, before any
search fails on it.
"""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras_tuner
import mlflow.data
import numpy as np
import pytest
from mlflow.entities import Dataset as DatasetEntity

from pipelines import kerastuner_compat
from reports.store import mlflow_compat
from reports.store.opening import open_store
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


WRITER = """
import sys
from keras_tuner.src import utils
from pipelines import kerastuner_compat
kerastuner_compat.whole_state_files()
n = 0
while True:
    n += 1
    utils.save_json(sys.argv[1], {"n": n, "padding": "x" * 20_000_000})
"""


def _killed_while_writing(path) -> None:
    """A process that saves KerasTuner state to `path` over and over, killed (SIGKILL) while it does."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=Path(__file__).parents[2])
    deadline = time.monotonic() + 120
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # several writes in, each about a tenth of a second
    writer.kill()
    writer.wait(timeout=30)


def test_kerastuner_s_state_files_are_replaced_whole_not_rewritten_in_place(tmp_path):
    """A file rewritten in place keeps its inode and is cut short while it is written; one renamed over it is
    a new file each time, whole when it appears."""
    kerastuner_compat.whole_state_files()
    _, oracle = _grid_oracle(tmp_path)
    state = tmp_path / "grid" / "oracle.json"
    oracle.save()
    first = state.stat().st_ino
    oracle.save()
    assert state.stat().st_ino != first
    assert json.loads(state.read_text())["ongoing_trials"] == {}
    assert not list(state.parent.glob("*.partial"))


@pytest.mark.slow
def test_a_kerastuner_state_file_is_whole_however_its_writer_is_killed(tmp_path):
    for attempt in range(2):
        path = tmp_path / f"oracle-{attempt}.json"
        _killed_while_writing(path)
        assert json.loads(path.read_text())["n"] >= 1


def test_the_oracle_service_and_the_failure_check_are_there(tmp_path):
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    assert hasattr(protos.get_service_grpc(), "add_OracleServicer_to_server") and callable(OracleServicer)
    from pipelines.oracles import Grid

    def failing_trial(oracle):
        oracle.max_consecutive_failed_trials = 1
        trial = oracle.create_trial("tuner0")
        trial.status, trial.message = kerastuner_compat.TrialStatus.FAILED, "boom"
        return trial

    unserved = Grid(objective="val_loss", hyperparameters=_grid_oracle(tmp_path / "a")[1].hyperparameters)
    unserved._set_project_dir(str(tmp_path / "b"), "grid")
    with pytest.raises(RuntimeError, match="consecutive failures"):  # as KerasTuner's: a search in one process ends
        unserved.end_trial(failing_trial(unserved))
    served = Grid(objective="val_loss", hyperparameters=unserved.hyperparameters)
    served._set_project_dir(str(tmp_path / "c"), "grid")
    stops: list[str] = []
    served.on_failures_stop = stops.append
    served.end_trial(failing_trial(served))  # KerasTuner raises in here; the served oracle stops the search instead
    assert stops == ["Number of consecutive failures exceeded the limit of 1."]
    assert served.max_trials == len(served.trials) == 1
    assert served.create_trial("tuner0").status == kerastuner_compat.TrialStatus.STOPPED


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


def test_a_worker_s_client_keeps_its_oracle_where_the_pausing_client_reads_it(tmp_path, monkeypatch):
    from keras_tuner.src.distribute.oracle_client import OracleClient

    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", "1")  # a channel connects on its first call, never made here
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "worker0")
    _, oracle = _grid_oracle(tmp_path)
    pausing = kerastuner_compat.pausing_when_idle(OracleClient(oracle))
    assert isinstance(pausing, OracleClient) and pausing._oracle is oracle and pausing.tuner_id == "worker0"
    assert list(inspect.signature(OracleClient.create_trial).parameters) == ["self", "tuner_id"]


def test_kerastuner_s_hyperband_tuner_builds_only_its_oracle_in_init():
    """`TrackedTuner` skips it for KerasTuner's own `Tuner.__init__`, handing over the runner's oracle."""
    function = ast.parse(textwrap.dedent(inspect.getsource(keras_tuner.Hyperband.__init__))).body[0]
    statements = [ast.unparse(statement) for statement in function.body]
    assert len(statements) == 2, statements
    assert statements[0].startswith("oracle = HyperbandOracle(") and statements[1].startswith("super().__init__(")


def test_mlflow_s_engine_map_and_dataset_entity_are_where_the_runner_reads_them(tmp_path):
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    open_store(uri).search_experiments()
    assert uri in SqlAlchemyStore._engine_map
    mlflow_compat.dispose_engine(uri)
    assert uri not in SqlAlchemyStore._engine_map
    dataset = mlflow.data.from_numpy(np.zeros((2, 3)), targets=np.zeros(2), source="here", name="zeros")
    assert isinstance(mlflow_compat.dataset_entity(dataset), DatasetEntity)
