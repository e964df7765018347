"""What a person watching a search sees: trial k of n with an ETA, the epoch, and one line per finished trial.

Trials are named by KerasTuner's trial id everywhere (here, in the table, in
MLflow's run names and in the report), so "trial 02" is one trial wherever it
is read. Numbers are shown with four significant digits throughout.
"""

from __future__ import annotations

import math
import textwrap
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines.time_budget import TimeBudget
from reports.store.names import metric_label


def number(value) -> str:
    """A score for a person: four significant digits with trailing zeros kept, so scores line up (1.000 beside
    0.9965); whole numbers as they are."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 1e4):
        return f"{value:.0f}"
    return f"{value:#.4g}".rstrip(".")


def setting(value) -> str:
    """A hyperparameter value as a person types it in the experiment file: 0.3, 0.00227, adam, true."""
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def items(values: dict) -> str:
    """Hyperparameters as `name=value` items; a reader's terminal wraps between them, never inside one."""
    return "  ".join(f"{name}={setting(value)}" for name, value in values.items())


def between_items(parts: list[tuple[str, str]], width: int, indent: str = "  ") -> list[str]:
    """(text, separator before it) pairs joined into lines of at most `width` characters, broken only between
    two parts (a part longer than a line stands alone): "test accuracy 0.9889" never loses its number to the
    next line, and no line ends in a space."""
    lines, line = [], ""
    for part, separator in parts:
        joined = f"{line}{separator}{part}" if line else part
        if line and len(joined) > width:
            lines.append(line.rstrip())
            line = indent + part
        else:
            line = joined
    return [*lines, line.rstrip()] if line else lines


def say(console: Console, text: str, style: str | None = None) -> None:
    """A sentence wrapped between words at the console's width with no space left at a line's end (rich's own
    wrapping leaves one), and no markup read into it."""
    for line in textwrap.wrap(text, console.width, break_long_words=False, break_on_hyphens=False) or [""]:
        console.print(line, style=style, soft_wrap=True, highlight=False, markup=False)


def duration(seconds: float | None) -> str:
    """m:ss, or h:mm:ss; "-" when unknown."""
    if seconds is None or math.isnan(seconds):
        return "-"
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class SearchProgress:
    """Two bars, the trials (elapsed and an ETA from the trials so far) and the epochs of the current trial;
    a line per finished trial stays on screen."""

    def __init__(
        self,
        console: Console,
        max_trials: int | None,
        epochs: int | None,
        objective: str,
        direction: str,
        budget: TimeBudget | None = None,
    ):
        self.console = console
        self.budget = budget
        self.objective = objective
        self.better = max if direction == "max" else min
        self.best: float | None = None
        self.max_trials = max_trials
        self.done = 0
        self.epochs = epochs
        self.started = time.monotonic()
        self._bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[eta]}"),
            console=console,
            transient=True,
        )
        self._trials = self._bars.add_task("trials", total=max_trials, eta="")
        self._epochs = self._bars.add_task("epochs", total=epochs, visible=False, eta="")

    def __enter__(self) -> SearchProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bars.stop()

    def eta(self) -> str:
        """The time budget left, or the time left at the mean pace of the trials finished so far (not rich's
        TimeRemainingColumn, which paces by the bar's own steps and knows no time budget)."""
        if self.budget is not None:
            left = self.budget.left()
            return f"{duration(left)} of the time budget left" if left else "time budget spent: finishing"
        if not self.done or not self.max_trials or self.done >= self.max_trials:
            return ""
        left = (time.monotonic() - self.started) / self.done * (self.max_trials - self.done)
        return f"about {duration(left)} left"

    def trial_started(self, trial_id: str) -> None:
        of = f" of {self.max_trials}" if self.max_trials else ""
        best = "" if self.best is None else f", best {self.objective} {number(self.best)}"
        self._bars.update(self._trials, description=f"trial {trial_id} ({self.done + 1}{of}){best}", eta=self.eta())
        self._bars.reset(self._epochs, total=self.epochs, visible=True, description="  epoch")

    def running(self, trials: dict[str, str]) -> None:
        """The trials under way on the workers of a distributed search (trial id -> worker)."""
        under_way = ", ".join(f"{trial} on {worker}" for trial, worker in sorted(trials.items())) or "none"
        best = "" if self.best is None else f", best {self.objective} {number(self.best)}"
        self._bars.update(self._trials, description=f"trials under way: {under_way}{best}", eta=self.eta())

    def epoch_ended(self, epoch: int, logs: dict) -> None:
        shown = ", ".join(f"{k} {number(v)}" for k, v in logs.items() if k in ("loss", self.objective))
        self._bars.update(self._epochs, completed=epoch + 1, description=f"  epoch {epoch + 1}: {shown}")
        if self.budget is not None:
            self._bars.update(self._trials, eta=self.eta())

    def trial_ended(
        self,
        trial_id: str,
        status: str,
        score: float | None,
        values: dict,
        test: dict,
        epochs: int | None,
        seconds: float,
        reason: str = "",
    ) -> None:
        """One line: the trial, its searched values, the objective, the test score, epochs and duration."""
        self.done += 1
        if score is not None and math.isfinite(score):
            self.best = score if self.best is None else self.better(self.best, score)
        hyperparameters = [(f"{k}={setting(v)}", "  ") for k, v in values.items()]
        if hyperparameters:
            hyperparameters[0] = (hyperparameters[0][0], " | ")
        parts = [(f"trial {trial_id} {status.lower()}", ""), *hyperparameters]
        if score is not None and math.isfinite(score):
            parts.append((f"{self.objective} {number(score)}", " | "))
        parts += [(f"{metric_label(name)} {number(value)}", " | ") for name, value in test.items()]
        if epochs:
            parts.append((f"{epochs} epoch{'s' if epochs != 1 else ''}", " | "))
        parts.append((duration(seconds), " | "))
        if reason:
            parts.append((reason, " | "))
        for line in between_items(parts, self._bars.console.width):
            self._bars.console.print(line, highlight=False, soft_wrap=True)
        self._bars.update(self._trials, completed=self.done, eta=self.eta())
        self._bars.update(self._epochs, visible=False)
