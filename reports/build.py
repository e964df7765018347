"""A search's PDF report: summary, best model, all trials, hyperparameter effects, curve diagnosis."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from reports import analysis, figures
from reports.document import ReportDocument
from reports.source import SearchRecord, ensemble_outcome
from reports.store.names import (
    BUDGET_SPENT,
    DATA_NOTES_PARAM,
    DURATION,
    EPOCHS,
    FAILURE_TAG,
    OBJECTIVE_METRIC,
    PARAMETERS,
    SEARCH_SPACE_PREFIX,
    STOPPED_TAG,
    TEST_F1_MACRO,
    gain_metrics,
    read_metric,
)
from reports.store.trials import PRUNED
from reports.words import language, metric_words, say, say_n, say_or, speaking

TOP_TRIALS_DIAGNOSED = 3
PAIR_PLOT_WIDTH = 130  # mm on the page
CONFUSION_WIDTH = 110  # mm: a matrix of mostly empty cells need not fill a page
OVERVIEW_HEIGHT = 180  # mm: the overview's heading, sentence and figure (10 x 7.4 inches at the page's width)


def _when(millis: int | None) -> str:
    return "-" if not millis else dt.datetime.fromtimestamp(millis / 1000).strftime("%Y-%m-%d %H:%M")


def _count(value: str | None) -> str:
    """A count from a run's params as a person reads it: 28,032."""
    return f"{int(value):,}" if value and value.isdigit() else "-"


def _summary(doc: ReportDocument, record: SearchRecord) -> None:
    """Page 1: the verdict against the baseline to beat, then the search's settings and outcome as a table."""
    counts = record.trials["status"].value_counts().to_dict()
    doc.title_block(say("search.title", name=record.experiment_name))
    verdict = record.against_baseline()
    if verdict:
        doc.paragraph(verdict)
    if not record.finished:
        bound = _trials_bound(record.params)
        doc.paragraph(say("search.incomplete", state=record.state, finished=counts.get("FINISHED", 0), bound=bound))
    rows = [*_setting_rows(record), *_outcome_rows(record, counts)]
    doc.frame_table(pd.DataFrame(rows), font_size=9, headings=False)


def _setting_rows(record: SearchRecord) -> list[tuple[str, str]]:
    """What the search was asked to do: its data, family, tuner, budget and objective."""
    p = record.params
    sizes = {k: _count(p.get(f"data.{k}_size")) for k in ("train", "validation", "test")}
    tuner = say(
        "summary.tuner_value",
        algorithm=p.get("tuner.algorithm", "-"),
        bound=_trials_bound(p),
        epochs=p.get("tuner.epochs", "-"),
        patience=p.get("tuner.patience", "-"),
    )
    direction = say(f"direction.{record.direction}")
    return [
        (say("summary.experiment"), record.experiment_name),
        (say("summary.parent_run"), record.parent.info.run_id),
        (say("summary.data"), say("summary.data_sizes", data=record.data_label, **sizes)),
        *([(say("summary.data_notes"), p[DATA_NOTES_PARAM].replace(" | ", "; "))] if p.get(DATA_NOTES_PARAM) else []),
        (say("summary.family"), p.get("family", "-")),
        (say("summary.tuner"), tuner),
        *([(say("summary.time_budget"), _time_budget(record))] if _number_param(p, "tuner.time_budget") else []),
        (
            say("summary.objective"),
            say("summary.objective_value", objective=record.objective, direction=direction, seed=p.get("seed", "-")),
        ),
    ]


