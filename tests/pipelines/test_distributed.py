"""`search --workers`: KerasTuner's chief and real worker processes on 127.0.0.1, killed and interrupted as they
would be in use, on SQLite and on an MLflow server backed by a real PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from pipelines.distributed.local_workers import worker_count, worker_environments
from reports.store.names import CHIEF_TAG, ORPHAN_TAG, PID_TAG, WORKER_TAG
from tests.conftest import ROOT, TINY
from tests.pipelines.test_failures import DIVERGES
from tests.processes import (
    by_trial,
    experiment,
    free_port,
    postgres,
    runs,
    search,
    start_mlflow_server,
    stop_mlflow_server,
)

TRIALS = 4
EPOCHS = 30  # a few seconds a trial: long enough to kill a worker mid-trial


def grid_of_four(tmp_path, name: str, **changes):
    """Grid over optimizer x learning rate: trials 0-3, each the same size."""
    changes.setdefault("search_space", {**TINY["search_space"], "learning_rate": [0.01, 0.003]})
    return experiment(
        tmp_path, name=name, tuner={"max_trials": TRIALS, "epochs": EPOCHS, **changes.pop("tuner", {})}, **changes
    )


def training(children) -> list:
    """Trial runs that are open and have logged an epoch."""
    return [c for c in children if c.info.status == "RUNNING" and "per_epoch/loss" in c.data.metrics]


def wait_for(find, proc: subprocess.Popen, what: str, seconds: float = 300):
    """Poll `find()` until it returns something, while `proc` runs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the search ended before {what}: {proc.communicate()[1][-3000:]}"
        found = find()
        if found:
            return found
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def both_training(tmp_path, name: str, proc: subprocess.Popen) -> list:
    """The two trial runs of a two-worker search, once both have logged an epoch."""
    return wait_for(
        lambda: (lambda t: t if len(t) == 2 else None)(training(runs(tmp_path, name)[1])), proc, "both workers train"
    )


