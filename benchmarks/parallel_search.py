"""Trials per hour of one search in this process, on 1 worker and on 2 workers, on this machine.

The same 8-trial grid (the digits CNN, eight learning rates that cost the
same) is run as `runner.py search` (a user's command, end to end), with no
`--workers`, `--workers 1` and `--workers 2`, interleaved round by round so
that drift in a shared machine's speed hits every mode alike. Two figures per
run: the whole command's wall time, and trials per hour while trials ran
(from the first trial run's start to the last one's end in MLflow), which
leaves out the fixed start-up and closing steps. Usage:

    python benchmarks/parallel_search.py [--rounds 2] [--epochs 10] [--out benchmarks/results/parallel_search.md]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.workloads import learning_rate_grid  # noqa: E402

TRIALS = 8
MODES = {"in one process": [], "1 worker": ["--workers", "1"], "2 workers": ["--workers", "2"]}
LOCKED = "the SQLite store was locked"


def one_search(arguments: list[str], epochs: int) -> tuple[float, float, int]:
    """(wall seconds of the command, trials per hour while trials ran, writes that found SQLite locked)."""
    from mlflow.tracking import MlflowClient

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = learning_rate_grid(folder, "parallel", TRIALS, epochs, log_trial_models=False)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(ROOT / "runner.py"), "search", str(path), *arguments],
            cwd=folder,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"search {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
        client = MlflowClient(f"sqlite:///{folder}/mlflow.db")
        runs = client.search_runs(
            [client.get_experiment_by_name("parallel").experiment_id],
            "tags.`automl.role` = 'trial' and attributes.status = 'FINISHED'",
        )
        assert len(runs) == TRIALS, f"{len(runs)} finished trials"
        span = (max(r.info.end_time for r in runs) - min(r.info.start_time for r in runs)) / 1000
        return wall, TRIALS / span * 3600, (folder / "automl.log").read_text().count(LOCKED)


def main() -> None:
    from benchmarks.results import arguments

    args = arguments(__doc__, "parallel_search", rounds=2, epochs=10)
    from benchmarks.results import publish

    results: dict[str, list[tuple[float, float, int]]] = {mode: [] for mode in MODES}
    for round_ in range(args.rounds):
        for mode, command in MODES.items():
            results[mode].append(one_search(command, args.epochs))
            print(
                f"round {round_ + 1}, {mode}: {results[mode][-1][0]:.1f} s, {results[mode][-1][1]:.0f} trials/h",
                flush=True,
            )
    wall = {mode: statistics.median(run[0] for run in runs) for mode, runs in results.items()}
    rate = {mode: statistics.median(run[1] for run in runs) for mode, runs in results.items()}
    locked = {mode: sum(run[2] for run in runs) for mode, runs in results.items()}
    facts = [
        f"- search: the digits CNN, {TRIALS} trials x {args.epochs} epochs (grid over learning rates that cost "
        f"the same), `runner.py search` end to end; {args.rounds} interleaved rounds, medians"
    ]
    for mode in MODES:
        each = ", ".join(f"{w:.1f} s / {r:.0f}" for w, r, _ in results[mode])
        facts.append(
            f"- {mode}: command {wall[mode]:.1f} s, {rate[mode]:.0f} trials per hour while trials ran "
            f"(each round: {each}); writes that found SQLite locked and were sent again: {locked[mode]}"
        )
    facts += [
        f"- **2 workers / 1 worker: {rate['2 workers'] / rate['1 worker']:.2f} x the trials per hour** "
        f"(command time {wall['1 worker'] / wall['2 workers']:.2f} x faster)",
        f"- 1 worker / in one process: {rate['1 worker'] / rate['in one process']:.2f} x the trials per hour "
        f"(command time {wall['in one process'] / wall['1 worker']:.2f} x faster)",
    ]
    publish(
        args.out,
        "Parallel search: trials per hour on 1 and 2 workers",
        f"python benchmarks/parallel_search.py --rounds {args.rounds} --epochs {args.epochs}",
        facts,
    )


if __name__ == "__main__":
    main()
