"""What a person watching a search sees: trial k of n, the epoch, the best score so far."""

from __future__ import annotations

import math

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class SearchProgress:
    """Two bars, trials and epochs of the current trial; a line per finished trial stays on screen."""

    def __init__(self, console: Console, max_trials: int | None, epochs: int, objective: str, direction: str):
        self.console = console
        self.objective = objective
        self.better = max if direction == "max" else min
        self.best: float | None = None
        self.done = 0
        self.epochs = epochs
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._trials = self._bars.add_task("trials", total=max_trials)
        self._epochs = self._bars.add_task("epochs", total=epochs, visible=False)

    def __enter__(self) -> SearchProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bars.stop()

    def _best_text(self) -> str:
        return "none yet" if self.best is None else f"{self.best:.4f}"

    def trial_started(self, trial_id: str) -> None:
        self._bars.update(self._trials, description=f"trial {self.done + 1} (id {trial_id}), best {self.objective} {self._best_text()}")
        self._bars.reset(self._epochs, total=self.epochs, visible=True, description="  epoch")

    def epoch_ended(self, epoch: int, logs: dict) -> None:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in logs.items() if k in ("loss", self.objective))
        self._bars.update(self._epochs, completed=epoch + 1, description=f"  epoch {epoch + 1}: {shown}")

    def trial_ended(self, trial_id: str, score: float | None, status: str) -> None:
        self.done += 1
        if score is not None and math.isfinite(score):
            self.best = score if self.best is None else self.better(self.best, score)
        shown = "no score" if score is None else f"{self.objective} {score:.4f}"
        self._bars.console.print(f"trial {self.done} (id {trial_id}): {status.lower()}, {shown}; best so far {self._best_text()}")
        self._bars.update(self._trials, completed=self.done)
        self._bars.update(self._epochs, visible=False)