def alive(pid: int) -> bool:
    """A process that runs (an exited one waiting to be reaped does not)."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def finished_once_each(children) -> bool:
    statuses = by_trial(children)
    return sorted(statuses) == [str(i) for i in range(TRIALS)] and all(
        s.count("FINISHED") == 1 for s in statuses.values()
    )


@pytest.mark.slow
def test_two_workers_finish_the_budget_once_each_and_a_killed_worker_gets_its_trial_back(tmp_path):
    path = grid_of_four(tmp_path, "workers")
    proc = search(path, "--workers", "2")
    victim = wait_for(lambda: training(runs(tmp_path, "workers")[1]), proc, "a worker trains")[0]
    os.kill(int(victim.data.tags[PID_TAG]), signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    parents, children = runs(tmp_path, "workers")
    assert [p.info.status for p in parents] == ["FINISHED"]
    assert finished_once_each(children), by_trial(children)
    trial = victim.data.tags["trial_id"]
    assert by_trial(children)[trial] == ["FINISHED", "KILLED"]
    killed = next(c for c in children if c.info.run_id == victim.info.run_id)
    assert killed.info.status == "KILLED" and killed.data.tags[ORPHAN_TAG] == "true"
    rerun = next(c for c in children if c.data.tags["trial_id"] == trial and c.info.status == "FINISHED")
    assert rerun.data.tags[WORKER_TAG] == victim.data.tags[WORKER_TAG]  # the same tuner id took the trial back
    assert {c.data.tags[WORKER_TAG] for c in children} == {"worker-1", "worker-2"}
    assert f"{victim.data.tags[WORKER_TAG]} died (signal 9) during trial run {victim.info.run_id}" in " ".join(
        out.split()
    )
    assert parents[0].data.tags[CHIEF_TAG].startswith("127.0.0.1:")
    assert "report.pdf" in {
        a.path for a in MlflowClient(f"sqlite:///{tmp_path}/mlflow.db").list_artifacts(parents[0].info.run_id)
    }


@pytest.mark.slow
def test_a_trial_that_kills_its_worker_every_time_fails_after_max_retries_and_the_search_goes_on(tmp_path):
    path = grid_of_four(tmp_path, "crashing", tuner={"max_retries": 1})
    proc = search(path, "--workers", "2")
    killed: set[str] = set()
    while proc.poll() is None:  # kill whichever worker trains trial 1, every time it does
        for run in training(runs(tmp_path, "crashing")[1]):
            if run.data.tags["trial_id"] == "1" and run.info.run_id not in killed:
                killed.add(run.info.run_id)
                os.kill(int(run.data.tags[PID_TAG]), signal.SIGKILL)
        time.sleep(0.3)
    assert proc.returncode == 0, proc.communicate()[1][-3000:]
    parents, children = runs(tmp_path, "crashing")
    assert [p.info.status for p in parents] == ["FINISHED"]
    statuses = by_trial(children)
    assert len(killed) == 2 and statuses.pop("1") == ["FAILED", "KILLED", "KILLED"]
    assert statuses == {"0": ["FINISHED"], "2": ["FINISHED"], "3": ["FINISHED"]}
    failed = next(c for c in children if c.info.status == "FAILED")
    assert "died during this trial 2 times (max_retries: 1)" in failed.data.tags["failure_reason"]


@pytest.mark.slow
def test_workers_of_a_killed_chief_stop_and_resume_carries_the_search_on(tmp_path):
    path = grid_of_four(tmp_path, "chiefless")
    proc = search(path, "--workers", "2")
    both = both_training(tmp_path, "chiefless", proc)
    pids = [int(run.data.tags[PID_TAG]) for run in both]
    proc.kill()
    proc.wait(timeout=60)
    deadline = time.monotonic() + 120
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(alive(pid) for pid in pids), "workers outlived their chief"
    children = runs(tmp_path, "chiefless")[1]
    assert "RUNNING" not in {c.info.status for c in children}  # KILLED, or FINISHED if the trial ended first
    log = next((tmp_path / "tuner").glob("*/workers/worker-1.log")).read_text()
    assert "has not answered for 30 s; this worker stops" in " ".join(log.split())

    resumed = search(path, "--resume", "--workers", "2")
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-3000:]
    parents, children = runs(tmp_path, "chiefless")
    assert [p.info.status for p in parents] == ["FINISHED"]
    assert finished_once_each(children), by_trial(children)


@pytest.mark.slow
def test_ctrl_c_ends_the_chief_and_every_worker_and_marks_open_runs_killed(tmp_path):
    path = grid_of_four(tmp_path, "interrupted")
    proc = search(path, "--workers", "2")
    both = both_training(tmp_path, "interrupted", proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err[-3000:]
    assert not any(alive(int(run.data.tags[PID_TAG])) for run in both)
    parents, children = runs(tmp_path, "interrupted")
    assert [p.info.status for p in parents] == ["KILLED"]
    assert "RUNNING" not in {c.info.status for c in children}
    assert {c.info.status for c in children if c.info.run_id in {r.info.run_id for r in both}} == {"KILLED"}


@pytest.mark.slow
def test_two_workers_on_an_mlflow_server_backed_by_postgresql(tmp_path):
    port = free_port()
    with postgres() as database:
        server = start_mlflow_server(database, tmp_path, port, via_runner=True)
        try:
            uri = f"http://127.0.0.1:{port}"
            path = grid_of_four(tmp_path, "team", tracking_uri=uri, tuner={"epochs": 3})
            proc = search(path, "--workers", "2")
            out, err = proc.communicate(timeout=600)
            assert proc.returncode == 0, err[-3000:]
            client = MlflowClient(uri)
            found = client.search_runs([client.get_experiment_by_name("team").experiment_id])
            parents = [r for r in found if "mlflow.parentRunId" not in r.data.tags]
            children = [r for r in found if "mlflow.parentRunId" in r.data.tags]
            assert [p.info.status for p in parents] == ["FINISHED"]
            assert finished_once_each(children), by_trial(children)
            assert {c.data.tags[WORKER_TAG] for c in children} == {"worker-1", "worker-2"}
            artifacts = {a.path for a in client.list_artifacts(children[0].info.run_id)}
            assert {"learning_curves.png", "confusion_matrix.png", "hyperparameters.json"} <= artifacts, artifacts
            assert (tmp_path / "artifacts").is_dir()  # served by the server, not written by the workers' own paths
        finally:
            stop_mlflow_server(server)


def test_worker_count_and_each_worker_s_share_of_the_cores(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert worker_count("3") == 3
    assert worker_count("auto") == os.cpu_count()
    shares = worker_environments(2)
    assert all(int(env["TF_NUM_INTRAOP_THREADS"]) * 2 <= max(2, os.cpu_count() or 1) for env in shares)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2")
    assert worker_count("auto") == 3
    assert [env["CUDA_VISIBLE_DEVICES"] for env in worker_environments(3)] == ["0", "1", "2"]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["search", "--workers", "two"], "--workers two: give a number of worker processes"),
        (["worker", "--chief", "nowhere"], "--chief: 'nowhere' is not HOST:PORT"),
        (["worker", "--chief", "127.0.0.1:9"], "no running search of 'tiny'"),
    ],
)
def test_bad_distributed_input_is_one_clear_line(tmp_path, arguments, message):
    from tests.conftest import write_experiment

    path = write_experiment(tmp_path)
    command, *options = arguments
    done = subprocess.run(
        [sys.executable, str(ROOT / "runner.py"), command, str(path), *options],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert message in " ".join(done.stderr.split())


@pytest.mark.slow
def test_too_many_consecutive_failed_trials_end_a_distributed_search_instead_of_hanging_it(tmp_path):
    """Every trial diverges: KerasTuner's chief would raise inside its lock after three, and hang the workers."""
    path = grid_of_four(
        tmp_path,
        "diverging",
        tuner={"epochs": 3, "max_trials": 5},
        search_space={**DIVERGES, "kernel_size": [2, 3, 4, 5, 6]},
    )
    proc = search(path, "--workers", "2")
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, err[-3000:]  # no trial finished
    parents, children = runs(tmp_path, "diverging")
    assert "consecutive failures" in parents[0].data.tags["stopped_early"]
    assert {c.info.status for c in children} == {"FAILED"} and 3 <= len(children) < 5


