"""Recurrent layers over sequences (steps, features) or embedded text: SimpleRNN, LSTM or GRU."""

from __future__ import annotations

import keras

from search_spaces.base import FamilyHyperModel
from search_spaces.common import layer_options, widths

CELL_LAYERS = {"simple": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def attention_pooling(x):
    """A learned weight per time step, softmax over time, weighted sum: the model chooses where to look."""
    weights = keras.layers.Softmax(axis=1)(keras.layers.Dense(1)(x))
    return keras.layers.Flatten()(keras.layers.Dot(axes=1)([weights, x]))


class RNN(FamilyHyperModel):
    """`depth` stacked recurrent layers (optionally bidirectional), then the last state or attention pooling.

    `dropout` applies to each layer's inputs and `recurrent_dropout` to its
    state; `activation` is the cell's (tanh by default, as the cells are designed).
    """

    family = "rnn"
    input_ranks = (2,)
    input_ranks_hint = "sequences (steps, features); for images use data.layout: sequence"

    def features(self, x, hp):
        cell = CELL_LAYERS[self.space.declare(hp, "cell")]
        bidirectional = self.space.declare(hp, "bidirectional")
        head = self.space.declare(hp, "head")
        options = dict(
            activation=self.space.declare(hp, "activation"),
            dropout=self.space.declare(hp, "dropout"),
            recurrent_dropout=self.space.declare(hp, "recurrent_dropout"),
            **layer_options(hp, self.space),
        )
        sizes = widths(hp, self.space, "units")
        for i, units in enumerate(sizes):
            layer = cell(units, return_sequences=i < len(sizes) - 1 or head == "attention", **options)
            x = (keras.layers.Bidirectional(layer) if bidirectional else layer)(x)
        return attention_pooling(x) if head == "attention" else x
