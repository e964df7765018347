"""Opening the MLflow store, once per process, for the side that writes and the side that reads.

A store is opened once per process. MLflow migrates a fresh SQLite
database the first time a process touches it, with no lock between
processes: several searches started at once on a new store each run the
migration and leave the database half-migrated for good. Here the first
opening in each process holds a lock file beside the database, so exactly one
process creates the tables and the others wait, then find them; the tables
are made in a file beside the database and renamed into place
(`reports/store/migrations.py`), so a kill meanwhile leaves no half-made store.
Readers never create a store: a report on a store that is not there says so.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import filelock

if TYPE_CHECKING:  # MLflow and pandas load on first use: validating an experiment file reads these names only
    from mlflow.tracking import MlflowClient

from reports.store.errors import StoreError
from reports.store.migrations import ensure_complete
from reports.store.names import EXPERIMENT_KIND_TAG, MODEL_TRAINING

LOCK_TIMEOUT_S = 600  # migrating a new store takes seconds; a lock held this long belongs to a hung process
_opened: dict[str, MlflowClient] = {}


def sqlite_path(tracking_uri: str) -> Path | None:
    """The database file of a `sqlite:///` URI (relative to the working directory), else None."""
    prefix = "sqlite:///"
    return Path(tracking_uri[len(prefix) :]) if tracking_uri.startswith(prefix) else None


def open_store(tracking_uri: str, create: bool = True) -> MlflowClient:
    """A client on the store at `tracking_uri`, its tables created and migrated first if it is new.

    With `create=False` (readers, `--resume`), a SQLite file that does not
    exist is an error instead of a new, empty store left behind.
    """
    if tracking_uri in _opened:
        return _opened[tracking_uri]
    path = sqlite_path(tracking_uri)
    if path is not None and not create and not path.is_file():
        raise StoreError(
            f"no MLflow store at {tracking_uri} ({path.resolve()} does not exist). "
            "Run a search first, or pass --tracking-uri of the store that holds it."
        )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    if path is None:
        client = _client(tracking_uri)
    else:
        with filelock.FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_S):
            client = ensure_complete(path, _client)
    _opened[tracking_uri] = client
    return client


def open_reader(tracking_uri: str):
    """A reader of the store at `tracking_uri` for the read side (reports, trials tables): for a SQLite file, the
    `SqliteReader`, which answers without importing MLflow; else MLflow's client. It never creates a store."""
    path = sqlite_path(tracking_uri)
    if path is None or tracking_uri in _opened:
        return open_store(tracking_uri, create=False)
    if not path.is_file():
        open_store(tracking_uri, create=False)  # says there is no store there
    from reports.store.sqlite_reader import SqliteReader

    return SqliteReader(path, tracking_uri)


def store_misses() -> tuple[type[Exception], ...]:
    """What reading a run or a file the store does not hold raises: the SQLite reader's LookupError or OSError,
    or MLflow's exception. It is asked for as the miss happens, so MLflow's is named only once MLflow is loaded
    (before, it cannot have raised one)."""
    mlflow_exceptions = sys.modules.get("mlflow.exceptions")
    return (LookupError, OSError, *((mlflow_exceptions.MlflowException,) if mlflow_exceptions else ()))


def _client(tracking_uri: str) -> MlflowClient:
    """A client whose first calls create and migrate the tracking store's and the model registry's tables."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    client.search_experiments(max_results=1)
    client.search_registered_models(max_results=1)
    return client


def experiment_id(client: MlflowClient, name: str) -> str:
    """The experiment's id, created first if it is new, and marked as model training so that the MLflow UI opens
    it on its runs (an experiment an older version made is marked when a search reuses it). On a SQLite store its
    artifacts go in `mlruns/` beside the database (MLflow's default is the working directory of whichever
    process creates it)."""
    found = client.get_experiment_by_name(name)
    if found is not None:
        if found.tags.get(EXPERIMENT_KIND_TAG) != MODEL_TRAINING:
            client.set_experiment_tag(found.experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING)
        return found.experiment_id
    path = sqlite_path(client.tracking_uri)
    location = (path.resolve().parent / "mlruns").as_uri() if path is not None else None
    return client.create_experiment(name, artifact_location=location, tags={EXPERIMENT_KIND_TAG: MODEL_TRAINING})


@contextlib.contextmanager
def mlflow_helpers_on(tracking_uri: str):
    """MLflow's model helpers (`mlflow.keras.load_model`, `models:/` and `runs:/` URIs) read a process-global
    tracking URI and take none: it is set only around their calls, and restored after. The store is opened first
    (never created: a helper only reads what a search wrote), so they find its tables complete."""
    import mlflow

    open_store(tracking_uri, create=False)
    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(before)
