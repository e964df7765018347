"""A search's PDF report: summary, best model, all trials, hyperparameter effects, curve diagnosis."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from reports import analysis, figures
from reports.contract.layout import (
    BUDGET_SPENT,
    DATA_NOTES_PARAM,
    DURATION,
    EPOCHS,
    FAILURE_TAG,
    OBJECTIVE_METRIC,
    PARAMETERS,
    PRUNED,
    SEARCH_SPACE_PREFIX,
    STOPPED_TAG,
    TEST_F1_MACRO,
    metric_label,
    read_metric,
    status_text,
)
from reports.document import ReportDocument
from reports.source import SearchRecord, ensemble_outcome

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
    p, info = record.params, record.parent.info
    trials = record.trials
    counts = trials["status"].value_counts().to_dict()
    pruning = f"{p.get('tuner.pruning', '-')} rule, judged from epoch {p.get('tuner.pruning_warmup_epochs', '-')}"
    minutes = (record.end_millis - info.start_time) / 60000
    doc.title_block(f"Hyperparameter search: {record.experiment_name}")
    verdict = record.against_baseline()
    if verdict:
        doc.paragraph(verdict)
    if record.state != "finished":
        doc.paragraph(
            f"This search is {record.state}. Finished trials: {counts.get('FINISHED', 0)} ({_trials_bound(p)}); "
            "what follows covers those."
        )
    rows = [
        ("experiment", record.experiment_name),
        ("parent run", info.run_id),
        (
            "data",
            f"{record.data_label}: {_count(p.get('data.train_size'))} train, "
            f"{_count(p.get('data.validation_size'))} validation, {_count(p.get('data.test_size'))} test",
        ),
        *([("data as loaded", p[DATA_NOTES_PARAM].replace(" | ", "; "))] if p.get(DATA_NOTES_PARAM) else []),
        ("model family", p.get("family", "-")),
        (
            "tuner",
            f"{p.get('tuner.algorithm', '-')}, {_trials_bound(p)} of "
            f"{p.get('tuner.epochs', '-')} epochs, patience {p.get('tuner.patience', '-')}",
        ),
        *([("time budget", _time_budget(record))] if _number_param(p, "tuner.time_budget") else []),
        ("objective", f"{record.objective} ({record.direction}imize), seed {p.get('seed', '-')}"),
        ("started", f"{_when(info.start_time)}, {minutes:.1f} minutes, {record.state}"),
        (
            "trials",
            f"{len(trials)}: {counts.get('FINISHED', 0)} finished, "
            + (f"{counts[PRUNED]} pruned ({pruning}), " if counts.get(PRUNED) else "")
            + f"{counts.get('FAILED', 0)} failed, "
            f"{counts.get('KILLED', 0) + counts.get('RUNNING', 0)} interrupted",
        ),
    ]
    stopped = record.parent.data.tags.get(STOPPED_TAG)
    if stopped:
        rows.append(("stopped early", stopped))
    best = record.best
    if best is None:
        rows.append(("best trial", "none: no trial finished with a finite score"))
    else:
        f1 = record.client.get_run(best["run_id"]).data.metrics.get(TEST_F1_MACRO)
        rows.append(
            (
                "best trial",
                f"trial {best['trial_id']}: {record.objective} {best[OBJECTIVE_METRIC]:.4g}, "
                f"{metric_label(record.test_metric)} {_fmt(best.get(record.test_metric))}"
                + (f", {metric_label(TEST_F1_MACRO)} {_fmt(f1)}" if f1 is not None else ""),
            )
        )
        ties = analysis.chosen_among_ties(
            trials, str(best["trial_id"]), record.objective, record.direction, record.resolution
        )
        if ties:
            rows.append(("chosen among ties", ties))
        ensemble = ensemble_outcome(record.parent)
        if ensemble:
            rows.append(("ensemble", ensemble))
    rows += [
        (
            f"baseline ({key})",
            f"{name}: {metric_label(record.test_metric)} {_fmt(value)} (validation {_fmt(validation)})"
            + record.gain_over(key),
        )
        for key, name, value, validation in record.baselines()
    ]
    doc.frame_table(pd.DataFrame(rows), font_size=9, headings=False)


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
        return f"up to {int(bound) if bound else '?'} trials"
    return "as many trials as the time budget allowed" + (f" (at most {int(bound)})" if bound else "")


def spoken(seconds: float) -> str:
    """A duration in the unit a person would say it: 20 s, 5 min, 1.5 h."""
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


def _time_budget(record: SearchRecord) -> str:
    """The time budget and what it bought: the trials started, their epochs, the pruned ones."""
    seconds = _number_param(record.params, "tuner.time_budget") or 0.0
    spent = read_metric(record.parent.data.metrics, BUDGET_SPENT)
    trials = record.trials
    counts = trials["status"].value_counts()
    epochs = int(trials[EPOCHS].fillna(0).sum()) if EPOCHS in trials else 0
    bought = (
        f"bought {len(trials)} trials ({epochs:,} epochs in all"
        + (f", {counts[PRUNED]} of them pruned" if counts.get(PRUNED) else "")
        + ")"
    )
    when = "" if spent is None else f"; {spoken(spent)} had been spent training when the last trial was asked for"
    return (
        f"{spoken(seconds)} of training (setup and closing steps not counted): {bought}{when}. A trial under way "
        "when it ran out was finished, not cut off."
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
    doc.section(f"The best model: trial {best_id}", new_page=True)
    _hyperparameters(doc, record, run, tmp)
    layers = record.table(run_id, "layers.csv")
    if layers is not None:
        count = run.data.metrics.get(PARAMETERS)
        doc.paragraph("Architecture" + (f" ({int(count):,} parameters):" if count is not None else ":"))
        doc.frame_table(layers, font_size=8)
    curves = record.curves(run_id)
    if curves:  # the trial's own picture when it was logged; drawn again for runs without one
        drawn = record.artifact(run_id, "learning_curves.png", tmp)
        doc.figure(drawn or figures.learning_curves(curves, f"trial {best_id}", tmp / "best_curves.png"))
    confusion = record.artifact(run_id, "confusion_matrix.png", tmp)
    if confusion:
        doc.figure(confusion, width=CONFUSION_WIDTH)
    per_class = record.table(run_id, "per_class_report.csv")
    if per_class is not None:
        doc.paragraph("Per-class scores on the test split:")
        doc.frame_table(per_class.round(3), font_size=8)
        missed = analysis.never_predicted(per_class, record.params.get("class_weight"))
        if missed:
            doc.paragraph(missed)


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
                columns=["searched hyperparameter", "value", "searched over"],
            ),
            font_size=8,
        )
    fixed = {k: v for k, v in every.items() if k not in searched}
    if fixed:
        doc.paragraph(
            "Fixed for every trial: "
            + "; ".join(f"{name} {_number(str(value))}" for name, value in sorted(fixed.items()))
            + "."
        )


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
    doc.section("The search at a glance")
    agreement = analysis.objective_predicts_test(record.trials, record.direction, record.test_metric)
    if agreement:  # above the figure: the sentence reads the figure's "validation against test" panel
        doc.paragraph(agreement)
    path = tmp / "overview.png"
    path.write_bytes(drawn() if drawn else figures.overview_png(*overview_arguments(record)))
    doc.figure(path)
    rows = []
    for name in record.configured_searched:
        values = finished[name].dropna() if name in finished else pd.Series(dtype=object)
        if values.empty:
            tried = "inactive in every finished trial"
        elif pd.api.types.is_numeric_dtype(values) and values.nunique() > 4:
            tried = f"{_number(str(values.min()))} to {_number(str(values.max()))} ({values.nunique()} values)"
        else:
            tried = ", ".join(f"{_number(str(v))} ({n})" for v, n in values.value_counts().sort_index().items())
        rows.append((name, record.params.get(SEARCH_SPACE_PREFIX + name, "-"), tried))
    if rows:
        doc.keep_together(15 + 5 * len(rows))  # the sentence and its table
        doc.paragraph("The search space as configured, and the values the finished trials tried (trials per value):")
        doc.frame_table(pd.DataFrame(rows, columns=["hyperparameter", "configured", "tried"]), font_size=8)


def _all_trials(doc: ReportDocument, record: SearchRecord) -> None:
    doc.keep_together(40)  # the heading with the table's first rows; a long table runs on over the next pages
    doc.section("All trials, best first")
    columns = ["trial_id", "status", OBJECTIVE_METRIC, record.test_metric, EPOCHS, DURATION, *record.searched]
    table = record.trials[[c for c in columns if c in record.trials]].copy()
    table["status"] = [status_text(row) for _, row in record.trials.iterrows()]
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
    doc.frame_table(table.rename(columns={DURATION: "duration"}), font_size=7)


def _pruned_left_out(trials) -> str:
    """The sentence that says how many pruned trials the effects leave out, or nothing."""
    pruned = int(trials["status"].eq(PRUNED).sum())
    if not pruned:
        return ""
    return (
        f" {pruned} pruned trial{'s are' if pruned > 1 else ' is'} left out: stopped early, "
        f"{'their scores are' if pruned > 1 else 'its score is'} not comparable to those of full training."
    )


def _minutes(seconds) -> str:
    return "-" if seconds is None or seconds != seconds else f"{int(seconds // 60)}:{int(round(seconds % 60)):02d}"


def _effects(doc: ReportDocument, record: SearchRecord, tmp: Path) -> None:
    doc.section("What each hyperparameter did", new_page=True)
    names = record.searched
    if not names:
        doc.paragraph("No hyperparameter took more than one value, so there is nothing to compare.")
        return
    doc.paragraph(
        "Each point is a finished trial; for choices the bar is the mean. Look for values whose best trials "
        "sit at the edge of the range searched: the range should then be widened that way."
        + _pruned_left_out(record.trials)
    )
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
        doc.paragraph(
            f"Importance needs at least {analysis.MIN_TRIALS_FOR_IMPORTANCE} finished trials whose "
            "settings differ in score, and two hyperparameters active in all of them; this search has too "
            "few to rank them."
        )
        return
    finished = int(record.trials["status"].eq("FINISHED").sum())
    left_out = "".join(f"; {name} left out, {why}" for name, why in analysis.unranked(record.trials, names).items())
    doc.paragraph(
        f"Importance (Optuna's fANOVA): a random forest fitted to the {finished} finished trials' {record.objective}, "
        f"its variance split by hyperparameter ({', '.join(ranking.index)}{left_out}). Mean and standard deviation "
        f"over {analysis.IMPORTANCE_RESAMPLES} forests, each fitted to the {finished} trials drawn again with "
        "replacement, so the spread shows how much the ranking hangs on which trials ran: "
        + "; ".join(f"{name} {row['mean']:.2f} ± {row['sd']:.2f}" for name, row in ranking.iterrows())
        + ". Read a share as larger than another only when their difference exceeds both spreads."
    )
    doc.figure(figures.importance_bars(ranking, tmp / "importance.png"), width=120)
    first, second = ranking.index[:2]
    width, height = figures.PAIR_PLOT_INCHES
    doc.keep_together(PAIR_PLOT_WIDTH * height / width + 15)  # the figure and the sentence above it
    doc.paragraph(f"{first} against {second}, the two that explain most (the best trial ringed in red).")
    doc.figure(
        figures.pair_plot(
            record.trials, first, second, record.objective, record.direction, tmp / "pair.png", record.log_sampled
        ),
        width=PAIR_PLOT_WIDTH,
    )


def _diagnosis(doc: ReportDocument, record: SearchRecord) -> None:
    doc.section("Diagnosis from the learning curves")
    finished = record.trials[record.trials["status"] == "FINISHED"].head(TOP_TRIALS_DIAGNOSED)
    if finished.empty:
        doc.paragraph("No trial finished, so there are no curves to diagnose.")
    reference, bar, budget = record.trivial_reference(), record.fit_bar(), record.budget
    lines = [
        f"trial {row.trial_id} ({record.objective} {getattr(row, OBJECTIVE_METRIC):.4g}): "
        f"{analysis.diagnose(record.curves(row.run_id), reference, bar, budget)}"
        for row in finished.itertuples()
    ]
    pruned = record.trials[record.trials["status"] == PRUNED]
    if not pruned.empty:
        lines.append(
            f"{len(pruned)} pruned (stopped where they were losing to the other trials), left out of this "
            "diagnosis and of the effects, whose scores are those of full training: "
            + ", ".join(
                f"trial {row.trial_id} at epoch {int(row.pruned_at)} ({record.objective} "
                f"{getattr(row, OBJECTIVE_METRIC):.4g} by then)"
                for row in pruned.itertuples()
            )
        )
    failed = record.trials[record.trials["status"] == "FAILED"]
    for _, row in failed.iterrows():
        reason = row.get(FAILURE_TAG) or "no reason recorded"
        lines.append(f"trial {row['trial_id']} failed: {reason.splitlines()[0][:200]}")
    doc.bullets(lines)


def build_report(record: SearchRecord, out: Path, overview: Callable[[], bytes] | None = None) -> Path:
    """The report of `record` written to `out`. `overview`, when given, returns the search at a glance as PNG
    bytes, drawn elsewhere from `overview_arguments` (a search's closing steps have the artifact process draw
    it); it is called when the report reaches that figure, after the sections before it are built."""
    doc = ReportDocument(f"{record.experiment_name}: search report")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        _summary(doc, record)
        if record.trials.empty:
            doc.paragraph("This search has no trials: it was stopped or failed before the first one ended.")
        else:
            _diagnosis(doc, record)
            _best_model(doc, record, tmp)
            _effects(doc, record, tmp)
            _overview(doc, record, tmp, overview)
            _all_trials(doc, record)
        doc.save(out)
    return out
