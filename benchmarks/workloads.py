"""The benchmarks' common search: the digits CNN with every hyperparameter fixed except the learning rate, so
each trial trains the same network for the same time and a comparison of two ways of running the search
measures the running, not the models. Light to import (no Keras): benchmark files are imported again by the
runner's worker processes."""

from __future__ import annotations

from pathlib import Path

import yaml


def learning_rate_grid(folder: Path, name: str, trials: int, epochs: int, **settings) -> Path:
    """An experiment file in `folder`: a grid of `trials` learning rates (0.001, 0.002, ...), `epochs` each, early
    stopping off, its store and tuner folder inside `folder`; `settings` are added at the top level."""
    spec = {
        "name": name,
        "seed": 0,
        "data": {"source": "digits", "layout": "image"},
        "family": "cnn",
        "search_space": {
            "depth": 2,
            "filters": 32,
            "kernel_size": 3,
            "dropout": 0.2,
            "optimizer": "adam",
            "batch_size": 32,
            "learning_rate": [round(1e-3 * (i + 1), 4) for i in range(trials)],
        },
        "tuner": {"algorithm": "grid", "max_trials": trials, "epochs": epochs, "patience": 0},
        "tracking_uri": f"sqlite:///{folder}/mlflow.db",
        "tuner_dir": str(folder / "tuner"),
        **settings,
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path
