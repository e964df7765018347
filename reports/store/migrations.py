"""A SQLite store comes into being whole or not at all.

MLflow creates a new database's tables in place: about forty tables, then
its migrations, in two seconds. SQLite's DDL there is not one transaction,
so a process killed in those seconds (Ctrl-C, a closed laptop lid, SIGKILL)
leaves a file that every later opening fails on, with "table ... already
exists". Here a new store is built in a file beside the database and
renamed into place once MLflow has finished with it: the database file
either does not exist or is complete. A half-made file left by an older
version is rebuilt when it holds no runs; when it holds some, it is left
alone and refused with what to do.

Callers hold the store's lock file: one process at a time builds or repairs.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from reports.store.errors import StoreError
from reports.store.mlflow_compat import dispose_engine

Client = TypeVar("Client")

BUILDING_SUFFIX = ".building"  # the new store beside the database, until it is renamed into place


def building_path(path: Path) -> Path:
    return path.with_name(path.name + BUILDING_SUFFIX)


def ensure_complete(path: Path, open_client: Callable[[str], Client]) -> Client:
    """A client on the SQLite store at `path` (via `open_client(uri)`, which builds MLflow's tables), the store
    built atomically first when it is missing or has no tables, and rebuilt when a kill left it half-made."""
    if not _has_tables(path):
        _build(path, open_client)
        return open_client(_uri(path))
    try:
        return open_client(_uri(path))
    except Exception as exc:  # noqa: BLE001 (SQLAlchemy's and MLflow's errors alike: the file decides below)
        runs = _run_count(path)
        if runs:
            raise StoreError(
                f"the MLflow store {path} is damaged ({str(exc).splitlines()[0][:200]}) and holds {runs} run(s), so "
                f"it is left as it is. Move it aside (mv {path} {path}.damaged) and search again to start a new "
                "store."
            ) from None
    _build(path, open_client)  # half-made and empty: nothing is lost by building it anew
    return open_client(_uri(path))


def _uri(path: Path) -> str:
    return f"sqlite:///{path}"


def _build(path: Path, open_client) -> None:
    """MLflow's tables created in a new file beside `path`, then renamed over it in one step."""
    building = building_path(path)
    building.unlink(missing_ok=True)  # what a process killed while building left
    open_client(_uri(building))
    dispose_engine(_uri(building))
    with open(building, "rb+") as f:
        os.fsync(f.fileno())
    dispose_engine(_uri(path))  # a failed opening's connections would go on reading the replaced file
    os.replace(building, path)


def _tables(path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _has_tables(path: Path) -> bool:
    """Whether `path` holds any table: a missing or empty file (SQLite makes one on first connection) is new."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    try:
        return bool(_tables(path))
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"{path} is not an SQLite database ({exc}). Give tracking_uri a new file, or move this one aside."
        ) from None


def _run_count(path: Path) -> int:
    """How many runs a damaged store holds: what building it anew would lose."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return int(db.execute("SELECT count(*) FROM runs").fetchone()[0])
    except sqlite3.OperationalError:  # no runs table: killed before MLflow made it
        return 0
