"""The SQLite reader answers as MLflow's client does, on a real store a real search wrote."""

import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from reports.store.errors import StoreError
from reports.store.names import PER_EPOCH, ROLE_TAG, TRIAL_ID_TAG
from reports.store.opening import sqlite_path, store_misses
from reports.store.sqlite_reader import SqliteReader
from reports.store.trials import children, latest_search, trial_runs, trials_frame


@pytest.fixture(scope="module")
def clients(finished_search):
    mlflow_client = finished_search["client"]
    return mlflow_client, SqliteReader(sqlite_path(finished_search["uri"]), finished_search["uri"])


def _same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _assert_same_run(ours, theirs):
    for name in ("run_id", "experiment_id", "run_name", "status", "start_time", "end_time", "artifact_uri"):
        assert getattr(ours.info, name) == getattr(theirs.info, name), name
    assert ours.info.lifecycle_stage == theirs.info.lifecycle_stage
    assert ours.data.params == theirs.data.params
    assert ours.data.tags == theirs.data.tags
    assert ours.data.metrics.keys() == theirs.data.metrics.keys()
    assert all(_same_number(ours.data.metrics[k], theirs.data.metrics[k]) for k in ours.data.metrics)


def test_a_run_reads_back_with_mlflows_info_params_tags_and_metrics(finished_search, clients):
    mlflow_client, reader = clients
    for run in finished_search["parents"] + finished_search["children"]:
        _assert_same_run(reader.get_run(run.info.run_id), mlflow_client.get_run(run.info.run_id))


