"""How long a bad experiment file takes to be refused: `runner.py search` on a file with a misspelt key, timed.

The check runs before TensorFlow, Keras or MLflow is imported, so the time is
Python's start, pandas and pydantic. Writes benchmarks/results/validation_time.md.
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

from benchmarks.results import publish  # noqa: E402

BAD = "data: {source: digits}\nfamily: cnn\nsearch_space: {dropuot: 0.2}\n"


def main() -> None:
    from benchmarks.results import arguments

    args = arguments(__doc__, "validation_time", runs=10)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bad.yaml"
        path.write_text(BAD)
        seconds = []
        for _ in range(args.runs):
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, str(ROOT / "runner.py"), "search", str(path)], cwd=tmp, capture_output=True, text=True
            )
            seconds.append(time.perf_counter() - started)
            assert proc.returncode == 2 and "dropuot" in proc.stderr, proc.stderr
    publish(
        args.out,
        "Time to refuse a bad experiment file",
        f"python benchmarks/validation_time.py --runs {args.runs}",
        [
            "- what: `runner.py search bad.yaml`, a file whose search_space misspells dropout, "
            "from process start to exit 2",
            f"- seconds per run: {', '.join(f'{s:.2f}' for s in seconds)}",
            f"- **median: {statistics.median(seconds):.2f} s**, slowest {max(seconds):.2f} s (target: under 2 s)",
        ],
    )


if __name__ == "__main__":
    main()
