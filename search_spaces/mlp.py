"""Dense blocks for tabular features (images are flattened first)."""

from __future__ import annotations

import keras

from search_spaces.base import FamilyHyperModel
from search_spaces.common import layer_options, normalize_and_activate, widths


class MLP(FamilyHyperModel):
    """`depth` blocks of dense layer, normalization, activation and dropout."""

    family = "mlp"
    input_ranks = (1, 2, 3)
    input_ranks_hint = "features (or images, which are flattened)"

    def reads_inputs(self, hp) -> bool:
        return self.space.declare(hp, "depth") == 0

    def can_read_inputs(self) -> bool:
        values = self.space.values_of("depth")
        return 0 in values if values is not None else self.space.specs["depth"].min <= 0  # type: ignore[union-attr]

    def features(self, x, hp):
        x = keras.layers.Flatten()(x) if len(x.shape) > 2 else x
        options = layer_options(hp, self.space)
        dropout = self.space.declare(hp, "dropout")
        # Declared even at depth 0, where no block reads them: KerasTuner's grid looks every hyperparameter up in
        # every trial it has run, and fails on one a trial never declared.
        self.space.declare(hp, "batch_norm")
        self.space.declare(hp, "activation")
        for units in widths(hp, self.space, "units"):
            x = keras.layers.Dense(units, **options)(x)
            x = normalize_and_activate(x, hp, self.space)
            x = keras.layers.Dropout(dropout)(x)
        return x
