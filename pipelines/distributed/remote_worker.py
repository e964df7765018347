"""One worker of a distributed search: KerasTuner's own worker mode, logging its trials under the search's parent run.

A worker asks the chief (the search process) for trials over gRPC, trains
them, and logs each as a child run of the parent run the chief's process
opened. It learns that run from its command line when the search started it,
or, joining from another machine, from the tracking store: the running
search of the experiment whose oracle listens on the port it was given. A
worker whose chief stops answering stops too, within a bounded time, instead
of waiting on gRPC for the hour KerasTuner allows.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import grpc
import keras
from rich.console import Console

from pipelines import interrupts
from pipelines.config import Experiment
from pipelines.data import load_dataset
from pipelines.distributed.oracle_service import split_address, worker_environment
from pipelines.errors import ConfigError
from pipelines.search_context import SearchContext
from pipelines.setup import prepare_search, search_settings
from pipelines.tracking.artifact_process import ArtifactProcess
from pipelines.tracking.journal import journal_in, send_journal
from pipelines.tracking.resume import changed_settings
from pipelines.tracking.tracker import SearchTracker
from pipelines.tuners import run_tuner
from reports.store.names import CHIEF_TAG, PROJECT_PARAM, ROLE_TAG

CHIEF_GRACE_S = 30.0  # how long a worker waits for a chief that stopped answering
CHIEF_GONE_EXIT = 3  # the exit status of a worker whose chief went away


# How many trials run, and for how long, is the chief's to decide (its oracle answers STOPPED): a worker started
# without the chief's --time-budget trains the same trials.
CHIEF_ONLY = ("tuner.max_trials", "tuner.time_budget")


def run_worker(
    experiment: Experiment, chief: str, worker_id: str, parent_run_id: str | None = None, console: Console | None = None
) -> None:
    """Train the trials the chief at `chief` (HOST:PORT) hands out until it says the search is done."""
    console = console or Console()
    tracker = SearchTracker.open(experiment.tracking_uri, experiment.name)
    parent = tracker.client.get_run(parent_run_id) if parent_run_id else find_search(tracker, experiment, chief)
    os.environ.update(worker_environment(chief, worker_id))
    keras.utils.set_random_seed(experiment.seed)
    dataset = load_dataset(experiment.data, experiment.seed, Path(experiment.source_file).parent)
    experiment, dataset, hypermodel, _ = prepare_search(experiment, dataset)
    settings = search_settings(experiment, dataset, hypermodel)
    changed = [key for key in changed_settings(settings, parent.data.params) if key not in CHIEF_ONLY]
    if changed:
        raise ConfigError(
            f"{experiment.source_file}: differs from the experiment of the search it joins (parent run "
            f"{parent.info.run_id}) in {', '.join(changed)}. Use the same experiment file, and the "
            "same data at the same path, on every machine."
        )
    tracker.join(parent.info.run_id, worker_id)
    project = parent.data.params[PROJECT_PARAM]
    own_folder = Path(experiment.tuner_dir) / project / "workers" / worker_id  # its journal, if the store is down
    own_folder.mkdir(parents=True, exist_ok=True)
    journal_in(tracker.writer, experiment, own_folder, console)
    console.print(f"{worker_id}: joined the search of parent run {parent.info.run_id} (chief {chief})")
    artifacts = ArtifactProcess(tracker.writer, experiment.report.language)
    try:
        with ChiefWatch(chief):
            run_tuner(SearchContext(experiment, hypermodel, dataset, tracker, artifacts, console, project))
    finally:
        artifacts.close()
    send_journal(tracker.writer, experiment, console)


def find_search(tracker: SearchTracker, experiment: Experiment, chief: str):
    """The running search of the experiment whose oracle listens on `chief`'s port (its host may be written
    another way on each machine: a name here, an address there)."""
    _, port = split_address(chief)
    known = tracker.client.get_experiment_by_name(experiment.name)
    found = (
        tracker.client.search_runs(
            [known.experiment_id],
            f"tags.`{ROLE_TAG}` = 'search' and attributes.status = 'RUNNING'",
            order_by=["attributes.start_time DESC"],
        )
        if known
        else []
    )
    matching = [run for run in found if run.data.tags.get(CHIEF_TAG, "").endswith(f":{port}")]
    if not matching:
        raise ConfigError(
            f"{experiment.source_file}: no running search of {experiment.name!r} in {experiment.tracking_uri} has "
            f"its chief on port {port}. Start it first (`runner.py search {experiment.source_file} --workers N "
            "--chief-host HOST --chief-port PORT`), with the same tracking_uri in both experiment files."
        )
    return matching[0]


class ChiefWatch:
    """Stops this worker when the chief has not accepted a connection for `grace_s` seconds.

    KerasTuner's workers wait up to an hour on every call to a chief that is
    gone, and notice only when their trial ends. The watch checks the
    connection every few seconds while the worker trains; when it is gone for
    good, the worker stops as on SIGTERM (its open trial run ends KILLED),
    and is ended outright if that does not take effect.
    """

    def __init__(self, chief: str, grace_s: float = CHIEF_GRACE_S, every_s: float = 2.0):
        self.chief, self.grace_s, self.every_s = chief, grace_s, every_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="chief-watch", daemon=True)

    def __enter__(self) -> ChiefWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()

    def _watch(self) -> None:
        channel = grpc.insecure_channel(self.chief)
        answered = time.monotonic()
        while not self._done.wait(self.every_s):
            try:
                grpc.channel_ready_future(channel).result(timeout=self.every_s)
                answered = time.monotonic()
            except grpc.FutureTimeoutError:
                if time.monotonic() - answered < self.grace_s:
                    continue
                interrupts.stop(
                    f"the chief at {self.chief} has not answered for {self.grace_s:.0f} s; this worker "
                    "stops. Its open trial run is marked KILLED; `runner.py search FILE --resume` "
                    "carries the search on."
                )
                if not self._done.wait(self.grace_s):  # stuck where no signal reaches Python
                    os._exit(CHIEF_GONE_EXIT)
                return
