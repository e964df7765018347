"""Which search reaches a good model with the least training: random, Bayesian and Hyperband, random and Bayesian
each with and without pruning, several seeds each, the best objective against wall time and epochs trained.

Each search is a real `run_search` of a shipped experiment with the
objective val_loss (which ranks finely where accuracy ties), `--trials`
trials for random and Bayesian search, and `--epochs` per trial with early
stopping off (Hyperband: up to that many, factor 3); with `--own-epochs`,
the experiment file's epochs and early stopping instead. Pruning runs with
its default warmup and startup. The target of an experiment is the median
final best of unpruned random search; "time to target" and "epochs to
target" are the wall time and the training a search needed to first reach
it. Usage:

    python benchmarks/search_efficiency.py [--seeds 5] [--trials 10] [--epochs 9 | --own-epochs] \
        [--experiments digits_mlp.yaml ...] [--searches random ...] [--out FILE]
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
SEARCHES = {
    "random": {"algorithm": "random", "pruning": "none"},
    "random + median": {"algorithm": "random", "pruning": "median"},
    "random + successive halving": {"algorithm": "random", "pruning": "successive_halving"},
    "bayesian": {"algorithm": "bayesian", "pruning": "none"},
    "bayesian + median": {"algorithm": "bayesian", "pruning": "median"},
    "hyperband": {"algorithm": "hyperband", "factor": 3, "iterations": 1},
}
COLOURS = dict(zip(SEARCHES, ("C0", "C1", "C2", "C3", "C4", "C5"), strict=False))


def search(
    folder: Path,
    experiment_file: str,
    name: str,
    seed: int,
    trials: int,
    epochs: int | None,
    time_budget: float | None = None,
    outcome: dict | None = None,
) -> list[tuple[int, float, float]]:
    """(epochs trained, seconds since the start, score) of each finished trial, in the order they ended; a
    Hyperband trial that trains on from another counts only its own epochs. `epochs` None: the experiment's.
    With `time_budget`, trials are started until it is spent, no count of trials, and `outcome` is given the
    best trial's test score and the number of trials."""
    from rich.console import Console

    from pipelines.config import load_experiment
    from pipelines.search import search_experiment
    from reports.store.names import objective_metric
    from reports.store.opening import open_store
    from reports.store.trials import children

    spec = yaml.safe_load((ROOT / "experiments" / experiment_file).read_text())
    data = spec["data"]
    if "path" in data:
        data["path"] = str((ROOT / "experiments" / data["path"]).resolve())
    run = f"{Path(experiment_file).stem}-{name.replace(' + ', '-').replace(' ', '-')}-{seed}"
    spec.update(
        name=run,
        seed=seed,
        objective="val_loss",
        tracking_uri=f"sqlite:///{folder}/mlflow.db",
        tuner_dir=str(folder / "tuner"),
        log_trial_models=False,
        ensemble="none",  # the search alone is compared
        tuner={
            **SEARCHES[name],
            **({} if name == "hyperband" or time_budget else {"max_trials": trials}),
            **({"time_budget": time_budget} if time_budget else {}),
            **(
                {key: spec["tuner"][key] for key in ("epochs", "patience") if key in spec["tuner"]}
                if epochs is None
                else {"epochs": epochs, "patience": 0}
            ),
        },
    )
    path = folder / f"{run}.yaml"
    path.write_text(yaml.safe_dump(spec))
    started = time.time()
    result = search_experiment(load_experiment(path), Console(quiet=True))
    client = open_store(spec["tracking_uri"])
    trials = []
    for child in sorted(
        children(client, result.parent_run_id, "attributes.status = 'FINISHED'"),  # pruned too
        key=lambda r: r.info.end_time,
    ):
        trials.append(
            (
                int(child.data.metrics["trial/epochs"]),
                child.info.end_time / 1000 - started,
                child.data.metrics[objective_metric("val_loss")],
            )
        )
    if outcome is not None:
        best = result.trials[result.trials["trial_id"] == result.best_trial_id].iloc[0]
        outcome.update(test=float(best.get("test/accuracy", best.get("test/mae"))), trials=len(result.trials))
    return trials


