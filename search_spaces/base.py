"""The contract every model family fulfils, so the search never needs to know which one runs.

Call order, as KerasTuner drives it: the constructor checks that the data fits
the family and that the overrides are valid (both before any training);
`build(hp)` declares the hyperparameters it reads and returns a compiled model;
`fit(hp, model, ...)` trains it with the trial's batch size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import keras
import keras_tuner

from search_spaces.common import make_optimizer
from search_spaces.space import Hyperparameter, SearchSpace


class InputShapeError(ValueError):
    """The data's shape does not fit the family (e.g. flat features for a CNN)."""


class FamilyHyperModel(keras_tuner.HyperModel):
    """Base of every family: the input, the output head and the compile step.

    Subclasses set `family` and `catalogue` and implement `features(inputs, hp)`.
    `num_classes=None` means regression with one output.
    """

    family: ClassVar[str]
    catalogue: ClassVar[tuple[Hyperparameter, ...]]
    input_ranks: ClassVar[tuple[int, ...]]
    input_ranks_hint: ClassVar[str]

    def __init__(self, input_shape: tuple[int, ...], num_classes: int | None, overrides: Mapping[str, Any] | None = None):
        super().__init__(name=self.family)
        self.input_shape = tuple(input_shape)
        self.num_classes = num_classes
        if len(self.input_shape) not in self.input_ranks:
            raise InputShapeError(
                f"the {self.family} family needs {self.input_ranks_hint}, but the data has samples of shape "
                f"{self.input_shape}."
            )
        self.space = SearchSpace(self.catalogue, overrides)

    def features(self, inputs, hp: keras_tuner.HyperParameters):
        raise NotImplementedError

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        inputs = keras.Input(self.input_shape)
        x = self.features(inputs, hp)
        x = keras.layers.Dropout(self.space.declare(hp, "dropout"))(x)
        if self.num_classes is None:
            outputs = keras.layers.Dense(1)(x)
            loss, metrics = "mse", ["mae"]
        else:
            outputs = keras.layers.Dense(self.num_classes, activation="softmax")(x)
            loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
        model = keras.Model(inputs, outputs, name=self.family)
        model.compile(optimizer=make_optimizer(hp, self.space), loss=loss, metrics=metrics)
        # Declared here, read in fit: KerasTuner learns the space from build() alone.
        self.space.declare(hp, "batch_size")
        return model

    def fit(self, hp: keras_tuner.HyperParameters, model: keras.Model, *args, **kwargs):
        return model.fit(*args, batch_size=self.space.declare(hp, "batch_size"), **kwargs)
