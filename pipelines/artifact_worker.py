"""A trial's files for people (test-split tables, ROC and precision-recall points, figures), written in a
process of their own while the next trial trains.

They take about half a second of CPU per trial. In the training process,
or in a thread of it (drawing holds Python's lock), that time is added to
every trial; in a separate process it overlaps with the next trial's
training. What ranks the trials (the objective, the test scores) is
computed in the training process; what the worker computes is for reading.
The training process keeps every write to MLflow: it logs each trial's
files, and the areas under its curves, to the trial's run as soon as they
are ready (looked at when a trial starts), and waits for them before the
search's closing steps read them back, and when the search is interrupted.
The worker ignores Ctrl-C, which reaches the whole process group, so that
it can finish what it was given, and exits when the search process is gone.
Before the first trial's files, it fits the search's scikit-learn baseline
(`pipelines.baselines.model_baseline`) while that trial trains.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import types
from collections.abc import Collection
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from pipelines import evaluation
from reports import figures
from reports.store import TEST

log = logging.getLogger(__name__)


def _start_worker(parent: int) -> None:
    """Ignore Ctrl-C (the parent decides when drawing stops), and exit when the parent is gone: a search
    killed with SIGKILL must not leave a worker behind. At a lower priority, so that on a machine whose cores
    training keeps busy the worker takes what training leaves (measured: 1.26 times raw KerasTuner, against
    1.33 at the same priority)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)

    def exit_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=exit_with_parent, daemon=True).start()


@contextlib.contextmanager
def _main_file_not_imported():
    """A spawned process imports its parent's main file again (as `__mp_main__`) before it runs a job, so a
    user's script without an `if __name__ == "__main__":` guard would run its search again inside the worker,
    which then dies. While the worker starts, `__main__` is an empty module: there is nothing to import, and
    the worker needs nothing from it (its jobs live in this package)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def trial_artifacts(folder: str, title: str, curves: dict, kept_epoch: int | None,
                    test: tuple | None) -> tuple[list[str], dict[str, float]]:
    """The job the worker runs: a trial's files, written into `folder`, and the areas under its test curves.

    `test` is (true classes, predicted probabilities, class names) on the test split, for a classifier.
    """
    files, scores, confusion, probability = [], {}, None, None
    if test is not None:
        written = evaluation.write_test_artifacts(*test, Path(folder), TEST)
        files, scores, confusion, probability = written.files, written.scores, written.confusion, written.curves
    drawn = figures.trial_figures(folder, title, curves, kept_epoch, confusion, probability)
    return [str(p) for p in files] + drawn, scores


class ArtifactWorker:
    """Hands trials' artifacts to one worker process and logs what it writes, through `writer`."""

    def __init__(self, writer):
        self.writer = writer
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[str, Path, Future]] = []  # (run key, folder, job)

    def run(self, job, *args) -> Future:
        """Any other work that needs no Keras, in the same process (the search's scikit-learn baseline)."""
        if self._pool is None:  # started by the first job: it starts up while the first trial trains
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(os.getpid(),))
        with _main_file_not_imported():  # the worker process starts inside the first submit
            return self._pool.submit(job, *args)

    def submit(self, run: str, title: str, curves: dict, kept_epoch: int | None, test: tuple | None = None) -> None:
        """Write a trial's artifacts for `run` in the background; see `trial_artifacts`."""
        folder = Path(tempfile.mkdtemp(prefix="automl-trial-"))
        self._pending.append((run, folder, self.run(trial_artifacts, str(folder), title, dict(curves), kept_epoch,
                                                    test)))

    def log_ready(self, wait_for: Collection[str] = ()) -> None:
        """Log what is ready to its runs, waiting for the jobs of the runs in `wait_for`."""
        still = []
        for run, folder, job in self._pending:
            if not (run in wait_for or job.done()):
                still.append((run, folder, job))
                continue
            try:
                paths, scores = job.result()
                for path in paths:
                    self.writer.log_artifacts(run, Path(path))
                if scores:
                    self.writer.log_batch(run, metrics=scores)
            except Exception as exc:  # a file that cannot be written costs the file, not the trial
                log.warning("the artifacts of run %s were not written: %s", run, exc)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        self._pending = still

    def close(self) -> None:
        """Log everything still being written, then stop the worker."""
        try:
            self.log_ready(wait_for={run for run, _, _ in self._pending})
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
