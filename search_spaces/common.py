"""Hyperparameters every family shares, and how their values become Keras objects.

Defaults fix the knobs a first search rarely needs (activation, initializer,
regularizer, batch norm, clipping) so that the default search stays small;
an experiment file turns any of them into a choice or a range.
"""

from __future__ import annotations

import keras

from search_spaces.space import SearchSpace


def layer_options(hp, space: SearchSpace) -> dict:
    """Keyword arguments for a weight layer: initializer and regularizer."""
    regularizer = space.declare(hp, "regularizer")
    strength = space.declare(hp, "regularization")
    penalties = {
        "none": None,
        "l1": lambda: keras.regularizers.L1(strength),
        "l2": lambda: keras.regularizers.L2(strength),
        "l1_l2": lambda: keras.regularizers.L1L2(l1=strength, l2=strength),
    }
    make_penalty = penalties[regularizer]
    return {
        "kernel_initializer": space.declare(hp, "initializer"),
        "kernel_regularizer": make_penalty() if make_penalty else None,
    }


def widths(hp, space: SearchSpace, name: str) -> list[int]:
    """Units or filters of each block: the first block's width times `growth` per block."""
    depth, first, growth = space.declare(hp, "depth"), space.declare(hp, name), space.declare(hp, "growth")
    return [max(1, round(first * growth**i)) for i in range(depth)]


def normalize_and_activate(x, hp, space: SearchSpace):
    """Batch norm (when on) goes between the weights and the non-linearity."""
    if space.declare(hp, "batch_norm"):
        x = keras.layers.BatchNormalization()(x)
    return keras.layers.Activation(space.declare(hp, "activation"))(x)


def make_optimizer(hp, space: SearchSpace) -> keras.optimizers.Optimizer:
    name = space.declare(hp, "optimizer")
    learning_rate = space.declare(hp, "learning_rate")
    momentum = space.declare(hp, "momentum")
    nesterov = space.declare(hp, "nesterov")
    clipnorm = space.declare(hp, "clipnorm") or None
    rate = {"learning_rate": learning_rate} if learning_rate else {}
    if name == "sgd":
        return keras.optimizers.SGD(**rate, momentum=momentum, nesterov=nesterov, clipnorm=clipnorm)
    optimizers = {
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "adamw": keras.optimizers.AdamW,
        "nadam": keras.optimizers.Nadam,
    }
    return optimizers[name](**rate, clipnorm=clipnorm)


def value_loss_weight(target_scale: tuple[float, float] | None) -> float | None:
    """The weight that puts a regression's squared error in units of the training target's variance (1 is the
    error of answering the mean), as if it were trained on the standardized target.

    The model answers in the data's units, so an unweighted loss scales with the target's square: a monthly
    series near 15,000 had a loss of 1.95e6 after a good first epoch, and plain SGD on house prices in
    thousands diverged at epoch 1, while a target in millionths would hide a real divergence. Weighted, a
    learning rate and a divergence bound mean the same at any unit; the metrics (mae) stay in the units."""
    if target_scale is None:
        return None
    return 1.0 / target_scale[0] ** 2


def fit_in_batches(model: keras.Model, batch_size: int, x, y=None, validation_data=None, **kwargs):
    """`model.fit` at the trial's batch size, on arrays or on a tf.data stream of (x, y) pairs (batched here,
    as the batch size is per trial; the stream shuffles itself)."""
    if hasattr(x, "batch"):
        x = x.batch(batch_size).prefetch(-1)
        if validation_data is not None:
            validation_data = validation_data.batch(batch_size).prefetch(-1)
        return model.fit(x, validation_data=validation_data, shuffle=False, **kwargs)
    return model.fit(x, y, batch_size=batch_size, validation_data=validation_data, **kwargs)
