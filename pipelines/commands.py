"""What `runner.py search` and `runner.py study` do once their arguments are parsed: the experiment file read,
its search or study run, and what the user reads at the end. The command line hands over here in one call."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from pipelines.config import Experiment, load_experiment, with_time_budget
from pipelines.errors import ConfigError


def search(
    path: str,
    *,
    time_budget: str | None = None,
    workers: str | None = None,
    chief_host: str = "127.0.0.1",
    chief_port: int = 0,
    resume: bool = False,
    verbose: bool = False,
) -> int:
    """`runner.py search`: the file's search, or its study when it has one; the exit status (1: no trial
    finished)."""
    from pipelines.api import run_search
    from pipelines.summary import print_summary

    experiment = load_experiment(path)
    if time_budget is not None:
        experiment = with_time_budget(experiment, time_budget)
    if workers is None and (chief_host != "127.0.0.1" or chief_port):
        raise ConfigError("--chief-host and --chief-port are for a search on --workers.")
    console = Console()
    if not experiment.study:
        started = time.monotonic()
        result = run_search(
            experiment,
            resume=resume,
            workers=workers,
            chief_host=chief_host,
            chief_port=chief_port,
            console=console,
            verbose=verbose,
        )
        print_summary(result, console, time.monotonic() - started)
        return 0 if result.best_trial_id is not None else 1
    if workers is not None:
        raise ConfigError(
            f"{experiment.source_file}: a study runs its searches one after another; --workers is for one search."
        )
    if resume:
        raise ConfigError(
            f"{experiment.source_file}: --resume carries on one search; a study runs its searches afresh."
        )
    return study_experiment(experiment, console, verbose)


def study(path: Path, language: str | None = None, verbose: bool = False) -> int:
    """`runner.py study`: the study file's searches and its answer, the report in `language` if one is given."""
    experiment = load_experiment(path)
    if experiment.study is None:
        raise ConfigError(f"{path}: not a study (no study: section); run it with `runner.py search {path}`.")
    if language:
        experiment = experiment.model_copy(
            update={"report": experiment.report.model_copy(update={"language": language})}
        )
    return study_experiment(experiment, Console(), verbose)


def study_experiment(experiment: Experiment, console: Console, verbose: bool) -> int:
    """Run the study and print its answer, sentence by sentence, and where its report is."""
    from pipelines.logs import library_logs_to_file, load_tensorflow

    library_logs_to_file(experiment.tracking_uri, experiment.tuner_dir, verbose, console)
    load_tensorflow()
    from pipelines.study import run_study
    from reports.study import load_study

    assert experiment.study is not None, "called for an experiment with a study section"
    console.print(f"[bold]study {experiment.name}[/]: {experiment.study.question}")
    result = run_study(experiment, console)
    console.rule("answer")
    for sentence in load_study(experiment.tracking_uri, result.study_run_id).answer():
        console.print(f"- {sentence}")
    console.print(f"study report: {result.report_path} (study run {result.study_run_id})")
    return 0
