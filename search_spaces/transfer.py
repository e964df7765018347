"""Transfer learning: a trained model's layers under a new head sized for the new classes."""

from __future__ import annotations

import keras

from search_spaces.base import FamilyHyperModel, InputShapeError
from search_spaces.catalogue import ALL
from search_spaces.common import make_optimizer, value_loss_weight
from search_spaces.ensemble_model import heaviest_member


def _weight_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """A model's layers counted from the input, the input placeholder excluded."""
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Every layer of a model, those of the models nested in it too."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found += _all_layers(layer)
    return found


class Transfer(FamilyHyperModel):
    """The base model minus its output layer, then dropout and a new softmax (or regression) head.

    `frozen_layers` counts the base's layers from the input (-1 or `all`: every
    one). `feature_extraction` trains what is not frozen from the start.
    `fine_tuning` first trains the head alone for half the epochs, then
    unfreezes the layers above `frozen_layers` and trains on at
    `fine_tune_factor` times the learning rate (0.01 unless searched: the Keras
    transfer-learning guide's rate about 100 times lower, so the new head's
    large first gradients do not wreck what the base learnt); epochs keep
    counting, so both phases form one learning curve.

    BatchNormalization layers of the base never train, in either mode: the
    Keras transfer-learning guide keeps them in inference mode when the base is
    unfrozen, so they keep the moving statistics of the data the base learnt
    on instead of replacing them with a few batches' of the new data while the
    weights around them are tuned to the old ones. In Keras 3 a frozen
    BatchNormalization layer runs in inference mode; a `training=False` given
    when the model is built does not hold, as `fit` calls the model with
    `training=True` (keras-team/keras#20285).
    """

    family = "transfer"
    input_ranks = (1, 2, 3)
    input_ranks_hint = "samples shaped like the base model's input"

    def __init__(self, input_shape, num_classes, overrides=None, *, base_model: keras.Model, **kwargs):
        base_model = heaviest_member(base_model)  # an ensemble has no features of its own to transfer
        expected = tuple(base_model.input_shape[1:])
        if expected != tuple(input_shape):
            raise InputShapeError(
                f"the base model takes samples of shape {expected}, but the data has {tuple(input_shape)}."
            )
        # The base model carries its own preprocessing as its first layers.
        kwargs.pop("preprocess", None)
        super().__init__(input_shape, num_classes, overrides, **kwargs)
        self.base_model = base_model

    def frozen(self, hp) -> int:
        count = self.space.declare(hp, "frozen_layers")
        layers = len(_weight_layers(self.base_model)) - 1  # the output layer is replaced, never reused
        return layers if count == ALL else min(count, layers)

    def _unfreeze_above(self, body: keras.Model, hp, trainable: bool) -> None:
        """Layers below `frozen_layers` never train; those above train when `trainable`, but for their
        BatchNormalization layers, which stay frozen (in inference mode)."""
        frozen = self.frozen(hp)
        for i, layer in enumerate(_weight_layers(body)):
            layer.trainable = trainable and i >= frozen
        for layer in _all_layers(body):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False

    def features(self, x, hp):
        """A fresh copy of the base every trial, so no trial trains another's weights."""
        base = keras.models.clone_model(self.base_model)
        base.set_weights(self.base_model.get_weights())
        body = keras.Model(base.inputs, base.layers[-2].output, name="base")
        mode = self.space.declare(hp, "mode")
        self.space.declare(hp, "fine_tune_factor")
        self._unfreeze_above(body, hp, trainable=mode == "feature_extraction")
        x = body(x)
        return keras.layers.Dropout(self.space.declare(hp, "dropout"))(x)

    def fit(self, hp, model: keras.Model, *args, epochs: int = 1, initial_epoch: int = 0, **kwargs):
        if self.space.declare(hp, "mode") == "feature_extraction":
            return super().fit(hp, model, *args, epochs=epochs, initial_epoch=initial_epoch, **kwargs)
        switch = initial_epoch + max(1, (epochs - initial_epoch) // 2)
        head = super().fit(hp, model, *args, epochs=switch, initial_epoch=initial_epoch, **kwargs)
        self._unfreeze_above(model.get_layer("base"), hp, trainable=True)
        optimizer = make_optimizer(hp, self.space)
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))  # a variable, not a float, in Keras 3.3
        optimizer.learning_rate = rate * self.space.declare(hp, "fine_tune_factor")
        model.compile(
            optimizer=optimizer,
            loss=model.loss,
            metrics=["mae"] if self.num_classes is None else ["accuracy"],
            loss_weights=None if self.num_classes is not None else value_loss_weight(self.target_scale),
        )
        tuned = super().fit(hp, model, *args, epochs=epochs, initial_epoch=switch, **kwargs)
        for key, values in tuned.history.items():
            head.history.setdefault(key, []).extend(values)
        head.epoch += tuned.epoch
        return head
