"""A study's report: the question, its answer worded from the numbers, the comparison plot and table.

Read from MLflow only: the study run (its `study.yaml`) and the searches that
name it, so a report can be rebuilt at any time with `runner.py report`.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

from reports import figures, verdict
from reports.document import ReportDocument
from reports.source import against_baseline, find_run
from reports.store.names import (
    FAILURE_TAG,
    INPUT_GRADIENT,
    INPUT_GRADIENT_TRAINED,
    OBJECTIVE_PARAM,
    PER_EXECUTION,
    STUDY_TAG,
    SWEEP_TAG,
    objective_metric,
)
from reports.store.objectives import OBJECTIVES
from reports.store.opening import open_reader
from reports.store.trials import metric_points
from reports.words import metric_words, say, say_or, speaking

if TYPE_CHECKING:
    from mlflow.entities import Run
    from mlflow.tracking import MlflowClient


# The input gradient is taken before training and at its end: each time's metric.
GRADIENT_METRICS = {"before": INPUT_GRADIENT, "after": INPUT_GRADIENT_TRAINED}


@dataclasses.dataclass
class StudyRecord:
    experiment_name: str
    run: Run
    config: dict
    searches: list[Run]
    # One row per seed of each finished trial: sweep, compared and tuned hyperparameters, the trial's validation
    # objective (lower is better: a score that is better higher is negated), metric, value.
    values: pd.DataFrame
    failures: list[str]  # "<setting>: <reason>" for each trial that did not finish
    # Sequences: sweep, compare[0]'s value, when ("before" or "after" training), step, norm of the input gradient.
    gradients: pd.DataFrame

    @property
    def tune(self) -> list[str]:
        """The hyperparameters each compared setting is shown at its best value of (`study.tune`)."""
        return self.config.get("tune") or []

    @property
    def panels(self) -> list[str]:
        """What splits the answer into separate statements: the sweep, and a second compared hyperparameter."""
        return (["sweep"] if self.config.get("sweep") else []) + self.config["compare"][1:]

    def summary(self, metric: str) -> pd.DataFrame:
        keys = [*self.panels, self.config["compare"][0]]
        rows = self.values[self.values["metric"] == metric]
        summary = verdict.summarize(_at_best_tuning(rows, keys, self.tune) if self.tune else rows, keys + self.tune)
        if not self.panels:
            return summary
        return summary.sort_values(self.panels, key=lambda column: column.map(_natural), kind="stable").reset_index(
            drop=True
        )

    def words(self, key: str) -> str:
        """The study file's `key` (question, expectation, baseline_label) in the report's language: a shipped
        study's from the catalogue, a user's own as written."""
        return say_or(f"study.{self.experiment_name}.{key}", self.config.get(key) or "")

    def answer(self) -> list[str]:
        c = self.config
        sentences = self.tuning_sentences()
        for i, metric in enumerate(c["metrics"]):
            expected = [label(c["compare"][0], v) for v in c.get("expect_best", [])] if i == 0 else []
            sentences += verdict.answer(
                self.summary(metric),
                c["compare"],
                metric,
                self.panels,
                expected,
                self.words("expectation"),
                c.get("baseline") if i == 0 else None,
                self.words("baseline_label") or say("study.baseline"),
            )
        sentences += self.gradient_sentences()
        if self.failures:
            sentences.append(
                say("study.failures", n=len(self.failures), failures="; ".join(f.rstrip(".") for f in self.failures))
            )
        return sentences

    def tuning_sentences(self) -> list[str]:
        """Which value of the tuned hyperparameters each compared setting is shown at, and how it was chosen."""
        if not self.tune:
            return []
        summary = self.summary(self.config["metrics"][0])
        settings = "; ".join(
            " ".join(str(row[n]) for n in [*self.panels, self.config["compare"][0]] if row[n])
            + " "
            + ", ".join(f"{n} {row[n]}" for n in self.tune)
            for _, row in summary.iterrows()
        )
        return [say("study.tuned", names=", ".join(self.tune), settings=settings)]

    def gradient_panel(self, when: str) -> tuple[str, pd.DataFrame]:
        """The longest sequences' panel (the sweep's last value) of the input gradients `when` ("before" or
        "after" training): mean norm per value of compare[0] and step, the trials of one value averaged."""
        last = sorted(self.gradients["sweep"].unique(), key=_natural)[-1]
        rows = self.gradients[(self.gradients["sweep"] == last) & (self.gradients["when"] == when)]
        return last or self.experiment_name, rows.groupby([self.config["compare"][0], "step"], sort=False)[
            "norm"
        ].mean().reset_index()

    def gradient_sentences(self) -> list[str]:
        """How much of the gradient reaching the last step reaches the first, per compared value, before training
        (the vanishing gradient) and after it (how far back the trained network reaches)."""
        if self.gradients.empty:
            return []
        first, sentences = self.config["compare"][0], []
        for when in GRADIENT_METRICS:
            panel, means = self.gradient_panel(when)
            parts = []
            for value, rows in means.groupby(first, sort=False):
                norms = rows.sort_values("step")["norm"].to_numpy()
                if norms[-1] > 0:
                    parts.append(say("study.gradient_part", setting=value, ratio=f"{norms[0] / norms[-1]:.1e}"))
            if parts:
                steps = int(means["step"].max()) + 1
                sentences.append(say(f"study.gradient_{when}", panel=panel, steps=steps, parts="; ".join(parts)))
        return sentences


def _seed_values(client: MlflowClient, child: Run, metric: str) -> list[float]:
    """The per-execution values when a trial ran several seeds, else its one value."""
    history = metric_points(client, child.info.run_id, PER_EXECUTION + metric)
    if history:
        return [value for _, value in history]
    value = child.data.metrics.get(metric)
    return [] if value is None else [value]


def load_study(tracking_uri: str, reference: str) -> StudyRecord:
    """`reference` is a study run id, or an experiment name (its latest study)."""
    client = open_reader(tracking_uri)
    run, experiment = find_run(client, tracking_uri, reference, "study")
    with tempfile.TemporaryDirectory() as tmp:
        config = yaml.safe_load(Path(client.download_artifacts(run.info.run_id, "study.yaml", tmp)).read_text())
    searches = client.search_runs(
        [experiment.experiment_id], f"tags.`{STUDY_TAG}` = '{run.info.run_id}'", order_by=["attributes.start_time ASC"]
    )
    rows, failures, gradients = [], [], []
    tune = config.get("tune") or []
    for search in searches:
        sweep = search.data.tags.get(SWEEP_TAG, "")
        for child in client.search_runs(
            [experiment.experiment_id], f"tags.`mlflow.parentRunId` = '{search.info.run_id}'"
        ):
            setting = _setting(child.data.params, config)
            if child.info.status != "FINISHED":
                where = ", ".join(str(v) for v in (sweep, *setting.values()) if v)
                failures.append(f"{where}: {child.data.tags.get(FAILURE_TAG, child.info.status.lower())}")
                continue
            tuned = {name: child.data.params.get(name) for name in tune}
            rank = _objective_rank(child, search.data.params.get(OBJECTIVE_PARAM))
            for metric in config["metrics"]:
                for value in _seed_values(client, child, metric):
                    rows.append(
                        {"sweep": sweep, **setting, **tuned, "objective": rank, "metric": metric, "value": value}
                    )
            first = config["compare"][0]
            for when, name in GRADIENT_METRICS.items():
                for step, norm in metric_points(client, child.info.run_id, name):
                    gradients.append({"sweep": sweep, first: setting[first], "when": when, "step": step, "norm": norm})
    columns = ["sweep", *config["compare"], *tune, "objective", "metric", "value"]
    values = pd.DataFrame(rows, columns=columns)
    gradient_frame = pd.DataFrame(gradients, columns=["sweep", config["compare"][0], "when", "step", "norm"])
    return StudyRecord(experiment.name, run, config, searches, values, failures, gradient_frame)


def _objective_rank(child: Run, objective: str | None) -> float:
    """The trial's validation objective, lower is better (NaN when the search did not log one)."""
    if objective not in OBJECTIVES:
        return float("nan")
    score = child.data.metrics.get(objective_metric(objective), float("nan"))
    return -score if OBJECTIVES[objective] == "max" else score


