"""A trial's files for people (test-split tables, ROC and precision-recall points, figures), written in a
process of their own while the next trial trains.

They take about half a second of CPU per trial. In the training process,
or in a thread of it (drawing holds Python's lock), that time is added to
every trial; in a separate process it overlaps with the next trial's
training. What ranks the trials (the objective, the test scores) is
computed in the training process; what the worker computes is for reading.
The training process keeps every write to MLflow: it logs each trial's
files, and the areas under its curves, to the trial's run as soon as they
are ready (looked at when a trial starts), and waits for a trial's files
when the report reads them, and for all of them when the search ends or is
interrupted. The worker ignores Ctrl-C, which reaches the whole process
group, so that it can finish what it was given, and exits when the search
process is gone. Before the first trial's files, it fits the search's
scikit-learn baseline (`pipelines.baselines.model_baseline`) while that
trial trains; after the last, it draws the report's overview.
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

import numpy as np
import threadpoolctl

from pipelines import evaluation
from reports import figures
from reports.store.names import TEST
from reports.words import speaking

log = logging.getLogger(__name__)


def _start_worker(parent: int) -> None:
    """Ignore Ctrl-C (the parent decides when drawing stops), and exit when the parent is gone: a search
    killed with SIGKILL must not leave a worker behind. At a lower priority, so that on a machine whose cores
    training keeps busy the worker takes what training leaves (measured: 1.26 times raw KerasTuner, against
    1.33 at the same priority); and with one BLAS thread: on the small matrices of a baseline fit, OpenBLAS's
    threads spin more than they compute (the digits' three logistic regressions take 1.5 s of CPU on two
    threads, 0.08 s on one), and every spinning thread is taken from training."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(10)
    threadpoolctl.threadpool_limits(1)

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


def trial_artifacts(
    folder: str,
    title: str,
    curves: dict,
    kept_epoch: int | None,
    test: tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None,
    language: str = "en",
) -> tuple[list[str], dict[str, float]]:
    """The job the worker runs: a trial's files, written into `folder`, and the areas under its test curves.

    `test` is (true classes, predicted probabilities, class names) on the test split, for a classifier.
    """
    files, scores, confusion, probability = [], {}, None, None
    if test is not None:
        written = evaluation.write_test_artifacts(*test, Path(folder), TEST)
        files, scores, confusion, probability = written.files, written.scores, written.confusion, written.curves
    with speaking(language):
        drawn = figures.trial_figures(folder, title, curves, kept_epoch, confusion, probability)
    return [str(p) for p in files] + drawn, scores


WAIT_S = 3.0  # how long the search waits for a job of the worker before it does the job itself


class Job:
    """Work handed to the worker, which the search can also do itself.

    The worker runs at nice 10: on a machine that other jobs keep busy it may
    get almost no CPU, and take minutes to start at all (four searches at
    once on a machine at load 6-10 waited out a 10-minute timeout on it).
    Whoever needs a result waits `WAIT_S` for the worker, then does the job at
    its own priority; the worker's late answer is dropped.
    """

    def __init__(self, future: Future, work, args: tuple):
        self.future, self.work, self.args = future, work, args
        self.done_here = False

    def done(self) -> bool:
        return self.future.done()

    def result(self, wait_s: float = WAIT_S):
        try:
            return self.future.result(timeout=wait_s)
        except TimeoutError:  # not cancelled: the executor's clean-up fails on a cancelled job of a killed worker
            self.done_here = True
            return self.work(*self.args)


class ArtifactProcess:
    """Hands trials' artifacts to one worker process and logs what it writes, through `writer`."""

    def __init__(self, writer, language: str = "en"):
        self.writer = writer
        self.language = language  # of the figures' words (the experiment's report.language)
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[str, Path, Job]] = []  # (run key, folder, job)
        self._overtaken = False  # a job was done here: the worker is starved or stuck, and is not waited for

    @property
    def started(self) -> bool:
        """Whether the worker was started: starting one costs more than most single jobs (it imports
        matplotlib and scikit-learn)."""
        return self._pool is not None

    def run(self, work, *args) -> Job:
        """Any other work that needs no Keras, in the same process (the search's scikit-learn baseline)."""
        if self._pool is None:  # started by the first job: it starts up while the first trial trains
            self._pool = ProcessPoolExecutor(
                1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(os.getpid(),)
            )
        with _main_file_not_imported():  # the worker process starts inside the first submit
            return Job(self._pool.submit(work, *args), work, args)

    def submit(self, run: str, title: str, curves: dict, kept_epoch: int | None, test: tuple | None = None) -> None:
        """Write a trial's artifacts for `run` in the background; see `trial_artifacts`."""
        folder = Path(tempfile.mkdtemp(prefix="automl-trial-"))
        self._pending.append(
            (run, folder, self.run(trial_artifacts, str(folder), title, dict(curves), kept_epoch, test, self.language))
        )

    def log_ready(self, wait_for: Collection[str] = ()) -> None:
        """Log what is ready to its runs, waiting for the jobs of the runs in `wait_for`."""
        still = []
        for run, folder, job in self._pending:
            if not (run in wait_for or job.done()):
                still.append((run, folder, job))
                continue
            here = None
            try:
                if not job.done():  # done here, if it comes to that, in a folder the worker does not write to
                    here = Path(tempfile.mkdtemp(prefix="automl-trial-"))
                    job.args = (str(here), *job.args[1:])
                paths, scores = self.result(job)
                for path in paths:
                    self.writer.log_artifacts(run, Path(path))
                if scores:
                    self.writer.log_batch(run, metrics=scores)
            except Exception as exc:  # a file that cannot be written costs the file, not the trial
                log.warning("the artifacts of run %s were not written: %s", run, exc)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                if here is not None:
                    shutil.rmtree(here, ignore_errors=True)
        self._pending = still

    def result(self, job: Job):
        """A job's result, from the worker or done here (see `Job`)."""
        value = job.result(0.0 if self._overtaken else WAIT_S)
        self._overtaken |= job.done_here
        return value

    def close(self) -> None:
        """Log everything still being written, then stop the worker without waiting for it to exit (a process that
        loaded matplotlib and scikit-learn takes 0.4 s to tear down, all of it added to the search's end); killed,
        when it was overtaken: a worker that gets no CPU would keep the search waiting at its very end."""
        try:
            self.log_ready(wait_for={run for run, _, _ in self._pending})
        finally:
            if self._pool is not None:
                if self._overtaken:
                    for process in list(self._pool._processes.values()):  # no public handle on the process
                        process.kill()
                self._pool.shutdown(wait=False)
                self._pool = None
