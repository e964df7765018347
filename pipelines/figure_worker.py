"""A trial's figures drawn in a process of their own, while the next trial trains.

Drawing a trial's three figures takes most of a second of CPU. In the
training process, or in a thread of it (the drawing holds Python's lock),
that second is added to every trial; in a separate process it overlaps with
the next trial's training. The training process keeps every write to MLflow:
it logs each trial's figures to the trial's run as soon as they are drawn
(looked at when a trial starts), and waits for all of them before the
search's closing steps read the runs back, and when the search is
interrupted. The worker ignores Ctrl-C, which reaches the whole process
group, so that it can finish what it was given, and exits when the search
process is gone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from reports import figures

log = logging.getLogger(__name__)


def _start_worker(parent: int) -> None:
    """Ignore Ctrl-C (the parent decides when drawing stops), and exit when the parent is gone: a search
    killed with SIGKILL must not leave a worker behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def exit_with_parent() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=exit_with_parent, daemon=True).start()


class FigureWorker:
    """Hands trials' figures to one worker process and logs what it draws, through `writer`."""

    def __init__(self, writer):
        self.writer = writer
        self._pool: ProcessPoolExecutor | None = None
        self._pending: list[tuple[str, Path, Future]] = []  # (run key, folder, drawing)

    def draw(self, run: str, title: str, curves: dict, kept_epoch: int | None, confusion=None,
             probability: dict | None = None) -> None:
        """Draw a trial's figures for `run` in the background."""
        if self._pool is None:  # started by the first trial's figures: it starts up while the second trains
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(os.getpid(),))
        folder = Path(tempfile.mkdtemp(prefix="automl-figures-"))
        job = self._pool.submit(figures.trial_figures, str(folder), title, dict(curves), kept_epoch, confusion,
                                probability)
        self._pending.append((run, folder, job))

    def log_drawn(self, wait: bool = False) -> None:
        """Log the figures drawn so far to their runs; with `wait`, all of them, waiting for the rest."""
        still = []
        for run, folder, job in self._pending:
            if not (wait or job.done()):
                still.append((run, folder, job))
                continue
            try:
                for path in job.result():
                    self.writer.log_artifacts(run, Path(path))
            except Exception as exc:  # a figure that cannot be drawn costs the figure, not the trial
                log.warning("the figures of run %s were not drawn: %s", run, exc)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        self._pending = still

    def close(self) -> None:
        """Log every figure still being drawn, then stop the worker."""
        try:
            self.log_drawn(wait=True)
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
