"""Several searches side by side: settings, best scores, best trials' curves and confusion matrices."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd

from reports import figures
from reports.document import ReportDocument
from reports.source import SearchRecord
from reports.store.names import BEST_RUN_PARAM, BEST_TRIAL_PARAM, OBJECTIVE_METRIC
from reports.words import metric_words, say, speaking


def _settings_row(record: SearchRecord) -> dict:
    p = record.params
    trials = record.trials
    best = record.best
    return {
        EXPERIMENT: record.experiment_name,
        say("summary.family"): p.get("family", "-"),
        say("summary.data"): record.data_label,
        say("summary.tuner"): p.get("tuner.algorithm", "-"),
        say("summary.trials"): say(
            "compare.finished", finished=int((trials["status"] == "FINISHED").sum()), n=len(trials)
        ),
        BEST_TRIAL: "-" if best is None else best["trial_id"],
        record.objective: None if best is None else float(best[OBJECTIVE_METRIC]),
        metric_words(record.test_metric): None if best is None else best.get(record.test_metric),
    }


EXPERIMENT, BEST_TRIAL = "experiment", "best trial"  # the settings table's keys, headed in the report's language


def _labels(records: list[SearchRecord]) -> list[str]:
    """Experiment names, with the parent run's short id where two searches share a name."""
    names = [r.experiment_name for r in records]
    if len(set(names)) == len(names):
        return names
    return [f"{r.experiment_name} ({r.parent.info.run_id[:8]})" for r in records]


def difference_on_test(first: tuple[str, SearchRecord], second: tuple[str, SearchRecord]) -> str | None:
    """Whether the best models of the two leading searches differ in test accuracy beyond sampling noise: the
    standard error of a difference of two proportions, counted as independent samples (on one shared test
    split the errors are correlated, so this overstates the noise: a difference beyond it is safe to call).
    None unless both report test accuracy; other metrics need per-sample errors the searches do not log."""
    (name_a, a), (name_b, b) = first, second
    if a.best is None or b.best is None or not a.test_metric == b.test_metric == "test/accuracy":
        return None
    p, q = float(a.best["test/accuracy"]), float(b.best["test/accuracy"])
    m, n = (int(r.params.get("data.test_size", 0)) for r in (a, b))
    if not (m and n and p == p and q == q):
        return None
    margin = 2 * math.sqrt(p * (1 - p) / m + q * (1 - q) / n)
    said = say(
        "compare.on_test", a=name_a, p=f"{p:.4g}", b=name_b, q=f"{q:.4g}", m=f"{m:,}", n=f"{n:,}", d=f"{p - q:+.3g}"
    )
    rule = say("compare.rule", margin=f"{margin:.2g}")
    return said + say(f"compare.{'beyond' if abs(p - q) > margin else 'within'}", rule=rule)


def build_comparison(records: list[SearchRecord], out: Path, language: str = "en") -> Path:
    """The searches `records` side by side, written to `out` in `language` (`reports.words.LANGUAGES`)."""
    with speaking(language):
        return _build(records, out)


def _build(records: list[SearchRecord], out: Path) -> Path:
    names = _labels(records)
    doc = ReportDocument(say("compare.heading", names=" vs ".join(names)))
    doc.title_block(say("compare.title", names=" vs ".join(names)))
    settings = pd.DataFrame([{**_settings_row(r), EXPERIMENT: name} for r, name in zip(records, names, strict=False)])
    heads = {EXPERIMENT: say("summary.experiment"), BEST_TRIAL: say("summary.best_trial")}
    doc.frame_table(settings.rename(columns=heads), font_size=8)
    with_best = [
        (name, r) for name, r in zip(names, records, strict=False) if r.params.get(BEST_TRIAL_PARAM) is not None
    ]
    if with_best:
        objective = records[0].objective
        ranked = settings.dropna(subset=[objective]).sort_values(objective, ascending=records[0].direction == "min")
        top = ranked.iloc[0]
        doc.paragraph(
            say(
                "compare.best",
                objective=objective,
                name=top[EXPERIMENT],
                score=f"{top[objective]:.4f}",
                trial=top[BEST_TRIAL],
                others="; ".join(f"{row[EXPERIMENT]}: {row[objective]:.4f}" for _, row in ranked.iloc[1:].iterrows()),
            )
        )
        by_name = dict(zip(names, records, strict=False))
        leaders = [(row[EXPERIMENT], by_name[row[EXPERIMENT]]) for _, row in ranked.iloc[:2].iterrows()]
        difference = difference_on_test(*leaders) if len(leaders) == 2 else None
        if difference:
            doc.paragraph(difference)
        doc.bullets([f"{name}: {r.against_baseline()}" for name, r in with_best if r.against_baseline()])
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        width = min(doc.epw, 65 * len(with_best))
        curves = {name: r.curves(r.params[BEST_RUN_PARAM]) for name, r in with_best}
        if curves:
            doc.section(say("compare.curves"))
            doc.figure(figures.curves_side_by_side(curves, tmp / "curves.png"), width=width)
        matrices = {}
        for name, r in with_best:
            table = r.table(r.params[BEST_RUN_PARAM], "confusion_matrix.csv", index_col=0)
            if table is not None:
                matrices[name] = table
        if matrices:
            doc.section(say("compare.confusions"))
            doc.figure(figures.confusions_side_by_side(matrices, tmp / "confusions.png"), width=width)
        doc.save(out)
    return out
