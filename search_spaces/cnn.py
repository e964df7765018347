"""Convolutional blocks for images (height, width, channels), sequences (steps, channels) and embedded text."""

from __future__ import annotations

import keras

from search_spaces.base import FamilyHyperModel
from search_spaces.common import layer_options, normalize_and_activate, widths


class CNN(FamilyHyperModel):
    """`depth` blocks of convolution, normalization, activation and pooling; dropout before the output.

    With `residual`, each block's input is added to its output (through a 1x1
    convolution when the channel count changes), before pooling.
    Pooling halves the spatial size only while it is at least 2, so a deep
    stack on small inputs (8x8 digits) stays valid instead of failing.
    """

    family = "cnn"
    input_ranks = (2, 3)
    input_ranks_hint = "images (height, width, channels) or sequences (steps, channels)"

    def augment(self, x, hp):
        """Random flips, turns, zooms and shifts of images; Keras applies them in training only."""
        flip = self.space.declare(hp, "augment_flip")
        rotation = self.space.declare(hp, "augment_rotation")
        zoom = self.space.declare(hp, "augment_zoom")
        translation = self.space.declare(hp, "augment_translation")
        if flip != "none":
            x = keras.layers.RandomFlip(flip)(x)
        if rotation:
            x = keras.layers.RandomRotation(rotation)(x)
        if zoom:
            x = keras.layers.RandomZoom(zoom)(x)
        if translation:
            x = keras.layers.RandomTranslation(translation, translation)(x)
        return x

    def features(self, x, hp):
        two_d = len(x.shape) == 4
        if two_d:
            x = self.augment(x, hp)
        conv = keras.layers.Conv2D if two_d else keras.layers.Conv1D
        pools = {
            "max": keras.layers.MaxPooling2D if two_d else keras.layers.MaxPooling1D,
            "average": keras.layers.AveragePooling2D if two_d else keras.layers.AveragePooling1D,
        }
        kernel_size = self.space.declare(hp, "kernel_size")
        pooling = self.space.declare(hp, "pooling")
        pooling_every = self.space.declare(hp, "pooling_every")
        dilation_rate = self.space.declare(hp, "dilation_rate")
        residual = self.space.declare(hp, "residual")
        options = layer_options(hp, self.space)
        for block, filters in enumerate(widths(hp, self.space, "filters"), start=1):
            shortcut = x
            x = conv(filters, kernel_size, padding="same", dilation_rate=dilation_rate, **options)(x)
            x = normalize_and_activate(x, hp, self.space)
            if residual:
                if shortcut.shape[-1] != filters:  # a 1x1 convolution matches the channel count
                    shortcut = conv(filters, 1, padding="same", **options)(shortcut)
                x = keras.layers.Add()([x, shortcut])
            if pooling != "none" and block % pooling_every == 0 and min(x.shape[1:-1]) >= 2:
                x = pools[pooling](pool_size=2)(x)
        if self.space.declare(hp, "global_pooling"):
            pool = keras.layers.GlobalAveragePooling2D if two_d else keras.layers.GlobalAveragePooling1D
            x = pool()(x)
        else:
            x = keras.layers.Flatten()(x)
        return keras.layers.Dropout(self.space.declare(hp, "dropout"))(x)
