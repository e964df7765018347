"""Writes to the tracking store that survive the store being down: a journal on disk, replayed in order.

A team's MLflow server can restart or drop off the network in the middle of a
long search. Training must not wait for it, and no result may be lost: a
write that cannot reach the store goes to a journal file in the search's
KerasTuner folder (files to log are copied beside it), every later write
joins the journal so the order stays the same, and the journal is replayed as
soon as the store answers again (probed every few seconds, never per epoch).
Runs created while the store is down get a journal key; the replay creates
them and maps each key to the run id the store hands out, persisting the map
so that a replay cut off half-way carries on where it stopped.

A local SQLite store is never down in this sense and is written directly;
with several worker processes writing it at once, a write that finds the
database locked is tried again for a while instead of failing the trial.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from pipelines.tracking.sending import KEY_PREFIX, send_entry, send_when_unlocked
from reports.store.errors import RunnerError

if TYPE_CHECKING:
    from rich.console import Console

    from pipelines.config import Experiment

JOURNAL_FILE, IDS_FILE, FILES_DIR = "tracking-journal.jsonl", "tracking-journal-ids.json", "tracking-journal-files"
PROBE_EVERY_S = 5.0
STORE_WAIT_S = 120  # how long the closing steps wait for a tracking store that is down


def bound_http_retries(tracking_uri: str) -> None:
    """Settings for a remote store, made before it is opened. MLflow's client retries a failed request for about a
    minute by default, stalling training; here a failed write fails fast (one retry) and goes to the journal
    instead."""
    if not tracking_uri.startswith(("http://", "https://")):
        return
    for name, value in (
        ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1"),
        ("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", "0"),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "20"),
        ("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true"),
    ):  # a line per ended run, amid the progress
        os.environ.setdefault(name, value)


def unreachable(exc: BaseException) -> bool:
    """True for an error that says the store could not be reached, as opposed to one that it refused the write."""
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError)):
        return True
    text = str(exc)
    return isinstance(exc, MlflowException) and any(
        sign in text
        for sign in (
            "Max retries exceeded",
            "Connection refused",
            "Connection aborted",
            "timed out",
            "error code 502",
            "error code 503",
            "error code 504",
        )
    )


class StoreUnreachable(RunnerError):
    """The tracking store stayed unreachable; what was not sent is in the journal."""


class JournaledWriter:
    """The write calls the runner makes, each sent to the store, or to the journal while the store is down."""

    def __init__(self, client: MlflowClient, tracking_uri: str):
        self.client = client
        self.remote = tracking_uri.startswith(("http://", "https://"))
        self.health_url = tracking_uri.rstrip("/") + "/health"
        self.folder: Path | None = None
        self.ids: dict[str, str] = {}
        self._next_probe = 0.0
        self.on_offline = lambda: None  # told once each time the store is lost
        self.on_back = lambda sent: None  # told when a replay has sent the journal

    # -- where the journal lives ------------------------------------------------------------------------
    def journal_in(self, folder: Path) -> None:
        """Keep the journal in `folder` (the search's KerasTuner folder), where a `--resume` finds it again."""
        self.folder = folder
        ids = folder / IDS_FILE
        self.ids = json.loads(ids.read_text()) if ids.is_file() else {}

    @property
    def _kept_in(self) -> Path:
        """The journal's folder; only a writer given one (`journal_in`) ever journals."""
        if self.folder is None:
            raise RuntimeError("no journal folder: call journal_in first")
        return self.folder

    @property
    def _journal(self) -> Path:
        return self._kept_in / JOURNAL_FILE

    @property
    def pending(self) -> int:
        """How many writes wait in the journal."""
        return sum(1 for _ in self._journal.open()) if self.folder and self._journal.is_file() else 0

    @property
    def offline(self) -> bool:
        return self.pending > 0

    def run_id(self, key: str) -> str | None:
        """The store's id of a run, or None for a run the store has not seen yet."""
        return self.ids.get(key) if key.startswith(KEY_PREFIX) else key

    # -- the writes -------------------------------------------------------------------------------------
    def create_run(self, experiment_id: str, run_name: str, tags: dict[str, str]) -> str:
        """A new run's key: its id, or a journal key while the store is down."""
        key = f"{KEY_PREFIX}{time.time_ns()}"
        created = self._write(
            {"op": "create_run", "key": key, "experiment_id": experiment_id, "run_name": run_name, "tags": tags}
        )
        return created or key

    def log_batch(
        self,
        run: str,
        metrics: dict[str, float] | None = None,
        step: int | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> None:
        """Metrics, params and tags in one write; metrics of a logged model (`model_id`) show on it too."""
        self.log_metric_points(run, [(k, v, step or 0) for k, v in (metrics or {}).items()], params, tags, model_id)

    def log_metric_points(
        self,
        run: str,
        points: Sequence[tuple[str, float, int]],
        params: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        model_id: str | None = None,
        stamps: Sequence[int] | None = None,
    ) -> None:
        """Metric values each with its own step (a copied learning curve), params and tags, in one write;
        `stamps`: each point's time in milliseconds, when it is not now (epochs logged a second late)."""
        now = int(time.time() * 1000)
        self._write(
            {
                "op": "log_batch",
                "run": run,
                "metrics": [[k, v, stamps[i] if stamps else now, s] for i, (k, v, s) in enumerate(points)],
                "params": [[k, str(v)] for k, v in (params or {}).items()],
                "tags": [[k, str(v)] for k, v in (tags or {}).items()],
                "model_id": model_id,
            }
        )

    def log_artifacts(self, run: str, local: Path, artifact_path: str | None = None) -> None:
        """A file, or a folder's content under `artifact_path`."""
        self._write({"op": "log_artifacts", "run": run, "local": str(local), "artifact_path": artifact_path})

    def log_model(self, run: str, experiment_id: str, name: str, local: Path, params: dict[str, str]) -> str | None:
        """A model folder as an MLflow logged model whose source is `run`; its id, or None while journaled."""
        return self._write(
            {
                "op": "log_model",
                "run": run,
                "experiment_id": experiment_id,
                "name": name,
                "local": str(local),
                "params": params,
            }
        )

    def set_terminated(self, run: str, status: str) -> None:
        self._write({"op": "set_terminated", "run": run, "status": status})

    # -- sending, journaling, replaying -----------------------------------------------------------------
    def _write(self, entry: dict) -> str | None:
        if self.remote and self.offline and not self.replay():
            self._append(entry)
            return None
        try:
            return send_when_unlocked(self._send, entry)
        except Exception as exc:
            if not (self.remote and self.folder and unreachable(exc)):
                raise
            self._append(entry)
            self.on_offline()
            return None

    def _send(self, entry: dict) -> str | None:
        return send_entry(self.client, entry, self.ids)

    def _append(self, entry: dict) -> None:
        """Add a write to the journal; a file to log is copied in first, since the caller's copy is temporary."""
        if "local" in entry:
            kept = self._kept_in / FILES_DIR / str(time.time_ns())
            source = Path(entry["local"])
            if source.is_dir():
                shutil.copytree(source, kept / source.name)
            else:
                kept.mkdir(parents=True)
                shutil.copy2(source, kept / source.name)
            entry = {**entry, "local": str(kept / source.name)}
        with self._journal.open("a") as journal:
            journal.write(json.dumps(entry) + "\n")

    def _reachable(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def replay(self, force: bool = False) -> bool:
        """Send the journal in order if the store answers (probed at most every few seconds unless `force`).

        True when nothing is left in it. A replay cut off by the store going
        down again keeps the rest, and the run ids it has learnt, for later.
        """
        if not self.offline:
            return True
        now = time.monotonic()
        if not force and now < self._next_probe:
            return False
        self._next_probe = now + PROBE_EVERY_S
        if not self._reachable():
            return False
        journal = self._journal
        entries = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
        for done, entry in enumerate(entries):
            try:
                created = self._send(entry)
            except Exception as exc:
                if not unreachable(exc):
                    raise
                self._rewrite(entries[done:])
                return False
            if created and entry["op"] == "create_run":
                self.ids[entry["key"]] = created
                (self._kept_in / IDS_FILE).write_text(json.dumps(self.ids))
        journal.unlink()
        shutil.rmtree(self._kept_in / FILES_DIR, ignore_errors=True)
        self.on_back(len(entries))
        return True

    def _rewrite(self, entries: list[dict]) -> None:
        journal = self._journal
        temporary = journal.with_suffix(".tmp")
        temporary.write_text("".join(json.dumps(e) + "\n" for e in entries))
        temporary.replace(journal)

    def wait_for_store(self, seconds: float) -> bool:
        """Replay, retrying for up to `seconds`; True when the journal is empty."""
        deadline = time.monotonic() + seconds
        while not self.replay(force=True):
            if time.monotonic() > deadline:
                return False
            time.sleep(PROBE_EVERY_S)
        return True


def journal_in(writer: JournaledWriter, experiment: Experiment, project_dir: Path, console: Console) -> None:
    """Keep what cannot reach the tracking store in a journal in the search's folder; send one left by an
    earlier process first, so the store holds everything before the search carries on."""
    writer.journal_in(project_dir)
    writer.on_offline = lambda: console.print(
        f"[yellow]The tracking store {experiment.tracking_uri} does not answer. Training goes on; what it logs is "
        f"kept in {project_dir / JOURNAL_FILE} and sent, in order, when the store answers again.[/]"
    )
    writer.on_back = lambda sent: console.print(f"The tracking store answers again: {sent} journaled writes sent.")
    send_journal(writer, experiment, console)


def send_journal(writer: JournaledWriter, experiment: Experiment, console: Console) -> None:
    """Everything in the store before the search's closing steps read it back: waits a while for a store that
    is down, then stops with the journal kept for `--resume`."""
    pending = writer.pending
    if not pending:
        return
    console.print(f"Waiting up to {STORE_WAIT_S} s for the tracking store to take {pending} journaled writes.")
    if not writer.wait_for_store(STORE_WAIT_S):
        raise StoreUnreachable(
            f"{experiment.source_file}: the tracking store {experiment.tracking_uri} still does not answer. No "
            f"training result is lost: {writer.pending} writes are kept in "
            f"{writer.folder}/{JOURNAL_FILE}. Once the store is back, `runner.py search "
            f"{experiment.source_file} --resume` sends them and finishes the search (best model, report)."
        )