def test_each_filter_the_read_side_writes_finds_mlflows_runs_in_mlflows_order(finished_search, clients):
    mlflow_client, reader = clients
    parent = finished_search["parents"][0]
    experiment = [parent.info.experiment_id]
    trial_id = finished_search["children"][0].data.tags[TRIAL_ID_TAG]
    searches = [
        ("", None, None),
        (f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'", None, 50000),
        (f"tags.`mlflow.parentRunId` = '{parent.info.run_id}' and attributes.status = 'FINISHED'", None, None),
        (f"tags.`mlflow.parentRunId` = '{parent.info.run_id}' and attributes.status = 'RUNNING'", None, None),
        (f"tags.`{TRIAL_ID_TAG}` = '{trial_id}'", None, None),
        (f"tags.`{ROLE_TAG}` = 'search'", ["attributes.start_time DESC"], 1),
        ("", ["attributes.start_time ASC"], None),
        ("", ["attributes.start_time"], 2),
    ]
    for filter_string, order_by, max_results in searches:
        ours = reader.search_runs(experiment, filter_string, order_by=order_by, max_results=max_results)
        theirs = mlflow_client.search_runs(
            experiment, filter_string, order_by=order_by, max_results=max_results or 1000
        )
        assert [r.info.run_id for r in ours] == [r.info.run_id for r in theirs], (filter_string, order_by)
        for a, b in zip(ours, theirs, strict=True):
            _assert_same_run(a, b)
    assert len(reader.search_runs(experiment)) == len(finished_search["parents"]) + len(finished_search["children"])


def test_the_layouts_helpers_answer_the_same_from_either(finished_search, clients):
    mlflow_client, reader = clients
    parent_id = finished_search["parents"][0].info.run_id
    trial_id = finished_search["children"][0].data.tags[TRIAL_ID_TAG]
    assert [r.info.run_id for r in children(reader, parent_id)] == [
        r.info.run_id for r in children(mlflow_client, parent_id)
    ]
    assert [r.info.run_id for r in trial_runs(reader, parent_id, trial_id)] == [
        r.info.run_id for r in trial_runs(mlflow_client, parent_id, trial_id)
    ]
    assert latest_search(reader, "e2e").info.run_id == latest_search(mlflow_client, "e2e").info.run_id
    assert latest_search(reader, "no such experiment") is None
    ours, theirs = trials_frame(reader, parent_id), trials_frame(mlflow_client, parent_id)
    assert len(ours) == len(finished_search["children"])
    pd.testing.assert_frame_equal(ours, theirs)


def test_learning_curves_read_back_point_for_point(finished_search, clients):
    mlflow_client, reader = clients
    child = finished_search["children"][0]
    curves = [key for key in child.data.metrics if key.startswith(PER_EPOCH)]
    assert curves
    for key in curves:
        ours = reader.get_metric_history(child.info.run_id, key)
        theirs = mlflow_client.get_metric_history(child.info.run_id, key)
        assert len(ours) == len(theirs) > 0
        assert [(m.step, m.timestamp, m.key) for m in ours] == [(m.step, m.timestamp, m.key) for m in theirs]
        assert all(_same_number(a.value, b.value) for a, b in zip(ours, theirs, strict=True))
    assert reader.get_metric_history(child.info.run_id, "no/such/metric") == []


def test_experiments_read_back_by_id_and_by_name(finished_search, clients):
    mlflow_client, reader = clients
    theirs = mlflow_client.get_experiment_by_name("e2e")
    for ours in (reader.get_experiment_by_name("e2e"), reader.get_experiment(theirs.experiment_id)):
        assert (ours.experiment_id, ours.name, ours.artifact_location, ours.lifecycle_stage) == (
            theirs.experiment_id,
            theirs.name,
            theirs.artifact_location,
            theirs.lifecycle_stage,
        )
        assert ours.tags == theirs.tags
    assert reader.get_experiment_by_name("no such experiment") is None
    assert sorted(e.name for e in reader.search_experiments()) == sorted(
        e.name for e in mlflow_client.search_experiments()
    )


def test_an_artifact_downloads_with_the_same_bytes(finished_search, clients, tmp_path):
    mlflow_client, reader = clients
    parent = finished_search["parents"][0]
    names = [a.path for a in mlflow_client.list_artifacts(parent.info.run_id) if not a.is_dir]
    assert names
    for name in names:
        ours = Path(reader.download_artifacts(parent.info.run_id, name, str(tmp_path / "ours")))
        theirs = Path(mlflow_client.download_artifacts(parent.info.run_id, name, str(tmp_path / "theirs")))
        assert ours.name == theirs.name
        assert ours.read_bytes() == theirs.read_bytes()
    folders = [a.path for a in mlflow_client.list_artifacts(parent.info.run_id) if a.is_dir]
    for folder in folders:
        ours = Path(reader.download_artifacts(parent.info.run_id, folder, str(tmp_path / "ours")))
        theirs = Path(mlflow_client.download_artifacts(parent.info.run_id, folder, str(tmp_path / "theirs")))
        assert sorted(p.relative_to(ours) for p in ours.rglob("*")) == sorted(
            p.relative_to(theirs) for p in theirs.rglob("*")
        )


def test_what_the_store_does_not_hold_is_a_miss_and_an_unknown_filter_is_an_error(finished_search, clients, tmp_path):
    _, reader = clients
    parent = finished_search["parents"][0]
    with pytest.raises(store_misses()):
        reader.get_run("0" * 32)
    with pytest.raises(store_misses()):
        reader.get_experiment("987654")
    with pytest.raises(store_misses()):
        reader.download_artifacts(parent.info.run_id, "no_such_file.txt", str(tmp_path))
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="metrics.objective"):
        reader.search_runs([parent.info.experiment_id], "metrics.objective > 0.5")
    with pytest.raises(ValueError, match="metrics.objective"):
        reader.search_runs([parent.info.experiment_id], order_by=["metrics.objective DESC"])


def test_a_file_that_is_not_an_mlflow_store_is_refused(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE runs (x)").connection.commit()
    with pytest.raises(StoreError, match="not an MLflow store"):
        SqliteReader(other, f"sqlite:///{other}")
    text = tmp_path / "text.db"
    text.write_text("not a database at all, just some words to fill a page" * 40)
    with pytest.raises(StoreError, match="not an SQLite database"):
        SqliteReader(text, f"sqlite:///{text}")
