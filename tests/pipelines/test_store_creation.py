"""A store survives a kill while it is created: every later search and `--resume` behaves as documented.

MLflow makes a new SQLite store's tables in place over about two seconds; a
kill in those seconds used to leave a file no later opening could use.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

import pytest

from reports.store.errors import StoreError
from reports.store.migrations import building_path
from reports.store.opening import open_store
from tests.conftest import ROOT, TINY, write_experiment
from tests.processes import runs, search

HALF_MAKE = """
import sys
from mlflow.tracking import MlflowClient
MlflowClient(sys.argv[1]).search_experiments()  # MLflow's own creation, in place, as older versions did it
"""


def _kill_after_first_byte(proc: subprocess.Popen, watched, delay_s: float) -> None:
    """SIGKILL `proc` `delay_s` seconds after `watched` holds its first byte."""
    deadline = time.monotonic() + 300
    while not (watched.is_file() and watched.stat().st_size > 0):
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the store was never created"
        time.sleep(0.01)
    time.sleep(delay_s)
    proc.kill()
    proc.wait(timeout=60)


@pytest.mark.slow
def test_a_search_killed_at_any_point_of_store_creation_leaves_a_store_that_resume_and_search_use(tmp_path):
    path = write_experiment(
        tmp_path,
        tuner={"algorithm": "grid", "max_trials": 1, "epochs": 1, "patience": 0},
        search_space={**TINY["search_space"], "optimizer": "adam"},
    )
    database = tmp_path / "mlflow.db"
    for delay_s in (0.0, 0.4, 0.8, 1.2, 1.6, 2.5):  # MLflow takes about two seconds to make the tables here
        database.unlink(missing_ok=True)
        _kill_after_first_byte(search(path), building_path(database), delay_s)
        resumed = search(path, "--resume")
        _, err = resumed.communicate(timeout=300)
        assert resumed.returncode == 2, err[-2000:]
        # The store opened and is empty, or it was never renamed into place.
        assert ("no earlier search" if database.exists() else "no MLflow store") in err, err[-2000:]
        assert "Traceback" not in err
    finished = search(path)
    _, err = finished.communicate(timeout=600)
    assert finished.returncode == 0, err[-3000:]
    parents, children = runs(tmp_path, path.stem)
    assert [p.info.status for p in parents] == ["FINISHED"] and [c.info.status for c in children] == ["FINISHED"]
    assert not building_path(database).exists()


def _half_made_by_mlflow(tmp_path):
    """A store MLflow was killed while creating in place, checked to be one MLflow itself cannot open."""
    for attempt, delay_s in enumerate((0.3, 0.6, 0.9, 0.2, 0.5, 1.2, 0.1, 1.5, 2.0, 3.0, 0.05)):  # load shifts them
        database = tmp_path / f"half-{attempt}.db"
        proc = subprocess.Popen(
            [sys.executable, "-c", HALF_MAKE, f"sqlite:///{database}"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _kill_after_first_byte(proc, database, delay_s)
        reopened = subprocess.run(
            [sys.executable, "-c", HALF_MAKE, f"sqlite:///{database}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if reopened.returncode != 0 and "already exists" in reopened.stderr:
            return database
    pytest.fail("no kill left a half-made store")


def test_a_store_half_made_in_place_by_an_older_version_is_built_anew_when_it_holds_no_runs(tmp_path):
    database = _half_made_by_mlflow(tmp_path)
    client = open_store(f"sqlite:///{database}")
    experiment_id = client.create_experiment("after")
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "m", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_a_damaged_store_that_holds_runs_is_refused_with_what_to_do_and_left_as_it_is(tmp_path):
    from mlflow.tracking import MlflowClient

    database = tmp_path / "damaged.db"
    uri = f"sqlite:///{database}"
    client = MlflowClient(uri)
    client.create_run(client.create_experiment("kept"))
    with sqlite3.connect(database) as db:  # as a migration killed half-way leaves it: a table gone, an old stamp
        db.execute("UPDATE alembic_version SET version_num = 'a8c4a736bde6'")
        db.execute("DROP TABLE webhooks")
    with pytest.raises(StoreError, match=r"holds 1 run\(s\).*mv .*damaged\.db .*damaged\.db\.damaged"):
        open_store(uri)
    # Refused, not rebuilt: the run is still there.
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
