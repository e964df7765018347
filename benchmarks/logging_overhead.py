"""Cost of the runner's per-epoch MLflow logging: the same model and epochs with and without the runner's
own callback (`pipelines.tracking.recorder.TrialRecorder`: curves to MLflow, progress, best weights kept).

This is the per-epoch part only; `overhead_vs_kerastuner.py` measures the runner end to end.

Runs are interleaved (off, on, off, on, ...) so that drift in a shared
machine's speed hits both sides alike; the result is the median of the
per-pair ratios. Usage:

    python benchmarks/logging_overhead.py [--pairs 5] [--epochs 30] [--out benchmarks/results/logging_overhead.md]
"""

from __future__ import annotations

import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import mlflow  # noqa: E402
from rich.console import Console  # noqa: E402

from benchmarks.results import publish  # noqa: E402
from pipelines.data import load_dataset  # noqa: E402
from pipelines.data.sources import DigitsData
from pipelines.progress import SearchProgress  # noqa: E402
from pipelines.tracking.recorder import TrialRecorder
from pipelines.tracking.tracker import SearchTracker
from search_spaces import CNN  # noqa: E402

SPACE = {
    "depth": 2,
    "filters": 32,
    "kernel_size": 3,
    "dropout": 0.2,
    "optimizer": "adam",
    "learning_rate": 1e-3,
    "batch_size": 32,
}


def train(data, epochs: int, logging: bool, tracker: SearchTracker) -> float:
    keras.utils.set_random_seed(0)
    hypermodel = CNN(data.info.input_shape, data.info.num_classes, SPACE, preprocess=data.info.preprocess)
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    fit = dict(x=data.x_train, y=data.y_train, validation_data=(data.x_val, data.y_val), epochs=epochs, verbose=0)
    started = time.perf_counter()
    if logging:
        progress = SearchProgress(Console(quiet=True), 1, epochs, "val_accuracy", "max")
        recorder = TrialRecorder(tracker, progress, "val_accuracy", "max", data)
        with tracker.trial_run("bench", {"logging": True}, "bench"):
            hypermodel.fit(hp, model, callbacks=[copy.deepcopy(recorder)], **fit)  # as KerasTuner hands it over
    else:
        hypermodel.fit(hp, model, **fit)
    return time.perf_counter() - started


def main() -> None:
    from benchmarks.results import arguments

    args = arguments(__doc__, "logging_overhead", pairs=5, epochs=30)
    data = load_dataset(DigitsData(source="digits"), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        tracker = SearchTracker.open(f"sqlite:///{tmp}/mlflow.db", "logging-overhead")
        with tracker.search_run("benchmark", {}):
            train(data, 2, True, tracker)  # warm-up: graph tracing, store creation
            train(data, 2, False, tracker)
            off, on = [], []
            for _ in range(args.pairs):
                off.append(train(data, args.epochs, False, tracker))
                on.append(train(data, args.epochs, True, tracker))
    ratios = [b / a for a, b in zip(off, on, strict=False)]
    publish(
        args.out,
        "Per-epoch MLflow logging: training time with logging on / off",
        f"python benchmarks/logging_overhead.py --pairs {args.pairs} --epochs {args.epochs}",
        [
            f"- model: CNN on scikit-learn digits (1,149 training images), {args.epochs} epochs, batch 32",
            f"- off (s): {', '.join(f'{t:.2f}' for t in off)}",
            f"- on (s): {', '.join(f'{t:.2f}' for t in on)}",
            f"- ratio on/off per pair: {', '.join(f'{r:.3f}' for r in ratios)}",
            f"- **median ratio: {statistics.median(ratios):.3f}** (target: at most 1.05)",
        ],
        f"Keras {keras.__version__} ({keras.backend.backend()}), MLflow {mlflow.__version__}, SQLite store",
    )


if __name__ == "__main__":
    main()
