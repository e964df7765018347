"""An ensemble's Keras model: its members side by side on the same inputs, each one's outputs weighted and summed,
and its heaviest member, where a transfer from it starts. Which trials are members, and with what weight,
`pipelines.ensemble` chooses."""

from __future__ import annotations

from typing import Any

MODEL_NAME, WEIGHT_PREFIX, MEMBER_PREFIX = "ensemble", "weight_", "trial_"  # the names in an ensemble's Keras model


def ensemble_model(members: dict[str, Any], weights: dict[str, float]):
    """One Keras model that answers as the weighted ensemble: each member's model called on the same inputs, its
    outputs weighted and summed. It saves, loads, packages and predicts as a trial's model does."""
    import keras

    first = next(iter(members.values()))
    inputs = [keras.Input(shape=t.shape[1:], dtype=t.dtype, name=f"input_{i}") for i, t in enumerate(first.inputs)]
    fed = inputs[0] if len(inputs) == 1 else inputs
    weighted = []
    for trial, model in members.items():
        model.name = MEMBER_PREFIX + trial  # member models' default names repeat, and a model's layer names may not
        # Keras' own layers only, so the file loads wherever Keras does, without this package imported.
        weighted.append(keras.layers.Rescaling(weights[trial], name=WEIGHT_PREFIX + trial)(model(fed)))
    return keras.Model(fed, keras.layers.Add(name="weighted_sum")(weighted), name=MODEL_NAME)


def heaviest_member(model):
    """The member with the most weight, when `model` is an ensemble; else `model`. An ensemble's members sit side
    by side with no layers in common, so there are no features of its own to transfer: a transfer from one
    starts from its heaviest member, the model that counts most in its answers."""
    import keras

    weights = {
        layer.name.removeprefix(WEIGHT_PREFIX): float(layer.scale)
        for layer in model.layers
        if isinstance(layer, keras.layers.Rescaling) and layer.name.startswith(WEIGHT_PREFIX)
    }
    if model.name != MODEL_NAME or not weights:
        return model
    return model.get_layer(MEMBER_PREFIX + max(weights, key=weights.__getitem__))
