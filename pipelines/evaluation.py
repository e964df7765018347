"""Scores of one trained model: final metrics, per-class report, confusion matrix, ROC and precision-recall.

Files are written to a folder the caller logs to MLflow; nothing here knows
about MLflow, so the same functions serve a report or a notebook. The
pictures of them are drawn by `reports.figures`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn import metrics as sk_metrics


def classification_scores(y_true: np.ndarray, probabilities: np.ndarray, prefix: str) -> dict[str, float]:
    y_pred = probabilities.argmax(axis=1)
    precision, recall, f1, _ = sk_metrics.precision_recall_fscore_support(
        y_true, y_pred, average="macro", zero_division=0
    )
    answered = probabilities[np.arange(len(y_true)), np.asarray(y_true, dtype=int)]
    return {
        f"{prefix}accuracy": float(sk_metrics.accuracy_score(y_true, y_pred)),
        f"{prefix}loss": float(-np.log(np.clip(answered, 1e-7, 1.0)).mean()),  # Keras' cross-entropy
        f"{prefix}precision_macro": float(precision),
        f"{prefix}recall_macro": float(recall),
        f"{prefix}f1_macro": float(f1),
    }


def regression_scores(y_true: np.ndarray, predictions: np.ndarray, prefix: str) -> dict[str, float]:
    y_pred = predictions.reshape(len(y_true))
    return {
        f"{prefix}mae": float(sk_metrics.mean_absolute_error(y_true, y_pred)),
        f"{prefix}mse": float(sk_metrics.mean_squared_error(y_true, y_pred)),
        f"{prefix}rmse": float(np.sqrt(sk_metrics.mean_squared_error(y_true, y_pred))),
        f"{prefix}r2": float(sk_metrics.r2_score(y_true, y_pred)),
    }


def per_class_report(y_true: np.ndarray, y_pred: np.ndarray, class_names: tuple[str, ...]) -> pd.DataFrame:
    labels = list(range(len(class_names)))
    precision, recall, f1, support = sk_metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return pd.DataFrame({"class": class_names, "precision": precision, "recall": recall, "f1": f1, "support": support})


def confusion_table(y_true: np.ndarray, y_pred: np.ndarray, class_names: tuple[str, ...]) -> pd.DataFrame:
    """Counts with true classes as rows and predicted classes as columns."""
    matrix = sk_metrics.confusion_matrix(y_true, y_pred, labels=list(range(len(class_names))))
    return pd.DataFrame(matrix, index=pd.Index(class_names, name="true"), columns=list(class_names))


class TestArtifacts(NamedTuple):
    files: list[Path]  # written: confusion matrix (CSV, so matrices compare across runs), per-class report, curves
    confusion: pd.DataFrame
    curves: dict  # ROC and precision-recall points per class
    scores: dict[str, float]  # areas under the curves, their names after `prefix`


def write_test_artifacts(
    y_true, probabilities, class_names: tuple[str, ...], folder: Path, prefix: str
) -> TestArtifacts:
    """The test split's confusion matrix, per-class report and ROC / precision-recall points, as files."""
    y_pred = probabilities.argmax(axis=1)
    table = confusion_table(y_true, y_pred, class_names)
    table.to_csv(folder / "confusion_matrix.csv")
    per_class_report(y_true, y_pred, class_names).to_csv(folder / "per_class_report.csv", index=False)
    curves = probability_curves(y_true, probabilities, class_names)
    (folder / "roc_pr_curves.json").write_text(json.dumps(curves))
    files = [folder / "confusion_matrix.csv", folder / "per_class_report.csv", folder / "roc_pr_curves.json"]
    return TestArtifacts(files, table, curves, probability_scores(curves, prefix))


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
            "fpr": fpr.tolist(),
            "tpr": tpr.tolist(),
            "precision": precision.tolist(),
            "recall": recall.tolist(),
        }
    return curves


def probability_scores(curves: dict, prefix: str) -> dict[str, float]:
    """Macro averages of the per-class areas."""
    if not curves:
        return {}
    return {
        f"{prefix}roc_auc_macro": float(np.mean([c["roc_auc"] for c in curves.values()])),
        f"{prefix}average_precision_macro": float(np.mean([c["average_precision"] for c in curves.values()])),
    }


def near_zero_share(model, tolerance: float = 1e-3) -> float:
    """Share of kernel weights (dense, convolution, recurrent) below `tolerance` in size: what L1 pushes to zero."""
    kernels = [np.abs(np.asarray(w)).ravel() for w in model.weights if w.path.endswith("kernel")]
    if not kernels:
        return float("nan")
    values = np.concatenate(kernels)
    return float((values < tolerance).mean())


def input_gradient_norms(model, x, y, samples: int = 256) -> np.ndarray | None:
    """The mean size, over `samples` sequences, of the loss's gradient with respect to each input step.

    Taken before training, it is the picture the vanishing gradient is drawn
    with: how much a step T steps before the end can move the weights. Only
    for float sequences (samples, steps, features) on the TensorFlow backend;
    None otherwise (tokens have no gradient, other backends are not measured).
    """
    if not isinstance(x, np.ndarray) or x.ndim != 3 or x.dtype.kind != "f":
        return None
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    inputs, targets = tf.constant(x[:samples]), y[:samples]
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        # No `training=` argument: Keras before 3.4 does not take one; the loss is the same either way.
        loss = model.compute_loss(x=inputs, y=targets, y_pred=model(inputs, training=False))
    gradient = tape.gradient(loss, inputs)
    return None if gradient is None else np.linalg.norm(gradient.numpy(), axis=2).mean(axis=0)


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
