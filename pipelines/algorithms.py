"""The search algorithms, one entry each: the KerasTuner tuner, the settings only it reads, the arguments it
gets from the experiment file, and the settings it refuses. Adding an algorithm is adding an entry.

The tuner is named, not imported: the experiment file is checked before TensorFlow (which KerasTuner loads)
is, so that a bad file fails in a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class TunerSettings(Protocol):
    """The experiment file's `tuner` section, as the entries read it (`pipelines.config.TunerConfig`)."""

    @property
    def max_trials(self) -> int | None: ...
    @property
    def epochs(self) -> int | None: ...
    @property
    def factor(self) -> int: ...
    @property
    def iterations(self) -> int: ...
    @property
    def alpha(self) -> float: ...
    @property
    def beta(self) -> float: ...

    def initial_points_for(self, searched: int) -> int: ...


def _budget(config: TunerSettings, searched: int) -> dict[str, Any]:
    return {"max_trials": config.max_trials}


def _bayesian(config: TunerSettings, searched: int) -> dict[str, Any]:
    return {
        "max_trials": config.max_trials,
        "num_initial_points": config.initial_points_for(searched),
        "alpha": config.alpha,
        "beta": config.beta,
    }


def _hyperband(config: TunerSettings, searched: int) -> dict[str, Any]:
    return {"max_epochs": config.epochs, "factor": config.factor, "hyperband_iterations": config.iterations}


def _bayesian_problems(config: TunerSettings, searched: int) -> list[str]:
    initial = config.initial_points_for(searched)
    if config.max_trials is None or initial < config.max_trials:
        return []
    return [
        f"tuner.initial_points: {initial} random trials leave none of max_trials {config.max_trials} for the "
        f"Gaussian process to propose, so this would be a random search; give initial_points below max_trials "
        f"(e.g. {max(1, config.max_trials // 2)}) or more trials."
    ]


def _hyperband_problems(config: TunerSettings, searched: int) -> list[str]:
    if config.epochs is None or config.epochs >= config.factor:
        return []
    return [
        f"tuner.epochs: hyperband with at most {config.epochs} epochs and factor {config.factor} has no shorter "
        "rounds, so every model trains in full, as in a random search; give epochs of at least factor squared "
        f"({config.factor**2}) or use algorithm: random."
    ]


@dataclass(frozen=True)
class Algorithm:
    tuner: str  # the KerasTuner tuner class, in `keras_tuner`
    arguments: Callable[[TunerSettings, int], dict[str, Any]]  # its own arguments, given the searched count
    keys: tuple[str, ...] = ()  # `tuner` settings only this algorithm reads (refused on the others)
    prunes_itself: bool = False  # stops losing models by design: `tuner.pruning` is refused on it
    budget_in_trials: bool = True  # max_trials bounds it (Hyperband's budget is its rounds)
    problems: Callable[[TunerSettings, int], list[str]] = field(default=lambda config, searched: [])
    # its own settings whose defaults depend on the search, as they act (the parent run logs them)
    resolved: Callable[[TunerSettings, int], dict[str, Any]] = field(default=lambda config, searched: {})


ALGORITHMS: dict[str, Algorithm] = {
    "random": Algorithm("RandomSearch", _budget),
    "hyperband": Algorithm(
        "Hyperband",
        _hyperband,
        keys=("factor", "iterations"),
        prunes_itself=True,
        budget_in_trials=False,
        problems=_hyperband_problems,
    ),
    "bayesian": Algorithm(
        "BayesianOptimization",
        _bayesian,
        keys=("initial_points", "alpha", "beta"),
        problems=_bayesian_problems,
        resolved=lambda config, searched: {"initial_points": config.initial_points_for(searched)},
    ),
    "grid": Algorithm("GridSearch", _budget),
}


def only_for(key: str) -> str | None:
    """The algorithm a `tuner` setting belongs to, or None for a setting every algorithm reads."""
    return next((name for name, algorithm in ALGORITHMS.items() if key in algorithm.keys), None)
