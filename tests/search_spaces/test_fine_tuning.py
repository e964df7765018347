"""Fine-tuning as the Keras transfer-learning guide does it: BatchNormalization in inference mode, a rate 100 times
lower."""

from __future__ import annotations

import keras
import keras_tuner
import numpy as np

from search_spaces import FAMILIES


def _base_with_batch_norm(rng: np.random.Generator) -> keras.Model:
    """A base trained on data centred far from zero, so its BatchNormalization layer's moving statistics are
    its data's, unlike the new data's."""
    base = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, name="below"),
            keras.layers.BatchNormalization(name="norm"),
            keras.layers.Dense(8, activation="relu", name="above"),
            keras.layers.Dense(3, activation="softmax", name="output"),
        ]
    )
    base.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rng.normal(5.0, 3.0, size=(256, 6)).astype("float32")
    base.fit(x, rng.integers(0, 3, 256), epochs=3, batch_size=32, verbose=0)
    return base


def _fine_tuned(rng: np.random.Generator, base: keras.Model, mode: str) -> tuple[keras.Model, dict, dict]:
    """A transfer model built on `base` and trained on new data (centred at zero) in `mode`, with every layer of
    the base unfrozen for the second phase: the base's weights before and after, by name."""
    family = FAMILIES["transfer"](
        (6,),
        2,
        {"mode": mode, "frozen_layers": 0, "dropout": 0.0, "learning_rate": 0.01, "batch_size": 16},
        base_model=base,
    )
    hp = keras_tuner.HyperParameters()
    model = family.build(hp)
    body = model.get_layer("base")

    def weights() -> dict[str, np.ndarray]:
        return {w.path: np.array(w.numpy()) for w in body.weights}

    before = weights()
    x, y = rng.normal(0.0, 1.0, size=(128, 6)).astype("float32"), rng.integers(0, 2, 128)
    family.fit(hp, model, x, y, validation_data=(x[:32], y[:32]), epochs=4, verbose=0)
    return model, before, weights()


def test_fine_tuning_keeps_batch_norm_statistics_and_trains_the_unfrozen_weights_at_a_hundredth_of_the_rate():
    rng = np.random.default_rng(0)
    base = _base_with_batch_norm(rng)
    model, before, after = _fine_tuned(rng, base, "fine_tuning")
    statistics = [path for path in before if "moving_" in path]
    assert len(statistics) == 2, list(before)  # the moving mean and variance
    for path in statistics:
        np.testing.assert_array_equal(before[path], after[path], err_msg=path)
    # The base was fine-tuned all the same: its unfrozen kernels below and above the normalization moved.
    moved = {path.split("/")[-2] for path in before if not np.array_equal(before[path], after[path])}
    assert moved == {"below", "above"}, moved
    assert keras.ops.convert_to_numpy(model.optimizer.learning_rate) == np.float32(0.01 * 0.01)


def test_batch_norm_stays_in_inference_mode_in_feature_extraction_too():
    """Unfrozen from the start (frozen_layers 0), the base's layers train, yet its statistics stay its data's."""
    rng = np.random.default_rng(1)
    _, before, after = _fine_tuned(rng, _base_with_batch_norm(rng), "feature_extraction")
    for path in (p for p in before if "moving_" in p):
        np.testing.assert_array_equal(before[path], after[path], err_msg=path)
    moved = {path.split("/")[-2] for path in before if not np.array_equal(before[path], after[path])}
    assert moved == {"below", "above"}, moved
