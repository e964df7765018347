"""Signals sent to a real search process: Ctrl-C and SIGTERM close its runs as KILLED; after SIGKILL, --resume does."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import ROOT, write_experiment

EPOCHS = 12  # long enough to catch a trial mid-way, short enough to finish the search after a resume


def _experiment(tmp_path, **changes):
    return write_experiment(tmp_path, name="signals",
                            tuner={"algorithm": "grid", "max_trials": 2, "epochs": EPOCHS, "patience": 0}, **changes)


def _search(path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "runner.py"), "search", str(path), *extra],
                            cwd=path.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _runs(tmp_path) -> tuple[list, list]:
    """(parents, children) of the store, newest first."""
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    experiment = client.get_experiment_by_name("signals")
    if experiment is None:
        return [], []
    runs = client.search_runs([experiment.experiment_id])
    return ([r for r in runs if "mlflow.parentRunId" not in r.data.tags],
            [r for r in runs if "mlflow.parentRunId" in r.data.tags])


def _wait_until_training(tmp_path, proc, finished_trials: int):
    """Block until `finished_trials` trials are done and the next one has logged an epoch."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        try:
            _, children = _runs(tmp_path)
        except Exception:  # the store is still being created
            children = []
        done = [c for c in children if c.info.status == "FINISHED"]
        training = [c for c in children if c.info.status == "RUNNING" and "loss" in c.data.metrics]
        if len(done) == finished_trials and training:
            return
        time.sleep(0.3)
    pytest.fail("the search never reached a training epoch")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_and_terminate_end_the_open_runs_as_killed(tmp_path, signum):
    proc = _search(_experiment(tmp_path))
    _wait_until_training(tmp_path, proc, finished_trials=0)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "marked KILLED" in err
    parents, children = _runs(tmp_path)
    assert [p.info.status for p in parents] == ["KILLED"]
    assert [c.info.status for c in children] == ["KILLED"]


def test_resume_after_sigkill_closes_orphans_and_runs_only_what_is_left(tmp_path):
    path = _experiment(tmp_path)
    proc = _search(path)
    _wait_until_training(tmp_path, proc, finished_trials=1)
    proc.kill()
    proc.wait(timeout=60)
    parents, children = _runs(tmp_path)
    assert [p.info.status for p in parents] == ["RUNNING"]  # nothing could close them
    orphan = next(c for c in children if c.info.status == "RUNNING")
    finished = next(c for c in children if c.info.status == "FINISHED")

    changed = _experiment(tmp_path, seed=4)
    refused = subprocess.run([sys.executable, str(ROOT / "runner.py"), "search", str(changed), "--resume"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert "experiment changed since parent run" in refused.stderr and "seed" in refused.stderr

    resumed = _search(_experiment(tmp_path), "--resume")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    assert "1 trial runs left RUNNING were marked KILLED" in " ".join(out.split())  # rich wraps long lines

    parents_after, children_after = _runs(tmp_path)
    assert [p.info.run_id for p in parents_after] == [parents[0].info.run_id]  # the same parent run, carried on
    assert parents_after[0].info.status == "FINISHED"
    status = {c.info.run_id: c.info.status for c in children_after}
    assert status[orphan.info.run_id] == "KILLED"
    assert status[finished.info.run_id] == "FINISHED"
    by_trial = {}
    for child in children_after:
        by_trial.setdefault(child.data.tags["trial_id"], []).append(child.info.status)
    assert sorted(by_trial[finished.data.tags["trial_id"]]) == ["FINISHED"]  # not run or logged twice
    assert sorted(by_trial[orphan.data.tags["trial_id"]]) == ["FINISHED", "KILLED"]  # the killed trial ran again
    rerun = next(c for c in children_after if c.data.tags["trial_id"] == orphan.data.tags["trial_id"]
                 and c.info.status == "FINISHED")
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    assert sorted(m.step for m in client.get_metric_history(rerun.info.run_id, "loss")) == list(range(EPOCHS))


def test_resume_refuses_a_finished_search_and_a_store_without_one(tmp_path, finished_search):
    from pipelines.config import load_experiment
    from pipelines.errors import ResumeError
    from pipelines.search import run_search

    with pytest.raises(ResumeError, match="no earlier search of 'signals'"):
        run_search(load_experiment(_experiment(tmp_path)), resume=True)
    finished = load_experiment(finished_search["tmp"] / "e2e.yaml")
    with pytest.raises(ResumeError, match=r"\(parent run \w+\) finished"):
        run_search(finished, resume=True)
