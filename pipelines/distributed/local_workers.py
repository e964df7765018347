"""The worker processes of a distributed search on this machine: how many, with what, and kept alive.

`--workers auto` gives each visible GPU its own worker; without GPUs, each
core its own single-threaded worker (measured on 2 cores: 1.36 times the
trials per hour of one worker using both, `benchmarks/parallel_search.py`).
Each worker's thread pools are sized so that together they do not
oversubscribe the cores. A worker that dies is started again under the same
KerasTuner tuner id, so the oracle hands it back the trial it was running;
its open MLflow run is marked KILLED and tagged as an orphan first, which is
what bounds the retries of a trial that kills its worker every time (see
`TrackedTuner.run_trial`). A worker that cannot even start stops the search
with the end of its log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from pathlib import Path

from pipelines.errors import ConfigError
from pipelines.tracking.tracker import close_orphans
from reports.store.errors import RunnerError

RUNNER = Path(__file__).resolve().parents[2] / "runner.py"
START_FAILURES = 3  # deaths in a row without a trial run open: the worker cannot start
BAD_INPUT_EXIT = 2  # runner.py's status for an error the user must fix: not worth a restart
STOP_WAIT_S = 60  # how long stopped workers get to close their runs before they are killed


class WorkerFailed(RunnerError):
    """A worker process cannot run: it died before any trial, again and again, or on bad input."""


def visible_gpus() -> list[str]:
    """The GPUs a worker may be pinned to: CUDA_VISIBLE_DEVICES when set, else what nvidia-smi lists."""
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return [d for d in os.environ["CUDA_VISIBLE_DEVICES"].split(",") if d.strip() not in ("", "-1")]
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(line for line in listed.splitlines() if line.startswith("GPU "))]


def worker_count(requested: str) -> int:
    """`--workers`: a number, or `auto` (one per GPU, else one per core)."""
    if requested == "auto":
        return len(visible_gpus()) or os.cpu_count() or 1
    if not requested.isdigit() or int(requested) < 1:
        raise ConfigError(f"--workers {requested}: give a number of worker processes (1 or more) or auto.")
    return int(requested)


def worker_environments(count: int) -> list[dict[str, str]]:
    """Each worker's own variables: its GPU, or its share of the CPU threads."""
    gpus = visible_gpus()
    if gpus:
        return [{"CUDA_VISIBLE_DEVICES": gpus[i % len(gpus)]} for i in range(count)]
    threads = str(max(1, (os.cpu_count() or 1) // count))
    return [{"TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": threads, "OMP_NUM_THREADS": threads}] * count


@dataclasses.dataclass
class WorkerProcess:
    tuner_id: str
    environment: dict[str, str]
    log: Path
    process: subprocess.Popen | None = None
    starts: int = 0
    failed_starts: int = 0  # deaths in a row with no trial run open
    done: bool = False


class LocalWorkers:
    """Starts `count` workers of the search whose chief listens on `chief`, and keeps them running."""

    def __init__(
        self, experiment_file: str, chief: str, parent_run_id: str, count: int, log_dir: Path, client, console
    ):
        self.experiment_file, self.chief, self.parent_run_id = experiment_file, chief, parent_run_id
        self.client, self.console = client, console
        log_dir.mkdir(parents=True, exist_ok=True)
        self.workers = [
            WorkerProcess(f"worker-{i + 1}", env, log_dir / f"worker-{i + 1}.log")
            for i, env in enumerate(worker_environments(count))
        ]

    def __enter__(self) -> LocalWorkers:
        for worker in self.workers:
            self._start(worker)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self, worker: WorkerProcess) -> None:
        command = [
            sys.executable,
            str(RUNNER),
            "worker",
            self.experiment_file,
            "--chief",
            self.chief,
            "--id",
            worker.tuner_id,
            "--parent-run",
            self.parent_run_id,
        ]
        with worker.log.open("a") as log:
            log.write(f"--- start {worker.starts + 1}: {' '.join(command)}\n")
            log.flush()
            # A session of its own: Ctrl-C reaches the search process, which stops its workers in order.
            worker.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **worker.environment},
                start_new_session=True,
            )
        worker.starts += 1

    @property
    def finished(self) -> bool:
        return all(worker.done for worker in self.workers)

    def check(self) -> None:
        """Restart every worker that died; raise WorkerFailed for one that cannot run."""
        for worker in self.workers:
            process = worker.process
            if worker.done or process is None or process.poll() is None:
                continue
            code = process.returncode
            if code == 0:
                worker.done = True
                continue
            orphans = close_orphans(self.client, self.parent_run_id, worker.tuner_id)
            worker.failed_starts = 0 if orphans else worker.failed_starts + 1
            if code == BAD_INPUT_EXIT or worker.failed_starts >= START_FAILURES:
                raise WorkerFailed(
                    f"{worker.tuner_id} cannot run (exit status {code}); the end of its log "
                    f"{worker.log}:\n{_tail(worker.log)}"
                )
            how = f"signal {-code}" if code < 0 else f"exit status {code}"
            during = f" during trial run {orphans[0]} (marked KILLED)" if orphans else ""
            self.console.print(
                f"[yellow]{worker.tuner_id} died ({how}){during}; started again with the same "
                "tuner id, which takes its trial back.[/]"
            )
            self._start(worker)

    def stop(self) -> None:
        """SIGTERM every worker still running (they close their runs KILLED), SIGKILL any that hangs; then
        mark KILLED whatever run is still open."""
        running = [w.process for w in self.workers if w.process and w.process.poll() is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if running:
            close_orphans(self.client, self.parent_run_id)


def _tail(path: Path, lines: int = 15) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no log)"
