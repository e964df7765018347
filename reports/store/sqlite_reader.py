"""A finished search read straight from a SQLite store, without importing MLflow.

`trials` and `report` only read. MLflow's client for a SQLite file is its
SQLAlchemy store, whose import alone (it brings in MLflow's GenAI judges,
gateway and web server) takes seconds before the first row is read. This
reader answers the few calls the read side makes, with MLflow's names and
values: `get_run`, `search_runs` for the filters `reports` write,
`get_metric_history`, `get_experiment`, `get_experiment_by_name`,
`search_experiments` and `download_artifacts`. It reads the tables of
MLflow's schema that have not changed since MLflow 2 (runs, params, tags,
latest_metrics, metrics, experiments) in read-only mode, so it never writes to,
creates or migrates a store; a filter it does not know is an error, not a
guess. `tests/reports/test_sqlite_reader.py` holds it to MLflow's own answers on
a real store.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from reports.store.errors import StoreError


class Metric(NamedTuple):
    key: str
    value: float
    timestamp: int
    step: int


@dataclass
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str


@dataclass
class RunData:
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Run:
    info: RunInfo
    data: RunData


@dataclass
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: str
    tags: dict[str, str]


class MissingRun(LookupError):
    """What `get_run` raises for an id the store does not hold (MLflow raises its MlflowException)."""


# The filters the read side writes: clauses joined by `and`, each a tag or the status equal to a quoted value.
_CLAUSE = re.compile(r"^\s*(?:tags\.`(?P<tag>[^`]+)`|attributes\.(?P<attribute>status))\s*=\s*'(?P<value>[^']*)'\s*$")
_ORDER = re.compile(r"^attributes\.start_time(?:\s+(?P<direction>ASC|DESC))?$", re.IGNORECASE)
_RUN_COLUMNS = "run_uuid, experiment_id, name, status, start_time, end_time, artifact_uri, lifecycle_stage"


def _value(value: float, is_nan: int) -> float:
    return float("nan") if is_nan else float(value)


class SqliteReader:
    """Read-only answers from the MLflow store in the SQLite file at `path`, as `MlflowClient`'s."""

    def __init__(self, path: Path, tracking_uri: str):
        self.tracking_uri = tracking_uri
        self._db = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, check_same_thread=False)
        try:
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is not an SQLite database ({exc}).") from None
        missing = {"runs", "params", "tags", "latest_metrics", "metrics", "experiments"} - tables
        if missing:
            raise StoreError(f"{path} is not an MLflow store: it has no {', '.join(sorted(missing))} table.")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(experiments)")}
        self._workspace = " AND workspace = 'default'" if "workspace" in columns else ""

    def _runs(self, where: str, arguments: tuple, order: str = "") -> list[Run]:
        rows = self._db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE {where} {order}", arguments).fetchall()
        runs = {
            run_id: Run(RunInfo(run_id, str(experiment), name or "", status, start, end, artifacts, stage), RunData())
            for run_id, experiment, name, status, start, end, artifacts, stage in rows
        }
        if not runs:
            return []
        for chunk in _chunks(list(runs)):
            marks = ",".join("?" * len(chunk))
            for run_id, key, value in self._db.execute(
                f"SELECT run_uuid, key, value FROM params WHERE run_uuid IN ({marks})", chunk
            ):
                runs[run_id].data.params[key] = value
            for run_id, key, value in self._db.execute(
                f"SELECT run_uuid, key, value FROM tags WHERE run_uuid IN ({marks})", chunk
            ):
                runs[run_id].data.tags[key] = value
            for run_id, key, value, is_nan in self._db.execute(
                f"SELECT run_uuid, key, value, is_nan FROM latest_metrics WHERE run_uuid IN ({marks})", chunk
            ):
                runs[run_id].data.metrics[key] = _value(value, is_nan)
        return list(runs.values())

    def get_run(self, run_id: str) -> Run:
        found = self._runs("run_uuid = ?", (run_id,))
        if not found:
            raise MissingRun(f"Run '{run_id}' not found")
        return found[0]

    def search_runs(
        self, experiment_ids: list[str], filter_string: str = "", order_by: list[str] | None = None, max_results=None
    ) -> list[Run]:
        """Active runs of the experiments matching `filter_string`, newest first unless `order_by` says
        otherwise, as MLflow orders them (start time, then run id)."""
        where = [f"experiment_id IN ({','.join('?' * len(experiment_ids))})", "lifecycle_stage = 'active'"]
        arguments: list = [int(e) for e in experiment_ids]
        for clause in filter(None, re.split(r"\s+and\s+", filter_string.strip(), flags=re.IGNORECASE)):
            matched = _CLAUSE.match(clause)
            if matched is None:
                raise ValueError(f"the SQLite reader answers tag and status filters only, not {clause!r}")
            if matched["tag"]:
                where.append("run_uuid IN (SELECT run_uuid FROM tags WHERE key = ? AND value = ?)")
                arguments += [matched["tag"], matched["value"]]
            else:
                where.append("status = ?")
                arguments.append(matched["value"])
        direction = "DESC"
        for order in order_by or []:
            ordered = _ORDER.match(order.strip())
            if ordered is None:
                raise ValueError(f"the SQLite reader orders by attributes.start_time only, not {order!r}")
            direction = (ordered["direction"] or "ASC").upper()
        limit = f" LIMIT {int(max_results)}" if max_results else ""
        return self._runs(" AND ".join(where), tuple(arguments), f"ORDER BY start_time {direction}, run_uuid{limit}")

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        rows = self._db.execute(
            "SELECT key, value, is_nan, timestamp, step FROM metrics WHERE run_uuid = ? AND key = ? "
            "ORDER BY timestamp, step",
            (run_id, key),
        )
        return [Metric(k, _value(value, is_nan), timestamp, step) for k, value, is_nan, timestamp, step in rows]

    def _experiments(self, where: str, arguments: tuple) -> list[Experiment]:
        found = []
        for experiment_id, name, location, stage in self._db.execute(
            "SELECT experiment_id, name, artifact_location, lifecycle_stage FROM experiments "
            f"WHERE {where}{self._workspace} ORDER BY experiment_id",
            arguments,
        ).fetchall():
            tags = dict(
                self._db.execute("SELECT key, value FROM experiment_tags WHERE experiment_id = ?", (experiment_id,))
            )
            found.append(Experiment(str(experiment_id), name, location or "", stage, tags))
        return found

    def get_experiment(self, experiment_id: str) -> Experiment:
        found = self._experiments("experiment_id = ?", (int(experiment_id),))
        if not found:
            raise LookupError(f"No Experiment with id={experiment_id} exists")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        found = self._experiments("name = ?", (name,))
        return found[0] if found else None

    def search_experiments(self) -> list[Experiment]:
        return self._experiments("lifecycle_stage = 'active'", ())

    def download_artifacts(self, run_id: str, path: str, dst_path: str) -> str:
        """A copy of the run's artifact `path` (a file or a folder) under `dst_path`, when the run's artifacts
        are local files; else MLflow's own download, which knows every artifact store."""
        root = _local_path(self.get_run(run_id).info.artifact_uri)
        if root is None:
            from mlflow.tracking import MlflowClient

            return MlflowClient(self.tracking_uri).download_artifacts(run_id, path, dst_path)
        source, target = root / path, Path(dst_path) / path
        if not source.exists():
            raise FileNotFoundError(f"run {run_id} logged no artifact {path!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, target)
        return str(target)


def _local_path(uri: str) -> Path | None:
    """The folder of a `file:` URI or a plain path; None for a remote artifact store (mlflow-artifacts:, s3:)."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(url2pathname(unquote(parsed.path)))
    if parsed.scheme == "" or len(parsed.scheme) == 1:  # a path, or a Windows drive letter
        return Path(uri)
    return None


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    """SQLite bounds the number of ? in a statement: long lists are asked for in parts."""
    return [items[i : i + size] for i in range(0, len(items), size)]
