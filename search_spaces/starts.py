"""The weights a trial starts from, fitted before the search by the models a person would fit first: ridge
regression for a regression's fixed linear path, logistic regression for the output layer of a text bag or of a
network that reads its inputs directly. Each strength is chosen on validation from the scikit-learn baseline's
grid, so a trial starts where the baseline ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from search_spaces.base import FamilyHyperModel


def fit_starts(hypermodel: FamilyHyperModel, x_train, y_train, x_val, y_val, streamed: bool) -> None:
    """Every start the hypermodel's space has a place for: the ridge path where it has a wide or a linear skip
    path, the text bag's logistic output, and the output layer's linear start, each fitted on the training split
    (the ridge and the linear start need the split as arrays, so a streamed one goes without)."""
    if not streamed and any(n in hypermodel.space.params for n in ("wide", "linear_skip")):
        fit_ridge(hypermodel, x_train, y_train, x_val, y_val)
    if "encoder" in hypermodel.space.params and "bag" in (hypermodel.space.values_of("encoder") or ()):
        fit_bag_logistic(hypermodel, x_train, y_train, x_val, y_val)
    if not streamed:
        fit_linear_start(hypermodel, x_train, y_train, x_val, y_val)


def fit_ridge(hypermodel: FamilyHyperModel, x_train, y_train, x_val, y_val, alphas=(0.1, 10.0, 1000.0)) -> None:
    """Ridge regression from the preprocessed inputs to what the output layer must produce (before the
    target's rescaling and the last value's addition), its strength chosen on validation from the grid the
    scikit-learn baseline uses, for the linear path of a regression."""
    if hypermodel.num_classes is not None or hypermodel.preprocess is None:
        return
    flat = [np.asarray(hypermodel.preprocess()(x)).reshape(len(x), -1).astype("float64") for x in (x_train, x_val)]
    targets = [output_target(hypermodel, x, y) for x, y in ((x_train, y_train), (x_val, y_val))]
    mean_x, mean_t = flat[0].mean(axis=0), targets[0].mean()
    centred = flat[0] - mean_x
    gram, moment = centred.T @ centred, centred.T @ (targets[0] - mean_t)
    best = None
    for alpha in alphas:
        kernel = np.linalg.solve(gram + alpha * np.eye(len(gram)), moment)
        bias = mean_t - mean_x @ kernel
        error = np.abs(flat[1] @ kernel + bias - targets[1]).mean()
        if best is None or error < best[0]:
            best = (error, kernel, bias)
    assert best is not None, "alphas is never empty"
    _, kernel, bias = best
    hypermodel.ridge = (kernel.reshape(-1, 1).astype("float32"), np.array([bias], dtype="float32"))


def fit_bag_logistic(
    hypermodel: FamilyHyperModel, x_train, y_train, x_val, y_val, strengths=(1.0, 10.0, 100.0)
) -> None:
    """Logistic regression on the bag, its C chosen on validation from the scikit-learn baseline's grid, for
    the output layer of a bag trial to start from: trained from random weights, the bag's search on SMS spam
    ended at 0.979 test accuracy against TF-IDF with logistic regression's 0.987."""
    if hypermodel.bag is None or hypermodel.num_classes is None:
        return
    import scipy.sparse

    layers = hypermodel.bag_layers()

    def read(texts):
        rows = []
        for start in range(0, len(texts), 512):
            x = texts[start : start + 512].astype(str)
            for layer in layers:
                x = layer(x)
            rows.append(scipy.sparse.csr_matrix(np.asarray(x)))
        return scipy.sparse.vstack(rows)

    hypermodel.bag_start = fitted_softmax(read(x_train), y_train, read(x_val), y_val, strengths, hypermodel.num_classes)


def fit_linear_start(hypermodel: FamilyHyperModel, x_train, y_train, x_val, y_val, strengths=(0.01, 0.1, 1.0)) -> None:
    """Logistic regression on the preprocessed inputs, its C chosen on validation from the scikit-learn
    baseline's grid, for the output layer of a trial that `reads_inputs` to start from (for values the
    ridge fit, `fit_ridge`, is that start). Trained from random weights, the depth-0 trial on a 569-row table
    scored 0.904 on test against logistic regression's 0.974 on the same rows."""
    if hypermodel.num_classes is None or hypermodel.preprocess is None or not hypermodel.can_read_inputs():
        return
    train, val = (
        np.asarray(hypermodel.preprocess()(x)).reshape(len(x), -1).astype("float64") for x in (x_train, x_val)
    )
    hypermodel.linear_start = fitted_softmax(train, y_train, val, y_val, strengths, hypermodel.num_classes)


def output_target(hypermodel: FamilyHyperModel, x, y) -> np.ndarray:
    """`y` in the output layer's units: without the last observed value and the target's scale."""
    target = np.asarray(y, dtype="float64").reshape(len(y))
    if hypermodel.last_value_index is not None:
        target = target - np.asarray(x)[:, -1, hypermodel.last_value_index]
    if hypermodel.target_scale is not None:
        scale, offset = hypermodel.target_scale
        target = (target - offset) / scale
    return target


def fitted_softmax(train, y_train, val, y_val, strengths, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression fitted at each C of `strengths`, the best on validation accuracy (the first among
    ties, as the scikit-learn baseline picks), as the kernel and bias of a softmax layer of `classes` units."""
    from sklearn.linear_model import LogisticRegression

    best = None
    for c in strengths:
        model = LogisticRegression(C=c, max_iter=2000).fit(train, y_train)
        accuracy = float((model.predict(val) == y_val).mean())
        if best is None or accuracy > best[0]:
            best = (accuracy, model)
    assert best is not None, "strengths is never empty"
    return output_weights(best[1], train.shape[1], classes)


def output_weights(model, features: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A fitted scikit-learn logistic regression as the kernel and bias of a softmax layer of `classes` units."""
    kernel = np.zeros((features, classes), dtype="float32")
    bias = np.zeros(classes, dtype="float32")
    if len(model.classes_) == 2:  # one weight vector: softmax over (0, z) is the sigmoid of z
        kernel[:, model.classes_[1]], bias[model.classes_[1]] = model.coef_[0], model.intercept_[0]
    else:
        kernel[:, model.classes_] = model.coef_.T
        bias[model.classes_] = model.intercept_
    return kernel, bias
