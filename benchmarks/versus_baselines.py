"""Is the best network at least as good as the obvious model? Every shipped experiment, and a minimal file for each
shared data set, run as a user runs them (`runner.py search FILE`), each against its baseline to beat.

A minimal file is what a user writes first, for each shared data set, scikit-learn's breast cancer, wine and
diabetes (values), and a generated monthly series in sales units: `name`, `data` (with `target` and
`window` where the source needs them) and `family`; everything else is the
runner's default. Budgets are cut to `--trials` trials (3 by default; a grid
keeps its own size), and the shipped experiments keep their epochs, except
those over `--max-epochs`; the transfer experiment runs after the search that
registers its base model, in the same store. The table gives the best network's test score, the
baseline to beat (the better one on validation), the mean gain per test sample
± its standard error, and the verdict: beats / no better / worse, a difference
called only beyond 2 standard errors. Usage:

    python benchmarks/versus_baselines.py [--trials 3] [--jobs 2] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.workloads import monthly_sales  # noqa: E402
from pipelines.baselines import called  # noqa: E402

DATA = (ROOT / ".." / "shared" / "data").resolve()

SHIPPED = (
    "adding_rnn",
    "airline_rnn",
    "banknote_mlp",
    "custom_mlp",
    "digits_0_4_cnn",
    "digits_cnn",
    "digits_mlp",
    "mnist_cnn",
    "pollution_rnn",
    "sms_spam_rnn",
    "sonar_mlp",
    "transfer_digits_5_9",
)
AFTER = {"transfer_digits_5_9": "digits_0_4_cnn"}  # runs in the same store, after the search that registers its base
MINIMAL = {  # a minimal file per shared data set: name, data, family
    "minimal-sonar": {
        "data": {"source": "csv", "path": f"{DATA}/tabular/sonar.csv", "header": False, "target": -1},
        "family": "mlp",
    },
    "minimal-banknote": {
        "data": {"source": "csv", "path": f"{DATA}/tabular/banknote_authentication.csv", "header": False, "target": -1},
        "family": "mlp",
    },
    "minimal-movie-reviews": {"data": {"source": "text", "path": f"{DATA}/text/movie_reviews"}, "family": "cnn"},
    "minimal-sms-spam": {
        "data": {
            "source": "text",
            "path": f"{DATA}/text/SMSSpamCollection",
            "text_column": "SMS",
            "label_column": "Label",
        },
        "family": "rnn",
    },
    "minimal-co2": {
        "data": {"source": "timeseries", "path": f"{DATA}/timeseries/co2-weekly.csv", "target": "co2", "window": 52},
        "family": "rnn",
    },
    "minimal-airline": {
        "data": {
            "source": "timeseries",
            "path": f"{DATA}/timeseries/airline-passengers.csv",
            "target": "Passengers",
            "window": 12,
        },
        "family": "rnn",
    },
    "minimal-pollution": {
        "data": {"source": "timeseries", "path": f"{DATA}/timeseries/pollution.csv", "target": "pm2.5", "window": 24},
        "family": "mlp",
    },
    "minimal-mnist": {"data": {"source": "mnist", "path": f"{DATA}/mnist"}, "family": "cnn"},
    "minimal-breast-cancer": {"data": {"source": "breast_cancer"}, "family": "mlp"},
    "minimal-wine": {"data": {"source": "wine"}, "family": "mlp"},
    "minimal-diabetes": {"data": {"source": "diabetes"}, "family": "mlp"},
    # Generated beside the file (benchmarks/workloads.py): a monthly series in sales units, about 15,000.
    "minimal-sales": {
        "data": {"source": "timeseries", "path": "sales.csv", "target": "sales", "window": 12},
        "family": "rnn",
    },
}
GENERATED = {"minimal-sales": lambda folder: monthly_sales(folder / "sales.csv")}


def _shipped(name: str, folder: Path, trials: int, max_epochs: int) -> Path:
    spec = yaml.safe_load((ROOT / "experiments" / f"{name}.yaml").read_text())
    if "path" in spec["data"]:
        spec["data"]["path"] = str((ROOT / "experiments" / spec["data"]["path"]).resolve())
    if "builder" in spec:
        file, _, function = spec["builder"].rpartition(":")
        spec["builder"] = f"{(ROOT / 'experiments' / file).resolve()}:{function}"
    tuner = spec.setdefault("tuner", {})
    if tuner.get("algorithm") != "grid":
        tuner["max_trials"] = min(tuner.get("max_trials", trials), trials)
    if tuner.get("epochs", 0) > max_epochs:
        tuner["epochs"] = max_epochs
    return _write(folder, spec["name"], spec)


def _minimal(name: str, folder: Path, trials: int) -> Path:
    if name in GENERATED:
        GENERATED[name](folder)
    return _write(folder, name, {**MINIMAL[name], "tuner": {"max_trials": trials}})


def _write(folder: Path, name: str, spec: dict) -> Path:
    spec = {**spec, "name": name, "tracking_uri": f"sqlite:///{folder}/mlflow.db", "tuner_dir": str(folder / "tuner")}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _realized(row: dict) -> float:
    return row["ensemble_gain"] if row["ensemble"] == "kept" else 0.0


def _mean_and_se(values: list[float]) -> str:
    """Mean ± standard error over the searches."""
    if len(values) < 2:
        return f"{values[0]:+.3g} (one search, no spread)" if values else "-"
    return f"mean {statistics.fmean(values):+.3g} ± {statistics.stdev(values) / len(values) ** 0.5:.2g} SE"


def run(path: Path) -> dict:
    """One search in a process of its own, then its parent run's verdict against the baseline to beat."""
    from reports.store.names import (
        BEST_BASELINE_PARAM,
        ENSEMBLE_BEST_TRIAL,
        ENSEMBLE_GAIN,
        ENSEMBLE_TAG,
        TEST_METRICS,
        baseline_metric,
        gain_metrics,
    )
    from reports.store.opening import open_store
    from reports.store.trials import latest_search

    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "runner.py"), "search", str(path)], cwd=path.parent, capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    spec = yaml.safe_load(path.read_text())
    row = {"name": spec["name"], "seconds": seconds, "exit": proc.returncode}
    parent = latest_search(open_store(spec["tracking_uri"]), spec["name"]) if proc.returncode in (0, 1) else None
    params, metrics = (parent.data.params, parent.data.metrics) if parent else ({}, {})
    key = params.get(BEST_BASELINE_PARAM)
    if key is None:
        print(f"{spec['name']}: exit {proc.returncode}\n{proc.stderr[-3000:]}", flush=True)
        return {**row, "error": f"exit {proc.returncode}: " + (proc.stderr.strip().splitlines() or ["?"])[-1][:160]}
    metric = next(m for m in TEST_METRICS if m in metrics)
    gain, error = (metrics.get(name, float("nan")) for name in gain_metrics(key))
    verdict = called(gain, error)
    kept = parent.data.tags.get(ENSEMBLE_TAG, "")
    # Without the ensemble the best trial is the model: its own gain, logged beside the ensemble's when kept.
    alone = [metrics.get(ENSEMBLE_BEST_TRIAL + name, float("nan")) for name in gain_metrics(key)]
    gain_alone, error_alone = alone if kept == "kept" else (gain, error)
    print(f"{spec['name']}: {verdict} ({gain:+.3g} ± {error:.2g}) in {seconds:.0f} s", flush=True)
    return {
        **row,
        "metric": metric,
        "network": metrics[metric],
        "baseline": params[f"baseline.{key}"],
        "baseline_value": metrics[baseline_metric(key, metric)],
        "gain": gain,
        "se": error,
        "verdict": verdict,
        "ensemble": kept.split(":")[0],
        "ensemble_gain": metrics.get(ENSEMBLE_GAIN, float("nan")),
        "ensemble_se": metrics.get(ENSEMBLE_GAIN + "_se", float("nan")),
        "gain_alone": gain_alone,
        "se_alone": error_alone,
        "verdict_alone": called(gain_alone, error_alone),
        "trials": params.get("tuner.max_trials"),
        "epochs": params.get("tuner.epochs"),
        "chosen": params.get("chosen_from_data", ""),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=3, help="trials per search (a grid keeps its own)")
    parser.add_argument("--max-epochs", type=int, default=60, help="shipped experiments' epochs capped at this")
    parser.add_argument("--jobs", type=int, default=2, help="searches at once")
    parser.add_argument("--only", nargs="*", help="run only these (shipped names or minimal-...)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "versus_baselines.md")
    args = parser.parse_args()
    from benchmarks.results import publish

    names = [n for n in (*SHIPPED, *MINIMAL) if not args.only or n in args.only]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        paths = {}
        for name in names:
            folder = Path(tmp) / AFTER.get(name, name)
            folder.mkdir(exist_ok=True)
            paths[name] = (
                _shipped(name, folder, args.trials, args.max_epochs)
                if name in SHIPPED
                else _minimal(name, folder, args.trials)
            )
        after = {first: name for name, first in AFTER.items() if name in paths}
        jobs = [
            [paths[name], *([paths[after[name]]] if name in after else [])]
            for name in names
            if name not in AFTER or AFTER[name] not in paths
        ]
        rows = [row for rows in pool.map(lambda chain: [run(p) for p in chain], jobs) for row in rows]
    total = time.monotonic() - started
    table = [
        "| search | trials | epochs | network | baseline to beat | gain ± SE | verdict | ensemble | ensemble's "
        "gain over the best trial | best trial alone: gain ± SE, verdict | time |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        if "error" in r:
            table.append(f"| {r['name']} | | | | | | error: {r['error']} | | | | {r['seconds']:.0f} s |")
            continue
        chosen = f" (chosen: {r['chosen']})" if r["chosen"] else ""
        table.append(
            f"| {r['name']} | {r['trials']} | {r['epochs']}{chosen} | {r['metric']} {r['network']:.4g} | "
            f"{r['baseline']}: {r['baseline_value']:.4g} | {r['gain']:+.3g} ± {r['se']:.2g} | "
            f"{r['verdict']} | {r['ensemble'] or '-'} | {r['ensemble_gain']:+.3g} ± {r['ensemble_se']:.2g} | "
            f"{r['gain_alone']:+.3g} ± {r['se_alone']:.2g}, {r['verdict_alone']} | {r['seconds']:.0f} s |"
        )
    counts = {v: sum(r.get("verdict") == v for r in rows) for v in ("beats", "no better", "worse")}
    alone = {v: sum(r.get("verdict_alone") == v for r in rows) for v in ("beats", "no better", "worse")}
    scored = [r for r in rows if "error" not in r]
    # What the ensemble changed: its gain over the best trial where it became the model, 0 where the trial stayed;
    # per test metric, as an accuracy and an error in a series' units do not average.
    by_metric = {m: [r for r in scored if r["metric"] == m] for m in sorted({r["metric"] for r in scored})}
    ensemble_lines = [
        f"- {m}, {len(group)} searches: the ensemble became the model in "
        f"{sum(r['ensemble'] == 'kept' for r in group)}; its gain over the best trial per test sample, 0 where "
        f"the trial stayed the model: {_mean_and_se([_realized(r) for r in group])}"
        for m, group in by_metric.items()
    ]
    publish(
        args.out,
        "The best network against the baseline to beat",
        "python benchmarks/versus_baselines.py " + " ".join(sys.argv[1:]),
        [
            f"- budget: at most {args.trials} trials a search (grids keep their size), shipped epochs capped at "
            f"{args.max_epochs}, {args.jobs} searches at once; total {total / 60:.1f} min",
            f"- verdicts over {len(rows)} searches: {counts['beats']} beat the baseline, {counts['no better']} no "
            f"better, {counts['worse']} worse (a difference called beyond 2 standard errors of the per-sample gain)",
            f"- the same searches with the best trial alone as the model (ensemble off): {alone['beats']} beat, "
            f"{alone['no better']} no better, {alone['worse']} worse",
            *ensemble_lines,
            "",
            *table,
        ],
    )


if __name__ == "__main__":
    main()
