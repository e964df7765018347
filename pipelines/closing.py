"""Closing a search once its trials are done: the baselines fitted meanwhile, the best trial's model logged,
compared with the baselines and registered, the parent run's description, and the report.

The closing steps read the trials back from the store, so they are the same for a search trained here, on
local worker processes, or resumed after a kill.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pandas as pd
from rich.console import Console

from pipelines.baselines import Baseline, Comparison, compare
from pipelines.config import Experiment
from pipelines.data import Dataset
from pipelines.data.encoding import raw_example
from pipelines.ensemble import Ensemble
from pipelines.ensemble_step import logged_ensemble
from pipelines.kerastuner_compat import checkpoint_path
from pipelines.progress import say
from pipelines.seams import Trial, Tuner
from pipelines.search_context import SearchContext
from pipelines.tracking.artifact_process import ArtifactProcess
from pipelines.tracking.history import learning_curves
from pipelines.tracking.journal import send_journal
from pipelines.tracking.packaging import load_keras, save_keras, save_package
from pipelines.tracking.recorder import predict
from pipelines.tracking.registry import register_champion
from pipelines.tracking.tracker import SearchTracker
from pipelines.tuners import active_values
from reports import figures
from reports.build import build_report, overview_arguments
from reports.source import SearchRecord, ensemble_outcome, kept_importance
from reports.store.names import (
    BASELINE_PARAM_PREFIX,
    BEATS_BASELINE_TAG,
    BEST_BASELINE_PARAM,
    BEST_PARAM_PREFIX,
    BEST_RUN_PARAM,
    BEST_TRIAL_PARAM,
    BEST_TRIAL_TAG,
    ENSEMBLE_BEST_TRIAL,
    ENSEMBLE_WEIGHTS_PARAM,
    IMPORTANCE_FILE,
    NOTE_TAG,
    OBJECTIVE_METRIC,
    TEST_METRICS,
    baseline_metric,
    gain_metrics,
    metric_label,
    objective_metric,
    on_validation,
)
from reports.store.trials import PRUNED, best_finished, children, trials_frame
from reports.verdict import capitalized, ensemble_name
from search_spaces.ensemble_model import ensemble_model

NO_FINISHED_TRIAL = "NoFinishedTrial: no trial finished with a finite score"  # the failure reason of such a search


@dataclasses.dataclass(frozen=True)
class SearchResult:
    experiment: Experiment
    parent_run_id: str
    trials: pd.DataFrame
    best_trial_id: str | None
    best_score: float | None
    best_model_uri: str | None
    best_model_path: Path | None
    report_path: Path
    baseline: Comparison | None = None  # the best model against the baseline to beat, on the test split
    registration: str = ""  # what became of the best model in the model registry, in a sentence
    ensemble: str | None = None  # what became of the ensemble of the best trials, in a sentence


class BestModel(NamedTuple):
    uri: str
    path: Path
    comparison: Comparison  # against the baseline to beat
    registration: str


def close_search(search: SearchContext, tuner: Tuner) -> SearchResult:
    """The closing steps, in the parent run: they wait only for what they read (the journal sent, the baseline
    fitted, the best trial's files), and a search in which no trial finished ends FAILED with its report."""
    experiment, tracker, artifacts = search.experiment, search.tracker, search.artifacts
    say(search.console, "Trials done: logging the best model, comparing it with the baselines, writing the report.")
    send_journal(tracker.writer, experiment, search.console)
    baselines = [search.trivial_baseline(), *fitted_baselines(artifacts, search.fitting, search.console)]
    for baseline in baselines[1:]:
        log_baseline(tracker, baseline)
    # The one read of the trials: from here on only the parent run changes, and it is read again for the report.
    trials = trials_frame(tracker.client, tracker.parent_run_id, experiment.direction)
    record = SearchRecord(experiment.name, tracker.client.get_run(tracker.parent_run_id), trials, tracker.client)
    overview = _overview_aside(search, record)
    best = best_finished(trials)
    logged = None
    if best is not None:
        ensemble = logged_ensemble(search, tuner, trials, best) if experiment.ensemble else None
        kept = ensemble if ensemble is not None and ensemble.beats_best_trial else None
        logged = _log_best(tracker, tuner, best, experiment, search.dataset, baselines, kept)
        tracker.set_tag(NOTE_TAG, _description(experiment, trials, best, logged.comparison, logged.registration))
    # The last trial's files are still being written: the report waits for a trial's files when it reads them.
    record = dataclasses.replace(
        record,
        parent=tracker.client.get_run(tracker.parent_run_id),
        finishing=True,
        wait_for_files=lambda run_id: artifacts.log_ready(wait_for={run_id}),
    )
    report = build_report(record, Path(tuner.project_dir) / "report.pdf", overview, experiment.report.language)
    tracker.log_files(report)
    importance = kept_importance(record)
    if importance is not None:
        tracker.log_table(importance.rename_axis("hyperparameter").reset_index(), IMPORTANCE_FILE)
    artifacts.close()
    tracker.log_table(trials, "trials.csv")
    if best is None or logged is None:
        tracker.end_failed(NO_FINISHED_TRIAL)
        return SearchResult(experiment, tracker.parent_run_id, trials, None, None, None, None, report)
    return SearchResult(
        experiment,
        tracker.parent_run_id,
        trials,
        best["trial_id"],
        float(best[OBJECTIVE_METRIC]),
        logged.uri,
        logged.path,
        report,
        logged.comparison,
        logged.registration,
        ensemble_outcome(tracker.client.get_run(tracker.parent_run_id)),
    )


def _overview_aside(search: SearchContext, record: SearchRecord) -> Callable[[], bytes] | None:
    """The report's largest figure, the search at a glance, handed to the artifact process now (after the last
    trial's files) and read when the report reaches it: the best model is logged and the report's other
    sections are built meanwhile. None, for the report to draw it, when no trial finished or no worker runs."""
    if not (search.artifacts.started and record.trials["status"].eq("FINISHED").any()):
        return None
    job = search.artifacts.run(figures.overview_png, search.experiment.report.language, *overview_arguments(record))
    return lambda: search.artifacts.result(job)


BEST_NAME = "best: "  # starts the best trial's run name, so the runs table shows it without a search


def _mark_best(tracker: SearchTracker, run_id: str) -> None:
    """Tag and name the best trial's run (and no other: a resumed search may have found a better one), and show its
    learning curves on the parent, whose row stands for the search in MLflow's charts while its trials are folded
    under it."""
    client = tracker.client
    for run in children(client, tracker.parent_run_id, f"tags.`{BEST_TRIAL_TAG}` = 'true'"):
        client.delete_tag(run.info.run_id, BEST_TRIAL_TAG)
        client.update_run(run.info.run_id, name=run.info.run_name.removeprefix(BEST_NAME))
    best = client.get_run(run_id)
    client.set_tag(run_id, BEST_TRIAL_TAG, "true")
    client.update_run(run_id, name=BEST_NAME + best.info.run_name)
    tracker.log_curves(learning_curves(client, best))


def _test_scores(best: pd.Series) -> str:
    """The best trial's test scores in words: test accuracy 0.9861."""
    return ", ".join(f"{metric_label(m)} {best[m]:.4g}" for m in TEST_METRICS if m in best and best[m] == best[m])


def _description(
    experiment: Experiment, trials: pd.DataFrame, best: pd.Series, comparison: Comparison, registration: str
) -> str:
    """The parent run's description in the MLflow UI: what was searched and what came of it, in markdown."""
    counts = trials["status"].value_counts()
    tests = _test_scores(best)
    return "\n\n".join(
        [
            f"**{experiment.tuner.algorithm} search** of `{experiment.name}` ({experiment.family} on "
            f"{experiment.data.source}): {len(trials)} trial runs, {counts.get('FINISHED', 0)} finished, "
            + (f"{counts[PRUNED]} pruned, " if counts.get(PRUNED) else "")
            + f"{counts.get('FAILED', 0)} failed.",
            f"Best: **trial {best['trial_id']}**, {experiment.objective} {best[OBJECTIVE_METRIC]:.4g}, {tests} (run "
            f"`{best['run_id']}`).",
            f"Baseline: {comparison.sentence()}.",
            f"Model: {registration}.",
        ]
    )


def log_baseline(tracker: SearchTracker, baseline: Baseline) -> None:
    """A baseline's name as a param of the parent run, its test and validation scores as metrics."""
    tracker.log_params({BASELINE_PARAM_PREFIX + baseline.key: baseline.name})
    tracker.log_metrics(
        {
            baseline_metric(baseline.key, baseline.metric): baseline.value,
            baseline_metric(baseline.key, on_validation(baseline.metric)): baseline.validation,
        }
    )


def fitted_baselines(artifacts: ArtifactProcess, fitting, console: Console) -> list[Baseline]:
    """The model baseline the worker fitted, if any: one that fails costs the baseline, not the search."""
    if fitting is None:
        return []
    try:
        return [artifacts.result(fitting)]
    except Exception as exc:
        console.print(
            f"[yellow]The scikit-learn baseline could not be fitted ({str(exc).splitlines()[0][:200]}); "
            "the best model is compared with the trivial baseline only.[/]"
        )
        return []


def _best_model(tuner: Tuner, trial: Trial, run_id: str, experiment: Experiment, dataset: Dataset):
    """The best trial's model and its test predictions: kept in memory when this process trained it, else built
    from its checkpoint (an earlier process, a local worker), else its logged model (a worker elsewhere)."""
    kept = tuner.best_so_far
    if kept and kept.trial_id == trial.trial_id:
        return kept.model, kept.test_predictions
    if Path(checkpoint_path(tuner, trial.trial_id)).is_file():
        model = tuner.load_model(trial)
    else:
        model = load_keras(f"runs:/{run_id}/model", experiment.tracking_uri)
    return model, predict(model, dataset.x_test)


def _champion(tuner: Tuner, best: pd.Series, experiment: Experiment, dataset: Dataset, ensemble: Ensemble | None):
    """The model the search hands on, its test predictions and the params it is logged with: the best trial's,
    or the ensemble's when it beat the best trial on validation."""
    if ensemble is None:
        trial = tuner.oracle.get_trial(best["trial_id"])
        model, test_predictions = _best_model(tuner, trial, best["run_id"], experiment, dataset)
        return model, test_predictions, tuner.hypermodel.space.as_typed(active_values(trial.hyperparameters))
    weights = ensemble.selection.weights
    members = {
        trial: _best_model(tuner, tuner.oracle.get_trial(trial), ensemble.runs[trial], experiment, dataset)[0]
        for trial in weights
    }
    return ensemble_model(members, weights), ensemble.test_predictions, {ENSEMBLE_WEIGHTS_PARAM: json.dumps(weights)}


def _log_best(
    tracker: SearchTracker,
    tuner: Tuner,
    best: pd.Series,
    experiment: Experiment,
    dataset: Dataset,
    baselines: list[Baseline],
    ensemble: Ensemble | None = None,
) -> BestModel:
    """Log the best model (the best trial's, or the ensemble that beat it) on the parent run, compare it with
    each baseline, and register it."""
    model, test_predictions, params = _champion(tuner, best, experiment, dataset, ensemble)
    # Named apart from the trials' own params, so the parent never reads as a duplicate of its best trial.
    tracker.log_params(
        {
            BEST_TRIAL_PARAM: best["trial_id"],
            BEST_RUN_PARAM: best["run_id"],
            **({BEST_PARAM_PREFIX + k: v for k, v in params.items()} if ensemble is None else {}),
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        package = save_package(model, dataset.info.encoding, Path(tmp) / "best_model", raw_example(dataset))
        uri = tracker.log_model("best_model", package, params)
    assert uri is not None, "the journal was sent before the closing steps, so the store took the model"
    # Under the trials' own names, so the parent's row and charts show the search's outcome beside its trials.
    outcome = (
        best
        if ensemble is None
        else pd.Series({"trial_id": "ensemble", OBJECTIVE_METRIC: ensemble.objective_value, **ensemble.test})
    )
    tracker.log_metrics(
        {
            objective_metric(experiment.objective): outcome[OBJECTIVE_METRIC],
            **{k: outcome.get(k) for k in TEST_METRICS},
        },
        model_uri=uri,
    )
    path = save_keras(model, dataset.info.encoding, Path(tuner.project_dir) / "best_model.keras")
    comparisons = {b.key: compare(b, dataset.y_test, test_predictions) for b in baselines}
    to_beat = _log_comparisons(tracker, baselines, comparisons)
    if ensemble is not None:  # and what the best trial alone would have scored against the baseline to beat
        alone = compare(to_beat, dataset.y_test, ensemble.best_trial_predictions)
        gain, error = gain_metrics(to_beat.key)
        tracker.log_metrics({ENSEMBLE_BEST_TRIAL + gain: alone.gain, ENSEMBLE_BEST_TRIAL + error: alone.standard_error})
    _mark_best(tracker, best["run_id"])
    what = f"Trial {best['trial_id']}" if ensemble is None else capitalized(ensemble_name(ensemble.selection.weights))
    registration = _register(
        tracker, experiment, what, outcome, uri, comparisons[to_beat.key], comparisons[baselines[0].key]
    )
    return BestModel(uri, path, comparisons[to_beat.key], registration)


def _log_comparisons(tracker: SearchTracker, baselines: list[Baseline], comparisons: dict[str, Comparison]) -> Baseline:
    """The best model's gain over each baseline; the baseline to beat (the better one on validation) is named and
    whether the model beats it is a tag."""
    for key, comparison in comparisons.items():
        gain, error = gain_metrics(key)
        tracker.log_metrics({gain: comparison.gain, error: comparison.standard_error})
    to_beat = baselines[0]
    for baseline in baselines[1:]:
        to_beat = baseline if baseline.better_than(to_beat) else to_beat
    tracker.log_params({BEST_BASELINE_PARAM: to_beat.key})
    tracker.set_tag(BEATS_BASELINE_TAG, str(comparisons[to_beat.key].better).lower())
    return to_beat


def _register(
    tracker: SearchTracker,
    experiment: Experiment,
    what: str,
    best: pd.Series,
    uri: str,
    against: Comparison,
    trivial: Comparison,
) -> str:
    """Register the best model, with a description and tags, only when it beats the trivial baseline (a model no
    better than chance is not worth a version); what became of it, in a sentence."""
    if not trivial.better:
        return f"not registered: no better than {trivial.baseline.name} ({trivial.numbers()})"
    about = (
        f"{what} of the {experiment.tuner.algorithm} search of {experiment.name!r} (parent run "
        f"{tracker.parent_run_id}): {experiment.objective} {best[OBJECTIVE_METRIC]:.4g} "
        f"({'higher' if experiment.direction == 'max' else 'lower'} is better), {_test_scores(best)}. "
        f"{capitalized(against.sentence())}."
    )
    return register_champion(
        tracker,
        experiment.name,
        uri,
        float(best[OBJECTIVE_METRIC]),
        experiment.direction,
        about,
        {
            "trial_id": best["trial_id"],
            "objective": experiment.objective,
            "parent_run_id": tracker.parent_run_id,
            BEATS_BASELINE_TAG: str(against.better).lower(),
        },
    )
