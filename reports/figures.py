"""Figures for the report, drawn from the trial table and the metric histories MLflow holds."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from reports.fonts import matplotlib_families  # noqa: E402

DPI = 150


def _save(fig, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _style() -> None:
    plt.rcParams["font.family"] = matplotlib_families()


def hyperparameter_effects(trials: pd.DataFrame, names: list[str], objective: str, path: Path) -> Path:
    """Score against each searched value: a strip of points per choice, a scatter for ranges."""
    _style()
    columns = min(3, len(names))
    rows = int(np.ceil(len(names) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.2 * rows), constrained_layout=True, squeeze=False)
    finished = trials[trials["status"].eq("FINISHED")]
    for ax, name in zip(axes.flat, names):
        data = finished[[name, "score"]].dropna()
        numeric = pd.api.types.is_numeric_dtype(data[name]) and data[name].nunique() > 4
        if numeric:
            ax.scatter(data[name], data["score"], alpha=0.8)
            if (data[name] > 0).all() and data[name].max() / data[name].min() > 50:
                ax.set_xscale("log")
        else:
            labels = sorted(data[name].unique(), key=str)
            for i, value in enumerate(labels):
                scores = data.loc[data[name] == value, "score"]
                jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(scores))
                ax.scatter(np.full(len(scores), i) + jitter, scores, alpha=0.8)
                ax.hlines(scores.mean(), i - 0.25, i + 0.25, color="black")
            ax.set_xticks(range(len(labels)), [str(v) for v in labels])
        ax.set_xlabel(name)
        ax.set_ylabel(objective)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    return _save(fig, path)


def _training_and_validation(ax, curves: dict[str, list[tuple[int, float]]], metric: str, title: str) -> None:
    for key, label in ((metric, "training"), (f"val_{metric}", "validation")):
        if curves.get(key):
            steps, values = zip(*curves[key])
            ax.plot(steps, values, marker=".", label=label)
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
    ax.legend()


def learning_curves(curves: dict[str, list[tuple[int, float]]], title: str, path: Path) -> Path:
    _style()
    metrics = [m for m in ("loss", "accuracy", "mae") if m in curves]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.2), constrained_layout=True, squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        _training_and_validation(ax, curves, metric, f"{title}: {metric}")
    return _save(fig, path)


def importance_bars(importance: pd.Series, path: Path) -> Path:
    _style()
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(importance) + 1), constrained_layout=True)
    ax.barh(importance.index[::-1], importance.to_numpy()[::-1])
    ax.set_xlabel("share of the score's variation explained (random forest)")
    return _save(fig, path)


def curves_side_by_side(curves: dict[str, dict[str, list[tuple[int, float]]]], path: Path) -> Path:
    """One column per search, loss above and accuracy (or MAE) below, shared axes for a fair look."""
    _style()
    metrics = [m for m in ("loss", "accuracy", "mae") if any(m in c for c in curves.values())]
    fig, axes = plt.subplots(len(metrics), len(curves), figsize=(4.2 * len(curves), 3 * len(metrics)),
                             constrained_layout=True, squeeze=False, sharey="row")
    for column, (name, series) in enumerate(curves.items()):
        for row, metric in enumerate(metrics):
            _training_and_validation(axes[row][column], series, metric, f"{name}: {metric}")
    return _save(fig, path)


def confusions_side_by_side(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    _style()
    fig, axes = plt.subplots(1, len(tables), figsize=(4.2 * len(tables), 4), constrained_layout=True, squeeze=False)
    for ax, (name, table) in zip(axes[0], tables.items()):
        counts = table.to_numpy()
        rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        ax.set_title(name)
        ax.set_xticks(range(len(table.columns)), table.columns, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(table.index)), table.index, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    return _save(fig, path)


def study_comparison(summary: pd.DataFrame, label: str, metric: str, path: Path, x: str | None = None,
                     baseline: float | None = None, baseline_label: str = "baseline") -> Path:
    """Mean and standard deviation over seeds per setting: lines over `x` (a sweep or a second hyperparameter),
    or bars when there is nothing to put on the x axis."""
    _style()
    fig, ax = plt.subplots(figsize=(7, 3.8), constrained_layout=True)
    errors = summary["std"].fillna(0)
    if x is None:
        names = summary[label].astype(str)
        ax.bar(names, summary["mean"], yerr=errors, capsize=4, color="#4C72B0")
        ax.set_xlabel(label)
    else:
        positions = {v: i for i, v in enumerate(dict.fromkeys(summary[x].astype(str)))}
        for value, rows in summary.groupby(label, sort=False):
            xs = [positions[v] for v in rows[x].astype(str)]
            ax.errorbar(xs, rows["mean"], yerr=rows["std"].fillna(0), marker="o", capsize=4, label=f"{label}={value}")
        ax.set_xticks(range(len(positions)), list(positions))
        ax.set_xlabel(x if x != "sweep" else "")
        ax.legend(fontsize=8)
    if baseline is not None:
        ax.axhline(baseline, color="grey", ls="--", lw=1)
        ax.annotate(f"{baseline_label} {baseline:.3g}", (0, baseline), xycoords=("axes fraction", "data"),
                    fontsize=8, color="grey", va="bottom")
    ax.set_ylabel(f"{metric} (mean ± sd over seeds)")
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)
