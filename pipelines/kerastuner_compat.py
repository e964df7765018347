"""Every touch of KerasTuner beyond its public API, in one place.

KerasTuner has no public hook for what these do: write and read a trial's
checkpoint, train one model of a trial, tell a worker from the chief, quiet
its debugging output, serve its oracle, and repair its grid oracle. Each was
checked on KerasTuner 1.4.7 (the lowest `pyproject.toml` allows) and 1.4.8,
and `tests/pipelines/test_compat.py` fails if a release moves any of them, so
an upgrade breaks that test, not a search.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras_tuner
from keras_tuner.src import config as kerastuner_config
from keras_tuner.src.distribute import utils as distribute_utils
from keras_tuner.src.engine import conditions
from keras_tuner.src.tuners.gridsearch import LinkedList

TrialStatus = keras_tuner.engine.trial.TrialStatus


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


def serve_oracle(server, oracle) -> None:
    """Add KerasTuner's own oracle service for `oracle` to a gRPC `server` the caller starts and stops.
    Imported here, as KerasTuner does: its protobuf modules load only where a search is distributed."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    protos.get_service_grpc().add_OracleServicer_to_server(OracleServicer(oracle), server)


def stop_instead_of_raising(oracle, on_stop: Callable[[str], None]) -> None:
    """After too many consecutive failed trials, hand out no more trials instead of raising in `end_trial`,
    where the raise leaves the trial under way for ever and fails the worker that ended it."""
    check = oracle._check_consecutive_failures

    def check_and_stop() -> None:
        try:
            check()
        except RuntimeError as exc:
            on_stop(str(exc).splitlines()[0])
            oracle.max_trials = len(oracle.trials)  # create_trial now answers STOPPED to every worker

    oracle._check_consecutive_failures = check_and_stop


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


def continue_grid_from_started_trials(oracle) -> None:
    """KerasTuner's grid oracle derives each combination from a trial that has ended (all but the second), so
    on several workers it hands out about one trial at a time and tells the other workers IDLE. Continuing
    from each trial as soon as it starts, as it already does from the first, keeps every worker busy; each
    combination is still handed out once (a trial whose next combination was tried is skipped)."""
    populate_space = oracle.populate_space

    def populate_and_continue(trial_id):
        response = populate_space(trial_id)
        if response["status"] == TrialStatus.RUNNING:
            oracle._populate_next.append(trial_id)
        return response

    oracle.populate_space = populate_and_continue
