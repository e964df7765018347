"""Every family's hyperparameters as plain data: names, kinds, default search ranges, legal values.

Kept apart from the Keras code that builds the models, so an experiment file
is checked against the catalogue without importing TensorFlow: a typo costs
a second, not a framework start-up.
"""

from __future__ import annotations

import dataclasses

from search_spaces.space import Choice, Fixed, Hyperparameter, Range

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
    Hyperparameter(
        "learning_rate",
        float,
        Range(1e-4, 1e-2, sampling="log"),
        bounds=(0.0, 10.0),
        point=1e-3,
        help="0 takes the optimizer's Keras default (SGD 0.01, the others 0.001)",
    ),
    Hyperparameter("momentum", float, Range(0.0, 0.95), bounds=(0.0, 0.999), when=("optimizer", ("sgd",)), point=0.9),
    Hyperparameter("nesterov", bool, Fixed(False), when=("optimizer", ("sgd",))),
    Hyperparameter("clipnorm", float, Fixed(0.0), bounds=(0.0, None), help="0 turns clipping off"),
    Hyperparameter("growth", float, Fixed(1.0), bounds=(0.25, 4.0), help="width multiplier from one block to the next"),
    Hyperparameter("batch_size", int, Choice((32, 64)), bounds=(1, None)),
)


ENCODERS = ("bag", "sequence")
SEQUENCE = ("encoder", ("sequence",))  # the condition of everything that reads text as a sequence of tokens
# How a text family reads text: as a bag of words and word pairs weighted by TF-IDF into the output layer (the
# TF-IDF + logistic regression baseline as a Keras model), or as a sequence of embedded tokens through the family's
# own layers. Declared first, so the sequence knobs can be conditional on it.
ENCODER = Hyperparameter(
    "encoder",
    str,
    Choice(ENCODERS),
    options=ENCODERS,
    point="sequence",
    help="bag: TF-IDF of words and word pairs into the output layer; sequence: embedded "
    "tokens through the family's layers",
)
TEXT = (
    Hyperparameter("max_tokens", int, Fixed(10000), bounds=(3, 1_000_000), when=SEQUENCE, help="vocabulary size"),
    Hyperparameter(
        "sequence_length",
        int,
        Fixed(64),
        bounds=(1, 100_000),
        when=SEQUENCE,
        help="tokens kept per text; default: read from the training texts",
    ),
    Hyperparameter("embedding_dim", int, Choice((32, 64)), bounds=(1, 4096), when=SEQUENCE),
)
# The shared knobs that only the sequence encoder's layers use.
SEQUENCE_SHARED = ("activation", "batch_norm", "initializer", "growth", "regularizer")

# A series: a linear autoregressive path from the window to the output, added to the network's (LSTNet's
# "highway"), so the network learns the residual over what ridge regression on the window learns.
LINEAR_SKIP = Hyperparameter(
    "linear_skip",
    bool,
    Choice((True, False)),
    help="a linear path from the window to the output, added to the network's",
)


def assemble(*family_params: Hyperparameter, exclude: tuple[str, ...] = (), **defaults) -> tuple[Hyperparameter, ...]:
    """A family's full catalogue: its own knobs first, then the shared ones it uses, with its defaults."""
    shared = tuple(
        p.with_default(defaults.pop(p.name)) if p.name in defaults else p for p in COMMON if p.name not in exclude
    )
    if defaults:
        raise TypeError(f"no shared hyperparameter named {', '.join(defaults)}")
    return family_params + shared


POOLINGS = ("max", "average", "none")
FLIPS = ("none", "horizontal", "vertical", "horizontal_and_vertical")
CELLS = ("simple", "lstm", "gru")
HEADS = ("last", "attention")
MODES = ("feature_extraction", "fine_tuning")
ALL = -1  # frozen_layers: every layer of the base

