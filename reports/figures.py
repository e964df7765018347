"""Every picture the runner draws: a trial's (learning curves, confusion matrix, ROC and precision-recall) and
the reports' (effects, importance, comparisons), from plain data: curves, tables, numbers.

Figures are drawn on matplotlib's object API, not pyplot: there is no global
figure state, so a worker process can draw a trial's pictures while the next
trial trains (`trial_figures`).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps, rcParams
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogFormatter, LogLocator, MaxNLocator, NullFormatter

from reports.fonts import matplotlib_families
from reports.store.names import OBJECTIVE_METRIC
from reports.words import metric_words, say, speaking

DPI = 110
LOG_SCALED = ("loss", "mae")  # curves that fall by orders of magnitude: on a linear axis the late epochs look flat


def _save(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=DPI)
    return path


@functools.cache
def _style() -> None:
    rcParams["font.family"] = matplotlib_families()


def _figure(width: float, height: float) -> Figure:
    """A figure whose layout fits labels of any length, so no title or tick label is clipped."""
    _style()
    return Figure(figsize=(width, height), layout="constrained")


def _subplots(rows: int, columns: int, width: float, height: float, **kwargs) -> tuple[Figure, np.ndarray]:
    fig = _figure(width, height)
    return fig, fig.subplots(rows, columns, squeeze=False, **kwargs)


def _fixed_figure(
    width: float,
    height: float,
    left: float,
    bottom: float,
    right: float = 0.2,
    top: float = 0.35,
    columns: int = 1,
    gap: float = 0.7,
) -> tuple[Figure, list]:
    """A row of `columns` axes inside margins given in inches. A trial's figures are drawn every trial, and a
    constrained layout, which measures every label to place the axes, doubles their cost; their labels are
    short and known (class names are cut to `LABEL_CHARS`), so margins sized for them clip nothing."""
    _style()
    fig = Figure(figsize=(width, height))
    axis_width = (width - left - right - gap * (columns - 1)) / columns
    fig.subplots_adjust(
        left=left / width,
        right=1 - right / width,
        bottom=bottom / height,
        top=1 - top / height,
        wspace=gap / axis_width,
    )
    return fig, list(fig.subplots(1, columns, squeeze=False)[0])


LABEL_CHARS = 18  # class names longer than this are cut in a trial's figures
CHAR_INCHES = 0.075  # width of one character of a 10-point label


def _short(label) -> str:
    label = str(label)
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def hyperparameter_effects(
    trials: pd.DataFrame, names: list[str], objective: str, path: Path, log_sampled: frozenset = frozenset()
) -> Path:
    return _save(effects_figure(trials, names, objective, log_sampled), path)


def effects_figure(
    trials: pd.DataFrame, names: list[str], objective: str, log_sampled: frozenset = frozenset()
) -> Figure:
    """Score against each searched value: a strip of points per choice, a scatter for ranges (on a log axis for
    those the search sampled on a log scale)."""
    columns = min(3, len(names))
    rows = int(np.ceil(len(names) / columns))
    fig, axes = _subplots(rows, columns, 4.2 * columns, 3.2 * rows)
    finished = trials[trials["status"].eq("FINISHED")]
    for ax, name in zip(axes.flat, names, strict=False):
        data = finished[[name, OBJECTIVE_METRIC]].dropna()
        if _is_range(data[name]):
            _number_axis(ax.xaxis, data[name], name in log_sampled)
            ax.scatter(data[name], data[OBJECTIVE_METRIC], alpha=0.8)
        else:
            labels = sorted(data[name].unique(), key=str)
            for i, value in enumerate(labels):
                scores = data.loc[data[name] == value, OBJECTIVE_METRIC]
                jitter = np.random.default_rng(i).uniform(-0.12, 0.12, len(scores))
                ax.scatter(np.full(len(scores), i) + jitter, scores, alpha=0.8)
                ax.hlines(scores.mean(), i - 0.25, i + 0.25, color="black")
            ax.set_xticks(range(len(labels)), [_choice_label(v) for v in labels])
        ax.set_xlabel(name)
        ax.set_ylabel(objective)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.axis("off")
    return fig


def _is_range(values: pd.Series) -> bool:
    """Values drawn as numbers on an axis; fewer than five distinct ones are drawn as choices."""
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.nunique() > 4


def _number_axis(axis, values: pd.Series, log: bool = False) -> None:
    """A log scale when the search sampled the values on one (`log`) or they span more than a decade (ticks at 1, 2
    and 5 times a power of ten while they span less than two, where powers of ten alone would leave one label),
    else at most five ticks: values have many digits (0.00075), and matplotlib's default count of ticks makes such
    labels run together. Every label a plain number."""
    if (values > 0).all() and (log or values.max() / values.min() > 10):
        (axis.axes.set_xscale if axis.axis_name == "x" else axis.axes.set_yscale)("log")
        ratio = values.max() / values.min()
        subs = (1, 1.5, 2, 3, 5, 7) if ratio < 10 else (1, 2, 5) if ratio < 100 else (1,)
        axis.set_major_locator(LogLocator(subs=subs))
        axis.set_minor_formatter(NullFormatter())
    else:
        axis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda x, _: plain_number(x)))


def _choice_label(value) -> str:
    """A choice as a tick label: numbers in at most four significant digits (0.3, not 0.30000000000000004)."""
    if isinstance(value, bool) or value in ("True", "False"):
        return str(value).lower()  # as YAML writes it
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def plain_number(x: float) -> str:
    """Three significant digits without an exponent: 0.00001, not 1e-05."""
    return np.format_float_positional(float(f"{x:.3g}"), trim="-")


class _PlainLogFormatter(LogFormatter):
    """Matplotlib's choice of which log-axis ticks to label, written as plain numbers: 0.6, not 6e-01."""

    def _num_to_string(self, x, vmin, vmax):
        return plain_number(x)


