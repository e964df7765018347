"""The CNN family: defaults, fixed values, conditional optimizer knobs, and one training step."""

from __future__ import annotations

import keras
import keras_tuner
import numpy as np
import pytest

from search_spaces import CNN, InputShapeError

DEFAULTS = {
    "depth": 1,
    "filters": 16,
    "kernel_size": 3,
    "pooling": "max",
    "pooling_every": 1,
    "dilation_rate": 1,
    "residual": False,
    "augment_flip": "none",
    "augment_rotation": 0.0,
    "augment_zoom": 0.0,
    "augment_translation": 0.0,
    "global_pooling": False,
    "regularizer": "none",
    "initializer": "glorot_uniform",
    "batch_norm": False,
    "activation": "relu",
    "dropout": 0.0,
    "optimizer": "adam",
    "learning_rate": 1e-4,
    "clipnorm": 0.0,
    "growth": 1.0,
    "batch_size": 32,
}


def test_empty_hyperparameters_build_the_defaults():
    hp = keras_tuner.HyperParameters()
    CNN((8, 8, 1), 10).build(hp)
    active = {name: value for name, value in hp.values.items() if hp.is_active(name)}
    assert active == pytest.approx(DEFAULTS)


def test_fixed_override_is_used():
    hp = keras_tuner.HyperParameters()
    model = CNN((8, 8, 1), 10, {"depth": 3, "filters": 4}).build(hp)
    convs = [layer for layer in model.layers if "conv" in layer.name]
    assert [c.filters for c in convs] == [4, 4, 4]


@pytest.mark.parametrize("optimizer, has_momentum", [("adam", False), ("sgd", True)])
def test_momentum_is_active_only_for_sgd(optimizer, has_momentum):
    hp = keras_tuner.HyperParameters()
    model = CNN((8, 8, 1), 10, {"optimizer": optimizer, "momentum": 0.5}).build(hp)
    assert hp.is_active("momentum") is has_momentum
    assert model.optimizer.name.lower() == optimizer  # Keras 3.3 names it "SGD"
    if has_momentum:
        assert model.optimizer.momentum == pytest.approx(0.5)


@pytest.mark.parametrize("shape", [(8, 8, 1), (16, 3)], ids=["image", "sequence"])
def test_one_training_step_on_images_and_sequences(shape):
    model = CNN(shape, 3, {"depth": 2, "filters": 4, "batch_norm": True, "regularizer": "l2"}).build(
        keras_tuner.HyperParameters()
    )
    x = np.random.default_rng(0).random((6, *shape), dtype="float32")
    loss = model.train_on_batch(x, np.array([0, 1, 2, 0, 1, 2]))
    assert np.isfinite(loss).all()
    assert model.output_shape == (None, 3)


def test_flat_features_are_refused_with_the_shape():
    with pytest.raises(InputShapeError, match=r"needs images .* but the data has samples of shape \(64,\)"):
        CNN((64,), 10)


def test_residual_blocks_add_a_projected_shortcut():
    model = CNN((8, 8, 1), 10, {"depth": 2, "filters": 4, "residual": True}).build(keras_tuner.HyperParameters())
    adds = [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
    projections = [
        layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D) and layer.kernel_size == (1, 1)
    ]
    assert len(adds) == 2
    assert len(projections) == 1  # only the first block changes the channel count (1 -> 4)


def test_pooling_every_second_block_and_dilation():
    model = CNN((8, 8, 1), 10, {"depth": 2, "filters": 4, "pooling_every": 2, "dilation_rate": 2}).build(
        keras_tuner.HyperParameters()
    )
    pools = [layer for layer in model.layers if isinstance(layer, keras.layers.MaxPooling2D)]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(pools) == 1
    assert all(conv.dilation_rate == (2, 2) for conv in convs)


def test_augmentation_changes_training_inputs_only():
    model = CNN(
        (8, 8, 1),
        3,
        {
            "depth": 1,
            "filters": 2,
            "augment_flip": "horizontal",
            "augment_rotation": 0.2,
            "augment_zoom": 0.1,
            "augment_translation": 0.1,
        },
    ).build(keras_tuner.HyperParameters())
    names = {type(layer).__name__ for layer in model.layers}
    assert {"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation"} <= names
    x = np.random.default_rng(0).random((4, 8, 8, 1), dtype="float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), model.predict(x, verbose=0))
    assert np.isfinite(model.train_on_batch(x, np.array([0, 1, 2, 0]))).all()
