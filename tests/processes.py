"""Real `runner.py search` processes for tests that send them signals, kill them and resume them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from reports.store.opening import open_store
from tests.conftest import ROOT, missing_tool, write_experiment

EPOCHS = 12  # long enough to catch a trial mid-way, short enough to finish the search after a resume


def experiment(tmp_path, name="signals", **changes):
    """Grid over optimizer [adam, sgd]: trial 0 trains with adam, trial 1 with sgd."""
    return write_experiment(
        tmp_path,
        name=name,
        tuner={"algorithm": "grid", "max_trials": 2, "epochs": EPOCHS, "patience": 0, **changes.pop("tuner", {})},
        **changes,
    )


def search(path, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "runner.py"), "search", str(path), *extra],
        cwd=path.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def runs(tmp_path, name="signals") -> tuple[list, list]:
    """(parents, children) of the store, newest first; opened as the runner opens it, never mid-creation."""
    client = open_store(f"sqlite:///{tmp_path}/mlflow.db")
    found = client.get_experiment_by_name(name)
    if found is None:
        return [], []
    all_runs = client.search_runs([found.experiment_id])
    return (
        [r for r in all_runs if "mlflow.parentRunId" not in r.data.tags],
        [r for r in all_runs if "mlflow.parentRunId" in r.data.tags],
    )


def wait_until_training(tmp_path, proc, finished_trials: int, name="signals", old_runs: frozenset = frozenset()):
    """Block until `finished_trials` trials are done and a new run (not in `old_runs`) has logged an epoch."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        children = runs(tmp_path, name)[1] if (tmp_path / "mlflow.db").exists() else []
        done = [c for c in children if c.info.status == "FINISHED"]
        training = [
            c
            for c in children
            if c.info.status == "RUNNING" and "per_epoch/loss" in c.data.metrics and c.info.run_id not in old_runs
        ]
        if len(done) == finished_trials and training:
            return
        time.sleep(0.3)
    pytest.fail("the search never reached a training epoch")


def kill_while_training(path, finished_trials: int, *extra) -> None:
    """Start a search (or a resume, with `--resume` in `extra`) and SIGKILL it once it trains past `finished_trials`."""
    old_runs = (
        frozenset(c.info.run_id for c in runs(path.parent, path.stem)[1])
        if (path.parent / "mlflow.db").exists()
        else frozenset()
    )
    proc = search(path, *extra)
    wait_until_training(path.parent, proc, finished_trials, name=path.stem, old_runs=old_runs)
    proc.kill()
    proc.wait(timeout=60)


def by_trial(children) -> dict[str, list[str]]:
    """Each trial's run statuses, sorted."""
    out: dict[str, list[str]] = {}
    for child in children:
        out.setdefault(child.data.tags["trial_id"], []).append(child.info.status)
    return {trial: sorted(statuses) for trial, statuses in out.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_mlflow_server(backend_uri: str, folder: Path, port: int, via_runner: bool = False) -> subprocess.Popen:
    """A real `mlflow server` on 127.0.0.1:`port` over `backend_uri`, serving artifacts from `folder`, started
    directly or by `runner.py server`; waits until it answers. The caller stops it with `stop_mlflow_server`."""
    log = (folder / f"mlflow-server-{port}.log").open("a")
    command = (
        [sys.executable, str(ROOT / "runner.py"), "server", "--artifacts-destination", str(folder / "artifacts")]
        if via_runner
        else [sys.executable, "-m", "mlflow", "server"]
    )
    server = subprocess.Popen(
        [*command, "--backend-store-uri", backend_uri, "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    if not wait_for_url(f"http://127.0.0.1:{port}/health", server):
        stop_mlflow_server(server)
        pytest.fail(f"mlflow server did not start: {(folder / f'mlflow-server-{port}.log').read_text()[-2000:]}")
    return server


def wait_for_url(url: str, process: subprocess.Popen, seconds: float = 120) -> bool:
    """True once `url` answers; False if `process` ends or `seconds` pass first."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except OSError:
            time.sleep(0.5)
    return False


@contextlib.contextmanager
def runner_ui(store_folder: Path):
    """`runner.py ui` on the store in `store_folder`, on a free port, until the block ends: (its process, whose
    output is piped, and its port), once it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "runner.py"), "ui", "--port", str(port)],
        cwd=store_folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert wait_for_url(f"http://127.0.0.1:{port}/health", proc)
        yield proc, port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def stop_mlflow_server(server: subprocess.Popen) -> None:
    """Stop the server and the workers it started (its whole process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)


def postgres_binary(name: str) -> str | None:
    """A PostgreSQL program: on the PATH, else where Debian's `postgresql` package puts it."""
    import glob
    import shutil

    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


@contextlib.contextmanager
def postgres():
    """A real PostgreSQL in a folder of its own on 127.0.0.1, stopped and removed on exit; yields its URI for
    MLflow. Run as the `postgres` user (or `nobody`) when the test runs as root, which PostgreSQL refuses; the
    folder is made under the system's temporary folder, which that user can reach (pytest's is root's alone)."""
    import shutil
    import tempfile

    if postgres_binary("initdb") is None:
        missing_tool("PostgreSQL is not installed (.ci/run installs Debian's postgresql package)")
    folder = Path(tempfile.mkdtemp(prefix="automl-postgres-"))
    data, port = folder / "pgdata", free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        import pwd

        user = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
        as_user = ["runuser", "-u", user, "--"]
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)

    def run(*command):
        subprocess.run([*as_user, *command], check=True, capture_output=True, text=True, timeout=120, cwd=folder)

    run(postgres_binary("initdb"), "-D", str(data), "-U", "mlflow", "--auth=trust", "-E", "UTF8")
    run(
        postgres_binary("pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(folder / "postgres.log"),
        "-w",
        "-t",
        "60",
        "-o",
        f"-h 127.0.0.1 -p {port} -k {folder}",
        "start",
    )
    try:
        run(postgres_binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "mlflow", "mlflow")
        yield f"postgresql://mlflow@127.0.0.1:{port}/mlflow"
    finally:
        run(postgres_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
