"""Peak memory over a long search: does each trial's peak stay flat, or grow with the trial count?

Runs a random search of many small trials through `run_search` (the real
tracked tuner, a real SQLite store in a temporary folder) and reads each
trial's `peak_memory_mb` back from MLflow. Usage:

    python benchmarks/memory_long_search.py [--trials 50] [--epochs 3] [--out benchmarks/results/memory_long_search.md]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import mlflow  # noqa: E402
import yaml  # noqa: E402
from rich.console import Console  # noqa: E402

from benchmarks.results import publish  # noqa: E402
from pipelines import memory  # noqa: E402
from pipelines.config import load_experiment  # noqa: E402
from pipelines.search import search_experiment  # noqa: E402

SPACE = {
    "depth": {"min": 1, "max": 3},
    "units": [32, 64, 128],
    "dropout": {"min": 0.0, "max": 0.4, "step": 0.1},
    "optimizer": ["adam", "rmsprop", "sgd"],
    "learning_rate": {"min": 1e-3, "max": 1e-2, "sampling": "log"},
    "batch_size": 64,
}


def main() -> None:
    from benchmarks.results import arguments

    args = arguments(__doc__, "memory_long_search", trials=50, epochs=3)
    with tempfile.TemporaryDirectory() as tmp:
        config = {
            "name": "memory",
            "seed": 0,
            "data": {"source": "digits", "layout": "flat"},
            "family": "mlp",
            "search_space": SPACE,
            "tracking_uri": f"sqlite:///{tmp}/mlflow.db",
            "tuner_dir": f"{tmp}/tuner",
            "tuner": {"algorithm": "random", "max_trials": args.trials, "epochs": args.epochs, "patience": 0},
        }
        path = Path(tmp) / "memory.yaml"
        path.write_text(yaml.safe_dump(config))
        started = time.perf_counter()
        result = search_experiment(load_experiment(path), Console(quiet=True))
        elapsed = time.perf_counter() - started
        trials = result.trials.sort_values("trial_id", key=lambda s: s.astype(int))
    peaks = trials["trial/peak_memory_mb"].tolist()
    tenth = max(1, len(peaks) // 10)
    first, last = statistics.median(peaks[:tenth]), statistics.median(peaks[-tenth:])
    publish(
        args.out,
        "Peak memory over a long search",
        f"python benchmarks/memory_long_search.py --trials {args.trials} --epochs {args.epochs}",
        [
            f"- search: random, {len(peaks)} trials of an MLP on flat digits, {args.epochs} epochs each, "
            f"each trial's model logged; {elapsed / 60:.1f} min",
            "- peak resident memory per trial (MiB, VmHWM reset at each trial start), in trial order:",
            "  " + ", ".join(f"{p:.0f}" for p in peaks),
            f"- median of the first {tenth} trials: {first:.0f} MiB; of the last {tenth}: {last:.0f} MiB; "
            f"**growth ratio last/first: {last / first:.3f}**",
            f"- highest trial peak: {max(peaks):.0f} MiB; process peak after the search: {memory.peak_mb():.0f} MiB "
            "(since the last trial started)",
        ],
        f"Keras {keras.__version__} ({keras.backend.backend()}), MLflow {mlflow.__version__}, SQLite store",
    )


if __name__ == "__main__":
    main()
