"""The journal's replay cut off half-way by the store going down again carries on where it stopped, also in a
new process: every write reaches a real `mlflow server` once, in order, and no run is created twice."""

from __future__ import annotations

import json

import pytest
from mlflow.tracking import MlflowClient

from pipelines.tracking.journal import IDS_FILE, JOURNAL_FILE, JournaledWriter, bound_http_retries
from tests.processes import free_port, start_mlflow_server, stop_mlflow_server

STEPS = 6


def _writes_while_down(folder, uri: str, experiment_id: str) -> str:
    """A run created and logged while the server is down: everything goes to the journal; the run's key."""
    writer = JournaledWriter(MlflowClient(uri), uri)
    writer.journal_in(folder)
    key = writer.create_run(experiment_id, "journaled", {"role": "trial"})
    assert key.startswith("journal-")  # the store has not seen it
    for step in range(STEPS):
        writer.log_batch(key, metrics={"loss": 1.0 / (step + 1)}, step=step)
    writer.set_terminated(key, "FINISHED")
    assert writer.pending == STEPS + 2
    return key


@pytest.mark.slow
def test_a_replay_cut_off_half_way_carries_on_in_a_new_process_and_sends_each_write_once(tmp_path):
    bound_http_retries("http://127.0.0.1")  # a refused write fails at once instead of after MLflow's minute of retries
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    backend = f"sqlite:///{tmp_path}/mlflow.db"
    server = start_mlflow_server(backend, tmp_path, port)
    try:
        experiment_id = MlflowClient(uri).create_experiment("journal")
    finally:
        stop_mlflow_server(server)
    folder = tmp_path / "search"
    folder.mkdir()
    key = _writes_while_down(folder, uri, experiment_id)

    server = start_mlflow_server(backend, tmp_path, port)
    cut = JournaledWriter(MlflowClient(uri), uri)
    cut.journal_in(folder)
    send = cut._send
    sent = []

    def send_then_lose_the_store(entry):  # the server goes down for real after the run and two epochs
        result = send(entry)
        sent.append(entry["op"])
        if len(sent) == 3:
            stop_mlflow_server(server)
        return result

    cut._send = send_then_lose_the_store
    assert not cut.replay(force=True)
    assert sent == ["create_run", "log_batch", "log_batch"]
    run_id = json.loads((folder / IDS_FILE).read_text())[key]  # the run's id, kept for the next process
    assert cut.pending == STEPS - 1  # the other four epochs and the run's end, in order
    left = [json.loads(line) for line in (folder / JOURNAL_FILE).read_text().splitlines()]
    assert [e["op"] for e in left] == ["log_batch"] * (STEPS - 2) + ["set_terminated"]
    assert [e["metrics"][0][3] for e in left[:-1]] == list(range(2, STEPS))

    server = start_mlflow_server(backend, tmp_path, port)
    try:
        again = JournaledWriter(MlflowClient(uri), uri)  # as a resumed search's process opens it
        again.journal_in(folder)
        assert again.replay(force=True)
        assert not (folder / JOURNAL_FILE).exists()
        client = MlflowClient(uri)
        runs = client.search_runs([experiment_id])
        assert [r.info.run_id for r in runs] == [run_id]  # created once, not again by the second replay
        assert runs[0].info.status == "FINISHED"
        history = client.get_metric_history(run_id, "loss")
        assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(STEPS)]
    finally:
        stop_mlflow_server(server)
