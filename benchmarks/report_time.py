"""How long `runner.py report` and `runner.py trials` take on a search of 30 trials, as a user runs them.

A 30-trial search of the digits CNN (2 epochs per trial) is run once into a
temporary store; then each command runs as its own process, three times,
and the median wall time is written. Both read MLflow only (no TensorFlow).
Usage:

    python benchmarks/report_time.py [--trials 30] [--repeats 3] [--out benchmarks/results/report_time.md]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "report_time.md")
    args = parser.parse_args()
    from benchmarks.results import publish

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        spec = yaml.safe_load((ROOT / "experiments" / "digits_cnn.yaml").read_text())
        spec.update(name="report-time", tracking_uri="sqlite:///mlflow.db")
        spec["tuner"].update(max_trials=args.trials, epochs=2, patience=0)
        (folder / "search.yaml").write_text(yaml.safe_dump(spec))
        runner = [sys.executable, str(ROOT / "runner.py")]
        search_s = timed([*runner, "search", "search.yaml"], folder)
        report = [timed([*runner, "report", "report-time", "--out", "again.pdf"], folder) for _ in range(args.repeats)]
        trials = [timed([*runner, "trials", "report-time"], folder) for _ in range(args.repeats)]
    publish(
        args.out,
        "Time of `runner.py report` and `runner.py trials` on a finished search",
        f"python benchmarks/report_time.py --trials {args.trials} --repeats {args.repeats}",
        [
            f"- search: digits CNN, {args.trials} random-search trials of 2 epochs "
            f"({search_s:.0f} s, not part of the result)",
            f"- `runner.py report` (s): {', '.join(f'{v:.1f}' for v in report)}; "
            f"**median {statistics.median(report):.1f} s**",
            f"- `runner.py trials` (s): {', '.join(f'{v:.1f}' for v in trials)}; "
            f"**median {statistics.median(trials):.1f} s**",
            "- each command is a new process, timed from start to exit: imports, opening the store, reading runs, "
            "drawing and writing",
        ],
    )


if __name__ == "__main__":
    main()
