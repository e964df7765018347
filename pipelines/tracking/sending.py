"""One write sent to the tracking store, from the form the journal keeps it in (an "op" and its values), so that
a write sent at once and one replayed from the journal are the same MLflow calls."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from mlflow.entities import LoggedModelOutput, LoggedModelStatus, Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from pipelines import interrupts

KEY_PREFIX = "journal-"  # a run created while the store was down is named by a key until the store gives an id
LOCKED_RETRY_S = 120.0  # how long a write waits out other processes holding a SQLite store's lock
log = logging.getLogger(__name__)


def send_when_unlocked(send: Callable[[dict], str | None], entry: dict) -> str | None:
    """Send, retrying while SQLite says another process holds its lock (its own wait is 5 s; a rolled-back
    write is safe to send again)."""
    deadline = time.monotonic() + LOCKED_RETRY_S
    pause = 0.05
    while True:
        try:
            with interrupts.deferred():  # a Ctrl-C inside a statement leaves SQLite locked by this process
                return send(entry)
        except Exception as exc:  # MLflow's wrapper or SQLAlchemy's own error, depending on the call
            if "database is locked" not in str(exc) or time.monotonic() > deadline:
                raise
            log.warning("the SQLite store was locked by another process; the write is sent again in %.2f s", pause)
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


def send_entry(client: MlflowClient, entry: dict, ids: dict[str, str]) -> str | None:
    """One write of the journal's form sent to the store; a run's id for `create_run`, a logged model's for
    `log_model`. A run the journal created has a key that `ids` maps to the id the store gave it."""
    op = entry["op"]
    if op == "create_run":
        run = client.create_run(entry["experiment_id"], run_name=entry["run_name"], tags=entry["tags"])
        return run.info.run_id
    run_id = ids[entry["run"]] if entry["run"].startswith(KEY_PREFIX) else entry["run"]  # created by now
    if op == "log_batch":
        model_id = entry.get("model_id")
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, t, s, model_id=model_id) for k, v, t, s in entry["metrics"]],
            params=[Param(k, v) for k, v in entry["params"]],
            tags=[RunTag(k, v) for k, v in entry["tags"]],
        )
    elif op == "log_artifacts":
        local = Path(entry["local"])
        if local.is_dir():
            client.log_artifacts(run_id, str(local), entry["artifact_path"])
        else:
            client.log_artifact(run_id, str(local), entry["artifact_path"])
    elif op == "log_model":
        model = client.create_logged_model(
            entry["experiment_id"],
            name=entry["name"],
            source_run_id=run_id,
            params=entry["params"],
            model_type="pyfunc",
        )
        client.log_outputs(run_id, [LoggedModelOutput(model.model_id, step=0)])
        client.log_model_artifacts(model.model_id, entry["local"])
        client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
        return model.model_id
    elif op == "set_terminated":
        client.set_terminated(run_id, entry["status"])
    return None
