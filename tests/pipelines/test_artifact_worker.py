"""The artifact worker writes a trial's files and pictures in a process of its own, and never outlives the search."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.conftest import ROOT

DRAWS_THEN_WAITS = """
import sys, time
from pipelines.artifact_worker import ArtifactWorker

class Writer:  # the worker's only use of a writer here: log each file written
    def log_artifacts(self, run, path):
        print(run, path.name, flush=True)

worker = ArtifactWorker(Writer())
worker.submit("run-1", "trial 0", {"loss": [(0, 1.0), (1, 0.5)], "val_loss": [(0, 1.1), (1, 0.7)]}, 1)
worker.log_ready(wait_for={"run-1"})
print("worker", worker._pool._processes.popitem()[0], flush=True)
time.sleep(600)
"""


def test_a_killed_search_leaves_no_artifact_worker_behind():
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
    raise AssertionError(f"the artifact worker {worker} still runs 30 s after its search process was killed")