def _at_best_tuning(rows: pd.DataFrame, keys: list[str], tune: list[str]) -> pd.DataFrame:
    """Each setting of `keys` at the values of `tune` whose trials scored best on the validation objective (mean
    over them): the rate is chosen as a user would, before the test split is looked at."""
    means = rows.groupby(keys + tune, sort=False, dropna=False)["objective"].mean().reset_index()
    means = means.dropna(subset=["objective"])
    best = means.loc[means.groupby(keys, sort=False, dropna=False)["objective"].idxmin(), keys + tune]
    return rows.merge(best, on=keys + tune)


def _setting(params: dict[str, str], config: dict) -> dict[str, str | None]:
    """The compared values of one trial, the first named with its active details ('sgd (momentum 0.9)')."""
    first, *rest = config["compare"]
    details = " ".join(f"{name} {params[name]}" for name in config.get("detail", []) if name in params)
    named = label(first, params.get(first, "?")) + (f" ({details})" if details else "")
    return {first: named, **{name: params.get(name) for name in rest}}


def label(name: str, value) -> str:
    """A value as the answer names it: words stand alone (lstm), numbers and booleans carry their name (dropout=0.5)."""
    text = str(value)
    try:
        float(text)
    except ValueError:
        return f"{name}={text}" if text in ("True", "False") else text
    return f"{name}={text}"


