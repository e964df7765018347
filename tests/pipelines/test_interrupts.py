"""A Ctrl-C whose KeyboardInterrupt some library swallows is raised again at the next check; one that comes
during a write to the store waits for the write."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import time

import pytest

from pipelines import interrupts


@contextlib.contextmanager
def installed():
    """The runner's handlers for this test, and pytest's back afterwards."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    interrupts.install()
    try:
        yield
    finally:
        interrupts.requested = None
        signal.signal(signal.SIGINT, before[0])
        signal.signal(signal.SIGTERM, before[1])


def test_a_swallowed_interrupt_is_raised_again_at_the_next_check():
    with installed():
        interrupts.check()  # no signal yet: nothing happens
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except:  # noqa: E722  (what a library that catches everything does)
            pass
        with pytest.raises(KeyboardInterrupt, match="signal 2"):
            interrupts.check()


def test_a_signal_during_a_store_write_is_raised_once_the_write_is_done_and_leaves_sqlite_unlocked(tmp_path):
    """Raised inside SQLAlchemy's execution of a statement, a KeyboardInterrupt left SQLite's write lock taken by
    a half-closed connection, and the search's own later writes waited on it."""
    import sqlalchemy
    from mlflow.tracking import MlflowClient

    from pipelines.tracking.journal import JournaledWriter
    from reports.store.opening import open_store

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = open_store(uri)
    run = client.create_run(client.create_experiment("signals")).info.run_id
    writer = JournaledWriter(client, uri)
    engine = client._tracking_client.store.engine
    signals = []

    def signal_inside_a_statement(*args):  # as Ctrl-C does when it lands while SQLAlchemy runs an INSERT
        if not signals:
            signals.append(signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)

    sqlalchemy.event.listen(engine, "after_cursor_execute", signal_inside_a_statement)
    with installed(), pytest.raises(KeyboardInterrupt, match="signal 2"):
        writer.log_metric_points(run, [("per_epoch/loss", 0.5, 0)])
    sqlalchemy.event.remove(engine, "after_cursor_execute", signal_inside_a_statement)
    assert signals
    history = MlflowClient(uri).get_metric_history(run, "per_epoch/loss")
    assert [m.value for m in history] == [0.5]  # the write was done before the interrupt was raised
    with sqlite3.connect(tmp_path / "mlflow.db", timeout=0) as db:  # and nothing holds the write lock
        db.execute("UPDATE runs SET name = 'free' WHERE run_uuid = ?", (run,))
