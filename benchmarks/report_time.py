"""How long the reading commands take on the default search's store, as a user runs them, before and after.

The default search (`runner.py search`: experiments/digits_cnn.yaml, 8 trials)
is run once into a temporary store. Then four commands each run as a new
process, timed from start to exit: `trials NAME`, `report NAME`, `--help` and
`search` on an experiment file the runner refuses (an unknown key). Each is run
`--repeats` times by this checkout and, with `--before REV`, by a git worktree
of REV on the same store and the same interpreter, the two alternating so a
busy machine slows both alike; the median of each is written. One more run of
each under `python -X importtime` gives the share of the wall time spent
importing modules.
Usage:

    python benchmarks/report_time.py [--before eda2c66] [--repeats 5] [--out benchmarks/results/report_time.md]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMANDS = {
    "`trials digits-cnn`": ["trials", "digits-cnn"],
    "`report digits-cnn`": ["report", "digits-cnn", "--out", "again.pdf"],
    "`--help`": ["--help"],
    "`search refused.yaml`": ["search", "refused.yaml"],
}
REFUSED = "name: refused\ndata: {source: digits}\nfamily: cnn\ntuner: {max_trails: 4}\n"  # a misspelt key


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, capture_output=True)  # the refused file exits 2 by design
    return time.perf_counter() - started


def import_share(command: list[str], cwd: Path) -> tuple[float, float]:
    """(seconds importing, seconds in all) for one run: the cumulative times of the top-level imports that
    `-X importtime` prints, over the run's wall time."""
    started = time.perf_counter()
    done = subprocess.run([command[0], "-X", "importtime", *command[1:]], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    lines = [re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line) for line in done.stderr.splitlines()]
    top = [int(m[1]) for m in lines if m is not None and len(m[2]) == 1]
    return sum(top) / 1e6, wall


def worktree(revision: str, into: Path) -> Path:
    path = into / "before"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), revision], check=True)
    shared = ROOT.parent / "shared"
    if shared.exists() and not (into / "shared").exists():
        (into / "shared").symlink_to(shared)  # the checkouts read ../shared/data
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a git revision to time side by side with this checkout")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "report_time.md")
    args = parser.parse_args()
    from benchmarks.results import publish

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "store"
        folder.mkdir()
        (folder / "refused.yaml").write_text(REFUSED)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "runner.py"), "search"], cwd=folder, check=True, capture_output=True)
        search_s = time.perf_counter() - started
        checkouts = {"after": ROOT}
        if args.before:
            checkouts = {"before": worktree(args.before, Path(tmp)), **checkouts}
        times: dict[tuple[str, str], list[float]] = {}
        shares: dict[tuple[str, str], tuple[float, float]] = {}
        try:
            for _ in range(args.repeats):
                for label, command in COMMANDS.items():
                    for version, checkout in checkouts.items():
                        run = [sys.executable, str(checkout / "runner.py"), *command]
                        times.setdefault((label, version), []).append(timed(run, folder))
            for label, command in COMMANDS.items():
                for version, checkout in checkouts.items():
                    shares[label, version] = import_share(
                        [sys.executable, str(checkout / "runner.py"), *command], folder
                    )
        finally:
            if args.before:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkouts["before"])])
    facts = [
        f"- store: the default search (`runner.py search`, experiments/digits_cnn.yaml) run once ({search_s:.0f} s, "
        "not part of the result)",
        "- each command is a new process, timed from start to exit; median of "
        f"{args.repeats} runs, the versions alternating; `importing` is one more run under `-X importtime`: the "
        "top-level imports' cumulative time over that run's wall time",
        "",
        "| command | " + " | ".join(f"{v} median (s) | {v} runs (s) | {v} importing" for v in checkouts) + " |",
        "|---|" + "---|---|---|" * len(checkouts),
    ]
    for label in COMMANDS:
        cells = []
        for version in checkouts:
            values = times[label, version]
            imported, wall = shares[label, version]
            cells += [
                f"**{statistics.median(values):.2f}**",
                ", ".join(f"{v:.2f}" for v in values),
                f"{imported:.2f} of {wall:.2f} s ({imported / wall:.0%})",
            ]
        facts.append(f"| {label} | " + " | ".join(cells) + " |")
    versions = f"before = {args.before}, after = this checkout" if args.before else "this checkout"
    publish(
        args.out,
        "Time of the reading commands on the default search's store",
        f"python benchmarks/report_time.py{f' --before {args.before}' if args.before else ''} --repeats {args.repeats}",
        [f"- versions: {versions}", *facts],
        libraries=_libraries(),
    )


def _libraries() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("mlflow", "keras", "keras-tuner", "pandas"))


if __name__ == "__main__":
    main()
