"""The table a person reads in the terminal when a search ends."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

import pandas as pd
from rich import box
from rich.console import Console
from rich.table import Table

from pipelines.progress import duration, items, number, say
from reports.store.names import (
    DURATION,
    EPOCHS,
    FAILURE_TAG,
    OBJECTIVE_METRIC,
    TEST_METRICS,
    TRIAL_COLUMNS,
    metric_label,
)
from reports.store.trials import status_text

if TYPE_CHECKING:  # importing the search at run time would load TensorFlow for `runner.py trials`
    from pipelines.closing import SearchResult


def trials_table(trials: pd.DataFrame, title: str, best_trial_id: str | None = None) -> Table:
    """Trials sorted by score, and the hyperparameters that varied between them as `name=value` items.

    The items column is never narrower than its longest item, so a narrow
    terminal or a piped log wraps between items and never inside one.
    """
    varying = [c for c in trials.columns if c not in TRIAL_COLUMNS and trials[c].nunique(dropna=False) > 1]
    test_metric = next((m for m in TEST_METRICS if m in trials), TEST_METRICS[0])
    rows = []
    for _, row in trials.iterrows():
        values = {c: row[c] for c in varying if not (isinstance(row[c], float) and math.isnan(row[c]))}
        rows.append((row, items(values)))
    widest = max((len(item) for _, text in rows for item in text.split("  ")), default=10)
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("trial", "status", "score", metric_label(test_metric).replace("accuracy", "acc."), "epochs", "time"):
        table.add_column(column, justify="left" if column in ("trial", "status") else "right", no_wrap=True)
    table.add_column("hyperparameters that varied", min_width=min(widest, 40), overflow="fold")
    for row, text in rows:
        cells = [
            row["trial_id"],
            status_text(row),
            number(row.get(OBJECTIVE_METRIC)),
            number(row.get(test_metric)),
            "-" if pd.isna(row.get(EPOCHS)) else str(int(row[EPOCHS])),
            duration(row.get(DURATION)),
        ]
        table.add_row(*cells, text, style="bold green" if row["trial_id"] == best_trial_id else None)
    return table


TRAILING_SPACES = re.compile(r" +((?:\x1b\[[0-9;]*m)*)$")  # spaces before a line's end or its closing colour codes


def print_trimmed(console: Console, renderable) -> None:
    """A table as rich draws it, without the spaces rich pads every line with to the table's width (they copy
    into logs and break `diff`)."""
    with console.capture() as captured:
        console.print(renderable)
    console.file.write("".join(TRAILING_SPACES.sub(r"\1", line) + "\n" for line in captured.get().splitlines()))
    console.file.flush()


def _common_failure(trials: pd.DataFrame) -> str:
    """The reason most failed trials share, said once (a search of diverging trials fails each the same way);
    else where the reasons are."""
    reasons = trials.get(FAILURE_TAG, pd.Series(dtype=str)).fillna("")
    reasons = reasons[trials["status"].eq("FAILED") & reasons.ne("")]
    if reasons.empty:
        return f"; see the failed runs' {FAILURE_TAG} tags in MLflow"
    said = reasons.map(lambda r: r.splitlines()[0].split(": ", 1)[-1])  # the first line, without the error's type
    kinds = said.map(lambda r: re.sub(r" at epoch \d+.*", "", r))  # the same reason, whatever the epoch
    common, count = kinds.value_counts().index[0], int(kinds.value_counts().iloc[0])
    share = "every failed trial" if count == len(reasons) else f"{count} of the {len(reasons)} failed trials"
    return f". The reason of {share}: {said[kinds == common].iloc[0]}"


def print_summary(result: SearchResult, console: Console, seconds: float | None = None) -> None:
    experiment = result.experiment
    print_trimmed(
        console,
        trials_table(result.trials, f"{experiment.name}: trials by {experiment.objective}", result.best_trial_id),
    )
    say(console, f"report: {result.report_path}")
    if result.best_trial_id is None:
        say(console, f"No trial finished with a finite score{_common_failure(result.trials)}.", "red")
        return
    best = result.trials[result.trials["trial_id"] == result.best_trial_id].iloc[0]
    tests = ", ".join(f"{metric_label(m)} {number(best[m])}" for m in TEST_METRICS if m in best)
    say(console, f"best trial {result.best_trial_id}: {experiment.objective} {number(result.best_score)}, {tests}")
    if result.ensemble:
        say(console, result.ensemble)
    comparison = result.baseline
    if comparison is not None and not comparison.better:
        say(console, f"Warning: {comparison.sentence()}. {comparison.advice()}", "yellow")
    elif comparison is not None:
        say(console, f"Baseline: {comparison.sentence()}.")
    if result.registration.startswith("not registered: no better"):
        say(console, f"The model was not registered: it does {result.registration.split(': ', 1)[1]}.", "yellow")
    say(console, f"best model: {result.best_model_path} (MLflow: {result.best_model_uri}; {result.registration})")
    took = f"; the search took {duration(seconds)}" if seconds is not None else ""
    say(console, f"parent run {result.parent_run_id}{took}; browse it with:")
    console.print(f"  automl ui --tracking-uri {experiment.tracking_uri}", soft_wrap=True, highlight=False)
