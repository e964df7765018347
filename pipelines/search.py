"""One search from a validated experiment to a logged best model.

Order matters: the data and the model family are checked before the first
MLflow call, so bad input leaves nothing behind in the tracking store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import re
import time
from pathlib import Path

import keras
import mlflow
import pandas as pd
import yaml
from mlflow.exceptions import MlflowException
from rich.console import Console

from pipelines.config import Experiment
from pipelines.tracking.artifact_process import ArtifactProcess
from pipelines.baselines import Baseline, Comparison, compare, model_baseline, model_baseline_inputs, trivial_baseline
from pipelines.data import Dataset, head, load_dataset
from pipelines.data.core import IMBALANCED_NOTE, balanced_class_weights
from pipelines.defaults import CHOSEN_PARAM, with_data_defaults
from pipelines.distributed.chief import Distribution, run_chief
from pipelines.errors import ConfigError, DataError
from pipelines.tracking.journal import JOURNAL_FILE, StoreUnreachable
from pipelines.logs import quiet_libraries
from pipelines.progress import SearchProgress, say
from pipelines.tracking.recorder import predict
from pipelines.tracking.resume import claim_search, resumable_search
from pipelines.tracking.tracker import SearchTracker, close_orphans
from pipelines.tuners import active_values, experiment_tuner
from reports.analysis import CLASS_WEIGHT_ADVICE
from reports.build import build_report
from reports.source import load_search
from reports.contract.layout import BASELINE_PARAM_PREFIX, BEATS_BASELINE_TAG, BEST_BASELINE_PARAM, BEST_PARAM_PREFIX, BEST_RUN_PARAM, BEST_TRIAL_PARAM, BEST_TRIAL_TAG, DATA_NOTES_PARAM, FAILURE_TAG, NOTE_TAG, OBJECTIVE_METRIC, OBJECTIVE_PARAM, PROJECT_PARAM, PRUNED, SEARCH_SPACE_PREFIX, STOPPED_TAG, TEST_METRICS, baseline_metric, best_finished, children, gain_metrics, metric_label, mlflow_helpers_on, objective_metric, on_validation, open_store, trials_frame
from reports.verdict import capitalized
from search_spaces import FAMILIES, InputShapeError
from search_spaces.custom import BuilderError, CustomHyperModel, DataFacts, load_builder


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


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-") or "experiment"


def load_base_model(experiment: Experiment) -> keras.Model:
    """The trained model a transfer search starts from, read before any run of this search is created."""
    reference = experiment.base_model
    try:
        if reference.startswith(("runs:/", "models:/")):
            open_store(experiment.tracking_uri)
            with mlflow_helpers_on(experiment.tracking_uri):
                return mlflow.keras.load_model(reference)
        path = Path(experiment.source_file).parent / reference
        return keras.saving.load_model(path)
    except (MlflowException, OSError, ValueError) as exc:
        raise DataError(
            f"{experiment.source_file}: base_model: cannot load {reference!r} ({str(exc).splitlines()[0][:200]}). "
            "Give a .keras file (relative to the experiment file), runs:/<run id>/<model name> or "
            "models:/<name>/<version> in the store at tracking_uri."
        ) from None


def build_hypermodel(experiment: Experiment, dataset: Dataset, build_model=None):
    """The experiment's hypermodel for its data: a built-in family, or the user's builder (`build_model`, a
    function given from Python, or the file's `builder`), built once here so a bad one is refused now."""
    info = dataset.info
    if info.task == "regression" and experiment.objective == "val_accuracy":
        raise DataError(f"{experiment.source_file}: objective: val_accuracy needs classes, but {info.name!r} is a "
                        "regression task. Use objective: val_mae or val_loss.")
    if info.task == "classification" and experiment.objective == "val_mae":
        raise DataError(f"{experiment.source_file}: objective: val_mae is for regression, but {info.name!r} has "
                        "classes. Use objective: val_accuracy or val_loss.")
    if info.task == "regression" and experiment.class_weight == "balanced":
        raise DataError(f"{experiment.source_file}: class_weight: balanced weighs classes, but {info.name!r} is a "
                        "regression task. Remove it.")
    if experiment.family == "custom":
        return custom_hypermodel(experiment, dataset, build_model)
    family_cls = FAMILIES[experiment.family]
    extra = {"base_model": load_base_model(experiment)} if experiment.base_model else {}
    overrides = dict(experiment.space_overrides)
    if info.text is not None:
        overrides.setdefault("sequence_length", info.text.default_length())
    try:
        hypermodel = family_cls(info.input_shape, info.num_classes, overrides, preprocess=info.preprocess,
                                vocabulary=info.vocabulary, target_scale=info.target_scale,
                                last_value_index=info.last_value_index if info.forecast_change else None,
                                bag=(info.text.bag_vocabulary, info.text.idf, info.text.bag_scale) if info.text else None,
                                series=experiment.data.source == "timeseries", **extra)
    except InputShapeError as exc:
        raise DataError(
            f"{experiment.source_file}: data {dataset.info.name!r} does not fit family {experiment.family!r}: {exc} "
            "Choose a family that fits the data, or change data.layout."
        ) from None
    if not dataset.streamed and any(n in hypermodel.space.params for n in ("wide", "linear_skip")):
        hypermodel.fit_ridge(dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val)
    if "encoder" in hypermodel.space.params and "bag" in hypermodel.space.values_of("encoder"):
        hypermodel.fit_bag_logistic(dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val)
    return hypermodel


def custom_hypermodel(experiment: Experiment, dataset: Dataset, build_model=None):
    """The user's builder as a hypermodel, built once with default values on two training samples; a builder
    that cannot be used is a ConfigError naming the file, the function, the line and the reason."""
    location = experiment.builder_location()
    if (build_model is None) == (location is None):
        raise ConfigError(f"{experiment.source_file}: family: custom needs one builder: builder: FILE.py:FUNCTION in "
                          "the experiment, or from Python run_search(experiment, build_model=fn)"
                          + (", not both." if location else "."))
    info = dataset.info
    facts = DataFacts(tuple(info.input_shape) if info.vocabulary is None else (), info.num_classes, info.task,
                      info.preprocess, info.vocabulary)
    try:
        function = build_model or load_builder(*location)
        hypermodel = CustomHyperModel(function, facts, experiment.space_overrides)
        hypermodel.check(head(dataset.x_train, 2))
    except BuilderError as exc:
        raise ConfigError(f"{experiment.source_file}: builder: {exc}") from None
    return hypermodel


def prepare_search(experiment: Experiment, dataset: Dataset, build_model=None):
    """What the chief and every worker derive alike from the file and the data: the experiment with the defaults
    the data decides, the data with its notes, the hypermodel, and the sentence saying what was chosen."""
    experiment, chosen = with_data_defaults(experiment, dataset.info.sizes["train"])
    hypermodel = build_hypermodel(experiment, dataset, build_model)
    return experiment, with_text_cut_note(dataset, hypermodel.space), hypermodel, chosen


def with_text_cut_note(dataset: Dataset, space) -> Dataset:
    """The data's notes plus how many texts a fixed sequence_length cuts, where it cuts any."""
    info = dataset.info
    length = space.values_of("sequence_length") if info.text is not None and "sequence_length" in space.specs else None
    note = info.text.cut_note(length[0]) if length and len(length) == 1 else None
    if note is None:
        return dataset
    return dataclasses.replace(dataset, info=dataclasses.replace(info, notes=(*info.notes, note)))


def search_settings(experiment: Experiment, dataset: Dataset, hypermodel) -> dict:
    """What decides which models a search trains: `--resume` refuses to carry on a search if any of it changed,
    and a worker to join one whose experiment differs from its own."""
    info, space = dataset.info, hypermodel.space
    return {
        "family": experiment.family,
        "seed": experiment.seed,
        "class_weight": experiment.class_weight,
        OBJECTIVE_PARAM: experiment.objective,
        **{f"tuner.{k}": v for k, v in experiment.tuner.settings(len(space.searched)).items()},
        **{f"data.{k}": v for k, v in experiment.data.model_dump().items()},
        **{f"data.{k}_size": v for k, v in info.sizes.items()},
        "data.digest": info.digest,
        "data.task": info.task,
        **({DATA_NOTES_PARAM: " | ".join(info.notes)[:6000]} if info.notes else {}),
        **({"base_model": experiment.base_model} if experiment.base_model else {}),
        **({CHOSEN_PARAM: ", ".join(experiment.chosen_for_user)} if experiment.chosen_for_user else {}),
        **({"builder": hypermodel.where, "builder.sha256": hypermodel.digest} if experiment.family == "custom" else {}),
        # Only what can take effect: sgd's momentum is left out of a search without sgd, a regularizer's strength
        # out of one without a regularizer.
        **{SEARCH_SPACE_PREFIX + name: _one_line(spec) for name, spec in space.describe().items()
           if space.reachable(name)},
    }


def _one_line(value) -> str:
    """A YAML value on one line, as a user writes it in the file: 0.9, [adam, sgd], {min: 1, max: 3}."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("...\n").strip()


RESOLVED_SAMPLES = 1000  # from here on, one sample moves val_accuracy by at most 0.001
STORE_WAIT_S = 120  # how long the closing steps wait for a tracking store that is down


class NoFinishedTrial(Exception):
    """Raised inside the parent run, after its report is logged, so the run ends FAILED with this reason."""


def run_tuner(experiment: Experiment, hypermodel, dataset: Dataset, tracker: SearchTracker, project: str, console,
              artifacts: ArtifactProcess):
    """Train the search's trials in this process (a search without workers, or one worker of a search)."""
    tuner_cfg = experiment.tuner
    max_trials = None if tuner_cfg.algorithm == "hyperband" else tuner_cfg.max_trials
    with SearchProgress(console, max_trials, tuner_cfg.epochs, experiment.objective, experiment.direction) as progress:
        tuner = experiment_tuner(experiment, hypermodel, dataset, tracker, project, progress, artifacts)
        # Validation loss, not accuracy: accuracy moves in steps of 1/len(val) and plateaus early.
        callbacks = [keras.callbacks.EarlyStopping("val_loss", patience=tuner_cfg.patience)] if tuner_cfg.patience else []
        fit_args, validation_data = dataset.fit_data()
        weights = {"class_weight": balanced_class_weights(dataset.y_train)} if experiment.class_weight == "balanced" \
            else {}
        # KerasTuner collects garbage before building each model. With TensorFlow, MLflow and matplotlib loaded,
        # a full collection walks about a million long-lived objects (0.5 s each time); frozen, they are skipped
        # and a collection walks only what the trials made.
        gc.freeze()
        try:
            _search_until_done(tuner, tracker, console, *fit_args, validation_data=validation_data,
                               epochs=tuner_cfg.epochs, callbacks=callbacks, verbose=0, **weights)
        except BaseException:
            artifacts.close()  # every finished trial's artifacts logged, also when the search is interrupted
            raise
    return tuner


def _search_until_done(tuner, tracker: SearchTracker, console: Console, *args, **kwargs) -> None:
    """KerasTuner's search; its stop after too many consecutive failed trials is recorded, not raised."""
    try:
        tuner.search(*args, **kwargs)
    except RuntimeError as exc:
        if "consecutive failures" not in str(exc):
            raise
        reason = str(exc).splitlines()[0]
        tracker.set_tag(STOPPED_TAG, reason)
        console.print(f"[yellow]search stopped: {reason}[/]")


def run_search(experiment: Experiment, console: Console | None = None, resume: bool = False,
               tags: dict[str, str] | None = None, distribution: Distribution | None = None,
               dataset: Dataset | None = None, build_model=None) -> SearchResult:
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
    for note in dataset.info.notes:
        say(console, f"Data: {note}.")
    for note in (chosen, class_weight_advice(experiment, dataset), experiment.grid_note(),
                 objective_resolution(experiment.objective, dataset.info.sizes["validation"])):
        if note:
            say(console, note)
    with contextlib.ExitStack() as claims:  # this process's claim on the search, released when it ends
        previous = None
        if resume:
            previous, claim = resumable_search(experiment, settings)
            claims.callback(claim.release)
        return _tracked_search(experiment, dataset, hypermodel, settings, previous, console, tags, claims,
                               distribution)


def class_weight_advice(experiment: Experiment, dataset: Dataset) -> str | None:
    """Where classes are imbalanced and nothing weighs them, what `class_weight: balanced` would do and cost."""
    if experiment.class_weight == "balanced" or not any(n.startswith(IMBALANCED_NOTE) for n in dataset.info.notes):
        return None
    return f"Advice: {CLASS_WEIGHT_ADVICE}."


def objective_resolution(objective: str, validation_samples: int) -> str | None:
    """A warning when the objective can only move in coarse steps: accuracy on n samples moves by 1/n, so
    trials that differ by less than one sample tie, and a search cannot rank them."""
    if objective != "val_accuracy" or validation_samples >= RESOLVED_SAMPLES:
        return None
    return (f"Note: val_accuracy on {validation_samples} validation samples moves in steps of "
            f"1/{validation_samples} = {1 / validation_samples:.4f}; trials within a step of each other tie. "
            "objective: val_loss ranks them more finely.")


def _tracked_search(experiment: Experiment, dataset: Dataset, hypermodel, settings: dict, previous, console,
                    tags: dict[str, str] | None, claims: contextlib.ExitStack,
                    distribution: Distribution | None) -> SearchResult:
    tracker = SearchTracker(experiment.tracking_uri, experiment.name)
    algorithm = experiment.tuner.algorithm
    tags = {"experiment_file": experiment.source_file, "family": experiment.family, "tuner": algorithm,
            "keras_backend": keras.backend.backend(), **(tags or {})}
    if distribution:
        tags["local_workers"] = str(distribution.workers)
    best, comparison = None, None
    trivial = trivial_baseline(dataset)
    artifacts = ArtifactProcess(tracker.writer)
    claims.callback(artifacts.close)  # drained however the search ends
    inputs = model_baseline_inputs(dataset)
    fitting = artifacts.run(model_baseline, *inputs, experiment.seed) if inputs else None  # while trial 0 trains
    try:
        with tracker.search_run(f"{algorithm} search {time.strftime('%Y-%m-%d %H:%M')}", tags, previous and previous.info.run_id) as parent_run_id:
            if previous:
                project = previous.data.params[PROJECT_PARAM]
                journal_in(tracker, experiment, Path(experiment.tuner_dir) / project, console)
                orphans = close_orphans(tracker.client, parent_run_id)
                tracker.delete_tag(FAILURE_TAG)  # the reason an earlier attempt at this search ended no longer holds
                console.print(f"resuming parent run {parent_run_id}"
                              + (f"; {len(orphans)} trial runs left RUNNING were marked KILLED" if orphans else ""))
            else:
                project = f"{_slug(experiment.name)}-{parent_run_id[:8]}"
                project_dir = Path(experiment.tuner_dir) / project
                claims.callback(claim_search(project_dir).release)  # a new folder: no other process holds it
                journal_in(tracker, experiment, project_dir, console)
                tracker.log_params({**settings, PROJECT_PARAM: project})
                tracker.log_dataset(dataset.info.name, dataset.info.source, dataset.records())
                tracker.log_text(yaml.safe_dump(hypermodel.space.describe(), sort_keys=False, allow_unicode=True),
                                 "search_space.yaml")
                _log_baseline(tracker, trivial)
            if distribution:
                tuner = run_chief(experiment, hypermodel, dataset, tracker, project, console, artifacts, distribution)
            else:
                tuner = run_tuner(experiment, hypermodel, dataset, tracker, project, console, artifacts)
            say(console, "Trials done: logging the best model, comparing it with the baselines, writing the report.")
            send_journal(tracker, experiment, console)
            baselines = [trivial, *_fitted(artifacts, fitting, console)]
            for baseline in baselines[1:]:
                _log_baseline(tracker, baseline)
            trials = trials_frame(tracker.client, parent_run_id, experiment.direction)
            best = best_finished(trials)
            if best is not None:
                best_model_uri, best_model_path, comparison, registration = _log_best(
                    tracker, tuner, best, experiment, dataset, project, baselines)
                tracker.set_tag(NOTE_TAG, _description(experiment, trials, best, comparison, registration))
            # The last trial's artifacts are written meanwhile; the report waits only for the best trial's, which it
            # shows.
            artifacts.log_ready(wait_for={best["run_id"]} if best is not None else ())
            record = dataclasses.replace(load_search(experiment.tracking_uri, parent_run_id), finishing=True)
            report = build_report(record, Path(tuner.project_dir) / "report.pdf")
            tracker.log_files(report)
            artifacts.close()
            tracker.log_table(trials_frame(tracker.client, parent_run_id, experiment.direction), "trials.csv")
            if best is None:
                raise NoFinishedTrial("no trial finished with a finite score")
    except NoFinishedTrial:
        return SearchResult(experiment, parent_run_id, trials, None, None, None, None, report)
    return SearchResult(experiment, parent_run_id, trials, best["trial_id"], float(best[OBJECTIVE_METRIC]), best_model_uri,
                        best_model_path, report, comparison, registration)


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
    tracker.log_curves(tracker.curves(best))


def _test_scores(best: pd.Series) -> str:
    """The best trial's test scores in words: test accuracy 0.9861."""
    return ", ".join(f"{metric_label(m)} {best[m]:.4g}" for m in TEST_METRICS if m in best and best[m] == best[m])


def _description(experiment: Experiment, trials: pd.DataFrame, best: pd.Series, comparison: Comparison,
                 registration: str) -> str:
    """The parent run's description in the MLflow UI: what was searched and what came of it, in markdown."""
    counts = trials["status"].value_counts()
    tests = _test_scores(best)
    return "\n\n".join([
        f"**{experiment.tuner.algorithm} search** of `{experiment.name}` ({experiment.family} on "
        f"{experiment.data.source}): {len(trials)} trial runs, {counts.get('FINISHED', 0)} finished, "
        + (f"{counts[PRUNED]} pruned, " if counts.get(PRUNED) else "") + f"{counts.get('FAILED', 0)} failed.",
        f"Best: **trial {best['trial_id']}**, {experiment.objective} {best[OBJECTIVE_METRIC]:.4g}, {tests} (run "
        f"`{best['run_id']}`).",
        f"Baseline: {comparison.sentence()}.",
        f"Model: {registration}.",
    ])


def journal_in(tracker: SearchTracker, experiment: Experiment, project_dir: Path, console: Console) -> None:
    """Keep what cannot reach the tracking store in a journal in the search's folder; send one left by an
    earlier process first, so the store holds everything before the search carries on."""
    writer = tracker.writer
    writer.journal_in(project_dir)
    writer.on_offline = lambda: console.print(
        f"[yellow]The tracking store {experiment.tracking_uri} does not answer. Training goes on; what it logs is "
        f"kept in {project_dir / JOURNAL_FILE} and sent, in order, when the store answers again.[/]")
    writer.on_back = lambda sent: console.print(f"The tracking store answers again: {sent} journaled writes sent.")
    send_journal(tracker, experiment, console)


def send_journal(tracker: SearchTracker, experiment: Experiment, console: Console) -> None:
    """Everything in the store before the search's closing steps read it back: waits a while for a store that
    is down, then stops with the journal kept for `--resume`."""
    pending = tracker.writer.pending
    if not pending:
        return
    console.print(f"Waiting up to {STORE_WAIT_S} s for the tracking store to take {pending} journaled writes.")
    if not tracker.writer.wait_for_store(STORE_WAIT_S):
        raise StoreUnreachable(
            f"{experiment.source_file}: the tracking store {experiment.tracking_uri} still does not answer. No "
            f"training result is lost: {tracker.writer.pending} writes are kept in "
            f"{tracker.writer.folder / JOURNAL_FILE}. Once the store is back, `runner.py search "
            f"{experiment.source_file} --resume` sends them and finishes the search (best model, report).")


def _log_baseline(tracker: SearchTracker, baseline: Baseline) -> None:
    """A baseline's name as a param of the parent run, its test and validation scores as metrics."""
    tracker.log_params({BASELINE_PARAM_PREFIX + baseline.key: baseline.name})
    tracker.log_metrics({baseline_metric(baseline.key, baseline.metric): baseline.value,
                         baseline_metric(baseline.key, on_validation(baseline.metric)): baseline.validation})


def _fitted(artifacts: ArtifactProcess, fitting, console: Console) -> list[Baseline]:
    """The model baseline the worker fitted, if any: one that fails costs the baseline, not the search."""
    if fitting is None:
        return []
    try:
        return [artifacts.result(fitting)]
    except Exception as exc:
        console.print(f"[yellow]The scikit-learn baseline could not be fitted ({str(exc).splitlines()[0][:200]}); "
                      "the best model is compared with the trivial baseline only.[/]")
        return []


def _best_model(tuner, trial, run_id: str, experiment: Experiment, dataset: Dataset):
    """The best trial's model and its test predictions: kept in memory when this process trained it, else built
    from its checkpoint (an earlier process, a local worker), else its logged model (a worker elsewhere)."""
    kept = tuner.best_so_far
    if kept and kept.trial_id == trial.trial_id:
        return kept.model, kept.test_predictions
    if Path(tuner._get_checkpoint_fname(trial.trial_id)).is_file():
        model = tuner.load_model(trial)
    else:
        with mlflow_helpers_on(experiment.tracking_uri):
            model = mlflow.keras.load_model(f"runs:/{run_id}/model")
    return model, predict(model, dataset.x_test)


def _log_best(tracker: SearchTracker, tuner, best: pd.Series, experiment: Experiment, dataset: Dataset, project: str,
              baselines: list[Baseline]):
    """Log the best trial's model on the parent run and compare it with each baseline; register it only when it
    beats the trivial one (a model no better than chance is not worth a version). The baseline to beat is the
    better one on validation."""
    trial = tuner.oracle.get_trial(best["trial_id"])
    model, test_predictions = _best_model(tuner, trial, best["run_id"], experiment, dataset)
    params = tuner.hypermodel.space.as_typed(active_values(trial.hyperparameters))
    # Named apart from the trials' own params, so the parent never reads as a duplicate of its best trial.
    tracker.log_params({BEST_TRIAL_PARAM: best["trial_id"], BEST_RUN_PARAM: best["run_id"],
                        **{BEST_PARAM_PREFIX + k: v for k, v in params.items()}})
    uri = tracker.log_model(model, "best_model", head(dataset.x_test, 5), test_predictions[:5], params)
    # Under the trials' own names, so the parent's row and charts show the search's outcome beside its trials.
    tracker.log_metrics({objective_metric(experiment.objective): best[OBJECTIVE_METRIC],
                         **{k: best.get(k) for k in TEST_METRICS}}, model_uri=uri)
    path = Path(experiment.tuner_dir) / project / "best_model.keras"
    model.save(path)
    comparisons = {b.key: compare(b, dataset.y_test, test_predictions) for b in baselines}
    for key, comparison in comparisons.items():
        gain, error = gain_metrics(key)
        tracker.log_metrics({gain: comparison.gain, error: comparison.standard_error})
    to_beat = baselines[0]
    for baseline in baselines[1:]:
        to_beat = baseline if baseline.better_than(to_beat) else to_beat
    tracker.log_params({BEST_BASELINE_PARAM: to_beat.key})
    tracker.set_tag(BEATS_BASELINE_TAG, str(comparisons[to_beat.key].better).lower())
    _mark_best(tracker, best["run_id"])
    trivial = comparisons[baselines[0].key]
    tests = _test_scores(best)
    about = (f"Trial {best['trial_id']} of the {experiment.tuner.algorithm} search of {experiment.name!r} (parent run "
             f"{tracker.parent_run_id}): {experiment.objective} {best[OBJECTIVE_METRIC]:.4g} "
             f"({'higher' if experiment.direction == 'max' else 'lower'} is better), {tests}. "
             f"{capitalized(comparisons[to_beat.key].sentence())}.")
    registration = tracker.register_champion(
        experiment.name, uri, float(best[OBJECTIVE_METRIC]), experiment.direction, about,
        {"trial_id": best["trial_id"], "objective": experiment.objective, "parent_run_id": tracker.parent_run_id,
         BEATS_BASELINE_TAG: str(comparisons[to_beat.key].better).lower()}) \
        if trivial.better else f"not registered: no better than {trivial.baseline.name}"
    return uri, path, comparisons[to_beat.key], registration
