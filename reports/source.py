"""A finished (or failed, or empty) search read back from MLflow, the only thing reports look at."""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

if TYPE_CHECKING:  # the read side loads no MLflow for a SQLite store (`reports.store.sqlite_reader`)
    from mlflow.entities import Experiment, Run
    from mlflow.tracking import MlflowClient

from reports import analysis
from reports.analysis import Budget, Reference
from reports.store.errors import ReportError
from reports.store.names import (
    BASELINE_KEYS,
    BASELINE_PARAM_PREFIX,
    BEST_BASELINE_PARAM,
    BEST_TRIAL_PARAM,
    ENSEMBLE,
    ENSEMBLE_BEST_TRIAL,
    ENSEMBLE_GAIN,
    ENSEMBLE_TAG,
    ENSEMBLE_WEIGHTS_PARAM,
    EVIDENCE_LOSSES,
    IMPORTANCE_FILE,
    IMPORTANCE_FITTED_TO,
    OBJECTIVE_METRIC,
    OBJECTIVE_PARAM,
    PER_EPOCH,
    ROLE_TAG,
    SEARCH_SPACE_PREFIX,
    TEST,
    TEST_METRICS,
    TRIAL_COLUMNS,
    baseline_metric,
    gain_metrics,
    on_validation,
    read_metric,
    test_metric_of,
    validation_measure,
)
from reports.store.objectives import OBJECTIVES
from reports.store.opening import open_reader, store_misses
from reports.store.trials import best_finished, metric_points, search_step, trials_frame
from reports.verdict import baseline_sentence, capitalized, ensemble_sentence
from reports.words import relogged, say

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
CURVE_KEYS = ("loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae")