def _training_and_validation(
    ax, curves: dict[str, list[tuple[int, float]]], metric: str, title: str, kept_epoch: int | None = None
) -> None:
    for key, label in ((metric, say("figure.training")), (f"val_{metric}", say("figure.validation"))):
        if curves.get(key):
            steps, values = zip(*curves[key], strict=False)
            ax.plot([s + 1 for s in steps], values, marker=".", label=label)  # epochs from 1, as Keras prints them
    if metric in LOG_SCALED and all(v > 0 for k in (metric, f"val_{metric}") for _, v in curves.get(k, [])):
        ax.set_yscale("log")
        # Plain numbers (0.6, not 6x10^-1): narrower, so they fit a trial figure's fixed margin, and easier to read.
        ax.yaxis.set_major_formatter(_PlainLogFormatter())
        ax.yaxis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False))
    if kept_epoch is not None:
        ax.axvline(kept_epoch + 1, color="grey", ls=":", lw=1, label=say("figure.kept", epoch=kept_epoch + 1))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(say("figure.epoch"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def learning_curves(
    curves: dict[str, list[tuple[int, float]]], title: str, path: Path, kept_epoch: int | None = None
) -> Path:
    """Training beside validation per metric; losses on a log axis; a dotted line at the epoch whose weights were
    kept (the best epoch of the objective)."""
    metrics = [m for m in ("loss", "accuracy", "mae") if m in curves]
    fig, axes = _fixed_figure(4.6 * len(metrics), 3.2, left=0.65, bottom=0.5, columns=len(metrics))
    for ax, metric in zip(axes, metrics, strict=False):
        _training_and_validation(ax, curves, metric, f"{title}: {metric_words(metric)}", kept_epoch)
    return _save(fig, path)


def confusion_matrix(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Counts, coloured by their share of the true class: volume and confusion in one picture."""
    counts = table.to_numpy()
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    labels = [_short(c) for c in table.columns]
    label_inches = CHAR_INCHES * max(len(c) for c in labels)
    cells = 0.42 * len(table) + 1.6
    left, bottom = 0.55 + label_inches, 0.5 + 0.75 * label_inches  # x labels are turned 45 degrees
    fig, (ax,) = _fixed_figure(max(4.6, left + cells + 1.3), max(4.0, bottom + cells + 0.4), left, bottom, right=0.1)
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, shrink=0.8, label=say("figure.share_of_class"))
    ax.set_title(say("figure.confusion", title=title), fontsize=10)
    ax.set_xlabel(say("figure.predicted"))
    ax.set_ylabel(say("figure.true"))
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), v in np.ndenumerate(counts):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color="white" if rates[i, j] > 0.5 else "black")
    return _save(fig, path)


def probability_curves(curves: dict, path: Path, title: str) -> Path:
    """ROC beside precision-recall, one line per class, areas in the legend."""
    fig, (roc, pr) = _fixed_figure(10, 4.6, left=0.65, bottom=0.5, columns=2)
    for name, c in curves.items():
        roc.plot(c["fpr"], c["tpr"], lw=1.2, label=f"{name} (AUC {c['roc_auc']:.3f})")
        pr.plot(c["recall"], c["precision"], lw=1.2, label=f"{name} (AP {c['average_precision']:.3f})")
    roc.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    roc.set(xlabel=say("figure.fpr"), ylabel=say("figure.tpr"))
    roc.set_title(say("figure.roc", title=title), fontsize=10)
    pr.set(xlabel=say("figure.recall"), ylabel=say("figure.precision"), ylim=(0, 1.02))
    pr.set_title(say("figure.pr", title=title), fontsize=10)
    for ax in (roc, pr):
        ax.legend(fontsize=7, loc="lower right" if ax is roc else "lower left")
    return _save(fig, path)


def trial_figures(
    folder: str,
    title: str,
    curves: dict,
    kept_epoch: int | None,
    confusion: pd.DataFrame | None,
    probability: dict | None,
) -> list[str]:
    """A trial's pictures, drawn into `folder` by the artifact process while the next trial trains."""
    into = Path(folder)
    paths = [learning_curves(curves, title, into / "learning_curves.png", kept_epoch)]
    if confusion is not None:
        paths.append(confusion_matrix(confusion, into / "confusion_matrix.png", say("figure.on_test", title=title)))
    if probability:
        paths.append(probability_curves(probability, into / "roc_pr_curves.png", say("figure.on_test", title=title)))
    return [str(p) for p in paths]


def importance_bars(importance: pd.DataFrame, path: Path) -> Path:
    """fANOVA shares, best on top, with one standard deviation over the resampled forests as error bars."""
    fig = _figure(6, 0.4 * len(importance) + 1)
    ax = fig.add_subplot()
    ordered = importance[::-1]
    ax.barh(ordered.index, ordered["mean"], xerr=ordered["sd"].fillna(0), capsize=3)
    ax.set_xlabel(say("figure.importance"))
    return _save(fig, path)


PAIR_PLOT_INCHES = (6.2, 4.4)


def pair_plot(
    trials: pd.DataFrame,
    x: str,
    y: str,
    objective: str,
    direction: str,
    path: Path,
    log_sampled: frozenset = frozenset(),
) -> Path:
    return _save(pair_figure(trials, x, y, objective, direction, log_sampled), path)


def pair_figure(
    trials: pd.DataFrame, x: str, y: str, objective: str, direction: str, log_sampled: frozenset = frozenset()
) -> Figure:
    """Each finished trial at its values of two hyperparameters (the two most important), coloured by the
    objective, the best one ringed: where in the plane the good trials are."""
    fig = _figure(*PAIR_PLOT_INCHES)
    ax = fig.add_subplot()
    finished = trials[trials["status"].eq("FINISHED")].dropna(subset=[x, y, OBJECTIVE_METRIC])
    positions = {
        x: _positions(ax.xaxis, finished[x], x in log_sampled),
        y: _positions(ax.yaxis, finished[y], y in log_sampled),
    }
    scores = finished[OBJECTIVE_METRIC].astype(float)
    points = ax.scatter(positions[x], positions[y], c=scores, cmap="viridis", s=45, alpha=0.85)
    best = scores.idxmax() if direction == "max" else scores.idxmin()
    # Ringed, and named in the report's sentence above the figure: a legend box would sit on some trial's point.
    ax.scatter([positions[x][best]], [positions[y][best]], s=180, facecolors="none", edgecolors="red", lw=1.5)
    fig.colorbar(points, ax=ax, label=objective)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.grid(alpha=0.3)
    return fig


def _positions(axis, values: pd.Series, log: bool = False) -> pd.Series:
    """Where a hyperparameter's values go on `axis`: numbers as they are (`_number_axis`), choices at evenly
    spaced ticks with a little jitter so that equal points do not hide each other."""
    if _is_range(values):
        _number_axis(axis, values, log)
        return values.astype(float)
    labels = sorted(values.unique(), key=lambda v: (str(type(v)), v))
    index = {value: i for i, value in enumerate(labels)}
    jitter = np.random.default_rng(0).uniform(-0.1, 0.1, len(values))
    axis.set_ticks(range(len(labels)), [_choice_label(v) for v in labels])
    return values.map(index).astype(float) + jitter


def curves_side_by_side(curves: dict[str, dict[str, list[tuple[int, float]]]], path: Path) -> Path:
    """One column per search, loss above and accuracy (or MAE) below, shared axes for a fair look."""
    metrics = [m for m in ("loss", "accuracy", "mae") if any(m in c for c in curves.values())]
    fig, axes = _subplots(len(metrics), len(curves), 4.2 * len(curves), 3 * len(metrics), sharey="row")
    for column, (name, series) in enumerate(curves.items()):
        for row, metric in enumerate(metrics):
            _training_and_validation(axes[row][column], series, metric, f"{name}: {metric}")
    return _save(fig, path)


def confusions_side_by_side(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    fig, axes = _subplots(1, len(tables), 4.2 * len(tables), 4)
    for ax, (name, table) in zip(axes[0], tables.items(), strict=False):
        counts = table.to_numpy()
        rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        ax.set_title(name)
        ax.set_xticks(range(len(table.columns)), table.columns, rotation=45, ha="right", fontsize=7)
        ax.set_yticks(range(len(table.index)), table.index, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    return _save(fig, path)


def study_comparison(
    summary: pd.DataFrame,
    label: str,
    metric: str,
    path: Path,
    x: str | None = None,
    baseline: float | None = None,
    baseline_label: str = "baseline",
) -> Path:
    """Mean and standard deviation over seeds per setting: lines over `x` (a sweep or a second hyperparameter),
    or bars when there is nothing to put on the x axis."""
    fig = _figure(7, 3.8)
    ax = fig.add_subplot()
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
        ax.annotate(
            f"{baseline_label} {baseline:.3g}",
            (0, baseline),
            xycoords=("axes fraction", "data"),
            fontsize=8,
            color="grey",
            va="bottom",
        )
    ax.set_ylabel(say("figure.over_seeds", metric=metric_words(metric)))
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def gradient_over_time(means: pd.DataFrame, label: str, panel: str, path: Path, when: str = "before") -> Path:
    """The network's input gradient, `when` ("before" or "after" training), against how many steps before the end
    the input came, one line per value of `label`, on a log scale: a vanishing gradient is a line that falls to
    the left."""
    fig = _figure(7, 3.8)
    ax = fig.add_subplot()
    for value, rows in means.groupby(label, sort=False):
        rows = rows.sort_values("step")
        ax.plot(rows["step"].max() - rows["step"], rows["norm"].clip(lower=1e-30), label=str(value))
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(say("figure.steps_before_end"))
    ax.set_ylabel(say("figure.input_gradient"))
    ax.set_title(say(f"figure.input_gradient_{when}", panel=panel), fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _in_trial_order(trials: pd.DataFrame) -> pd.DataFrame:
    finished = trials[trials["status"].eq("FINISHED")].copy()
    finished["order"] = pd.to_numeric(finished["trial_id"], errors="coerce")
    return finished.sort_values("order")


def overview_png(language: str, *arguments) -> bytes:
    """`overview_figure(*arguments)` in `language`, as PNG bytes: what a process that draws it for another hands
    back (no file to share)."""
    buffer = io.BytesIO()
    with speaking(language):
        overview_figure(*arguments).savefig(buffer, dpi=DPI, format="png")
    return buffer.getvalue()


def overview_figure(
    trials: pd.DataFrame,
    names: list[str],
    objective: str,
    direction: str,
    test_metric: str,
    val_curves: dict[str, list[tuple[int, float]]],
    log_sampled: frozenset = frozenset(),
) -> Figure:
    """The four pictures people know from Optuna and W&B, on one page: the objective by trial with the best so
    far; every trial's validation loss by epoch; validation against test score per trial (do they agree?); and
    parallel coordinates of the searched hyperparameters, coloured by the objective."""
    fig, axes = _subplots(2, 2, 10, 7.4)
    (history, curves), (agreement, parallel) = axes
    ordered = _in_trial_order(trials)
    scores = ordered[OBJECTIVE_METRIC].astype(float)
    best = scores.cummax() if direction == "max" else scores.cummin()
    history.plot(ordered["order"], scores, "o", alpha=0.7, label=say("figure.trial"))
    history.step(ordered["order"], best, where="post", color="black", label=say("figure.best_so_far"))
    history.set(xlabel=say("figure.trial"), ylabel=objective, title=say("figure.by_trial"))
    history.legend(fontsize=8)
    leader = (
        ordered.loc[scores.idxmax() if direction == "max" else scores.idxmin(), "trial_id"] if len(ordered) else None
    )
    for trial_id, points in val_curves.items():
        if points:
            steps, values = zip(*points, strict=False)
            epochs = [s + 1 for s in steps]
            if trial_id == leader:
                curves.plot(
                    epochs, values, lw=2.2, color="black", label=say("figure.best_trial", trial=trial_id), zorder=3
                )
            else:
                curves.plot(epochs, values, lw=1, alpha=0.6)
    if leader in val_curves:
        curves.legend(fontsize=8)
    if all(v > 0 for points in val_curves.values() for _, v in points):
        curves.set_yscale("log")
        curves.yaxis.set_major_formatter(_PlainLogFormatter())
        curves.yaxis.set_minor_formatter(_PlainLogFormatter(labelOnlyBase=False))
    curves.set(
        xlabel=say("figure.epoch"),
        ylabel=metric_words("val_loss"),
        title=say("figure.all_losses", n=len(val_curves)),
    )
    if test_metric in ordered:
        agreement.scatter(ordered[OBJECTIVE_METRIC], ordered[test_metric], alpha=0.8)
        for _, row in ordered.iterrows():
            agreement.annotate(
                str(row["trial_id"]),
                (row[OBJECTIVE_METRIC], row[test_metric]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
    agreement.set(xlabel=objective, ylabel=metric_words(test_metric), title=say("figure.agreement"))
    parallel_coordinates(parallel, ordered, names, objective, log_sampled)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.title.set_fontsize(10)
    return fig


def parallel_coordinates(
    ax, trials: pd.DataFrame, names: list[str], objective: str, log_sampled: frozenset = frozenset()
) -> None:
    """One vertical axis per searched hyperparameter and a last one for the objective (ranges scaled to [0, 1],
    on a log scale when sampled on one or spanning more than a decade; choices evenly spaced), each labelled
    with its own values, one line per trial coloured by the objective."""
    columns, labels = [], []
    for name in [*names, OBJECTIVE_METRIC]:
        values = trials[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numbers = values.astype(float)
            log = (numbers > 0).all() and (name in log_sampled or numbers.max() / numbers.min() > 10)
            scaled = np.log10(numbers) if log else numbers
            low, high = scaled.min(), scaled.max()
            columns.append((scaled - low) / (high - low) if high > low else scaled * 0 + 0.5)
            labels.append(
                [(0.0, plain_number(numbers.min())), (1.0, plain_number(numbers.max()))]
                if high > low
                else [(0.5, plain_number(numbers.iloc[0]))]
            )
        else:
            choices = sorted({str(v) for v in values})
            at = {v: i / max(len(choices) - 1, 1) for i, v in enumerate(choices)}
            columns.append(values.astype(str).map(at))
            labels.append([(at[v], _short(_choice_label(v))) for v in choices])
    table = pd.concat(columns, axis=1).to_numpy(dtype=float)
    scores = trials[OBJECTIVE_METRIC].astype(float).to_numpy()
    span = (scores.max() - scores.min()) or 1.0
    colours = colormaps["viridis"]((scores - scores.min()) / span)
    for row, colour in zip(table, colours, strict=False):
        ax.plot(range(len(columns)), row, color=colour, alpha=0.8, lw=1)
    for i, axis_labels in enumerate(labels):
        ax.axvline(i, color="grey", lw=0.6)
        for y, text in axis_labels:
            ax.annotate(text, (i, y), xytext=(3, 0), textcoords="offset points", fontsize=7, va="center")
    ax.set_xticks(range(len(columns)), [*names, objective], rotation=20, ha="right", fontsize=8)
    ax.set_yticks([])
    ax.set_xlim(-0.2, len(columns) - 0.4)
    ax.set_title(say("figure.parallel", objective=objective))