def _outcome_rows(record: SearchRecord, counts: dict) -> list[tuple[str, str]]:
    """What the search did: its time and trials, the best trial (and how it was chosen), the ensemble and each
    baseline against the best model."""
    p, info = record.params, record.parent.info
    minutes = f"{(record.end_millis - info.start_time) / 60000:.1f}"
    pruning = say("summary.pruning", rule=p.get("tuner.pruning", "-"), warmup=p.get("tuner.pruning_warmup_epochs", "-"))
    trials = say(
        "summary.trials_value",
        n=len(record.trials),
        finished=counts.get("FINISHED", 0),
        pruned=say("summary.pruned", n=counts[PRUNED], how=pruning) if counts.get(PRUNED) else "",
        failed=counts.get("FAILED", 0),
        interrupted=counts.get("KILLED", 0) + counts.get("RUNNING", 0),
    )
    rows = [
        (
            say("summary.started"),
            say("summary.started_value", when=_when(info.start_time), minutes=minutes, state=record.state),
        ),
        (say("summary.trials"), trials),
    ]
    stopped = record.parent.data.tags.get(STOPPED_TAG)
    if stopped:
        rows.append((say("summary.stopped"), stopped))
    rows += _best_rows(record)
    test = metric_words(record.test_metric)
    for key, name, value, validation in record.baselines():
        scores = say("summary.baseline_value", name=name, test=test, score=_fmt(value), validation=_fmt(validation))
        rows.append((say("summary.baseline", key=say(f"baseline.{key}")), scores + _gain_over(record, key)))
    return rows


def _best_rows(record: SearchRecord) -> list[tuple[str, str]]:
    """The best trial with its scores, how it was chosen among ties, and what became of the ensemble."""
    best = record.best
    if best is None:
        return [(say("summary.best_trial"), say("summary.no_best"))]
    f1 = record.client.get_run(best["run_id"]).data.metrics.get(TEST_F1_MACRO)
    scores = say(
        "summary.best_value",
        trial=best["trial_id"],
        objective=record.objective,
        score=f"{best[OBJECTIVE_METRIC]:.4g}",
        test=metric_words(record.test_metric),
        test_score=_fmt(best.get(record.test_metric)),
    ) + (f", {metric_words(TEST_F1_MACRO)} {_fmt(f1)}" if f1 is not None else "")
    rows = [(say("summary.best_trial"), scores)]
    ties = analysis.chosen_among_ties(
        record.trials, str(best["trial_id"]), record.objective, record.direction, record.resolution
    )
    if ties:
        rows.append((say("summary.ties"), ties))
    ensemble = ensemble_outcome(record.parent)
    if ensemble:
        rows.append((say("summary.ensemble"), ensemble))
    return rows


def _gain_over(record: SearchRecord, key: str) -> str:
    """The best model's mean gain per test sample over a baseline with its standard error, as a clause; empty
    before the search compared them."""
    gain, error = (read_metric(record.parent.data.metrics, name) for name in gain_metrics(key))
    if gain is None or error is None:
        return ""
    return say("summary.gain", gain=f"{gain:.3g}", error=f"{error:.2g}")


def _number_param(params: dict[str, str], key: str) -> float | None:
    try:
        return float(params[key])
    except (KeyError, ValueError):
        return None


def _trials_bound(params: dict[str, str]) -> str:
    """How many trials the search could run, in words: up to 10 trials; as many trials as the time budget
    allowed."""
    bound = _number_param(params, "tuner.max_trials")
    if _number_param(params, "tuner.time_budget") is None:
        return say("bound.trials", n=int(bound) if bound else "?")
    return say("bound.budget") + (say("bound.at_most", n=int(bound)) if bound else "")


def duration(seconds: float) -> str:
    """A duration in the unit a person would say it: 20 s, 5 min, 1.5 h."""
    if seconds < 120:
        return say("unit.seconds", n=f"{seconds:.3g}")
    if seconds < 7200:
        return say("unit.minutes", n=f"{seconds / 60:.3g}")
    return say("unit.hours", n=f"{seconds / 3600:.3g}")


def _time_budget(record: SearchRecord) -> str:
    """The time budget and what it bought: the trials started, their epochs, the pruned ones."""
    seconds = _number_param(record.params, "tuner.time_budget") or 0.0
    spent = read_metric(record.parent.data.metrics, BUDGET_SPENT)
    trials = record.trials
    counts = trials["status"].value_counts()
    epochs = int(trials[EPOCHS].fillna(0).sum()) if EPOCHS in trials else 0
    pruned = say("budget.pruned", n=counts[PRUNED]) if counts.get(PRUNED) else ""
    when = "" if spent is None else say("budget.spent", spent=duration(spent))
    return say(
        "budget.bought", budget=duration(seconds), trials=len(trials), epochs=f"{epochs:,}", pruned=pruned, when=when
    )


