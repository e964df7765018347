"""Several searches side by side: settings, best scores, best trials' curves and confusion matrices."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pandas as pd

from reports import figures
from reports.contract.layout import BEST_RUN_PARAM, BEST_TRIAL_PARAM, OBJECTIVE_METRIC, metric_label
from reports.document import ReportDocument
from reports.source import SearchRecord


def _settings_row(record: SearchRecord) -> dict:
    p = record.params
    trials = record.trials
    best = record.best
    return {
        "experiment": record.experiment_name,
        "family": p.get("family", "-"),
        "data": record.data_label,
        "tuner": p.get("tuner.algorithm", "-"),
        "trials": f"{int((trials['status'] == 'FINISHED').sum())}/{len(trials)} finished",
        "best trial": "-" if best is None else best["trial_id"],
        record.objective: None if best is None else float(best[OBJECTIVE_METRIC]),
        metric_label(record.test_metric): None if best is None else best.get(record.test_metric),
    }


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
    said = (
        f"On test, {name_a}'s best model {p:.4g} against {name_b}'s {q:.4g} ({m:,} and {n:,} samples): "
        f"a difference of {p - q:+.3g}"
    )
    rule = f"twice the standard error of the difference, {margin:.2g}, counting the two test sets as independent"
    if abs(p - q) > margin:
        return f"{said}, beyond noise ({rule})."
    return f"{said}, within noise ({rule}): these scores cannot tell the two apart."


def build_comparison(records: list[SearchRecord], out: Path) -> Path:
    names = _labels(records)
    doc = ReportDocument("comparison: " + " vs ".join(names))
    doc.title_block("Comparison of searches: " + " vs ".join(names))
    settings = pd.DataFrame([{**_settings_row(r), "experiment": name} for r, name in zip(records, names, strict=False)])
    doc.frame_table(settings, font_size=8)
    with_best = [
        (name, r) for name, r in zip(names, records, strict=False) if r.params.get(BEST_TRIAL_PARAM) is not None
    ]
    if with_best:
        objective = records[0].objective
        ranked = settings.dropna(subset=[objective]).sort_values(objective, ascending=records[0].direction == "min")
        top = ranked.iloc[0]
        doc.paragraph(
            f"Best {objective}: {top['experiment']} with {top[objective]:.4f} (trial {top['best trial']}). "
            + "; ".join(f"{row['experiment']}: {row[objective]:.4f}" for _, row in ranked.iloc[1:].iterrows())
        )
        by_name = dict(zip(names, records, strict=False))
        leaders = [(row["experiment"], by_name[row["experiment"]]) for _, row in ranked.iloc[:2].iterrows()]
        difference = difference_on_test(*leaders) if len(leaders) == 2 else None
        if difference:
            doc.paragraph(difference)
        doc.bullets([f"{name}: {r.against_baseline()}" for name, r in with_best if r.against_baseline()])
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        width = min(doc.epw, 65 * len(with_best))
        curves = {name: r.curves(r.params[BEST_RUN_PARAM]) for name, r in with_best}
        if curves:
            doc.section("Learning curves of each search's best trial")
            doc.figure(figures.curves_side_by_side(curves, tmp / "curves.png"), width=width)
        matrices = {}
        for name, r in with_best:
            table = r.table(r.params[BEST_RUN_PARAM], "confusion_matrix.csv", index_col=0)
            if table is not None:
                matrices[name] = table
        if matrices:
            doc.section("Confusion matrices of each search's best trial (test split, normalized by true class)")
            doc.figure(figures.confusions_side_by_side(matrices, tmp / "confusions.png"), width=width)
        doc.save(out)
    return out
