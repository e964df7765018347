"""Every touch of MLflow beyond its public API, in one place.

Checked on MLflow 3.17.0, 3.17.2 and 3.18.0;
`tests/pipelines/test_compat.py` fails if a release moves either of them, so an
upgrade breaks that test, not a search.
"""

from __future__ import annotations


def dispose_engine(uri: str) -> None:
    """Drop MLflow's pooled SQLAlchemy engine for `uri` (SqlAlchemyStore keeps one per URI in a class-level map),
    so the next opening connects to the file now at that path."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    engine = SqlAlchemyStore._engine_map.pop(uri, None)
    if engine is not None:
        engine.dispose()


def dataset_entity(dataset):
    """An `mlflow.data` dataset as the entity `MlflowClient.log_inputs` takes: the client API has no public
    conversion (fluent `mlflow.log_input` does it, but only on the active run)."""
    return dataset._to_mlflow_entity()