def _number(text: str) -> str:
    """MLflow params are text; show a float param with 4 significant digits, a boolean as YAML writes it."""
    if text in ("True", "False"):
        return text.lower()
    try:
        return text if float(text).is_integer() or "." not in text else f"{float(text):.4g}"
    except ValueError:
        return text


def _fmt(value) -> str:
    return "-" if value is None or value != value else f"{value:.4f}"


def _best_model(doc: ReportDocument, record: SearchRecord, tmp: Path) -> None:
    best = record.best
    if best is None:
        return
    best_id, run_id = best["trial_id"], best["run_id"]
    run = record.client.get_run(run_id)
    doc.section(say("best.heading", trial=best_id), new_page=True)
    _hyperparameters(doc, record, run, tmp)
    layers = record.table(run_id, "layers.csv")
    if layers is not None:
        count = run.data.metrics.get(PARAMETERS)
        doc.paragraph(say("best.architecture", n=f"{int(count):,}") if count is not None else say("best.layers"))
        doc.frame_table(_headed(layers), font_size=8)
    curves = record.curves(run_id)
    if curves:  # the trial's own picture when it was logged; drawn again for runs without one
        drawn = record.artifact(run_id, "learning_curves.png", tmp)
        doc.figure(drawn or figures.learning_curves(curves, say("trial", trial=best_id), tmp / "best_curves.png"))
    confusion = record.artifact(run_id, "confusion_matrix.png", tmp)
    if confusion:
        doc.figure(confusion, width=CONFUSION_WIDTH)
    per_class = record.table(run_id, "per_class_report.csv")
    if per_class is not None:
        doc.paragraph(say("best.per_class"))
        doc.frame_table(_headed(per_class.round(3)), font_size=8)
        missed = analysis.never_predicted(per_class, record.params.get("class_weight"))
        if missed:
            doc.paragraph(missed)


def _headed(table: pd.DataFrame) -> pd.DataFrame:
    """A table a trial logged, its column heads in the report's language."""
    return table.rename(columns={c: say_or(f"column.{c}", c) for c in table.columns})


def _hyperparameters(doc: ReportDocument, record: SearchRecord, run, tmp: Path) -> None:
    """The searched values of the best trial beside the range searched; then, apart, what every trial shared.

    A trial run's params are its searched hyperparameters (and, for a Hyperband trial, the trial it continues);
    its hyperparameters.json holds every value KerasTuner gave it."""
    path = record.artifact(run.info.run_id, "hyperparameters.json", tmp)
    every = json.loads(path.read_text()) if path else {}
    searched = {k: v for k, v in run.data.params.items() if not every or k in every}
    if searched:
        doc.frame_table(
            pd.DataFrame(
                [
                    (name, _number(value), record.params.get(SEARCH_SPACE_PREFIX + name, "-"))
                    for name, value in sorted(searched.items())
                ],
                columns=[say("column.searched"), say("column.value"), say("column.searched_over")],
            ),
            font_size=8,
        )
    fixed = {k: v for k, v in every.items() if k not in searched}
    if fixed:
        values = "; ".join(f"{name} {_number(str(value))}" for name, value in sorted(fixed.items()))
        doc.paragraph(say("best.fixed", values=values))


def overview_arguments(record: SearchRecord) -> tuple:
    """What `figures.overview_png` draws the search at a glance from: plain data, so that another process can
    draw the report's largest figure while the rest of the report is built."""
    finished = record.trials[record.trials["status"].eq("FINISHED")]
    curves = {row.trial_id: record.curve(row.run_id, "val_loss") for row in finished.itertuples()}
    return (
        record.trials,
        record.searched,
        record.objective,
        record.direction,
        record.test_metric,
        curves,
        record.log_sampled,
    )


