"""The runner from Python: the names a script, a notebook or a test uses, in one place.

    from pipelines.api import build_report, load_experiment, predict, run_search, trials_frame

They do what the command line does, with the same files and defaults: the
libraries' messages go to the log file beside the store, the search's lines
to the console. A script needs no `if __name__ == "__main__":` guard: the
process the runner starts in the background never imports the caller's file.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.config import DICT_SOURCE, Experiment, load_experiment
from pipelines.errors import ConfigError


def run_search(
    experiment: Experiment,
    *,
    resume: bool = False,
    workers: int | str | None = None,
    chief_host: str = "127.0.0.1",
    chief_port: int = 0,
    console=None,
    verbose: bool = False,
    build_model=None,
):
    """Run the experiment's search (or with `resume` carry on its latest unfinished one), on `workers` local
    processes (a count or "auto") or in this one, the chief listening on `chief_host`:`chief_port` for them and
    for workers elsewhere; returns a `pipelines.closing.SearchResult`: the trials, the best trial, its model's
    path and URI, the baseline comparison and the report's path.

    `build_model(hp)` or `build_model(hp, facts)` is the builder of a `family: custom` experiment: it returns a
    keras.Model, compiled or not (see search_spaces/custom.py)."""
    from rich.console import Console

    from pipelines.data import load_dataset
    from pipelines.logs import announce_log_file, library_logs_to_file, load_tensorflow, quiet_libraries
    from pipelines.progress import say

    if workers is not None:
        _refuse_what_workers_cannot_read(experiment, build_model)
    quiet_libraries()
    console = console or Console()
    library_logs_to_file(experiment.tracking_uri, experiment.tuner_dir, verbose, console, announce=False)
    # Tables, series and arrays are read and checked before TensorFlow loads: a data error is told in a second.
    dataset = load_dataset(experiment.data, experiment.seed, Path(experiment.source_file).parent)
    announce_log_file(console)
    load_tensorflow()
    from pipelines.distributed.chief import Distribution
    from pipelines.distributed.local_workers import worker_count
    from pipelines.search import search_experiment

    distribution = Distribution(worker_count(str(workers)), chief_host, chief_port) if workers is not None else None
    say(
        console,
        f"{experiment.name}: {experiment.family} on {experiment.data.source}, "
        f"{experiment.tuner.algorithm} search, tracking at {experiment.tracking_uri}",
        "bold",
    )
    return search_experiment(
        experiment, console, resume=resume, distribution=distribution, dataset=dataset, build_model=build_model
    )


def _refuse_what_workers_cannot_read(experiment: Experiment, build_model) -> None:
    """Workers read the experiment from its file and import its builder from one."""
    if Path(experiment.source_file).name == DICT_SOURCE:
        raise ConfigError(
            f"{DICT_SOURCE}: workers read the experiment from its file; save it as YAML and load that "
            "file, or search without workers."
        )
    if build_model is not None:
        raise ConfigError(
            f"{experiment.source_file}: workers import the builder from a file; put it in one and name "
            "it in the experiment (builder: FILE.py:FUNCTION), or search without workers."
        )


def _store_and_name(experiment: Experiment | str, tracking_uri: str | None) -> tuple[str, str]:
    if isinstance(experiment, Experiment):
        return tracking_uri or experiment.tracking_uri, experiment.name
    return tracking_uri or "sqlite:///mlflow.db", experiment


def trials_frame(experiment: Experiment | str, tracking_uri: str | None = None):
    """The latest search's trials, one row each, best first, as MLflow holds them (a pandas DataFrame).
    `experiment` is an Experiment, or an experiment's name or a parent run id in `tracking_uri`."""
    from reports.source import load_search

    return load_search(*_store_and_name(experiment, tracking_uri)).trials


def build_report(experiment: Experiment | str, out: str | Path, tracking_uri: str | None = None) -> Path:
    """The PDF report of the latest search of `experiment` (as for `trials_frame`), written to `out`."""
    from reports.build import build_report as build
    from reports.source import load_search

    return build(load_search(*_store_and_name(experiment, tracking_uri)), Path(out))


def predict(model: str, data, tracking_uri: str = "sqlite:///mlflow.db"):
    """Answers of a search's model for new data as the user has it (as `runner.py predict`): `model` is an
    experiment's name (its champion), a `models:/` or `runs:/` URI or a `.keras` path; `data` a file or folder
    as the model's source reads it, or a DataFrame of raw columns. Returns a `pipelines.predict.Prediction`:
    `.answers` (an id, `prediction`, one `probability_<class>` per class), `.notes`, `.summary()`."""
    from pipelines.logs import quiet_libraries
    from pipelines.predict import predict as answer

    quiet_libraries()
    return answer(model, data, tracking_uri)


__all__ = ["build_report", "load_experiment", "predict", "run_search", "trials_frame"]
