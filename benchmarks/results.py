"""How every benchmark writes its result: a markdown file in benchmarks/results/ that names the command and the
machine, printed as well."""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path


def publish(out: Path, title: str, command: str, facts: list[str], libraries: str = "") -> None:
    """`facts` are markdown bullet lines; `libraries` adds versions that decide the figures (Keras, MLflow)."""
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    lines = [
        f"# {title}",
        "",
        f"- command: `{command}`",
        f"- machine: {machine}" + (f", {libraries}" if libraries else ""),
        *facts,
        "",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))


def arguments(doc: str, result: str, **counts: int) -> argparse.Namespace:
    """The command line of a benchmark that takes counts (`--epochs 20`, their defaults in `counts`) and `--out`,
    by default benchmarks/results/<result>.md; the first line of its docstring `doc` is its help."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for name, default in counts.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / f"{result}.md")
    return parser.parse_args()
