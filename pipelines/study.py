"""A study: one experiment file, searched once per value of its sweep, answered in one report.

The study itself is an MLflow run (role "study") that names its searches'
parent runs by tag; the tracker opens it by id, as it opens a search's parent
run, so that each search can still open its own.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import yaml
from rich.console import Console

from pipelines.closing import SearchResult
from pipelines.config import Experiment, StudyConfig, load_experiment
from pipelines.errors import DataError
from pipelines.search import search_experiment
from pipelines.tracking.tracker import SearchTracker
from reports.store.names import ROLE_TAG, STUDY_TAG, SWEEP_TAG
from reports.store.opening import open_store
from reports.study import build_study_report, load_study


@dataclasses.dataclass(frozen=True)
class StudyResult:
    study_run_id: str
    searches: list[SearchResult]
    report_path: Path


def _study(experiment: Experiment) -> StudyConfig:
    """The study section of a study's experiment file (`runner.py study` refuses a file without one)."""
    if experiment.study is None:
        raise DataError(
            f"{experiment.source_file}: no study section; a study file needs one (see the README's Studies)."
        )
    return experiment.study


def _variants(experiment: Experiment) -> list[tuple[str, Experiment]]:
    """(label, experiment) per sweep value; a study without a sweep is one search."""
    sweep = _study(experiment).sweep
    if not sweep:
        return [("", experiment)]
    key, values = next(iter(sweep.items()))
    return [
        (f"{key}={value}", experiment.model_copy(update={"data": experiment.data.model_copy(update={key: value})}))
        for value in values
    ]


def _prepare(experiment: Experiment, console: Console) -> None:
    """Run the study's `prepare` experiment, in the study's store, unless its model is already registered."""
    prepare = _study(experiment).prepare
    assert prepare is not None, "called only when the study prepares a model"
    path = Path(experiment.source_file).parent / prepare
    base = load_experiment(path).model_copy(
        update={"tracking_uri": experiment.tracking_uri, "tuner_dir": experiment.tuner_dir}
    )
    if open_store(experiment.tracking_uri).search_model_versions(f"name='{base.name}'"):
        return
    console.rule(f"preparing {base.name} ({path})")
    if search_experiment(base, console).best_trial_id is None:
        raise DataError(
            f"{experiment.source_file}: study.prepare: {path} finished no trial, so there is no model to "
            "start from. Run it alone to see why."
        )


def _logged_study(experiment: Experiment) -> dict:
    """The study section with expected values as MLflow logs them (frozen_layers `all` is logged as -1)."""
    study = _study(experiment).model_dump()
    space = experiment.space()
    aliases = dict(space.params[study["compare"][0]].aliases)
    study["expect_best"] = [str(aliases.get(value, value)) for value in study["expect_best"]]
    return study


def run_study(experiment: Experiment, console: Console | None = None) -> StudyResult:
    console = console or Console()
    # What the file says is read whole before the store is touched: a bad study section leaves no study run.
    study, variants = _logged_study(experiment), _variants(experiment)
    if study["prepare"]:
        _prepare(experiment, console)
    tracker = SearchTracker.open(experiment.tracking_uri, experiment.name)
    searches = []
    # The tracker's parent run, with its honest end: FAILED with the reason, KILLED on Ctrl-C, never left RUNNING.
    with tracker.search_run("study", {ROLE_TAG: "study", "experiment_file": experiment.source_file}) as run_id:
        tracker.log_text(yaml.safe_dump(study, sort_keys=False, allow_unicode=True), "study.yaml")
        for label, variant in variants:
            if label:
                console.rule(f"{experiment.name}: {label}")
            if "ensemble" not in experiment.model_fields_set:  # a study compares its settings one trial each
                variant = variant.model_copy(update={"ensemble": None})
            searches.append(search_experiment(variant, console, tags={STUDY_TAG: run_id, SWEEP_TAG: label}))
        report = build_study_report(
            load_study(experiment.tracking_uri, run_id),
            Path(experiment.tuner_dir) / f"{run_id}-study.pdf",
            experiment.report.language,
        )
        tracker.log_files(report)
    return StudyResult(run_id, searches, report)
