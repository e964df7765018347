"""What the runner costs over raw KerasTuner: the same hypermodel, trials and epochs, with and without the runner.

Raw: `keras_tuner.GridSearch` on the project's own CNN hypermodel, given the
same arrays. Runner: `run_search` on the same experiment, end to end (MLflow
runs, per-epoch curves, evaluation, figures, every trial's model, the
scikit-learn baseline, the best model, the baseline comparisons and the PDF
report). Every hyperparameter is
fixed except four learning rates, which cost the same, so both sides train the
same four models. Runs are interleaved (raw, runner, raw, runner, ...) so
drift in a shared machine's speed hits both alike; the result is the median
of the per-pair ratios and the runner's extra seconds per trial. Usage:

    python benchmarks/overhead_vs_kerastuner.py [--pairs 3] [--epochs 5] \
        [--out benchmarks/results/overhead_vs_kerastuner.md]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # as runner.py: a bar per file the report reads
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.workloads import learning_rate_grid  # noqa: E402

TRIALS = 4
# Keras, KerasTuner and the runner are imported in the functions: the runner's artifact process is a new Python
# process that imports this file's top level, as it imports runner.py's (which is light) in a real search.


def raw_kerastuner(experiment, folder: Path, run: int) -> float:
    """What a user of KerasTuner alone writes: load the data, build the hypermodel, search."""
    import keras
    import keras_tuner

    from pipelines.data import load_dataset
    from pipelines.setup import build_hypermodel

    started = time.perf_counter()
    keras.utils.set_random_seed(experiment.seed)
    dataset = load_dataset(experiment.data, experiment.seed, folder)
    hypermodel = build_hypermodel(experiment, dataset)
    tuner = keras_tuner.GridSearch(
        hypermodel,
        objective="val_accuracy",
        max_trials=TRIALS,
        seed=experiment.seed,
        directory=str(folder / "raw"),
        project_name=f"raw-{run}",
    )
    fit_args, validation_data = dataset.fit_data()
    tuner.search(*fit_args, validation_data=validation_data, epochs=experiment.tuner.epochs, verbose=0)
    assert len(tuner.oracle.trials) == TRIALS
    return time.perf_counter() - started


def runner(experiment) -> tuple[float, float]:
    """Seconds for the whole search, and for its closing steps (best model, baseline, report) after the last
    trial's run ended, read from the runs' times in MLflow."""
    from rich.console import Console

    from pipelines.search import search_experiment
    from reports.store.opening import open_store
    from reports.store.trials import children

    started = time.perf_counter()
    result = search_experiment(experiment, Console(quiet=True))
    total = time.perf_counter() - started
    assert len(result.trials) == TRIALS and result.best_trial_id is not None
    client = open_store(experiment.tracking_uri)
    last_trial = max(r.info.end_time for r in children(client, result.parent_run_id))
    return total, (client.get_run(result.parent_run_id).info.end_time - last_trial) / 1000


def main() -> None:
    from benchmarks.results import arguments

    args = arguments(__doc__, "overhead_vs_kerastuner", pairs=3, epochs=5)
    import keras
    import keras_tuner
    import mlflow

    from benchmarks.results import publish
    from pipelines.config import load_experiment

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        experiment = load_experiment(learning_rate_grid(folder, "overhead", TRIALS, args.epochs))
        runner(experiment)  # warm-up: imports, graph tracing, store creation, on both sides
        raw_kerastuner(experiment, folder, -1)
        raw, tracked, closing = [], [], []
        for run in range(args.pairs):
            raw.append(raw_kerastuner(experiment, folder, run))
            total, last = runner(experiment)
            tracked.append(total)
            closing.append(last)
            print(
                f"pair {run + 1}: raw KerasTuner {raw[-1]:.1f} s, runner {tracked[-1]:.1f} s "
                f"(closing steps {last:.1f} s)",
                flush=True,
            )
    ratios = [t / r for r, t in zip(raw, tracked, strict=False)]
    extra = [(t - r) / TRIALS for r, t in zip(raw, tracked, strict=False)]
    per_trial = [(t - c - r) / TRIALS for r, t, c in zip(raw, tracked, closing, strict=False)]
    command = f"python benchmarks/overhead_vs_kerastuner.py --pairs {args.pairs} --epochs {args.epochs}"
    publish(
        args.out,
        "The runner's cost over raw KerasTuner",
        command,
        [
            f"- workload: digits 8x8 images, cnn family, grid search of {TRIALS} learning rates (all else fixed), "
            f"{args.epochs} epochs per trial, early stopping off; {args.pairs} interleaved pairs after a warm-up pair",
            "- runner: `run_search` end to end (MLflow runs and curves, evaluation, figures, each trial's model, the "
            "scikit-learn baseline fitted in the background during the first trial, "
            "best model, baseline comparison, PDF report); raw: `keras_tuner.GridSearch` on the same hypermodel",
            f"- raw KerasTuner per search (s): {', '.join(f'{v:.1f}' for v in raw)}",
            f"- runner per search (s): {', '.join(f'{v:.1f}' for v in tracked)}",
            f"- **median ratio runner / raw KerasTuner: {statistics.median(ratios):.2f}** "
            f"(pairs: {', '.join(f'{v:.2f}' for v in ratios)})",
            f"- median extra per trial, all included: {statistics.median(extra):.2f} s "
            f"(pairs: {', '.join(f'{v:.2f}' for v in extra)})",
            f"- runner's closing steps after the last trial (best model logged and compared with the baseline, "
            f"PDF report): median {statistics.median(closing):.1f} s (pairs: {', '.join(f'{v:.1f}' for v in closing)})",
            f"- **median fixed cost per trial (extra time outside the closing steps, per trial): "
            f"{statistics.median(per_trial):.2f} s** (pairs: {', '.join(f'{v:.2f}' for v in per_trial)})",
        ],
        libraries=f"Keras {keras.__version__} ({keras.backend.backend()}), KerasTuner {keras_tuner.__version__}, "
        f"MLflow {mlflow.__version__}",
    )


if __name__ == "__main__":
    main()