def _natural(value):
    """Sort key that puts length=25 before length=100 and 2 before 6."""
    try:
        return (0, float(str(value).rsplit("=", 1)[-1]), "")
    except ValueError:
        return (1, 0.0, str(value))


def build_study_report(record: StudyRecord, out: Path, language: str = "en") -> Path:
    """The study's report written to `out`, in `language` (`reports.words.LANGUAGES`)."""
    with speaking(language):
        return _build(record, out)


def _build(record: StudyRecord, out: Path) -> Path:
    c = record.config
    doc = ReportDocument(say("study.title", name=record.experiment_name))
    doc.title_block(say("study.title", name=record.experiment_name))
    doc.paragraph(record.words("question"))
    doc.section(say("study.answer"))
    if record.values.empty:
        doc.paragraph(say("study.nothing"))
        return doc.save(out)
    doc.bullets(record.answer())
    label = c["compare"][0]
    x = record.panels[0] if record.panels else None
    with tempfile.TemporaryDirectory() as tmp:
        for i, metric in enumerate(c["metrics"]):
            summary = record.summary(metric)
            baseline = c.get("baseline") if i == 0 else None
            baseline_label = record.words("baseline_label") or say("study.baseline")
            doc.figure(
                figures.study_comparison(summary, label, metric, Path(tmp) / f"{i}.png", x, baseline, baseline_label),
                width=doc.epw * 0.8,
            )
            columns = {
                "mean": say("study.column_mean", metric=metric_words(metric)),
                "std": say("study.column_sd"),
                "n": say("study.column_seeds"),
                "seeds": say("study.column_per_seed"),
                "sweep": say("study.column_sweep"),
            }
            doc.frame_table(summary.rename(columns=columns))
        for when in GRADIENT_METRICS if not record.gradients.empty else ():
            panel, means = record.gradient_panel(when)
            if not means.empty:
                path = Path(tmp) / f"gradients-{when}.png"
                doc.figure(figures.gradient_over_time(means, label, panel, path, when), width=doc.epw * 0.8)
    doc.section(say("study.searches"))
    doc.bullets(
        [
            say(
                "study.search",
                name=s.data.tags.get(SWEEP_TAG) or record.experiment_name,
                run=s.info.run_id,
                status=say(f"status.{s.info.status.lower()}"),
                verdict=against_baseline(s) or "",
            ).strip()
            for s in record.searches
        ]
    )
    doc.paragraph(say("study.closing", run=record.run.info.run_id))
    return doc.save(out)
