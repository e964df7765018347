"""The artifact process writes a trial's files and pictures in a process of its own, and never outlives the search."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT

DRAWS_THEN_WAITS = """
import sys, time
from pipelines.tracking.artifact_process import ArtifactProcess

class Writer:  # the worker's only use of a writer here: log each file written
    def log_artifacts(self, run, path):
        print(run, path.name, flush=True)

worker = ArtifactProcess(Writer())
worker.submit("run-1", "trial 0", {"loss": [(0, 1.0), (1, 0.5)], "val_loss": [(0, 1.1), (1, 0.7)]}, 1)
worker.log_ready(wait_for={"run-1"})
print("worker", worker._pool._processes.popitem()[0], flush=True)
time.sleep(600)
"""


def test_a_killed_search_leaves_no_artifact_process_behind():
    proc = subprocess.Popen([sys.executable, "-c", DRAWS_THEN_WAITS], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    lines = [proc.stdout.readline().split() for _ in range(2)]
    assert lines[0] == ["run-1", "learning_curves.png"]  # drawn in the worker, logged by the parent
    worker = int(lines[1][1])
    os.kill(worker, 0)  # alive while the parent is
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        try:  # a worker that has exited but is not reaped yet is a zombie: gone too
            with open(f"/proc/{worker}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.5)
    raise AssertionError(f"the artifact process {worker} still runs 30 s after its search process was killed")


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs_a_search_once_with_every_artifact_and_the_baseline(tmp_path):
    """The worker is spawned: without care it imports the script again, runs its search a second time inside
    the worker, and dies, losing every trial's files and the scikit-learn baseline."""
    import subprocess
    import sys

    from tests.conftest import ROOT, write_experiment

    path = write_experiment(
        tmp_path, name="plain", tuner={"algorithm": "grid", "max_trials": 2, "epochs": 1, "patience": 0}
    )
    script = tmp_path / "plain_script.py"
    script.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nprint('top level ran', flush=True)\n"
        "from pipelines.config import load_experiment\nfrom pipelines.search import search_experiment\n"
        f"result = search_experiment(load_experiment({str(path)!r}))\nprint('trials', len(result.trials))\n"
    )
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("top level ran") == 1 and "trials 2" in proc.stdout
    assert "could not be fitted" not in proc.stdout and "Downloading artifacts" not in proc.stderr
    _check_every_artifact_and_the_baseline(tmp_path, "plain")


def _check_every_artifact_and_the_baseline(tmp_path, name: str) -> None:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name(name).experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    assert "baseline.model" in parent.data.params
    for child in (r for r in runs if "mlflow.parentRunId" in r.data.tags):
        names = {a.path for a in client.list_artifacts(child.info.run_id)}
        assert {"confusion_matrix.png", "learning_curves.png", "per_class_report.csv"} <= names, names


def _spawned_worker(parent: int) -> int | None:
    """The pid of the artifact process a search process spawned (not multiprocessing's resource tracker)."""
    for pid in subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split():
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"spawn_main" in cmdline.read():
                return int(pid)
    return None


@pytest.mark.slow
def test_a_search_whose_worker_gets_no_cpu_finishes_with_every_artifact_and_the_baseline(tmp_path):
    """The worker runs at nice 10; on a loaded machine it may get no CPU for minutes. Stopped outright here,
    it must not keep the search waiting: the search does the work itself, and stops the worker."""
    from tests.conftest import write_experiment
    from tests.processes import search

    path = write_experiment(
        tmp_path, name="starved", tuner={"algorithm": "grid", "max_trials": 2, "epochs": 2, "patience": 0}
    )
    proc = search(path)
    deadline = time.monotonic() + 120
    while (worker := _spawned_worker(proc.pid)) is None:
        assert time.monotonic() < deadline and proc.poll() is None, "no artifact process was started"
        time.sleep(0.1)
    os.kill(worker, signal.SIGSTOP)
    try:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        with pytest.raises(ProcessLookupError):
            os.kill(worker, 0)  # killed, not left stopped behind
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGKILL)
    _check_every_artifact_and_the_baseline(tmp_path, "starved")


def _how_the_worker_runs() -> tuple[int, list[int]]:
    import threadpoolctl

    return os.nice(0), [pool["num_threads"] for pool in threadpoolctl.threadpool_info()]


def test_the_worker_runs_below_training_s_priority_on_one_blas_thread():
    """A spinning BLAS thread of the worker is a core taken from training: the worker keeps to one."""
    from pipelines.tracking.artifact_process import ArtifactProcess

    worker = ArtifactProcess(writer=None)
    try:
        niceness, blas_threads = worker.run(_how_the_worker_runs).future.result(timeout=120)  # from the worker
    finally:
        worker.close()
    assert niceness == os.nice(0) + 10
    assert blas_threads and set(blas_threads) == {1}, blas_threads


def test_the_overview_the_worker_draws_for_the_report_is_the_one_the_report_draws_itself():
    """The closing steps have the worker draw the report's search at a glance while the rest is built: the
    picture must not depend on which process drew it (fonts, style)."""
    from pipelines.tracking.artifact_process import ArtifactProcess
    from reports import figures
    from tests.reports.test_figures import DEMO_TRIALS

    trials = DEMO_TRIALS.assign(trial_id=[str(i) for i in range(8)], **{"test/accuracy": [0.9] * 8})
    curves = {str(i): [(0, 1.0), (1, 0.5 + i / 100)] for i in range(8)}
    arguments = (trials, ["learning_rate", "dropout"], "val_loss", "min", "test/accuracy", curves)
    worker = ArtifactProcess(writer=None)
    try:
        drawn_aside = worker.run(figures.overview_png, "en", *arguments).future.result(timeout=120)
    finally:
        worker.close()
    drawn_here = figures.overview_png("en", *arguments)
    assert drawn_aside.startswith(b"\x89PNG") and drawn_aside == drawn_here
