"""What the steps of a search share: made once as the search starts, and handed to training (in this process or
as a chief), to a worker's training, and to the closing steps, instead of the same values one by one."""

from __future__ import annotations

import dataclasses

from rich.console import Console

from pipelines.baselines import Baseline
from pipelines.config import Experiment
from pipelines.data import Dataset
from pipelines.seams import HyperModel
from pipelines.tracking.artifact_process import ArtifactProcess, Job
from pipelines.tracking.tracker import SearchTracker


@dataclasses.dataclass(frozen=True)
class SearchContext:
    experiment: Experiment
    hypermodel: HyperModel
    dataset: Dataset
    tracker: SearchTracker
    artifacts: ArtifactProcess
    console: Console
    project: str = ""  # the search's KerasTuner folder under tuner_dir, known once its parent run is open
    # The baselines, in the search's own process (a worker has none): the one known without fitting, and the model
    # baseline, fitted in the artifact process while the first trial trains.
    trivial: Baseline | None = None
    fitting: Job | None = None

    def trivial_baseline(self) -> Baseline:
        """The baseline known without fitting, which the search's own process logs and compares with."""
        if self.trivial is None:
            raise RuntimeError("a worker's search context has no baselines: only the search's own process does")
        return self.trivial
