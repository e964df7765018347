"""Which search algorithm reaches a good model with the least training: random, Bayesian and Hyperband on
shipped experiments, several seeds each, the best objective against epochs trained and wall time.

Each search is a real `run_search` (objective val_loss, which ranks finely
where accuracy ties; early stopping off; 10 trials for random and Bayesian,
Hyperband with up to 9 epochs and factor 3). The target of an experiment is
the median over algorithms of their final best scores; "epochs to target"
is how much training a search needed to first reach it. Usage:

    python benchmarks/search_efficiency.py [--seeds 3] [--out benchmarks/results/search_efficiency.md]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXPERIMENTS = ("digits_mlp.yaml", "sonar_mlp.yaml")
ALGORITHMS = {
    "random": {"algorithm": "random", "max_trials": 10},
    "bayesian": {"algorithm": "bayesian", "max_trials": 10},
    "hyperband": {"algorithm": "hyperband", "factor": 3, "iterations": 1},
}
EPOCHS = 9  # Hyperband: brackets of 1, 3 and 9 epochs with factor 3


def search(folder: Path, experiment_file: str, algorithm: str, seed: int) -> list[tuple[int, float, float]]:
    """(epochs trained, seconds since the start, score) of each finished trial, in the order they ended; a
    Hyperband trial that trains on from another counts only its own epochs."""
    from rich.console import Console

    from pipelines.config import load_experiment
    from pipelines.search import run_search
    from reports.store import children, open_store

    spec = yaml.safe_load((ROOT / "experiments" / experiment_file).read_text())
    data = spec["data"]
    if "path" in data:
        data["path"] = str((ROOT / "experiments" / data["path"]).resolve())
    run = f"{Path(experiment_file).stem}-{algorithm}-{seed}"
    spec.update(name=run, seed=seed, objective="val_loss", tracking_uri=f"sqlite:///{folder}/mlflow.db",
                tuner_dir=str(folder / "tuner"), log_trial_models=False,
                tuner={**ALGORITHMS[algorithm], "epochs": EPOCHS, "patience": 0})
    path = folder / f"{run}.yaml"
    path.write_text(yaml.safe_dump(spec))
    started = time.time()
    result = run_search(load_experiment(path), Console(quiet=True))
    client = open_store(spec["tracking_uri"])
    trials = []
    for child in sorted(children(client, result.parent_run_id, "attributes.status = 'FINISHED'"),
                        key=lambda r: r.info.end_time):
        trials.append((int(child.data.metrics["trial/epochs"]), child.info.end_time / 1000 - started,
                       child.data.metrics["objective"]))
    return trials


def best_so_far(trials: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
    """(cumulative epochs, seconds, best score so far) after each trial (val_loss: lower is better)."""
    out, epochs, best = [], 0, float("inf")
    for trained, seconds, score in trials:
        epochs, best = epochs + trained, min(best, score)
        out.append((epochs, seconds, best))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "search_efficiency.md")
    args = parser.parse_args()
    from matplotlib.figure import Figure

    from benchmarks.results import publish

    curves: dict[str, dict[str, list]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for experiment_file in EXPERIMENTS:
            curves[experiment_file] = {}
            for algorithm in ALGORITHMS:
                curves[experiment_file][algorithm] = [
                    best_so_far(search(Path(tmp), experiment_file, algorithm, seed)) for seed in range(1, args.seeds + 1)]
                finals = [c[-1][2] for c in curves[experiment_file][algorithm]]
                print(f"{experiment_file} {algorithm}: best val_loss {finals}", flush=True)
    facts = [f"- each algorithm: seeds 1 to {args.seeds}; objective val_loss, early stopping off; random and Bayesian "
             f"10 trials of {EPOCHS} epochs, Hyperband max {EPOCHS} epochs, factor 3, 1 iteration; "
             "the runner's default Bayesian settings (initial points: half of max_trials)", "",
             "| experiment | algorithm | best val_loss (mean ± sd over seeds) | epochs trained | wall time (s) | "
             "epochs to target |", "| --- | --- | --- | --- | --- | --- |"]
    figure = Figure(figsize=(5.5 * len(EXPERIMENTS), 4), layout="constrained")
    axes = figure.subplots(1, len(EXPERIMENTS), squeeze=False)[0]
    for ax, (experiment_file, by_algorithm) in zip(axes, curves.items()):
        target = statistics.median(statistics.median(c[-1][2] for c in runs) for runs in by_algorithm.values())
        for algorithm, runs in by_algorithm.items():
            finals = [c[-1][2] for c in runs]
            reached = [next((e for e, _, b in c if b <= target), None) for c in runs]
            reached_text = ", ".join("-" if r is None else str(r) for r in reached)
            facts.append(f"| {experiment_file} | {algorithm} | {statistics.mean(finals):.4f} ± "
                         f"{statistics.stdev(finals) if len(finals) > 1 else 0:.4f} | "
                         f"{statistics.median(c[-1][0] for c in runs):.0f} | {statistics.median(c[-1][1] for c in runs):.0f} | "
                         f"{reached_text} |")
            for seed, c in enumerate(runs):
                ax.step([e for e, _, _ in c], [b for _, _, b in c], where="post", alpha=0.8,
                        color={"random": "C0", "bayesian": "C1", "hyperband": "C2"}[algorithm],
                        label=algorithm if seed == 0 else None)
        ax.axhline(target, color="grey", ls=":", lw=1, label=f"target {target:.4f}")
        ax.set(title=experiment_file, xlabel="epochs trained (cumulative)", ylabel="best val_loss so far")
        ax.legend(fontsize=8)
    plot = args.out.with_suffix(".png")
    plot.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(plot, dpi=110)
    facts += ["", "Target: the median over algorithms of their median final best; epochs to target per seed "
              "(- when a seed never reached it).", f"![best so far]({plot.name})"]
    publish(args.out, "Search algorithms: best val_loss against training spent",
            f"python benchmarks/search_efficiency.py --seeds {args.seeds}", facts)


if __name__ == "__main__":
    main()
