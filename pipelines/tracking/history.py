"""A trial's learning curves read back from the store: a Hyperband trial that trains on from an earlier trial's
weights carries on that trial's curves, and the search run shows its best trial's."""

from __future__ import annotations

from pipelines.tracking.tracker import SearchTracker
from reports.store.names import EPOCH_METRICS_TAG, PER_EPOCH, TRIAL_ID_TAG
from reports.store.trials import children, metric_points


def learning_curves(client, run) -> dict[str, list[tuple[int, float]]]:
    """A trial run's learning curves: (epoch, value) points of each per-epoch metric, in order."""
    curves = {}
    for key in filter(None, run.data.tags.get(EPOCH_METRICS_TAG, "").split(",")):
        points = metric_points(client, run.info.run_id, PER_EPOCH + key)
        if points:
            curves[key] = points
    return curves


def copy_history(tracker: SearchTracker, trial_id: str, before_step: int) -> dict[str, list[tuple[int, float]]]:
    """Log an earlier trial's curves, up to `before_step`, into the open trial run and return them.

    A Hyperband trial trains on from an earlier trial's weights, with epoch
    numbers that continue; copying the earlier epochs keeps its curves whole.
    """
    if tracker.writer.offline:
        return {}
    earlier = children(
        tracker.client,
        tracker.parent_run_id,
        f"tags.`{TRIAL_ID_TAG}` = '{trial_id}' and attributes.status = 'FINISHED'",
    )
    if not earlier:
        return {}
    curves = {
        key: [(step, value) for step, value in points if step < before_step]
        for key, points in learning_curves(tracker.client, earlier[0]).items()
    }
    curves = {key: points for key, points in curves.items() if points}
    tracker.log_params({"continues_trial": trial_id, "continues_run_id": earlier[0].info.run_id})
    tracker.log_curves(curves)
    return curves
