"""Where a long search's memory growth comes from: Keras itself, outside the runner.

Builds the same small MLP 25 times in one process, clearing the Keras session
and collecting garbage after each, as the runner does between trials; once
only building it, once also fitting it. Usage:

    python benchmarks/keras_fit_memory.py [--repeats 25]
"""

from __future__ import annotations

import argparse
import gc
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def growth(repeats: int, fit: bool) -> float:
    """MiB of resident memory added per model, after a warm-up of 5 models."""
    x = np.random.default_rng(0).random((1149, 64), dtype="float32")
    y = np.random.default_rng(1).integers(0, 10, 1149)
    sizes = []
    for _ in range(repeats):
        model = keras.Sequential(
            [
                keras.Input((64,)),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        if fit:
            model.fit(x, y, epochs=3, batch_size=64, verbose=0)
        else:
            model(x[:2])
        del model
        keras.backend.clear_session()
        gc.collect()
        sizes.append(rss_mb())
    return (sizes[-1] - sizes[4]) / (repeats - 5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    print(f"Keras {keras.__version__} ({keras.backend.backend()}), {args.repeats} models each:")
    print(f"  build only:    {growth(args.repeats, fit=False):.2f} MiB per model")
    print(f"  build and fit: {growth(args.repeats, fit=True):.2f} MiB per model")