@dataclasses.dataclass
class SearchRecord:
    experiment_name: str
    parent: Run
    trials: pd.DataFrame
    client: MlflowClient  # or the SQLite reader, which answers the same calls
    finishing: bool = False  # read by the search itself as it ends: its parent run closes right after the report
    # Read by the search itself too: waits until a run's files, still being written in the background, are logged.
    wait_for_files: Callable[[str], None] | None = None

    @property
    def params(self) -> dict[str, str]:
        return self.parent.data.params

    @property
    def data_label(self) -> str:
        """The data source, with its layout where the data have one: "digits (image)", "timeseries"."""
        source, layout = self.params.get("data.source", "-"), self.params.get("data.layout")
        return f"{source} ({layout})" if layout else source

    @property
    def objective(self) -> str:
        return self.params.get(OBJECTIVE_PARAM, OBJECTIVE_METRIC)

    @property
    def direction(self) -> str:
        return OBJECTIVES.get(self.objective, "max")

    @property
    def searched(self) -> list[str]:
        """Hyperparameters that took more than one value across trials."""
        return [c for c in self.trials.columns if c not in TRIAL_COLUMNS and self.trials[c].nunique(dropna=True) > 1]

    @property
    def log_sampled(self) -> frozenset:
        """The ranges the search sampled on a log scale: figures draw them on one."""
        specs = {name: self.spec(name) for name in self.configured_searched}
        return frozenset(
            n for n, spec in specs.items() if isinstance(spec, dict) and spec.get("sampling") in ("log", "reverse_log")
        )

    @property
    def configured_searched(self) -> list[str]:
        """Hyperparameters the search could vary (a list of several values or a range in its space), whether or
        not the trials happened to try more than one value, then any other that varied."""
        configured = [
            key.removeprefix(SEARCH_SPACE_PREFIX)
            for key, text in self.params.items()
            if key.startswith(SEARCH_SPACE_PREFIX) and _varies(yaml.safe_load(text))
        ]
        return configured + [name for name in self.searched if name not in configured]

    @property
    def resolution(self) -> float | None:
        """The smallest step the objective can take: one validation sample, for an accuracy; None otherwise."""
        return search_step(self.params)

    @functools.cached_property
    def importance(self) -> pd.DataFrame | None:
        """fANOVA's ranking of the searched hyperparameters (`analysis.importance`), mean and sd by name. Fitted
        once: the search keeps it on its parent run (`kept_importance`), and a later report reads it back unless
        the finished trials have changed since (a resumed search)."""
        if not self.finishing:
            kept = self.table(self.parent.info.run_id, IMPORTANCE_FILE, index_col=0)
            if kept is not None and set(kept.pop(IMPORTANCE_FITTED_TO)) == {fitted_to(self.trials)}:
                return kept
        return analysis.importance(self.trials, self.searched, self.direction)

    def spec(self, name: str):
        """A hyperparameter's range or choices as the experiment file gave them, or None when not recorded."""
        text = self.params.get(SEARCH_SPACE_PREFIX + name)
        return yaml.safe_load(text) if text else None

    @property
    def best(self) -> pd.Series | None:
        """The best trial's row: the one the parent run names, else (a search cut off before naming it) the best
        finished trial with a finite score; None if no trial finished."""
        best_id = self.params.get(BEST_TRIAL_PARAM)
        return best_finished(self.trials if best_id is None else self.trials[self.trials["trial_id"] == best_id])

    @property
    def finished(self) -> bool:
        """Whether the search ended normally (or is in its closing steps)."""
        return self.parent.info.status == "FINISHED" or self.finishing

    @property
    def state(self) -> str:
        """How the search stands, in words: finished, or why it is not."""
        status = self.parent.info.status
        if self.finished:
            return say("state.finished")
        if status == "RUNNING":
            return say("state.running")
        why = say("state.interrupted") if status == "KILLED" else say(f"status.{status.lower()}")
        return say("state.stopped", why=why)

    @property
    def end_millis(self) -> int:
        """When the search ended; for one still open, its last recorded activity, so the duration does not grow
        with every rebuild of the report."""
        if self.parent.info.end_time:
            return self.parent.info.end_time
        if self.finishing:
            return int(time.time() * 1000)
        activity = [self.parent.info.start_time]
        for run_id in self.trials.get("run_id", []):
            info = self.client.get_run(run_id).info
            activity.append(info.end_time or info.start_time)
        return max(activity)

    @property
    def test_metric(self) -> str:
        """test/accuracy for classification, test/mae for regression (a store of an earlier version, which did
        not log the task: the test score its trials logged)."""
        if "data.task" in self.params:
            return test_metric_of(self.params["data.task"])
        return next((m for m in TEST_METRICS if m in self.trials), TEST_METRICS[0])

    def baselines(self) -> list[tuple[str, str, float, float]]:
        """(key, name, test score, validation score) of each baseline the search logged."""
        metrics, out = self.parent.data.metrics, []
        validation = on_validation(self.test_metric)
        for key in BASELINE_KEYS:
            name = self.params.get(BASELINE_PARAM_PREFIX + key)
            if name is not None:
                out.append(
                    (
                        key,
                        relogged(name),
                        read_metric(metrics, baseline_metric(key, self.test_metric), float("nan")),
                        read_metric(metrics, baseline_metric(key, validation), float("nan")),
                    )
                )
        return out

    def trivial_reference(self):
        """The trivial baseline's validation score on the objective's curve, against which a trial that learned
        nothing is told apart; None when the search logged none."""
        trivial = next((b for b in self.baselines() if b[0] == BASELINE_KEYS[0]), None)
        if trivial is None or trivial[3] != trivial[3]:
            return None
        curve = "val_" + self.test_metric.removeprefix(TEST)
        return Reference(curve, trivial[3], trivial[1])

    def fit_bar(self) -> Reference | None:
        """The better baseline on validation (the one to beat), on the objective's curve: a trial whose training
        accuracy stays under its validation accuracy underfits. None before the search compared them."""
        key = self.params.get(BEST_BASELINE_PARAM)
        found = next((b for b in self.baselines() if b[0] == key), None)
        if found is None or found[3] != found[3]:
            return None
        curve, value = "val_" + self.test_metric.removeprefix(TEST), found[3]
        size = int(self.params.get("data.validation_size", "0") or 0)
        if not curve.endswith("accuracy") or not size:
            return Reference(curve, value, found[1])
        noise = max(2 * math.sqrt(value * (1 - value) / size), 1 / size)  # at least one validation sample
        return Reference(curve, value, found[1], noise)

    @property
    def budget(self) -> Budget:
        """The epoch cap and early stopping's patience the trials trained under."""
        epochs, patience = (self.params.get(f"tuner.{k}", "") for k in ("epochs", "patience"))
        return Budget(int(epochs) if epochs.isdigit() else None, int(patience) if patience.isdigit() else None)

    def against_baseline(self) -> str | None:
        return against_baseline(self.parent)

    def curve(self, run_id: str, key: str) -> list[tuple[int, float]]:
        """One per-epoch curve of a run (Keras' name: val_loss), in epoch order."""
        return metric_points(self.client, run_id, PER_EPOCH + key)

    def curves(self, run_id: str) -> dict[str, list[tuple[int, float]]]:
        return {key: points for key in CURVE_KEYS if (points := self.curve(run_id, key))}

    def artifact(self, run_id: str, name: str, into: Path) -> Path | None:
        if self.wait_for_files is not None:
            self.wait_for_files(run_id)
        try:
            return Path(self.client.download_artifacts(run_id, name, str(into)))
        except store_misses():
            return None

    def table(self, run_id: str, name: str, **read_kwargs) -> pd.DataFrame | None:
        with tempfile.TemporaryDirectory() as tmp:
            path = self.artifact(run_id, name, Path(tmp))
            return pd.read_csv(path, **read_kwargs) if path else None


