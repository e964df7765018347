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
from search_spaces.common import fit_in_batches, make_optimizer, value_loss_weight
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
    loss_unit: ClassVar[float] = 1.0  # what a loss of 1 is: the losses are cross-entropy or standardized errors
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
        bag: tuple[Sequence[str], Sequence[float], float] | None = None,
        series: bool = False,
    ):
        super().__init__(name=self.family)
        self.input_shape = tuple(input_shape)
        self.num_classes = num_classes
        self.preprocess = preprocess
        self.vocabulary = list(vocabulary) if vocabulary is not None else None
        self.target_scale = target_scale
        self.last_value_index = last_value_index  # set: the output is a change added to this input's last value
        self.bag = bag  # text: the TF-IDF bag's vocabulary, IDF weights and vector length, for encoder: bag
        self.ridge: tuple[np.ndarray, np.ndarray] | None = None  # regression: the linear path's fitted weights
        self.bag_start: tuple[np.ndarray, np.ndarray] | None = None  # text: the output layer's weights for a bag
        self.linear_start: tuple[np.ndarray, np.ndarray] | None = None  # classes: the output layer's, at depth 0
        if self.vocabulary is not None and self.family not in READS_TEXT:
            raise InputShapeError(f"the {self.family} family does not read text; use rnn or cnn for text.")
        if self.vocabulary is None and len(self.input_shape) not in self.input_ranks:
            raise InputShapeError(
                f"the {self.family} family needs {self.input_ranks_hint}, but the data has samples of shape "
                f"{self.input_shape}."
            )
        self.space = SearchSpace(self.full_catalogue(text=self.vocabulary is not None, series=series), overrides)

    @classmethod
    def full_catalogue(cls, text: bool = False, series: bool = False) -> tuple[Hyperparameter, ...]:
        """The family's hyperparameters for its data (see `catalogue.full_catalogue`)."""
        return full_catalogue(cls.family, text, series)

    def features(self, x, hp: keras_tuner.HyperParameters):
        raise NotImplementedError

    def _embedded(self, inputs, hp):
        """Raw strings -> token ids -> embeddings; the vocabulary is the training split's, most frequent first."""
        max_tokens = self.space.declare(hp, "max_tokens")
        vectorize = keras.layers.TextVectorization(
            max_tokens=max_tokens,
            output_sequence_length=self.space.declare(hp, "sequence_length"),
            vocabulary=[t for t in self.vocabulary if t not in ("", "[UNK]")][: max_tokens - 2],
        )
        embed = keras.layers.Embedding(max_tokens, self.space.declare(hp, "embedding_dim"))
        return embed(vectorize(inputs))

    def _bag_of_words(self, inputs, hp):
        """Raw strings -> the bag (`bag_layers`) -> dropout: with the output layer, logistic regression on
        TF-IDF."""
        x = inputs
        for layer in self.bag_layers():
            x = layer(x)
        return keras.layers.Dropout(self.space.declare(hp, "dropout"))(x)

    def bag_layers(self) -> list[keras.layers.Layer]:
        """Which words and word pairs a text holds, each weighted by its IDF, the text's vector of one length.

        Presence, not counts: on SMS spam, logistic regression on count x IDF scored 0.974 on test against
        0.985 on presence x IDF (scikit-learn's sublinear TF-IDF: 0.987); on movie reviews 0.845 against 0.87.
        The vector's length is the root of a text's typical count of distinct tokens (scikit-learn's makes it
        1), so entries are about 1 and a learning rate means what it means on standardized inputs. The IDF
        weighting is a fixed `Normalization` (mean 0, variance 1 / IDF^2): a stock layer, so the model loads
        anywhere."""
        assert self.bag is not None, "a bag layer is built only for text, which has one"
        vocabulary, idf, length = self.bag
        # The out-of-vocabulary slot first, weighed 1e-6: unknown tokens are ignored, as in scikit-learn.
        weights = np.concatenate([[1e-6], idf])
        return [
            keras.layers.TextVectorization(ngrams=2, output_mode="multi_hot", vocabulary=list(vocabulary)),
            keras.layers.Normalization(mean=np.zeros_like(weights), variance=1.0 / weights**2),
            keras.layers.UnitNormalization(),
            keras.layers.Rescaling(length),
        ]

    def _body(self, hp):
        """The input, and what the output layer reads: the family's features, or for text read as a bag of words
        the bag itself. Also the preprocessed inputs, for a linear path (None for text)."""
        if self.vocabulary is not None:
            inputs = keras.Input((), dtype="string")
            if self.space.declare(hp, "encoder") == "bag":
                return inputs, self._bag_of_words(inputs, hp), None
            return inputs, self.features(self._embedded(inputs, hp), hp), None
        inputs = x = keras.Input(self.input_shape)
        if self.preprocess is not None:
            x = self.preprocess()(x)
        return inputs, self.features(x, hp), x

    def _linear_path(self, hp, preprocessed, units: int):
        """A linear map of the preprocessed inputs to the output, added to the network's (`wide` on tables,
        `linear_skip` on a series), or None.

        For values it is ridge regression fitted before the search (`fit_ridge`) and kept fixed: the network
        learns the residual, and its output layer starts at zero, so every trial starts from ridge's predictions.
        Gradient descent alone does not get there on a series, whose window's steps are nearly collinear (on
        weekly CO2 a linear path trained 60 epochs stayed above ridge's error). For classes it is trained, from
        zero: logistic regression is a point the search reaches (on banknote, depth 0 matched it).
        """
        name = next((n for n in ("wide", "linear_skip") if n in self.space.params), None)
        if preprocessed is None or name is None or not self.space.declare(hp, name):
            return None
        flat = keras.layers.Flatten()(preprocessed) if len(preprocessed.shape) > 2 else preprocessed
        fitted = self.ridge is not None and self.num_classes is None
        layer = keras.layers.Dense(units, kernel_initializer="zeros", name=name, trainable=not fitted)
        path = layer(flat)
        if self.ridge is not None and self.num_classes is None:
            layer.set_weights(list(self.ridge))
        return path

    def reads_inputs(self, hp: keras_tuner.HyperParameters) -> bool:
        """Whether the output layer reads the preprocessed inputs themselves (an MLP of depth 0): the trial is
        then logistic or linear regression, and its output layer starts from the fitted one."""
        return False

    def can_read_inputs(self) -> bool:
        """Whether some trial of this space is one that `reads_inputs`."""
        return False

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        inputs, x, preprocessed = self._body(hp)
        units = 1 if self.num_classes is None else self.num_classes
        linear = self._linear_path(hp, preprocessed, units)
        # One output layer with its softmax when there is no linear path: a transfer search cuts it off its base.
        activation = "softmax" if self.num_classes is not None and linear is None else None
        start = (
            "zeros" if linear is not None and self.num_classes is None and self.ridge is not None else "glorot_uniform"
        )
        head = keras.layers.Dense(units, activation=activation, kernel_initializer=start)
        outputs = head(x)
        if self.bag_start is not None and self.space.declare(hp, "encoder") == "bag":
            head.set_weights(list(self.bag_start))  # logistic regression, fitted before the search
        elif self.reads_inputs(hp):
            fitted = self.linear_start if self.num_classes is not None else self._ridge_start(linear)
            if fitted is not None:
                head.set_weights(list(fitted))
        if linear is not None:
            outputs = keras.layers.Add()([outputs, linear])
        if self.num_classes is None:
            if self.target_scale is not None:
                scale, offset = self.target_scale
                outputs = keras.layers.Rescaling(scale, offset=offset)(outputs)
            if self.last_value_index is not None:
                outputs = keras.layers.Add(name="from_last_value")([outputs, self._last_value(inputs)])
            loss, metrics, weight = "mse", ["mae"], value_loss_weight(self.target_scale)
        else:
            if linear is not None:
                outputs = keras.layers.Activation("softmax")(outputs)
            loss, metrics, weight = "sparse_categorical_crossentropy", ["accuracy"], None
        model = keras.Model(inputs, outputs, name=self.family)
        model.compile(optimizer=make_optimizer(hp, self.space), loss=loss, metrics=metrics, loss_weights=weight)
        # Declared here, read in fit: KerasTuner learns the space from build() alone.
        self.space.declare(hp, "batch_size")
        return model

    def _ridge_start(self, linear) -> tuple[np.ndarray, np.ndarray] | None:
        """Values: the output layer reading the inputs starts as ridge regression, unless the fixed linear path
        already is it (the layer then starts at zero, and learns what ridge misses)."""
        return self.ridge if linear is None else None

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
        return fit_in_batches(model, self.space.declare(hp, "batch_size"), x, y, validation_data, **kwargs)
