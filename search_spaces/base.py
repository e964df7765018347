"""The contract every model family fulfils, so the search never needs to know which one runs.

Call order, as KerasTuner drives it: the constructor checks that the data fits
the family and that the overrides are valid (both before any training);
`build(hp)` declares the hyperparameters it reads and returns a compiled model;
`fit(hp, model, ...)` trains it with the trial's batch size.

The data's preprocessing (standardization, pixel rescaling, text
vectorization) is the model's first layer and a regression target's scale
its last, so a saved model takes raw input and answers in the data's units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import keras
import keras_tuner
import numpy as np

from search_spaces.catalogue import READS_TEXT, full_catalogue
from search_spaces.common import make_optimizer
from search_spaces.space import Hyperparameter, SearchSpace


class InputShapeError(ValueError):
    """The data's shape does not fit the family (e.g. flat features for a CNN)."""


class FamilyHyperModel(keras_tuner.HyperModel):
    """Base of every family: input, preprocessing, output head and the compile step.

    Subclasses set `family` (their hyperparameters are `CATALOGUES[family]`),
    `input_ranks` (ranks of one sample the family accepts; text arrives
    embedded as rank 2 for the families in `READS_TEXT`) and implement
    `features(x, hp)`. `num_classes=None` means regression.
    """

    family: ClassVar[str]
    input_ranks: ClassVar[tuple[int, ...]]
    input_ranks_hint: ClassVar[str]

    def __init__(
        self,
        input_shape: tuple[int, ...],
        num_classes: int | None,
        overrides: Mapping[str, Any] | None = None,
        *,
        preprocess: Callable[[], keras.layers.Layer] | None = None,
        vocabulary: Sequence[str] | None = None,
        target_scale: tuple[float, float] | None = None,
        last_value_index: int | None = None,
    ):
        super().__init__(name=self.family)
        self.input_shape = tuple(input_shape)
        self.num_classes = num_classes
        self.preprocess = preprocess
        self.vocabulary = list(vocabulary) if vocabulary is not None else None
        self.target_scale = target_scale
        self.last_value_index = last_value_index  # set: the output is a change added to this input's last value
        if self.vocabulary is not None and self.family not in READS_TEXT:
            raise InputShapeError(f"the {self.family} family does not read text; use rnn or cnn for text.")
        if self.vocabulary is None and len(self.input_shape) not in self.input_ranks:
            raise InputShapeError(
                f"the {self.family} family needs {self.input_ranks_hint}, but the data has samples of shape "
                f"{self.input_shape}."
            )
        self.space = SearchSpace(self.full_catalogue(text=self.vocabulary is not None), overrides)

    @classmethod
    def full_catalogue(cls, text: bool) -> tuple[Hyperparameter, ...]:
        """The family's hyperparameters, with the tokenizer and embedding ones when it reads text."""
        return full_catalogue(cls.family, text)

    def features(self, x, hp: keras_tuner.HyperParameters):
        raise NotImplementedError

    def _text_input(self, hp):
        """Raw strings -> token ids -> embeddings; the vocabulary is the training split's, most frequent first."""
        max_tokens = self.space.declare(hp, "max_tokens")
        inputs = keras.Input((), dtype="string")
        vectorize = keras.layers.TextVectorization(
            max_tokens=max_tokens,
            output_sequence_length=self.space.declare(hp, "sequence_length"),
            vocabulary=[t for t in self.vocabulary if t not in ("", "[UNK]")][: max_tokens - 2],
        )
        embed = keras.layers.Embedding(max_tokens, self.space.declare(hp, "embedding_dim"))
        return inputs, embed(vectorize(inputs))

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        if self.vocabulary is not None:
            inputs, x = self._text_input(hp)
        else:
            inputs = x = keras.Input(self.input_shape)
            if self.preprocess is not None:
                x = self.preprocess()(x)
        x = self.features(x, hp)
        if self.num_classes is None:
            outputs = keras.layers.Dense(1)(x)
            if self.target_scale is not None:
                scale, offset = self.target_scale
                outputs = keras.layers.Rescaling(scale, offset=offset)(outputs)
            if self.last_value_index is not None:
                outputs = keras.layers.Add(name="from_last_value")([outputs, self._last_value(inputs)])
            loss, metrics = "mse", ["mae"]
        else:
            outputs = keras.layers.Dense(self.num_classes, activation="softmax")(x)
            loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
        model = keras.Model(inputs, outputs, name=self.family)
        model.compile(optimizer=make_optimizer(hp, self.space), loss=loss, metrics=metrics)
        # Declared here, read in fit: KerasTuner learns the space from build() alone.
        self.space.declare(hp, "batch_size")
        return model

    def _last_value(self, inputs):
        """The raw last step's target value, from stock layers only, so the saved model loads anywhere: the last
        step cropped out, then a fixed one-hot weight vector picks the target among the inputs."""
        steps, features = self.input_shape
        last = keras.layers.Flatten()(keras.layers.Cropping1D((steps - 1, 0))(inputs))
        choose = keras.layers.Dense(1, use_bias=False, trainable=False, name="last_value")
        value = choose(last)
        pick = np.zeros((features, 1), dtype="float32")
        pick[self.last_value_index] = 1.0
        choose.set_weights([pick])  # weights, not an initializer, so they are saved with the model
        return value

    def fit(self, hp: keras_tuner.HyperParameters, model: keras.Model, x, y=None, *, validation_data=None, **kwargs):
        batch_size = self.space.declare(hp, "batch_size")
        if hasattr(x, "batch"):  # a tf.data stream of (x, y): batched here, as the batch size is per trial
            x = x.batch(batch_size).prefetch(-1)
            if validation_data is not None:
                validation_data = validation_data.batch(batch_size).prefetch(-1)
            return model.fit(x, validation_data=validation_data, shuffle=False, **kwargs)  # the stream shuffles itself
        return model.fit(x, y, batch_size=batch_size, validation_data=validation_data, **kwargs)
