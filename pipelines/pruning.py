"""Stopping a trial once it is losing: the median rule and asynchronous successive halving, as Optuna's pruners.

A trial is judged by its best objective so far against the other trials of
its search at the same epoch. The other trials' curves are read from the
store, so a worker of a distributed search and a resumed search judge against
every trial the search holds, not only those this process trained. Curves
are compared as best-so-far: a curve's value at epoch e is the best it had
reached by then, which is what the trial would be kept with if it stopped.

- `median` (Optuna's MedianPruner, Vizier's median stopping rule): after
  `warmup_epochs`, a trial stops at the first epoch where its best so far is
  worse than the median of the complete trials' best at that epoch. A trial
  that early stopping ended counts at later epochs with the best it ended
  with; a pruned trial counts only up to where it stopped.
- `successive_halving` (ASHA; Optuna's SuccessiveHalvingPruner): at the rung
  epochs warmup, warmup x 3, warmup x 9, ... a trial goes on only if it is in
  the best third of every trial that reached that rung, running ones included
  (as far as the store holds them: a running trial's epochs reach it at most
  `EPOCH_WRITE_S` late).

Neither judges at an epoch that fewer than `startup_trials` other trials
reached: the first trials of a search always train in full.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import ClassVar

from reports.store.names import PER_EPOCH, PRUNED_TAG
from reports.store.objectives import improves
from reports.store.trials import children, metric_points

RUNG_FACTOR = 3  # successive halving keeps the best third at each rung, and rungs are 3 times apart


class TrialPruned(Exception):
    """Raised from the epoch's end to stop the trial: training ends there, and the trial keeps its best epoch."""

    def __init__(self, epoch: int, reason: str):
        super().__init__(f"pruned at epoch {epoch}: {reason}")
        self.epoch, self.reason = epoch, reason


@dataclasses.dataclass(frozen=True)
class Curve:
    """Another trial's best objective so far after each epoch (index 0: after the first)."""

    best: tuple[float, ...]
    complete: bool  # ended on its own (all its epochs, or early stopping): its best holds after its last epoch

    def at(self, epochs: int) -> float | None:
        """Its best after `epochs` epochs, or None where it says nothing (it stopped before, pruned or failed)."""
        if epochs <= len(self.best):
            return self.best[epochs - 1]
        return self.best[-1] if self.complete and self.best else None


def best_so_far(values: list[float], direction: str) -> tuple[float, ...]:
    out: list[float] = []
    for value in values:
        out.append(value if not out or improves(value, out[-1], direction) else out[-1])
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class PruningRule:
    """What every rule shares: a trial is judged only after `warmup_epochs`, and only against at least
    `startup_trials` others. A rule is one subclass, as Optuna's pruners are behind `BasePruner.prune`."""

    direction: str  # "max" or "min"
    warmup_epochs: int
    startup_trials: int
    sees_running: ClassVar[bool] = False  # whether it judges against trials still running (then read afresh)

    def judges_at(self, epochs: int) -> bool:
        """Whether the rule looks at a trial after `epochs` epochs."""
        return epochs >= self.warmup_epochs

    def verdict(self, epochs: int, best: float, others: list[Curve]) -> str | None:
        """Why a trial whose best after `epochs` epochs is `best` stops, or None to let it go on."""
        raise NotImplementedError


class MedianRule(PruningRule):
    """Stop a trial whose best so far is worse than the median of the complete trials' best at that epoch."""

    def verdict(self, epochs: int, best: float, others: list[Curve]) -> str | None:
        if not self.judges_at(epochs):
            return None
        values = [v for c in others if c.complete and (v := c.at(epochs)) is not None]
        if len(values) < self.startup_trials:
            return None
        median = statistics.median(values)
        if improves(median, best, self.direction):
            return (
                f"its best {best:.4g} after {epochs} epochs is worse than the median {median:.4g} of "
                f"{len(values)} complete trials there"
            )
        return None


class SuccessiveHalvingRule(PruningRule):
    """At the rungs warmup, warmup x 3, warmup x 9, ..., keep a trial only in the best third of those that reached
    the rung, running ones included."""

    sees_running = True

    def judges_at(self, epochs: int) -> bool:
        if epochs < self.warmup_epochs:
            return False
        rung = self.warmup_epochs
        while rung < epochs:
            rung *= RUNG_FACTOR
        return rung == epochs

    def verdict(self, epochs: int, best: float, others: list[Curve]) -> str | None:
        if not self.judges_at(epochs):
            return None
        values = [c.best[epochs - 1] for c in others if epochs <= len(c.best)]  # reached this rung
        if len(values) < self.startup_trials:
            return None
        ranked = sorted([*values, best], reverse=self.direction == "max")  # best first
        kept = max(1, len(ranked) // RUNG_FACTOR)
        if improves(ranked[kept - 1], best, self.direction):
            return (
                f"its best {best:.4g} after {epochs} epochs is not in the best {kept} of the "
                f"{len(ranked)} trials that reached epoch {epochs}"
            )
        return None


RULES: dict[str, type[PruningRule]] = {"median": MedianRule, "successive_halving": SuccessiveHalvingRule}


class StoreCurves:
    """The objective's curves of a search's other trial runs, from the store; a run that ended is read once."""

    def __init__(self, client, objective: str, direction: str):
        self.client, self.metric, self.direction = client, PER_EPOCH + objective, direction
        self._ended: dict[str, Curve | None] = {}

    def others(self, parent_run_id: str, own_run_id: str) -> list[Curve]:
        curves = []
        for run in children(self.client, parent_run_id):
            run_id, status = run.info.run_id, run.info.status
            if run_id == own_run_id or status in ("FAILED", "KILLED"):
                continue
            if run_id in self._ended:
                curve = self._ended[run_id]
            else:
                curve = self._read(run, complete=status == "FINISHED" and PRUNED_TAG not in run.data.tags)
                if status == "FINISHED":
                    self._ended[run_id] = curve
            if curve is not None:
                curves.append(curve)
        return curves

    def _read(self, run, complete: bool) -> Curve | None:
        points = metric_points(self.client, run.info.run_id, self.metric)
        return Curve(best_so_far([v for _, v in points], self.direction), complete) if points else None


class TrialPruning:
    """The rule applied to the trial the recorder is recording. The other trials are read from the store at a
    rung (successive halving: it sees the trials running now), and for the median rule at most every
    `REREAD_S` seconds: one query of the store costs about 20 ms on SQLite, an epoch of a small model less."""

    REREAD_S = 5.0

    def __init__(self, rule: PruningRule, curves: StoreCurves, tracker):
        self.rule, self.curves, self.tracker = rule, curves, tracker
        self._others: list[Curve] | None = None
        self._read_at = 0.0

    def start_trial(self) -> None:
        self._others = None

    def check(self, epochs: int, best: float | None) -> None:
        """Raise `TrialPruned` when the trial, `epochs` epochs in with best objective `best`, stops here."""
        if best is None or self.tracker.writer.offline or not self.rule.judges_at(epochs):
            return
        now = time.monotonic()
        if self._others is None or self.rule.sees_running or now - self._read_at > self.REREAD_S:
            self._others = self.curves.others(self.tracker.parent_run_id, self.tracker.run)
            self._read_at = now
        reason = self.rule.verdict(epochs, best, self._others)
        if reason:
            raise TrialPruned(epochs, reason)
