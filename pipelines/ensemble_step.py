"""The closing step that chooses an ensemble of the best finished trials from the predictions they logged (no
retraining, also for trials a worker trained elsewhere), logs its weights and scores on the parent run, and says
whether it is kept as the search's model: only when it beats the best trial on validation and every member's
weights can be read here.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException

from pipelines.config import Experiment
from pipelines.ensemble import LIBRARY_SIZE, PREDICTIONS_FILE, Ensemble, choose_ensemble, read_predictions
from pipelines.kerastuner_compat import checkpoint_path
from pipelines.seams import Tuner
from pipelines.search_context import SearchContext
from pipelines.tracking.tracker import SearchTracker
from reports.store import names
from reports.store.trials import PRUNED
from reports.verdict import NOT_KEPT
from reports.words import logged


def _weights_here(experiment: Experiment, tuner: Tuner, trial_id: str) -> bool:
    """Whether a trial's weights can be read here: its logged model, or its checkpoint in this machine's folder."""
    return experiment.log_trial_models or Path(checkpoint_path(tuner, trial_id)).is_file()


def _logged_predictions(tracker: SearchTracker, trials: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The validation and test predictions each of `trials` logged, by trial id; a trial without them is left
    out (logged by an earlier version of the runner)."""
    library = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in trials.itertuples():
            try:
                path = tracker.client.download_artifacts(row.run_id, PREDICTIONS_FILE, f"{tmp}/{row.trial_id}")
            except (MlflowException, OSError):
                continue
            library[str(row.trial_id)] = read_predictions(path)
    return library


def logged_ensemble(search: SearchContext, tuner: Tuner, trials: pd.DataFrame, best: pd.Series) -> Ensemble | None:
    """The ensemble of the best finished trials, chosen from the predictions they logged, and its scores and
    weights logged on the parent run; None when fewer than two trials finished or selection kept one alone."""
    experiment, tracker, data = search.experiment, search.tracker, search.dataset
    finished = trials[trials["status"].isin(["FINISHED", PRUNED]) & trials[names.OBJECTIVE_METRIC].notna()]
    library = _logged_predictions(tracker, finished.head(LIBRARY_SIZE))
    if str(best["trial_id"]) not in library or len(library) < 2:
        return None
    assert experiment.ensemble is not None
    classes = data.info.num_classes is not None
    best_validation = tracker.client.get_run(best["run_id"]).data.metrics
    ensemble = choose_ensemble(
        library,
        str(best["trial_id"]),
        best_validation,
        data.y_val,
        data.y_test,
        classes,
        experiment.objective,
        experiment.ensemble.size,
    )
    if ensemble is None:
        tracker.set_tag(names.ENSEMBLE_TAG, logged("logged.one_trial_alone"))
        return None
    run_of = dict(zip(finished["trial_id"].astype(str), finished["run_id"], strict=True))
    ensemble = ensemble._replace(runs={trial: run_of[trial] for trial in ensemble.selection.weights})
    tracker.log_params({names.ENSEMBLE_WEIGHTS_PARAM: json.dumps(ensemble.selection.weights)})
    measure = names.validation_measure(experiment.objective, classes)
    tracker.log_metrics(
        {
            **{names.ENSEMBLE + k: v for k, v in {**ensemble.validation, **ensemble.test}.items()},
            **{names.ENSEMBLE_BEST_TRIAL + m: best_validation.get(m) for m in (measure, *names.EVIDENCE_LOSSES)},
            names.ENSEMBLE_GAIN: ensemble.gain,
            names.ENSEMBLE_GAIN + "_se": ensemble.standard_error,
        }
    )
    # A member trained by a worker elsewhere, without its model logged, has no weights here to build it from.
    missing = [t for t in ensemble.selection.weights if not _weights_here(experiment, tuner, t)]
    if not ensemble.beats_best_trial:
        how = NOT_KEPT + logged("logged.no_better", trial=best["trial_id"])
    elif missing:
        how = NOT_KEPT + logged("logged.weights_missing", trials=", ".join(missing))
        ensemble = ensemble._replace(beats_best_trial=False)
    else:
        how = "kept"
    tracker.set_tag(names.ENSEMBLE_TAG, how)
    return ensemble
