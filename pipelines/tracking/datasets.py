"""The search's data as MLflow dataset inputs of its run: the UI shows which data a run trained on, and runs on
other data never compare by mistake."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from mlflow.data.numpy_dataset import from_numpy
from mlflow.entities import DatasetInput, InputTag

from pipelines.tracking.tracker import SearchTracker
from reports.store.mlflow_compat import dataset_entity


def log_dataset(tracker: SearchTracker, name: str, source: str, splits: Mapping[str, tuple[Any, Any]]) -> None:
    """Each split as an MLflow dataset input (context = split), so runs on other data never compare by mistake."""
    inputs = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
        for context, (x, y) in splits.items():
            features = x.astype(str) if x.dtype == object else x
            dataset = from_numpy(features, targets=y, source=source, name=name)
            inputs.append(DatasetInput(dataset_entity(dataset), tags=[InputTag("mlflow.data.context", context)]))
    tracker.client.log_inputs(tracker.run, datasets=inputs)
