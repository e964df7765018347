"""The table a person reads in the terminal when a search ends."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
from rich.console import Console
from rich.table import Table

from reports.store import FAILURE_TAG, TEST_METRICS, TRIAL_COLUMNS

if TYPE_CHECKING:  # importing the search at run time would load TensorFlow for `runner.py trials`
    from pipelines.search import SearchResult


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if not value.is_integer() or abs(value) < 1e4 else f"{value:.0f}"
    return str(value)


def trials_table(trials: pd.DataFrame, title: str, best_trial_id: str | None = None) -> Table:
    """Trials sorted by score; only hyperparameters that vary between trials, wrapped in one column."""
    varying = [c for c in trials.columns if c not in TRIAL_COLUMNS and trials[c].nunique(dropna=False) > 1]
    table = Table(title=title)
    test_metric = next((m for m in TEST_METRICS if m in trials), TEST_METRICS[0])
    for column in ("trial", "status", "score", test_metric.replace("_", " "), "epochs", "seconds"):
        table.add_column(column, justify="left" if column == "status" else "right", no_wrap=True)
    table.add_column("hyperparameters that varied", ratio=1, overflow="fold")
    for _, row in trials.iterrows():
        hyperparameters = ", ".join(f"{c}={_cell(row[c])}" for c in varying if _cell(row[c]) != "-")
        cells = [row.get(c) for c in ("trial_id", "status", "score", test_metric, "epochs", "duration_s")]
        style = "bold green" if row["trial_id"] == best_trial_id else None
        table.add_row(*(_cell(c) for c in cells), hyperparameters, style=style)
    return table


def print_summary(result: SearchResult, console: Console) -> None:
    experiment = result.experiment
    console.print(trials_table(result.trials, f"{experiment.name}: trials by {experiment.objective}", result.best_trial_id))
    console.print(f"report: {result.report_path}")
    if result.best_trial_id is None:
        console.print(f"[red]No trial finished with a finite score; see the failed runs' {FAILURE_TAG} tags in MLflow.[/]")
        return
    best = result.trials[result.trials["trial_id"] == result.best_trial_id].iloc[0]
    tests = ", ".join(f"{m.replace('_', ' ')} {_cell(best[m])}" for m in TEST_METRICS if m in best)
    console.print(f"best trial {result.best_trial_id}: {experiment.objective} {result.best_score:.4f}, {tests}")
    comparison = result.baseline
    if comparison is not None and not comparison.better:
        console.print(f"[yellow]Warning: {comparison.sentence()}. The model was not registered: the network learned "
                      "nothing a constant answer does not give. Check the data, the learning rate and the budget.[/]")
    elif comparison is not None:
        console.print(f"Baseline: {comparison.sentence()}.")
    console.print(f"best model: {result.best_model_path} (MLflow: {result.best_model_uri})")
    console.print(f"parent run {result.parent_run_id}; browse with: mlflow ui --backend-store-uri {experiment.tracking_uri}")
