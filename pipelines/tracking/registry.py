"""The model registry: a search's best model becomes a new version, and the champion, only when it beats the
champion's score, so the alias always names the best model a search of the experiment found."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pipelines.tracking.tracker import SearchTracker
from reports.store.names import CHAMPION_ALIAS, OBJECTIVE_PARAM, objective_metric, read_metric
from reports.store.objectives import improves
from reports.store.opening import mlflow_helpers_on
from reports.store.trials import champion_version

MODEL_VERSIONS_TAG = "mlflow.modelVersions"  # on a logged model: the registered versions made from it (MLflow's key)


def register_champion(
    tracker: SearchTracker,
    registered_name: str,
    model_uri: str,
    score: float,
    direction: str,
    description: str = "",
    tags: Mapping[str, str] | None = None,
) -> str:
    """Register the logged model `model_uri` (`models:/<id>`, of the tracker's open run) as a new version only when
    `score` beats the current champion's `best_score`; the `champion` alias then moves to it. Returns what
    happened, in a sentence.

    As MLflow's `register_model` does, without its prints to stderr: the version's source is the logged
    model's URI and names its id, and the logged model lists the version in its `mlflow.modelVersions` tag,
    which is what links the two in the UI. The registry resolves a `models:/` source on MLflow's
    process-global URI, set around the call.
    """
    client = tracker.client
    champion = champion_version(client, registered_name)
    if champion is not None:
        held_by = client.get_run(champion.run_id).data
        held = read_metric(
            held_by.metrics, objective_metric(held_by.params.get(OBJECTIVE_PARAM, "val_accuracy")), best=True
        )
        if held is not None and not improves(score, held, direction):
            return (
                f"not registered: version {champion.version} of {registered_name!r} scored {held:.4g}, and "
                f"this search {score:.4g}; it stays the {CHAMPION_ALIAS}"
            )
    if not client.search_registered_models(f"name = '{registered_name}'"):
        client.create_registered_model(registered_name)
    model_id = model_uri.removeprefix("models:/")
    with mlflow_helpers_on(tracker.tracking_uri):
        version = client.create_model_version(
            registered_name,
            model_uri,
            run_id=tracker.writer.run_id(tracker.run),
            tags=dict(tags or {}),
            description=description,
            model_id=model_id,
        )
    listed = json.loads(client.get_logged_model(model_id).tags.get(MODEL_VERSIONS_TAG, "[]"))
    client.set_logged_model_tags(
        model_id,
        {MODEL_VERSIONS_TAG: json.dumps([*listed, {"name": registered_name, "version": str(version.version)}])},
    )
    client.set_registered_model_alias(registered_name, CHAMPION_ALIAS, version.version)
    return f"registered as version {version.version} of {registered_name!r}, now its {CHAMPION_ALIAS}"
