"""Signals sent to a real search process: Ctrl-C and SIGTERM close its runs as KILLED; after SIGKILL, --resume does."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import OBJECTIVE, ROOT, TINY, searched
from tests.processes import EPOCHS, by_trial, runs, search, wait_until_training
from tests.processes import experiment as _experiment

pytestmark = pytest.mark.slow  # real searches taking minutes on 2 cores: CI runs them, the fast lane does not


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_and_terminate_end_the_open_runs_as_killed(tmp_path, signum):
    proc = search(_experiment(tmp_path))
    wait_until_training(tmp_path, proc, finished_trials=0)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "marked KILLED" in err
    parents, children = runs(tmp_path)
    assert [p.info.status for p in parents] == ["KILLED"]
    assert [c.info.status for c in children] == ["KILLED"]


TRIAL_ARTIFACTS = {
    "learning_curves.png",
    "confusion_matrix.png",
    "confusion_matrix.csv",
    "per_class_report.csv",
    "roc_pr_curves.png",
    "roc_pr_curves.json",
    "layers.csv",
    "hyperparameters.json",
}


def test_an_interrupted_search_keeps_every_artifact_of_its_finished_trials(tmp_path):
    """Figures are drawn in a worker process while the next trial trains: Ctrl-C waits for them to be logged."""
    proc = search(_experiment(tmp_path, log_trial_models=True))
    wait_until_training(tmp_path, proc, finished_trials=1)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    _, children = runs(tmp_path)
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert len(finished) == 1
    assert TRIAL_ARTIFACTS <= {a.path for a in client.list_artifacts(finished[0].info.run_id)}
    assert [m.name for m in client.search_logged_models([finished[0].info.experiment_id])] == ["model"]


def test_resume_after_sigkill_closes_orphans_and_runs_only_what_is_left(tmp_path):
    path = _experiment(tmp_path)
    proc = search(path)
    wait_until_training(tmp_path, proc, finished_trials=1)
    proc.kill()
    proc.wait(timeout=60)
    parents, children = runs(tmp_path)
    assert [p.info.status for p in parents] == ["RUNNING"]  # nothing could close them
    orphan = next(c for c in children if c.info.status == "RUNNING")
    finished = next(c for c in children if c.info.status == "FINISHED")
    _check_report_of_the_cut_off_search(tmp_path, finished)

    changed = _experiment(tmp_path, seed=4, search_space={**TINY["search_space"], "filters": 16, "depth": 2})
    refused = searched(changed, "--resume", timeout=300)
    assert refused.returncode == 2
    assert "experiment changed since parent run" in refused.stderr
    for key in ("seed", "search_space.depth", "search_space.filters"):
        assert key in refused.stderr, refused.stderr

    resumed = search(_experiment(tmp_path), "--resume")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    assert "1 trial runs left RUNNING were marked KILLED" in " ".join(out.split())  # rich wraps long lines

    parents_after, children_after = runs(tmp_path)
    assert [p.info.run_id for p in parents_after] == [parents[0].info.run_id]  # the same parent run, carried on
    assert parents_after[0].info.status == "FINISHED"
    status = {c.info.run_id: c.info.status for c in children_after}
    assert status[orphan.info.run_id] == "KILLED"
    assert status[finished.info.run_id] == "FINISHED"
    statuses = by_trial(children_after)
    assert statuses[finished.data.tags["trial_id"]] == ["FINISHED"]  # not run or logged twice
    assert statuses[orphan.data.tags["trial_id"]] == ["FINISHED", "KILLED"]  # the killed trial ran again
    rerun = next(
        c
        for c in children_after
        if c.data.tags["trial_id"] == orphan.data.tags["trial_id"] and c.info.status == "FINISHED"
    )
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    assert sorted(m.step for m in client.get_metric_history(rerun.info.run_id, "per_epoch/loss")) == list(range(EPOCHS))


def test_resume_refuses_a_finished_search_and_a_store_without_one(tmp_path, finished_search):
    from pipelines.config import load_experiment
    from pipelines.errors import ResumeError
    from pipelines.search import search_experiment

    with pytest.raises(ResumeError, match=r"no MLflow store at sqlite:///.*Run a search first"):
        search_experiment(load_experiment(_experiment(tmp_path)), resume=True)
    assert not (tmp_path / "mlflow.db").exists()  # a refused resume leaves nothing behind
    finished = load_experiment(finished_search["tmp"] / "e2e.yaml")
    with pytest.raises(ResumeError, match=r"\(parent run \w+\) finished"):
        search_experiment(finished, resume=True)


def _check_report_of_the_cut_off_search(tmp_path, finished):
    """The report of a search killed after trial 0 names that trial as the best so far and says the search is
    incomplete; its duration is the last activity's, the same on every rebuild."""
    from pypdf import PdfReader

    from reports.source import load_search

    report = subprocess.run(
        [
            sys.executable,
            str(ROOT / "runner.py"),
            "report",
            "signals",
            "--out",
            "partial.pdf",
            "--tracking-uri",
            f"sqlite:///{tmp_path}/mlflow.db",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr[-2000:]
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(tmp_path / "partial.pdf").pages).split())
    assert "This search is incomplete: still running, or its process died" in text
    assert "Finished trials: 1 (up to 2 trials)" in text
    assert f"trial {finished.data.tags['trial_id']}: val_accuracy {finished.data.metrics[OBJECTIVE]:.4f}" in text
    first = load_search(f"sqlite:///{tmp_path}/mlflow.db", "signals").end_millis
    time.sleep(0.05)
    assert load_search(f"sqlite:///{tmp_path}/mlflow.db", "signals").end_millis == first