def _overview(doc: ReportDocument, record: SearchRecord, tmp: Path, drawn: Callable[[], bytes] | None) -> None:
    """The search at a glance, and the configured space beside the values the trials tried."""
    finished = record.trials[record.trials["status"].eq("FINISHED")]
    if finished.empty:
        return
    # The heading, its sentence and its figure on one page: the figure alone spilling over reads as another section.
    doc.keep_together(OVERVIEW_HEIGHT)
    doc.section(say("overview.heading"))
    agreement = analysis.objective_predicts_test(record.trials, record.direction, record.test_metric)
    if agreement:  # above the figure: the sentence reads the figure's "validation against test" panel
        doc.paragraph(agreement)
    path = tmp / "overview.png"
    path.write_bytes(drawn() if drawn else figures.overview_png(language(), *overview_arguments(record)))
    doc.figure(path)
    rows = []
    for name in record.configured_searched:
        values = finished[name].dropna() if name in finished else pd.Series(dtype=object)
        if values.empty:
            tried = say("overview.inactive")
        elif pd.api.types.is_numeric_dtype(values) and values.nunique() > 4:
            tried = say(
                "overview.range", low=_number(str(values.min())), high=_number(str(values.max())), n=values.nunique()
            )
        else:
            tried = ", ".join(f"{_number(str(v))} ({n})" for v, n in values.value_counts().sort_index().items())
        rows.append((name, record.params.get(SEARCH_SPACE_PREFIX + name, "-"), tried))
    if rows:
        doc.keep_together(15 + 5 * len(rows))  # the sentence and its table
        doc.paragraph(say("overview.space"))
        columns = [say("column.hyperparameter"), say("column.configured"), say("column.tried")]
        doc.frame_table(pd.DataFrame(rows, columns=columns), font_size=8)


def _all_trials(doc: ReportDocument, record: SearchRecord) -> None:
    doc.keep_together(40)  # the heading with the table's first rows; a long table runs on over the next pages
    doc.section(say("trials.heading"))
    columns = ["trial_id", "status", OBJECTIVE_METRIC, record.test_metric, EPOCHS, DURATION, *record.searched]
    table = record.trials[[c for c in columns if c in record.trials]].copy()
    table["status"] = [_status(row) for _, row in record.trials.iterrows()]
    for column in table.columns:  # one precision for every score, minutes and seconds, booleans as YAML
        if column == DURATION:
            table[column] = [_minutes(v) for v in table[column]]
        elif column == EPOCHS:
            table[column] = ["-" if v != v else f"{int(v)}" for v in table[column]]
        elif column not in ("trial_id", "status"):
            table[column] = [
                _number(str(v)) if not isinstance(v, float) else "-" if v != v else f"{v:#.4g}".rstrip(".")
                for v in table[column]
            ]  # 0.009550 beside 0.009677
    doc.frame_table(
        table.rename(columns={DURATION: say("column.duration"), "status": say("column.status")}), font_size=7
    )


def _status(row) -> str:
    """A trial's status in words: finished, failed, pruned at epoch 4."""
    if row["status"] == PRUNED:
        return say("status.pruned_at", epoch=int(row["pruned_at"]))
    return say(f"status.{str(row['status']).lower()}")


def _pruned_left_out(trials) -> str:
    """The sentence that says how many pruned trials the effects leave out, or nothing."""
    pruned = int(trials["status"].eq(PRUNED).sum())
    if not pruned:
        return ""
    return " " + say_n("effects.pruned_left_out", pruned, n=pruned)


def _minutes(seconds) -> str:
    return "-" if seconds is None or seconds != seconds else f"{int(seconds // 60)}:{int(round(seconds % 60)):02d}"


def _effects(doc: ReportDocument, record: SearchRecord, tmp: Path) -> None:
    doc.section(say("effects.heading"), new_page=True)
    names = record.searched
    if not names:
        doc.paragraph(say("effects.nothing"))
        return
    doc.paragraph(say("effects.how_to_read") + _pruned_left_out(record.trials))
    doc.figure(
        figures.hyperparameter_effects(record.trials, names, record.objective, tmp / "effects.png", record.log_sampled)
    )
    doc.bullets(
        [
            analysis.effect_sentence(
                record.trials, n, record.objective, record.direction, record.spec(n), names, record.resolution
            )
            for n in names
        ]
    )
    if len(names) >= 2:  # one searched hyperparameter explains whatever the search varied: nothing to rank
        _importance(doc, record, names, tmp)


