"""A search's time budget: trials are started until it is spent, as AutoGluon's `time_limit` and FLAML's
`time_budget` spend minutes rather than a count of trials.

The clock runs while trials train: the setup before them (data, baselines) and the closing steps after them
(best model, report) are not counted. A trial under way when the budget runs out is finished, not cut off, so
every trial's score is that of a whole training. The time spent is recorded on the parent run at each trial's
start, so `--resume` carries on with what is left; the trial a kill cut short is counted up to its start, and
KerasTuner runs it again.

Nothing here imports TensorFlow: the experiment file's budget is read before it loads.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

UNITS = {"s": 1, "m": 60, "h": 3600}
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")


def seconds_of(value: float | int | str) -> float:
    """A duration as the experiment file or the command line writes it: seconds as a number, or `90s`, `30m`,
    `2h`; ValueError with the forms it takes otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration, not true or false")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        found = DURATION.match(str(value))
        if not found:
            raise ValueError(f"{value!r} is not a duration; write seconds as a number, or 90s, 30m, 2h")
        seconds = float(found[1]) * UNITS[found[2] or "s"]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{value!r} is not a positive duration")
    return seconds


class TimeBudget:
    """The seconds a search may spend starting trials, `spent_before` of them by earlier attempts (`--resume`).
    `record` is told the total spent each time a trial is asked for, for the parent run to keep."""

    def __init__(self, seconds: float, spent_before: float = 0.0, record: Callable[[float], None] | None = None):
        self.seconds, self.spent_before, self.record = seconds, spent_before, record
        self.started = time.monotonic()

    def spent(self) -> float:
        return self.spent_before + time.monotonic() - self.started

    def left(self) -> float:
        return max(0.0, self.seconds - self.spent())

    def allows_a_trial(self) -> bool:
        """Whether a new trial may start now; the time spent so far is recorded either way."""
        spent = self.spent()
        if self.record is not None:
            self.record(spent)
        return spent < self.seconds
