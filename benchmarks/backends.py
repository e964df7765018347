"""Training time of the same model on Keras' TensorFlow and JAX backends, each in a process of its own.

The digits CNN of the default demo (depth 2, 64 filters, batch 32) is fitted
for 20 epochs, three times per backend: the first fit includes tracing and
compiling, the later ones show the steady pace. Usage:

    python benchmarks/backends.py [--epochs 20] [--fits 3] [--out benchmarks/results/backends.md]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIT = """
import json, sys, time
import keras, keras_tuner
from pipelines.data import load_dataset
from pipelines.data.sources import DigitsData
from search_spaces import CNN
data = load_dataset(DigitsData(source="digits"), seed=0)
space = {"depth": 2, "filters": 64, "kernel_size": 3, "dropout": 0.2, "optimizer": "adam", "learning_rate": 1e-3,
         "batch_size": 32}
times = []
for _ in range(int(sys.argv[2])):
    keras.utils.set_random_seed(0)
    hypermodel = CNN(data.info.input_shape, data.info.num_classes, space, preprocess=data.info.preprocess)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    started = time.perf_counter()
    history = hypermodel.fit(hp, model, data.x_train, data.y_train, validation_data=(data.x_val, data.y_val),
                             epochs=int(sys.argv[1]), verbose=0)
    times.append(time.perf_counter() - started)
print(json.dumps({"times": times, "val_accuracy": max(history.history["val_accuracy"]), "keras": keras.__version__}))
"""


def run(backend: str, epochs: int, fits: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", FIT, str(epochs), str(fits)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from benchmarks.results import arguments

    args = arguments(__doc__, "backends", epochs=20, fits=3)
    from benchmarks.results import publish

    results = {backend: run(backend, args.epochs, args.fits) for backend in ("tensorflow", "jax")}
    facts = [
        f"- model: the digits CNN of `experiments/digits_cnn.yaml` (depth 2, 64 filters, batch 32), "
        f"{args.epochs} epochs, {args.fits} fits per backend in one process"
    ]
    for backend, result in results.items():
        times = result["times"]
        facts.append(
            f"- {backend}: fits (s) {', '.join(f'{t:.1f}' for t in times)}; first {times[0]:.1f} s, "
            f"**later fits {min(times[1:] or times):.1f} s**; best val_accuracy {result['val_accuracy']:.4f}"
        )
    publish(
        args.out,
        "The same fit on the TensorFlow and JAX backends",
        f"python benchmarks/backends.py --epochs {args.epochs} --fits {args.fits}",
        facts,
        libraries=f"Keras {results['jax']['keras']}",
    )


if __name__ == "__main__":
    main()
