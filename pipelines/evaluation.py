"""Scores and pictures of one trained model: final metrics, per-class report, confusion matrix.

Files are written to a folder the caller logs to MLflow; nothing here knows
about MLflow, so the same functions serve a report or a notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import metrics as sk_metrics  # noqa: E402


def classification_scores(y_true: np.ndarray, probabilities: np.ndarray, prefix: str) -> dict[str, float]:
    y_pred = probabilities.argmax(axis=1)
    precision, recall, f1, _ = sk_metrics.precision_recall_fscore_support(
        y_true, y_pred, average="macro", zero_division=0
    )
    return {
        f"{prefix}_accuracy": float(sk_metrics.accuracy_score(y_true, y_pred)),
        f"{prefix}_precision_macro": float(precision),
        f"{prefix}_recall_macro": float(recall),
        f"{prefix}_f1_macro": float(f1),
    }


def regression_scores(y_true: np.ndarray, predictions: np.ndarray, prefix: str) -> dict[str, float]:
    y_pred = predictions.reshape(len(y_true))
    return {
        f"{prefix}_mae": float(sk_metrics.mean_absolute_error(y_true, y_pred)),
        f"{prefix}_mse": float(sk_metrics.mean_squared_error(y_true, y_pred)),
        f"{prefix}_rmse": float(np.sqrt(sk_metrics.mean_squared_error(y_true, y_pred))),
        f"{prefix}_r2": float(sk_metrics.r2_score(y_true, y_pred)),
    }


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, class_names: tuple[str, ...]) -> pd.DataFrame:
    labels = list(range(len(class_names)))
    precision, recall, f1, support = sk_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return pd.DataFrame(
        {"class": class_names, "precision": precision, "recall": recall, "f1": f1, "support": support}
    )


def confusion_table(y_true: np.ndarray, y_pred: np.ndarray, class_names: tuple[str, ...]) -> pd.DataFrame:
    """Counts with true classes as rows and predicted classes as columns."""
    matrix = sk_metrics.confusion_matrix(y_true, y_pred, labels=list(range(len(class_names))))
    return pd.DataFrame(matrix, index=pd.Index(class_names, name="true"), columns=list(class_names))


def plot_confusion(table: pd.DataFrame, path: Path, title: str) -> Path:
    """Counts beside row-normalized rates: counts show volume, rates show which class is confused."""
    counts = table.to_numpy()
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(table) + 2)
    fig, axes = plt.subplots(1, 2, figsize=(2 * size, size), constrained_layout=True)
    for ax, values, label, fmt in ((axes[0], counts, "counts", "d"), (axes[1], rates, "normalized by true class", ".2f")):
        ax.imshow(values, cmap="Blues")
        ax.set_title(f"{title}: {label}")
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_xticks(range(len(table.columns)), table.columns, rotation=45, ha="right")
        ax.set_yticks(range(len(table.index)), table.index)
        threshold = values.max() / 2 if values.max() else 1
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, format(v, fmt), ha="center", va="center", fontsize=7,
                    color="white" if v > threshold else "black")
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


def write_test_artifacts(y_true, probabilities, class_names: tuple[str, ...], folder: Path, title: str):
    """Confusion matrix (CSV, so matrices compare across runs, and PNG), per-class report, ROC and PR curves.

    Returns the files and the areas under the curves as `test_*` metrics.
    """
    y_pred = probabilities.argmax(axis=1)
    table = confusion_table(y_true, y_pred, class_names)
    table.to_csv(folder / "confusion_matrix.csv")
    per_class_report(y_true, y_pred, class_names).to_csv(folder / "per_class_report.csv", index=False)
    curves = probability_curves(y_true, probabilities, class_names)
    (folder / "roc_pr_curves.json").write_text(json.dumps(curves))
    files = [
        folder / "confusion_matrix.csv",
        folder / "per_class_report.csv",
        plot_confusion(table, folder / "confusion_matrix.png", title),
        folder / "roc_pr_curves.json",
        plot_probability_curves(curves, folder / "roc_pr_curves.png", title),
    ]
    return files, probability_scores(curves, "test")


def _one_vs_rest(y_true: np.ndarray, probabilities: np.ndarray, class_names: tuple[str, ...]):
    """(class name, is-that-class, its probability) per curve; two classes need only the second one's."""
    classes = [1] if len(class_names) == 2 else range(len(class_names))
    for k in classes:
        yield class_names[k], (y_true == k).astype(int), probabilities[:, k]


def probability_curves(y_true: np.ndarray, probabilities: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """ROC and precision-recall points per class (one-vs-rest) with their areas, as plain lists for JSON.

    A class absent from `y_true` has no curve: its recall is undefined.
    """
    curves = {}
    for name, truth, score in _one_vs_rest(y_true, probabilities, class_names):
        if truth.min() == truth.max():
            continue
        fpr, tpr, _ = sk_metrics.roc_curve(truth, score)
        precision, recall, _ = sk_metrics.precision_recall_curve(truth, score)
        curves[name] = {
            "roc_auc": float(sk_metrics.roc_auc_score(truth, score)),
            "average_precision": float(sk_metrics.average_precision_score(truth, score)),
            "fpr": fpr.tolist(), "tpr": tpr.tolist(),
            "precision": precision.tolist(), "recall": recall.tolist(),
        }
    return curves


def probability_scores(curves: dict, prefix: str) -> dict[str, float]:
    """Macro averages of the per-class areas."""
    if not curves:
        return {}
    return {
        f"{prefix}_roc_auc_macro": float(np.mean([c["roc_auc"] for c in curves.values()])),
        f"{prefix}_average_precision_macro": float(np.mean([c["average_precision"] for c in curves.values()])),
    }


def plot_probability_curves(curves: dict, path: Path, title: str) -> Path:
    """ROC beside precision-recall, one line per class, areas in the legend."""
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    for name, c in curves.items():
        roc.plot(c["fpr"], c["tpr"], lw=1.2, label=f"{name} (AUC {c['roc_auc']:.3f})")
        pr.plot(c["recall"], c["precision"], lw=1.2, label=f"{name} (AP {c['average_precision']:.3f})")
    roc.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
    roc.set(title=f"{title}: ROC (one-vs-rest)", xlabel="false positive rate", ylabel="true positive rate")
    pr.set(title=f"{title}: precision-recall", xlabel="recall", ylabel="precision", ylim=(0, 1.02))
    for ax in (roc, pr):
        ax.legend(fontsize=7, loc="lower right" if ax is roc else "lower left")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def near_zero_share(model, tolerance: float = 1e-3) -> float:
    """Share of kernel weights (dense, convolution, recurrent) below `tolerance` in size: what L1 pushes to zero."""
    kernels = [np.abs(np.asarray(w)).ravel() for w in model.weights if w.path.endswith("kernel")]
    if not kernels:
        return float("nan")
    values = np.concatenate(kernels)
    return float((values < tolerance).mean())


def write_layer_table(model, path: Path) -> Path:
    """Layers, output shapes and parameter counts, for the report's architecture section."""
    rows = [
        {
            "layer": layer.name,
            "type": type(layer).__name__,
            "output_shape": str(tuple(layer.output.shape)) if hasattr(layer, "output") else "-",
            "parameters": layer.count_params(),
        }
        for layer in model.layers
    ]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
