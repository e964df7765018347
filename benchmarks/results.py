"""How every benchmark writes its result: a markdown file in benchmarks/results/ that names the command and the
machine, printed as well."""

from __future__ import annotations

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