def fitted_to(trials: pd.DataFrame) -> str:
    """The finished trials a ranking is fitted to, as `id=score` pairs: what the parent run keeps beside it."""
    finished = analysis.finished_trials(trials)
    pairs = zip(finished["trial_id"], finished[OBJECTIVE_METRIC].astype(float), strict=True)
    return " ".join(f"{trial}={score!r}" for trial, score in sorted(pairs))


def kept_importance(record: SearchRecord) -> pd.DataFrame | None:
    """The ranking as the parent run keeps it (IMPORTANCE_FILE): with the finished trials it was fitted to."""
    ranking = record.importance
    return None if ranking is None else ranking.assign(**{IMPORTANCE_FITTED_TO: fitted_to(record.trials)})


def _varies(spec) -> bool:
    return isinstance(spec, dict) or (isinstance(spec, list) and len(spec) > 1)


def against_baseline(parent: Run) -> str | None:
    """A search's best model against its baseline to beat (the better one on validation), in a sentence with both
    test scores, the gain per sample, its standard error and n; None before the search compared them."""
    params, metrics = parent.data.params, parent.data.metrics
    key = params.get(BEST_BASELINE_PARAM)
    test_metric = next((m for m in TEST_METRICS if read_metric(metrics, m, best=True) is not None), None)
    gain, error = (read_metric(metrics, name) for name in gain_metrics(key or ""))
    if key is None or test_metric is None or gain is None:
        return None
    sentence = baseline_sentence(
        test_metric,
        read_metric(metrics, test_metric, best=True),
        relogged(params.get(BASELINE_PARAM_PREFIX + key, key)),
        read_metric(metrics, baseline_metric(key, test_metric)),
        gain,
        error,
        int(params.get("data.test_size", 0)),
    )
    return capitalized(sentence) + say("full_stop")


def ensemble_outcome(parent: Run) -> str | None:
    """What became of the search's ensemble in a sentence (`verdict.ensemble_sentence`), or why there is none;
    None for a search that chose none (`ensemble: none`, or before its closing steps)."""
    params, metrics, tags = parent.data.params, parent.data.metrics, parent.data.tags
    how = tags.get(ENSEMBLE_TAG)
    if how is None or ENSEMBLE_WEIGHTS_PARAM not in params:
        return None if how is None else say("ensemble.none", how=relogged(how))
    classes = params.get("data.task") != "regression"
    measures = dict.fromkeys(
        [validation_measure(params.get(OBJECTIVE_PARAM, "val_accuracy"), classes), EVIDENCE_LOSSES[not classes]]
    )
    return ensemble_sentence(
        how,
        json.loads(params[ENSEMBLE_WEIGHTS_PARAM]),
        params.get(BEST_TRIAL_PARAM, "?"),
        [
            (m, read_metric(metrics, ENSEMBLE + m, math.nan), read_metric(metrics, ENSEMBLE_BEST_TRIAL + m, math.nan))
            for m in measures
        ],
        read_metric(metrics, ENSEMBLE_GAIN, math.nan),
        read_metric(metrics, ENSEMBLE_GAIN + "_se", math.nan),
        int(params.get("data.test_size", 0)),
    )


def find_run(client: MlflowClient, tracking_uri: str, reference: str, role: str) -> tuple[Run, Experiment]:
    """The run `reference` names in the store `client` reads (at `tracking_uri`): a run id of that role, or an
    experiment name (its latest run of that role)."""
    if RUN_ID.match(reference):
        try:
            run = client.get_run(reference)
        except store_misses():
            raise ReportError(f"no run with id {reference} in {tracking_uri}. Check the id in the MLflow UI.") from None
        actual = run.data.tags.get(ROLE_TAG, role)
        if actual != role:
            raise ReportError(f"run {reference} is a {actual} run, not a {role} run.")
        return run, client.get_experiment(run.info.experiment_id)
    experiment = client.get_experiment_by_name(reference)
    if experiment is None:
        names = ", ".join(e.name for e in client.search_experiments()) or "none"
        raise ReportError(f"no experiment named {reference!r} in {tracking_uri}; experiments there: {names}.")
    runs = client.search_runs(
        [experiment.experiment_id],
        f"tags.`{ROLE_TAG}` = '{role}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        raise ReportError(f"experiment {reference!r} in {tracking_uri} has no {role} runs yet. Run a {role} first.")
    return runs[0], experiment


def load_search(tracking_uri: str, reference: str) -> SearchRecord:
    """`reference` is an experiment name (its latest search) or a parent run id."""
    client = open_reader(tracking_uri)
    parent, experiment = find_run(client, tracking_uri, reference, "search")
    direction = OBJECTIVES.get(parent.data.params.get(OBJECTIVE_PARAM, ""), "max")
    return SearchRecord(experiment.name, parent, trials_frame(client, parent.info.run_id, direction), client)
