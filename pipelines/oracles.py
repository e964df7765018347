"""The runner's oracles: KerasTuner's own, one named subclass per algorithm, with the runner's rules at the
oracle's extension point, `populate_space` (what the next trial tries, or that there is none).

- Every algorithm: no new trial once the time budget is spent, nor, on a served oracle, after too many failed
  trials in a row (`Stopping`).
- Random and Bayesian search: the first trial is the obvious model (`ObviousFirst`).
- Grid search: every worker gets a trial, and a reloaded grid carries on through the rest of it (`Grid`).

The search builds its oracle here (`make_oracle`) and hands it to the tuner; a worker's tuner asks the chief's.
"""

from __future__ import annotations

from typing import Any

import keras_tuner

from pipelines.algorithms import Algorithm
from pipelines.kerastuner_compat import (
    OracleMixin,
    StopsInsteadOfRaising,
    TrialStatus,
    continue_from,
    restore_grid_order,
)
from pipelines.time_budget import TimeBudget

STOPPED = {"status": TrialStatus.STOPPED}

# The obvious model of each kind of data, as values of the hyperparameters that reach it: logistic or ridge
# regression on a table (no hidden block, the wide path), TF-IDF with logistic regression on text (the bag), ridge
# regression on a series' window (the linear skip).
OBVIOUS_MODEL = {"depth": 0, "wide": True, "encoder": "bag", "linear_skip": True}


class Stopping(StopsInsteadOfRaising):
    """Mixed in first before a KerasTuner oracle: no new trial once `budget` is spent, nor after too many failed
    trials in a row. The oracle answers STOPPED, as when its max_trials are done, and every tuner asking it (this
    process's, or the workers' through the chief) ends its search. No budget on a worker's oracle: the chief's
    decides."""

    def __init__(self, *args, budget: TimeBudget | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget = budget

    def populate_space(self, trial_id):
        if self.budget is not None and not self.budget.allows_a_trial():
            return STOPPED
        return super().populate_space(trial_id)


class ObviousFirst(OracleMixin):
    """Mixed in before a random or Bayesian oracle: the first trial is the obvious model, so the search holds it
    from the start and every later trial must beat it to be kept: with three random trials, a search on 1,000
    movie reviews drew only sequence encoders and ended 0.35 below TF-IDF with logistic regression."""

    def __init__(self, *args, space=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.space = space

    def populate_space(self, trial_id):
        values = None if self.trials or self.space is None else obvious_values(self.hyperparameters, self.space)
        if values is None:
            return super().populate_space(trial_id)
        return {"status": TrialStatus.RUNNING, "values": values}


class Random(Stopping, ObviousFirst, keras_tuner.oracles.RandomSearchOracle):
    pass


class Bayesian(Stopping, ObviousFirst, keras_tuner.oracles.BayesianOptimizationOracle):
    pass


class Hyperband(Stopping, keras_tuner.oracles.HyperbandOracle):
    pass


class Grid(Stopping, keras_tuner.oracles.GridSearchOracle):
    """KerasTuner's grid oracle derives each combination from a trial that has ended (all but the second), so on
    several workers it hands out about one trial at a time and tells the other workers IDLE; here it continues
    from each trial as soon as it starts, as it already does from the first, which keeps every worker busy (a
    trial whose next combination was tried is skipped, so each is handed out once). And it keeps the order of
    the combinations it tried in memory only: reloaded for `--resume`, that order is rebuilt."""

    def populate_space(self, trial_id):
        response = super().populate_space(trial_id)
        if response["status"] == TrialStatus.RUNNING:
            continue_from(self, trial_id)
        return response

    def reload(self):
        super().reload()
        restore_grid_order(self)


ORACLES: dict[str, type[keras_tuner.Oracle]] = {
    "RandomSearch": Random,
    "BayesianOptimization": Bayesian,
    "Hyperband": Hyperband,
    "GridSearch": Grid,
}


def make_oracle(
    algorithm: Algorithm, arguments: dict[str, Any], space, budget: TimeBudget | None, **kwargs
) -> keras_tuner.Oracle:
    """The oracle of `algorithm` with its own `arguments` (max_trials, factor, ...) and KerasTuner's (objective,
    seed), and the runner's rules: `space` for the obvious first trial, `budget` to stop starting trials."""
    oracle = ORACLES[algorithm.tuner]
    extra: dict[str, Any] = {"budget": budget}
    if issubclass(oracle, ObviousFirst):
        extra["space"] = space
    return oracle(**arguments, **extra, **kwargs)


def obvious_values(hyperparameters: keras_tuner.HyperParameters, space) -> dict | None:
    """The values of a first trial that is the obvious model: `OBVIOUS_MODEL` where the space searches that knob
    and allows that value, every other knob at its catalogue point or KerasTuner's default; None when the space
    searches none of those knobs (the search then starts as KerasTuner starts it)."""
    hps, reached = keras_tuner.HyperParameters(), False
    for hp in hyperparameters.space:
        hps.merge([hp])
        if not hps.is_active(hp):
            continue
        wanted = OBVIOUS_MODEL.get(hp.name)
        if wanted is not None and _allows(hp, wanted):  # a Fixed knob allows nothing: the file chose its value
            hps.values[hp.name], reached = wanted, True
        else:
            point = space.params[hp.name].point if hp.name in space.params else None
            hps.values[hp.name] = point if point is not None and _allows(hp, point) else hp.default
    return hps.values if reached else None


def _allows(hp, value) -> bool:
    """Whether searching `hp` can give `value`: one of a choice's values, or within a range's bounds (never for
    a fixed one)."""
    kinds = keras_tuner.engine.hyperparameters
    if isinstance(hp, (kinds.Choice, kinds.Boolean)):
        return value in hp.values
    return isinstance(hp, (kinds.Int, kinds.Float)) and hp.min_value <= value <= hp.max_value