def best_so_far(trials: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
    """(cumulative epochs, seconds, best score so far) after each trial (val_loss: lower is better)."""
    out, epochs, best = [], 0, float("inf")
    for trained, seconds, score in trials:
        epochs, best = epochs + trained, min(best, score)
        out.append((epochs, seconds, best))
    return out


def _reached(curve: list[tuple[int, float, float]], target: float) -> int | None:
    """The number of the first trial (from 1, in the order trials ended) at which a search reached `target`."""
    return next((k for k, (_, _, best) in enumerate(curve, start=1) if best <= target), None)


def _median(values):
    known = [v for v in values if v is not None]
    return statistics.median(known) if len(known) > len(values) / 2 else None  # most seeds must have reached it


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=10, help="trials of random and Bayesian search")
    parser.add_argument("--epochs", type=int, default=9, help="epochs per trial, early stopping off")
    parser.add_argument("--own-epochs", action="store_true", help="each experiment file's epochs and early stopping")
    parser.add_argument("--experiments", nargs="*", default=list(EXPERIMENTS), help="shipped experiment files")
    parser.add_argument("--searches", nargs="*", default=list(SEARCHES), help="which of the searches (default: all)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "search_efficiency.md")
    parser.add_argument(
        "--budget",
        type=float,
        nargs="*",
        help="wall-time budgets in seconds: each search under each, its best at the end of the budget",
    )
    parser.add_argument("--conditions", default="", help="what else ran on the machine meanwhile, for the record")
    args = parser.parse_args()
    if args.budget:
        return under_budgets(args)
    from matplotlib.figure import Figure

    from benchmarks.results import publish

    curves: dict[str, dict[str, list]] = {}
    epochs = None if args.own_epochs else args.epochs
    budget = (
        "each experiment's own epochs and early stopping"
        if epochs is None
        else f"{epochs} epochs per trial, early stopping off"
    )
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for experiment_file in args.experiments:
            curves[experiment_file] = {}
            for name in args.searches:
                curves[experiment_file][name] = [
                    best_so_far(search(Path(tmp), experiment_file, name, seed, args.trials, epochs))
                    for seed in range(1, args.seeds + 1)
                ]
                finals = [c[-1][2] for c in curves[experiment_file][name]]
                print(f"{experiment_file} {name}: best val_loss {finals}", flush=True)
    facts = [
        f"- each search: seeds 1 to {args.seeds}; objective val_loss; {budget}; random and Bayesian "
        f"{args.trials} trials, Hyperband up to the same epochs, factor 3, 1 iteration; the runner's default "
        "Bayesian settings (initial points: half of max_trials) and pruning settings (warmup a tenth of the "
        "epochs, at least 2; 3 startup trials); total "
        f"{(time.monotonic() - started) / 60:.0f} min",
        "",
        "| experiment | search | best val_loss (mean ± sd over seeds) | epochs trained | wall time (s) | "
        "time to target (s, median) | epochs to target (median) | time to target against random | "
        "trial that reached the target, by seed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    figure = Figure(figsize=(5.5 * len(curves), 4), layout="constrained")
    axes = figure.subplots(1, len(curves), squeeze=False)[0]
    for ax, (experiment_file, by_search) in zip(axes, curves.items(), strict=False):
        target = statistics.median(c[-1][2] for c in by_search["random"])
        unpruned = _median([next((s for _, s, b in c if b <= target), None) for c in by_search["random"]])
        for name, runs in by_search.items():
            finals = [c[-1][2] for c in runs]
            seconds = _median([next((s for _, s, b in c if b <= target), None) for c in runs])
            epochs = _median([next((e for e, _, b in c if b <= target), None) for c in runs])
            ratio = f"{seconds / unpruned:.2f}" if seconds is not None and unpruned else "-"
            facts.append(
                f"| {experiment_file} | {name} | {statistics.mean(finals):.4f} ± "
                f"{statistics.stdev(finals) if len(finals) > 1 else 0:.4f} | "
                f"{statistics.median(c[-1][0] for c in runs):.0f} | "
                f"{statistics.median(c[-1][1] for c in runs):.0f} | "
                f"{'-' if seconds is None else f'{seconds:.0f}'} | "
                f"{'-' if epochs is None else f'{epochs:.0f}'} | {ratio} | "
                f"{', '.join(str(_reached(c, target) or '-') for c in runs)} |"
            )
            for seed, c in enumerate(runs):
                ax.step(
                    [s for _, s, _ in c],
                    [b for _, _, b in c],
                    where="post",
                    alpha=0.7,
                    color=COLOURS[name],
                    label=name if seed == 0 else None,
                )
        ax.axhline(target, color="grey", ls=":", lw=1, label=f"target {target:.4f}")
        ax.set(title=experiment_file, xlabel="wall time (s)", ylabel="best val_loss so far", yscale="log")
        ax.legend(fontsize=7)
    plot = args.out.with_suffix(".png")
    plot.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(plot, dpi=110)
    facts += [
        "",
        "Target: the median final best of unpruned random search. Time and epochs to target: the median "
        "over seeds of when a search first reached it (- when most seeds never did). A seeded random search "
        "tries the same hyperparameters in the same order with and without pruning, so pruning can shorten "
        "only the trials before the one that reaches the target, and never the first `pruning_startup_trials`.",
        f"![best so far]({plot.name})",
    ]
    publish(
        args.out,
        "Search algorithms and pruning: best val_loss against time and training spent",
        f"python benchmarks/search_efficiency.py --seeds {args.seeds} --trials {args.trials} "
        + ("--own-epochs " if epochs is None else f"--epochs {epochs} ")
        + f"--experiments {' '.join(args.experiments)}"
        + (f" --searches {' '.join(repr(n) for n in args.searches)}" if args.searches != list(SEARCHES) else ""),
        facts,
    )


def under_budgets(args) -> None:
    """Each search under each time budget, seeds side by side: the best val_loss and its trial's test score
    when the budget is spent, against random search's, so the ranking decides pruning's default under a budget.

    Seeds are the outer loop and the table is written after each seed's round, so a run stopped part-way keeps
    every search compared on the same seeds, and the machine's load over the hours falls on every search alike."""
    rows: list[tuple] = []
    started = time.monotonic()
    epochs = None if args.own_epochs else args.epochs
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(1, args.seeds + 1):
            for seconds in args.budget:
                for experiment_file in args.experiments:
                    for name in args.searches:
                        outcome: dict = {}
                        folder = Path(tmp) / f"{seconds:g}"
                        folder.mkdir(exist_ok=True)
                        trials = search(folder, experiment_file, name, seed, args.trials, epochs, seconds, outcome)
                        best = min(score for _, _, score in trials)
                        rows.append((seconds, experiment_file, name, seed, best, outcome["test"], outcome["trials"]))
                        print(f"{seconds:g} s {experiment_file} {name} seed {seed}: {rows[-1][4:]}", flush=True)
            _publish_budgets(args, rows, seed, epochs, (time.monotonic() - started) / 60)


def _publish_budgets(args, rows: list[tuple], seeds: int, epochs: int | None, minutes: float) -> None:
    """The budget table over the seeds run so far."""
    from benchmarks.results import publish

    table = [
        *([f"- conditions: {args.conditions}"] if args.conditions else []),
        f"- each search: seeds 1 to {seeds}"
        + (f" (of {args.seeds} asked for; the run was stopped after seed {seeds})" if seeds < args.seeds else "")
        + "; objective val_loss; "
        + ("each experiment's own epochs and early stopping" if epochs is None else f"{epochs} epochs a trial")
        + f"; no count of trials, the time budget alone; no ensemble; total {minutes:.0f} min",
        "- against random: the mean over seeds of (this search's best val_loss - random's with the same seed), "
        "± its standard error; called only beyond 2 standard errors",
        "",
        "| budget | experiment | search | trials (median) | best val_loss (mean ± sd) | its test score (mean ± sd) | "
        "val_loss against random (paired by seed) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for seconds in args.budget:
        for experiment_file in args.experiments:
            random = {r[3]: r[4] for r in rows if r[:3] == (seconds, experiment_file, "random")}
            for name in args.searches:
                mine = [r for r in rows if r[:3] == (seconds, experiment_file, name)]
                vals, tests = [r[4] for r in mine], [r[5] for r in mine]
                paired = [r[4] - random[r[3]] for r in mine if r[3] in random]
                vs = "-"
                if name != "random" and len(paired) > 1:
                    mean, se = statistics.fmean(paired), statistics.stdev(paired) / len(paired) ** 0.5
                    called = "lower" if mean < -2 * se else "higher" if mean > 2 * se else "within noise"
                    vs = f"{mean:+.4f} ± {se:.4f} ({called})"
                table.append(
                    f"| {seconds:g} s | {experiment_file} | {name} | {statistics.median(r[6] for r in mine):.0f} | "
                    f"{statistics.fmean(vals):.4f} ± {statistics.stdev(vals) if len(vals) > 1 else 0:.4f} | "
                    f"{statistics.fmean(tests):.4f} ± {statistics.stdev(tests) if len(tests) > 1 else 0:.4f} | {vs} |"
                )
    publish(
        args.out,
        "Search algorithms and pruning under a time budget: the best model when the minutes are spent",
        "python benchmarks/search_efficiency.py " + " ".join(sys.argv[1:]),
        table,
    )


if __name__ == "__main__":
    main()
