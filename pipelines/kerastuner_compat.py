"""Every touch of KerasTuner beyond its public API, in one place.

KerasTuner has no public hook for what these do: write and read a trial's
checkpoint, train one model of a trial, tell a worker from the chief, quiet
its debugging output, write its state files whole, serve its oracle, stop an
oracle instead of raising on failed trials, pause a worker's client when told
IDLE, and repair its grid oracle (`pipelines/oracles.py` uses the last three). Each was
checked on KerasTuner 1.4.7 (the lowest `pyproject.toml` allows) and 1.4.8,
and `tests/pipelines/test_compat.py` fails if a release moves any of them, so
an upgrade breaks that test, not a search.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import keras_tuner
from keras_tuner.src import config as kerastuner_config
from keras_tuner.src import utils as kerastuner_utils
from keras_tuner.src.distribute import utils as distribute_utils
from keras_tuner.src.engine import conditions
from keras_tuner.src.tuners.gridsearch import LinkedList

TrialStatus = keras_tuner.engine.trial.TrialStatus
IDLE_PAUSE_S = 0.5

if TYPE_CHECKING:  # KerasTuner ships no type information: to mypy, a mixin is the oracle it is mixed into
    from keras_tuner import Oracle as OracleMixin
else:
    OracleMixin = object


def checkpoint_path(tuner: keras_tuner.Tuner, trial_id: str) -> str:
    """Where KerasTuner keeps a trial's weights, which its `load_model` and Hyperband's next round read."""
    return tuner._get_checkpoint_fname(trial_id)


def build_and_fit(tuner: keras_tuner.Tuner, trial, *args, **kwargs):
    """One execution of a trial: build its model and fit it (KerasTuner's `run_trial` without its per-epoch
    checkpoint, which the runner writes once instead)."""
    return tuner._build_and_fit_model(trial, *args, **kwargs)


def is_worker() -> bool:
    """Whether this process is a worker of a distributed search (its oracle is the chief's, over gRPC)."""
    return distribute_utils.has_chief_oracle() and not distribute_utils.is_chief_oracle()


def quiet_failed_trials() -> None:
    """KerasTuner prints the traceback of every failed trial to stderr while its DEBUG flag is on (its default);
    the reason is in the trial's line and its run's failure_reason tag instead."""
    kerastuner_config.DEBUG = False


def quiet_condition_prints() -> None:
    """KerasTuner 1.4.7 and 1.4.8 print the first value of every condition they send over gRPC (a debugging
    line left in `Parent.to_proto`); silenced for that module alone."""
    conditions.print = lambda *args, **kwargs: None


def whole_state_files() -> None:
    """KerasTuner writes its oracle's, its tuners' and each trial's state (oracle.json, tuner0.json, trial.json) in
    place: a process killed mid-write leaves a file cut short, and the next reload, which `--resume` does, fails on
    it. Written beside it and renamed over it, a local state file is the new one whole or the one before."""
    kerastuner_utils.save_json = _save_json_whole


_SAVE_JSON_IN_PLACE = kerastuner_utils.save_json  # KerasTuner's own, kept for a folder on a remote filesystem


def _save_json_whole(path, obj) -> str:
    """`keras_tuner.src.utils.save_json`, writing a local file to a sibling first and renaming it over the file."""
    path = str(path)
    if "://" in path:
        return _SAVE_JSON_IN_PLACE(path, obj)
    text = json.dumps(obj)
    handle, partial = tempfile.mkstemp(dir=os.path.dirname(path) or ".", suffix=".partial")  # one per writer
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return text


def serve_oracle(server, oracle) -> None:
    """Add KerasTuner's own oracle service for `oracle` to a gRPC `server` the caller starts and stops.
    Imported here, as KerasTuner does: its protobuf modules load only where a search is distributed."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    protos.get_service_grpc().add_OracleServicer_to_server(OracleServicer(oracle), server)


class StopsInsteadOfRaising(OracleMixin):
    """Mixed in before a KerasTuner oracle: after too many consecutive failed trials it hands out no more trials
    instead of raising in `end_trial`, where the raise leaves the trial under way for ever and fails the worker
    that ended it. `on_failures_stop`, set by whoever serves the oracle to workers, hears why; unset, the oracle
    raises as KerasTuner's does (a search in one process ends on it)."""

    on_failures_stop: Callable[[str], None] | None = None

    def _check_consecutive_failures(self) -> None:
        try:
            super()._check_consecutive_failures()
        except RuntimeError as exc:
            if self.on_failures_stop is None:
                raise
            self.on_failures_stop(str(exc).splitlines()[0])
            self.max_trials = len(self.trials)  # create_trial now answers STOPPED to every worker


def restore_grid_order(oracle) -> None:
    """KerasTuner's grid oracle keeps the order of the combinations it tried, and the trials to continue from,
    in memory only: reloaded for `--resume`, it has neither, and its next trial fails with a KeyError once the
    grid has more than two points. Both are rebuilt from the trials it reloaded."""
    if not oracle.start_order:
        return

    def compare(a: str, b: str) -> int:
        return oracle._compare(oracle.trials[a].hyperparameters.values, oracle.trials[b].hyperparameters.values)

    oracle._ordered_ids = LinkedList()
    for trial_id in sorted(oracle.start_order, key=functools.cmp_to_key(compare)):
        oracle._ordered_ids.insert(trial_id)
    oracle._populate_next = list(oracle.start_order)  # a trial whose next combination was tried is skipped


def continue_from(oracle, trial_id: str) -> None:
    """Have KerasTuner's grid oracle derive a next combination from `trial_id` (it does so from a trial once it
    has ended, and from the first at its start)."""
    oracle._populate_next.append(trial_id)


def pausing_when_idle(client):
    """The client KerasTuner made for a worker's tuner, for the same oracle, but one that, told IDLE (the oracle
    waits for running trials before it can choose), pauses before it asks again: KerasTuner's asks again at once,
    a busy loop of gRPC calls on the chief. Its module is imported here, as KerasTuner does: its protobuf modules
    load only where a search is distributed."""
    from keras_tuner.src.distribute.oracle_client import OracleClient

    class PausingOracleClient(OracleClient):
        def create_trial(self, tuner_id):
            trial = super().create_trial(tuner_id)
            if trial.status == TrialStatus.IDLE:
                time.sleep(IDLE_PAUSE_S)
            return trial

    return PausingOracleClient(client._oracle)
