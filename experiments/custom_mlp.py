"""A KerasTuner builder of one's own, searched by `custom_mlp.yaml` (family: custom).

The runner calls it with KerasTuner's `hp` and the data's facts, builds it once
with default values to check it before the search, and compiles it with the
catalogue's optimizer, learning rate and the task's loss, as it is returned
uncompiled. Every `hp.*` declared here becomes a child run's param in MLflow.
"""

import keras


def build_model(hp, facts):
    inputs = keras.Input(facts.input_shape)
    x = facts.preprocess()(inputs) if facts.preprocess else inputs  # the data's standardization
    for _ in range(hp.Int("blocks", 1, 3)):
        units, activation = hp.Choice("units", [32, 64, 128]), hp.Choice("activation", ["relu", "gelu"])
        x = keras.layers.Dense(units, activation=activation)(x)
        x = keras.layers.Dropout(hp.Float("dropout", 0.0, 0.4, step=0.1))(x)
    outputs = keras.layers.Dense(facts.num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="custom_mlp")
