"""One search, from a validated experiment to a logged best model: open it (or resume it), train, close it.

Order matters: the data and the model family are checked before the first
MLflow call (`pipelines.setup`), so bad input leaves nothing behind in the
tracking store. Training runs in this process (`pipelines.tuners`) or on
worker processes (`pipelines.distributed`); the closing steps
(`pipelines.closing`) read the trials back from the store either way.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path

import keras
import yaml
from rich.console import Console

from pipelines.baselines import model_baseline, model_baseline_inputs, trivial_baseline
from pipelines.closing import SearchResult, close_search, log_baseline
from pipelines.config import Experiment
from pipelines.data import Dataset, load_dataset
from pipelines.distributed.chief import Distribution, run_chief
from pipelines.logs import quiet_libraries
from pipelines.progress import say
from pipelines.seams import HyperModel
from pipelines.search_context import SearchContext
from pipelines.setup import prepare_search, project_name, search_notes, search_settings
from pipelines.tracking.artifact_process import ArtifactProcess
from pipelines.tracking.datasets import log_dataset
from pipelines.tracking.journal import journal_in
from pipelines.tracking.resume import claim_resumed, claim_search, open_tracker
from pipelines.tracking.tracker import SearchTracker, close_orphans
from pipelines.tuners import run_tuner
from reports.store.names import FAILURE_TAG, PROJECT_PARAM


def search_experiment(
    experiment: Experiment,
    console: Console | None = None,
    resume: bool = False,
    tags: dict[str, str] | None = None,
    distribution: Distribution | None = None,
    dataset: Dataset | None = None,
    build_model=None,
) -> SearchResult:
    """Run the search, or with `resume` carry on the experiment's latest unfinished one; on worker processes
    with `distribution`, else in this process. `dataset` is the experiment's data when the caller loaded it
    already (the command line does, before TensorFlow loads, so a data error is told in a second);
    `build_model` the builder of a `family: custom` experiment given from Python.

    The result has no best trial when none finished with a finite score.
    """
    console = console or Console()
    quiet_libraries()
    keras.utils.set_random_seed(experiment.seed)
    if dataset is None:
        dataset = load_dataset(experiment.data, experiment.seed, Path(experiment.source_file).parent)
    experiment, dataset, hypermodel, chosen = prepare_search(experiment, dataset, build_model)
    settings = search_settings(experiment, dataset, hypermodel)
    for note in search_notes(experiment, dataset, chosen):
        say(console, note)
    with contextlib.ExitStack() as claims:  # this process's claim on the search, released when it ends
        tracker, previous = open_tracker(experiment, resume)
        if resume:
            claims.callback(claim_resumed(previous, experiment, settings, tracker.client).release)
        search = _start(experiment, hypermodel, dataset, console, tracker, claims)
        with search.tracker.search_run(
            f"{experiment.tuner.algorithm} search {time.strftime('%Y-%m-%d %H:%M')}",
            _parent_tags(experiment, tags, distribution),
            previous.info.run_id if previous else None,
        ):
            search = _reopen(search, previous) if previous else _open(search, settings, claims)
            tuner = run_chief(search, distribution) if distribution else run_tuner(search)
            result = close_search(search, tuner)
    return result


def _start(
    experiment: Experiment,
    hypermodel: HyperModel,
    dataset: Dataset,
    console: Console,
    tracker: SearchTracker,
    claims: contextlib.ExitStack,
) -> SearchContext:
    """The artifact process (drained however the search ends), and the baselines: the trivial one now, the model
    baseline fitted in the artifact process while the first trial trains."""
    artifacts = ArtifactProcess(tracker.writer, experiment.report.language)
    claims.callback(artifacts.close)
    inputs = model_baseline_inputs(dataset)
    fitting = artifacts.run(model_baseline, *inputs, experiment.seed) if inputs else None
    return SearchContext(
        experiment, hypermodel, dataset, tracker, artifacts, console, trivial=trivial_baseline(dataset), fitting=fitting
    )


def _parent_tags(
    experiment: Experiment, tags: dict[str, str] | None, distribution: Distribution | None
) -> dict[str, str]:
    return {
        "experiment_file": experiment.source_file,
        "family": experiment.family,
        "tuner": experiment.tuner.algorithm,
        "keras_backend": keras.backend.backend(),
        **(tags or {}),
        **({"local_workers": str(distribution.workers)} if distribution else {}),
    }


def _open(search: SearchContext, settings: dict, claims: contextlib.ExitStack) -> SearchContext:
    """A new search in the parent run just created: its KerasTuner folder (claimed: no other process holds a new
    one), its settings, data and search space logged: the search with its project."""
    experiment, tracker = search.experiment, search.tracker
    project = project_name(experiment, tracker.parent_run_id)
    project_dir = Path(experiment.tuner_dir) / project
    claim = claim_search(project_dir)
    assert claim is not None, "a new folder: no other process holds it"
    claims.callback(claim.release)
    journal_in(tracker.writer, experiment, project_dir, search.console)
    tracker.log_params({**settings, PROJECT_PARAM: project})
    log_dataset(tracker, search.dataset.info.name, search.dataset.info.source, search.dataset.records())
    tracker.log_text(
        yaml.safe_dump(search.hypermodel.space.describe(), sort_keys=False, allow_unicode=True), "search_space.yaml"
    )
    log_baseline(tracker, search.trivial_baseline())
    return dataclasses.replace(search, project=project)


def _reopen(search: SearchContext, previous) -> SearchContext:
    """An earlier search carried on in its reopened parent run: the journal it left sent, the trial runs its
    process left RUNNING marked KILLED, its old failure reason dropped: the search with its project."""
    experiment, tracker = search.experiment, search.tracker
    project = previous.data.params[PROJECT_PARAM]
    journal_in(tracker.writer, experiment, Path(experiment.tuner_dir) / project, search.console)
    orphans = close_orphans(tracker.client, tracker.parent_run_id)
    tracker.delete_tag(FAILURE_TAG)  # the reason an earlier attempt at this search ended no longer holds
    search.console.print(
        f"resuming parent run {tracker.parent_run_id}"
        + (f"; {len(orphans)} trial runs left RUNNING were marked KILLED" if orphans else "")
    )
    return dataclasses.replace(search, project=project)
