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


def monthly_sales(path: Path, seed: int = 0, months: int = 108) -> Path:
    """A monthly series in sales units, as a shop's file is: about 15,000 a month, a trend of 60 a month, a
    12-month season of ±3,000 and noise of 600; a CSV with a month and a sales column."""
    import numpy as np
    import pandas as pd

    t = np.arange(months)
    values = 15_000 + 60 * t + 3_000 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(seed).normal(0, 600, months)
    months_text = pd.date_range("2015-01-01", periods=months, freq="MS").strftime("%Y-%m")
    pd.DataFrame({"month": months_text, "sales": values.round(0)}).to_csv(path, index=False)
    return path
