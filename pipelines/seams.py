"""The shapes of KerasTuner's objects that the runner relies on, as Protocols.

KerasTuner ships no type information, so its tuners, oracles, trials and
hypermodels reach the runner as `Any`; these name what the runner reads from
them, so that mypy checks the runner's side of each seam.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from search_spaces.space import SearchSpace


class Trial(Protocol):
    trial_id: str
    hyperparameters: Any  # keras_tuner.HyperParameters
    status: str
    score: float | None
    message: str | None


class Oracle(Protocol):
    objective: Any  # keras_tuner.Objective: name and direction
    trials: dict[str, Trial]

    def get_trial(self, trial_id: str) -> Trial: ...


class HyperModel(Protocol):
    """A built-in family (`search_spaces`) or the user's builder (`search_spaces.custom`)."""

    space: SearchSpace

    def build(self, hp: Any) -> Any: ...


class Tuner(Protocol):
    """A tracked KerasTuner tuner (`pipelines.tuners.TrackedTuner`, over one of `pipelines.oracles`)."""

    oracle: Oracle
    hypermodel: HyperModel
    project_dir: str
    best_so_far: Any  # pipelines.tuners.KeptModel | None

    def load_model(self, trial: Trial) -> Any: ...
