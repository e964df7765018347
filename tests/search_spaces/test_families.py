"""Contract tests run against every family: each categorical value builds and trains, defaults are complete."""

from __future__ import annotations

import keras_tuner
import numpy as np
import pytest

from search_spaces import FAMILIES, InputShapeError
from search_spaces.space import Choice, Fixed

SHAPES = {"mlp": (6,), "cnn": (8, 8, 1), "rnn": (5, 3), "transfer": (8, 8, 1)}
SMALL = {
    "mlp": {"units": 4, "depth": 2},
    "cnn": {"filters": 2, "depth": 2},
    "rnn": {"units": 4, "depth": 2},
    "transfer": {"frozen_layers": 2},
}


def _base_model():
    """A small trained-shape CNN to transfer from (weights as initialized: only shapes matter here)."""
    return FAMILIES["cnn"]((8, 8, 1), 5, {"filters": 2, "depth": 2}).build(keras_tuner.HyperParameters())


def _make(family: str, shape, num_classes, overrides, **kwargs):
    if family == "transfer":
        kwargs["base_model"] = _base_model()
    return FAMILIES[family](shape, num_classes, overrides, **kwargs)


def categorical_cases():
    for family, cls in FAMILIES.items():
        for param in cls.full_catalogue(text=False):
            values = param.options or ((False, True) if param.kind is bool else ())
            spec = param.default
            values = values or (spec.values if isinstance(spec, Choice) else ())
            for value in values:
                yield pytest.param(family, param.name, value, id=f"{family}-{param.name}-{value}")


def _train_one_step(family: str, overrides: dict, shape=None, num_classes=3):
    shape = shape or SHAPES[family]
    hypermodel = _make(family, shape, num_classes, {**SMALL[family], **overrides})
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    model.run_eagerly = True  # one real step without tracing a graph: 0.2 s instead of 2 s per case
    x = np.random.default_rng(0).random((6, *shape), dtype="float32")
    y = np.array([0, 1, 2, 0, 1, 2]) if num_classes else np.linspace(0, 1, 6, dtype="float32")
    loss = model.train_on_batch(x, y)
    return hp, model, np.atleast_1d(loss)[0]


@pytest.mark.parametrize("family, name, value", categorical_cases())
def test_every_categorical_value_builds_and_trains(family, name, value):
    parent = FAMILIES[family].full_catalogue(text=False)
    when = {p.name: p.when for p in parent}[name]
    overrides = {name: value}
    if when:  # make the conditional hyperparameter active
        overrides[when[0]] = when[1][0]
    hp, model, loss = _train_one_step(family, overrides)
    assert hp.get(name) == value
    assert model.output_shape == (None, 3)
    if value not in ("zeros", "ones"):  # constant initializers exist to show why they fail, not to train
        assert np.isfinite(loss)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_fill_every_active_hyperparameter(family):
    hp, _, _ = _train_one_step(family, {})
    active = {name for name in hp.values if hp.is_active(name)}
    catalogue = FAMILIES[family].full_catalogue(text=False)
    expected = {p.name for p in catalogue if p.when is None}
    assert expected <= active
    for param in catalogue:
        overridden = set(SMALL[family])
        if isinstance(param.default, Fixed) and param.name not in overridden and param.name in active:
            assert hp.get(param.name) == param.default.value


@pytest.mark.parametrize("family", FAMILIES)
def test_regression_head_answers_in_the_targets_units(family):
    hypermodel = _make(family, SHAPES[family], None, SMALL[family], target_scale=(100.0, 500.0))
    model = hypermodel.build(keras_tuner.HyperParameters())
    assert model.output_shape == (None, 1)
    prediction = model.predict(np.zeros((1, *SHAPES[family]), "float32"), verbose=0)
    assert 0 < prediction[0, 0] < 1000  # the head's 0-centred output is shifted to the targets' mean of 500


def test_attention_head_and_bidirectional_stack():
    _, model, loss = _train_one_step("rnn", {"head": "attention", "bidirectional": True, "cell": "lstm"})
    assert any("bidirectional" in layer.name for layer in model.layers)
    assert any(layer.__class__.__name__ == "Softmax" for layer in model.layers)
    assert np.isfinite(loss)


@pytest.mark.parametrize(
    "family, shape, message",
    [
        ("rnn", (8, 8, 1), r"the rnn family needs sequences"),
        ("cnn", (64,), r"the cnn family needs images"),
        ("mlp", (), r"the mlp family needs features"),
    ],
)
def test_shape_that_does_not_fit_is_refused_before_training(family, shape, message):
    with pytest.raises(InputShapeError, match=message):
        FAMILIES[family](shape, 10)


def test_transfer_refuses_data_shaped_unlike_the_base():
    with pytest.raises(
        InputShapeError, match=r"the base model takes samples of shape \(8, 8, 1\), but the data has \(64,\)"
    ):
        _make("transfer", (64,), 5, {})


def test_mlp_does_not_read_text():
    with pytest.raises(InputShapeError, match="the mlp family does not read text; use rnn or cnn"):
        FAMILIES["mlp"]((), 2, vocabulary=["a", "b"])