def test_a_worker_that_cannot_start_stops_the_search_with_the_end_of_its_log(tmp_path):
    from rich.console import Console

    from pipelines.distributed.local_workers import LocalWorkers, WorkerFailed
    from reports.store.opening import experiment_id, open_store

    client = open_store(f"sqlite:///{tmp_path}/mlflow.db")
    parent = client.create_run(experiment_id(client, "nothing"))
    missing = str(tmp_path / "no-such-experiment.yaml")
    with pytest.raises(WorkerFailed, match=r"worker-1 cannot run \(exit status 2\)") as failed:
        with LocalWorkers(
            missing, "127.0.0.1:9", parent.info.run_id, 1, tmp_path / "logs", client, Console()
        ) as workers:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                workers.check()
                time.sleep(0.2)
    assert "no-such-experiment.yaml" in str(failed.value)  # the worker's own error, from its log


@pytest.mark.slow
def test_a_worker_from_elsewhere_joins_by_the_chief_s_port_and_refuses_a_different_experiment(tmp_path):
    """As on a second machine: its own KerasTuner folder, the parent run found in the store."""
    import yaml

    port = free_port()
    path = grid_of_four(tmp_path, "joined", log_trial_models=True, tuner={"epochs": 60})
    proc = search(path, "--workers", "1", "--chief-port", str(port))
    config = yaml.safe_load(path.read_text())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "joined.yaml").write_text(yaml.safe_dump({**config, "tuner_dir": str(elsewhere / "tuner")}))
    (elsewhere / "changed.yaml").write_text(yaml.safe_dump({**config, "seed": 4}))
    wait_for(lambda: training(runs(tmp_path, "joined")[1]), proc, "the local worker trains")

    def worker(name: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "runner.py"),
                "worker",
                str(elsewhere / name),
                "--chief",
                f"127.0.0.1:{port}",
                "--id",
                name.split(".")[0],
            ],
            cwd=elsewhere,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    joined, refused = worker("joined.yaml"), worker("changed.yaml")
    _, refusal = refused.communicate(timeout=600)
    assert refused.returncode == 2 and "differs from the experiment of the search it joins" in refusal, refusal
    assert "seed" in refusal
    assert joined.wait(timeout=600) == 0, joined.communicate()[1][-3000:]
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    parents, children = runs(tmp_path, "joined")
    assert [p.info.status for p in parents] == ["FINISHED"]
    assert finished_once_each(children), by_trial(children)
    assert {c.data.tags[WORKER_TAG] for c in children} == {"worker-1", "joined"}
    assert list((elsewhere / "tuner").glob("*/trial_*"))  # its checkpoints stayed on its machine
    assert (tmp_path / "tuner" / parents[0].data.params["tuner.project"] / "best_model.keras").is_file()
