"""Hyperparameters every family shares, and how their values become Keras objects.

Defaults fix the knobs a first search rarely needs (activation, initializer,
regularizer, batch norm, clipping) so that the default search stays small;
an experiment file turns any of them into a choice or a range.
"""

from __future__ import annotations

import keras

from search_spaces.space import Choice, Fixed, Hyperparameter, Range, SearchSpace

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid")
INITIALIZERS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_normal",
    "random_normal",
    "zeros",
    "ones",
)
REGULARIZERS = ("none", "l1", "l2", "l1_l2")
OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw", "nadam")

COMMON = (
    Hyperparameter("activation", str, Fixed("relu"), options=ACTIVATIONS),
    Hyperparameter("batch_norm", bool, Fixed(False)),
    Hyperparameter("dropout", float, Range(0.0, 0.5, step=0.1), bounds=(0.0, 0.95)),
    Hyperparameter("initializer", str, Fixed("glorot_uniform"), options=INITIALIZERS),
    Hyperparameter("regularizer", str, Fixed("none"), options=REGULARIZERS),
    Hyperparameter(
        "regularization",
        float,
        Range(1e-5, 1e-2, sampling="log"),
        bounds=(0.0, 1.0),
        when=("regularizer", ("l1", "l2", "l1_l2")),
    ),
    Hyperparameter("optimizer", str, Choice(("adam", "rmsprop", "sgd")), options=OPTIMIZERS),
    Hyperparameter("learning_rate", float, Range(1e-4, 1e-2, sampling="log"), bounds=(0.0, 10.0),
                   help="0 takes the optimizer's Keras default (SGD 0.01, the others 0.001)"),
    Hyperparameter("momentum", float, Range(0.0, 0.95), bounds=(0.0, 0.999), when=("optimizer", ("sgd",))),
    Hyperparameter("nesterov", bool, Fixed(False), when=("optimizer", ("sgd",))),
    Hyperparameter("clipnorm", float, Fixed(0.0), bounds=(0.0, None), help="0 turns clipping off"),
    Hyperparameter("growth", float, Fixed(1.0), bounds=(0.25, 4.0), help="width multiplier from one block to the next"),
    Hyperparameter("batch_size", int, Choice((32, 64)), bounds=(1, None)),
)


TEXT = (
    Hyperparameter("max_tokens", int, Fixed(10000), bounds=(3, 1_000_000), help="vocabulary size"),
    Hyperparameter("sequence_length", int, Fixed(64), bounds=(1, 100_000), help="tokens kept per text"),
    Hyperparameter("embedding_dim", int, Choice((32, 64)), bounds=(1, 4096)),
)


def catalogue(*family_params: Hyperparameter, exclude: tuple[str, ...] = (), **defaults) -> tuple[Hyperparameter, ...]:
    """A family's full catalogue: its own knobs first, then the shared ones it uses, with its defaults."""
    shared = tuple(
        p.with_default(defaults.pop(p.name)) if p.name in defaults else p for p in COMMON if p.name not in exclude
    )
    if defaults:
        raise TypeError(f"no shared hyperparameter named {', '.join(defaults)}")
    return family_params + shared


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