CATALOGUES: dict[str, tuple[Hyperparameter, ...]] = {
    "mlp": assemble(
        Hyperparameter(
            "depth",
            int,
            Range(0, 3),
            bounds=(0, 32),
            point=1,
            help="hidden blocks; 0 is softmax or linear regression on the inputs",
        ),
        Hyperparameter("units", int, Choice((32, 64, 128)), bounds=(1, 16384)),
        Hyperparameter(
            "wide",
            bool,
            Choice((True, False)),
            point=False,
            help="a linear path from the inputs to the output, added to the deep path's (Wide & Deep)",
        ),
    ),
    "cnn": assemble(
        Hyperparameter("depth", int, Range(1, 3), bounds=(1, 12)),
        Hyperparameter("filters", int, Choice((16, 32, 64)), bounds=(1, 4096)),
        Hyperparameter("kernel_size", int, Choice((3, 5)), bounds=(1, 15)),
        Hyperparameter("pooling", str, Fixed("max"), options=POOLINGS),
        Hyperparameter("pooling_every", int, Fixed(1), bounds=(1, 12), help="pool after every n-th block"),
        Hyperparameter("dilation_rate", int, Fixed(1), bounds=(1, 16)),
        Hyperparameter("residual", bool, Fixed(False), help="skip connection around each block"),
        Hyperparameter("global_pooling", bool, Fixed(False)),
        Hyperparameter("augment_flip", str, Fixed("none"), options=FLIPS),
        Hyperparameter("augment_rotation", float, Fixed(0.0), bounds=(0.0, 0.5), help="fraction of a full turn"),
        Hyperparameter("augment_zoom", float, Fixed(0.0), bounds=(0.0, 0.5)),
        Hyperparameter("augment_translation", float, Fixed(0.0), bounds=(0.0, 0.5), help="fraction of the size"),
    ),
    "rnn": assemble(
        Hyperparameter("cell", str, Choice(("lstm", "gru")), options=CELLS),
        Hyperparameter("bidirectional", bool, Fixed(False)),
        Hyperparameter("depth", int, Fixed(1), bounds=(1, 8)),
        Hyperparameter("units", int, Choice((32, 64)), bounds=(1, 4096)),
        Hyperparameter("recurrent_dropout", float, Fixed(0.0), bounds=(0.0, 0.95)),
        Hyperparameter("head", str, Fixed("last"), options=HEADS),
        exclude=("batch_norm",),
        activation=Fixed("tanh"),
        dropout=Fixed(0.0),
    ),
    "transfer": assemble(
        Hyperparameter("frozen_layers", int, Fixed(ALL), bounds=(ALL, 10_000), aliases=(("all", ALL),)),
        Hyperparameter("mode", str, Fixed("feature_extraction"), options=MODES),
        Hyperparameter("fine_tune_factor", float, Fixed(0.01), bounds=(1e-4, 1.0)),
        exclude=("batch_norm", "activation", "initializer", "regularizer", "regularization", "growth"),
    ),
    # A builder the user writes (search_spaces/custom.py): the runner's compile step and batch size only.
    "custom": assemble(
        exclude=("activation", "batch_norm", "dropout", "initializer", "regularizer", "regularization", "growth")
    ),
}
READS_TEXT = ("cnn", "rnn")  # the families that take raw text (through a vocabulary and an embedding)


def full_catalogue(family: str, text: bool = False, series: bool = False) -> tuple[Hyperparameter, ...]:
    """A family's hyperparameters for its data: on text, the encoder first and the sequence encoder's knobs
    conditional on it; on a series, the linear skip in place of the wide path."""
    params = CATALOGUES[family]
    if family == "custom":  # the builder reads the data as it likes
        return params
    if text and family in READS_TEXT:
        shared = {p.name for p in COMMON} - set(SEQUENCE_SHARED)
        params = (
            ENCODER,
            *(p if p.name in shared or p.when else dataclasses.replace(p, when=SEQUENCE) for p in params),
            *TEXT,
        )
    if series:
        params = (*(p for p in params if p.name != "wide"), LINEAR_SKIP)
    return params