def _importance(doc: ReportDocument, record: SearchRecord, names: list[str], tmp: Path) -> None:
    ranking = record.importance
    if ranking is None:
        doc.paragraph(say("importance.too_few", n=analysis.MIN_TRIALS_FOR_IMPORTANCE))
        return
    finished = int(record.trials["status"].eq("FINISHED").sum())
    left_out = "".join(
        say("importance.left_out", name=name, why=why) for name, why in analysis.unranked(record.trials, names).items()
    )
    doc.paragraph(
        say(
            "importance.explained",
            n=finished,
            objective=record.objective,
            names=", ".join(ranking.index),
            left_out=left_out,
            forests=analysis.IMPORTANCE_RESAMPLES,
            shares="; ".join(f"{name} {row['mean']:.2f} ± {row['sd']:.2f}" for name, row in ranking.iterrows()),
        )
    )
    doc.figure(figures.importance_bars(ranking, tmp / "importance.png"), width=120)
    first, second = ranking.index[:2]
    width, height = figures.PAIR_PLOT_INCHES
    doc.keep_together(PAIR_PLOT_WIDTH * height / width + 15)  # the figure and the sentence above it
    doc.paragraph(say("importance.pair", first=first, second=second))
    doc.figure(
        figures.pair_plot(
            record.trials, first, second, record.objective, record.direction, tmp / "pair.png", record.log_sampled
        ),
        width=PAIR_PLOT_WIDTH,
    )


def _diagnosis(doc: ReportDocument, record: SearchRecord) -> None:
    doc.section(say("diagnosis.heading"))
    finished = record.trials[record.trials["status"] == "FINISHED"].head(TOP_TRIALS_DIAGNOSED)
    if finished.empty:
        doc.paragraph(say("diagnosis.none"))
    reference, bar, budget = record.trivial_reference(), record.fit_bar(), record.budget
    lines = [
        say(
            "diagnosis.trial",
            trial=row.trial_id,
            objective=record.objective,
            score=f"{getattr(row, OBJECTIVE_METRIC):.4g}",
            finding=analysis.diagnose(record.curves(row.run_id), reference, bar, budget),
        )
        for row in finished.itertuples()
    ]
    pruned = record.trials[record.trials["status"] == PRUNED]
    if not pruned.empty:
        each = [
            say(
                "diagnosis.pruned_trial",
                trial=row.trial_id,
                epoch=int(row.pruned_at),
                objective=record.objective,
                score=f"{getattr(row, OBJECTIVE_METRIC):.4g}",
            )
            for row in pruned.itertuples()
        ]
        lines.append(say("diagnosis.pruned", n=len(pruned), trials=", ".join(each)))
    failed = record.trials[record.trials["status"] == "FAILED"]
    for _, row in failed.iterrows():
        reason = row.get(FAILURE_TAG) or say("diagnosis.no_reason")
        lines.append(say("diagnosis.failed", trial=row["trial_id"], reason=reason.splitlines()[0][:200]))
    doc.bullets(lines)


def build_report(
    record: SearchRecord, out: Path, overview: Callable[[], bytes] | None = None, language: str = "en"
) -> Path:
    """The report of `record` written to `out`, in `language` (`reports.words.LANGUAGES`). `overview`, when
    given, returns the search at a glance as PNG bytes, drawn elsewhere from `overview_arguments` (a search's
    closing steps have the artifact process draw it); it is called when the report reaches that figure, after
    the sections before it are built."""
    with speaking(language):
        return _build(record, out, overview)


def _build(record: SearchRecord, out: Path, overview: Callable[[], bytes] | None) -> Path:
    doc = ReportDocument(say("search.heading", name=record.experiment_name))
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        _summary(doc, record)
        if record.trials.empty:
            doc.paragraph(say("search.no_trials"))
        else:
            _diagnosis(doc, record)
            _best_model(doc, record, tmp)
            _effects(doc, record, tmp)
            _overview(doc, record, tmp, overview)
            _all_trials(doc, record)
        doc.save(out)
    return out
