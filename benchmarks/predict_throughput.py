"""What taking raw data costs at prediction: the champion's pyfunc on raw rows against `model.predict` on the
encoded matrix of the same rows, side by side, and how long a bad file takes to be refused once the model is loaded.

A tiny search on a generated table (a text category, a date column, numbers with
gaps, string labels) and one on the SMS texts; then, for each, interleaved
rounds of both ways over the same rows. Writes
benchmarks/results/predict_throughput.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from benchmarks.results import publish  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weather = rng.choice(["rain", "sun", "cloud", "fog"], rows)
    temperature = rng.normal(15, 5, rows).round(1)
    temperature[rng.random(rows) < 0.1] = np.nan
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D")
    return pd.DataFrame(
        {
            "day": days.strftime("%Y-%m-%d"),
            "weather": weather,
            "temperature": temperature,
            "humidity": rng.integers(30, 90, rows),
            "activity": np.where((weather == "sun") | (temperature > 22), "walk", "stay"),
        }
    )


def search(tmp: Path, name: str, data: dict, family: str, space: dict):
    from rich.console import Console

    from pipelines.config import load_experiment
    from pipelines.search import search_experiment

    config = {
        "name": name,
        "data": data,
        "family": family,
        "search_space": space,
        "tuner": {"algorithm": "grid", "epochs": 3, "patience": 0},
        "tracking_uri": f"sqlite:///{tmp}/mlflow.db",
        "tuner_dir": str(tmp / "tuner"),
        "log_trial_models": False,
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    experiment = load_experiment(path)
    return experiment, search_experiment(experiment, Console(quiet=True))


def rounds(model, frame: pd.DataFrame, count: int) -> dict[str, list[float]]:
    """Rows per second, both ways, interleaved: the pyfunc's `answer` on raw rows; the Keras model on the rows
    encoded once beforehand (what a user who encodes the data themselves runs)."""
    from pipelines.tracking.recorder import predict as outputs

    encoded = model.encoding.encode(frame, [])
    speeds: dict[str, list[float]] = {"pyfunc on raw rows": [], "Keras on the encoded matrix": []}
    for _ in range(count):
        started = time.perf_counter()
        model.answer(frame, [])
        speeds["pyfunc on raw rows"].append(len(frame) / (time.perf_counter() - started))
        started = time.perf_counter()
        outputs(model.keras_model, encoded)
        speeds["Keras on the encoded matrix"].append(len(frame) / (time.perf_counter() - started))
    return speeds


def refusal_seconds(model, reference: str, tracking_uri: str, bad: Path) -> float:
    from pipelines.errors import DataError
    from pipelines.predict import predict

    started = time.perf_counter()
    try:
        predict(reference, bad, tracking_uri, loaded=model)
    except DataError:
        return time.perf_counter() - started
    raise AssertionError(f"{bad} was not refused")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=20000, help="raw table rows predicted per round")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "predict_throughput.md")
    args = parser.parse_args()
    from pipelines.logs import quiet_libraries

    quiet_libraries()
    from pipelines.predict import load

    facts = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        table(1000, 0).to_csv(tmp / "train.csv", index=False)
        rows = table(args.rows, 1)
        rows.drop(columns="activity").to_csv(tmp / "rows.csv", index=False)
        sms = pd.read_csv(SHARED / "text" / "SMSSpamCollection", sep="\t", quoting=3)
        cases = {
            "table": (
                {"source": "csv", "path": "train.csv", "target": "activity", "missing": "fill", "dates": "features"},
                "mlp",
                {"depth": 1, "units": 32, "learning_rate": 0.01, "batch_size": 32, "dropout": 0.0},
                rows.drop(columns="activity"),
            ),
            "SMS texts": (
                {"source": "text", "path": str(SHARED / "text" / "SMSSpamCollection"), "text_column": "SMS"},
                "rnn",
                {"encoder": "bag", "learning_rate": 0.01, "batch_size": 32, "dropout": 0.0},
                sms[["SMS"]],
            ),
        }
        for name, (data, family, space, frame) in cases.items():
            experiment, result = search(tmp, name.split()[0].lower(), data, family, space)
            started = time.perf_counter()
            model = load(result.best_model_uri, experiment.tracking_uri)
            loading = time.perf_counter() - started
            speeds = rounds(model, frame, args.rounds)
            medians = {way: statistics.median(values) for way, values in speeds.items()}
            ratio = medians["Keras on the encoded matrix"] / medians["pyfunc on raw rows"]
            facts += [
                f"- **{name}**, {len(frame):,} rows per round, {args.rounds} interleaved rounds; loading the "
                f"model: {loading:.2f} s",
                *(
                    f"  - {way}: median {m:,.0f} rows/s (rounds {min(speeds[way]):,.0f}-{max(speeds[way]):,.0f})"
                    for way, m in medians.items()
                ),
                f"  - the raw data's encoding costs a factor of **{ratio:.2f}** in rows per second",
            ]
            if name == "table":
                bad = {
                    "a missing column": rows.drop(columns=["activity", "weather"]),
                    "text in a number column": rows.drop(columns="activity").assign(humidity="humid"),
                }
                for what, bad_rows in bad.items():
                    path = tmp / "bad.csv"
                    bad_rows.to_csv(path, index=False)
                    seconds = refusal_seconds(model, result.best_model_uri, experiment.tracking_uri, path)
                    facts.append(f"  - {what} in {len(bad_rows):,} rows refused in {seconds:.2f} s after loading")
    import keras
    import mlflow

    publish(
        args.out,
        "Prediction on raw data against the encoded matrix",
        f"python benchmarks/predict_throughput.py --rounds {args.rounds} --rows {args.rows}",
        facts,
        f"Keras {keras.__version__}, MLflow {mlflow.__version__}",
    )


if __name__ == "__main__":
    main()
