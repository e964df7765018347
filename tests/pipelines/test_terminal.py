"""What a person reads in the terminal: at 80 columns and in a pipe, one trial numbering, no library chatter, an ETA."""

from __future__ import annotations

import math
import os
import re

import pandas as pd
import pytest
from rich.console import Console

from pipelines.progress import SearchProgress, number
from pipelines.summary import trials_table
from reports.store.opening import open_store
from tests.conftest import OBJECTIVE, searched, write_experiment

ITEM = re.compile(r"\b([a-z_]+)=(\S*)")


def _values_by_name(params: list[dict]) -> dict[str, set[str]]:
    """Every value each hyperparameter took, as the terminal may print it (4 significant digits)."""
    out: dict[str, set[str]] = {}
    for run_params in params:
        for name, text in run_params.items():
            try:
                shown = f"{float(text):.4g}" if text not in ("True", "False") else text.lower()
            except ValueError:
                shown = text
            out.setdefault(name, set()).update({shown, text})
    return out


def _check_items_whole(text: str, values: dict[str, set[str]]) -> None:
    """Every `name=value` item is on one line with its whole value: a wrap never falls inside one."""
    for line in text.splitlines():
        assert not line.rstrip().endswith("="), line
        for name, value in ITEM.findall(line):
            if name in values:
                assert value.rstrip(",") in values[name], (name, value, line)


@pytest.fixture(scope="module")
def piped_search(tmp_path_factory):
    """A real search with output to a pipe at 80 columns: three learning rates and two optimizers."""
    tmp = tmp_path_factory.mktemp("terminal")
    path = write_experiment(
        tmp,
        name="terminal",
        search_space={
            "depth": 1,
            "filters": 8,
            "kernel_size": 3,
            "dropout": 0.0,
            "batch_size": 64,
            "momentum": 0.9,
            "optimizer": ["adam", "rmsprop"],
            "learning_rate": {"min": 0.0003, "max": 0.003, "sampling": "log"},
        },
        tuner={"algorithm": "random", "max_trials": 3, "epochs": 2, "patience": 0},
    )
    proc = searched(path, COLUMNS="80")
    assert proc.returncode == 0, proc.stderr[-3000:]
    client = open_store(f"sqlite:///{tmp}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("terminal").experiment_id], "tags.`automl.role` = 'trial'")
    return {"tmp": tmp, "out": proc.stdout, "err": proc.stderr, "runs": runs}


def test_piped_output_at_80_columns_never_splits_a_hyperparameter(piped_search):
    out = piped_search["out"]
    long = [
        line
        for line in out.splitlines()
        if len(line) > 80 and " " in line.strip() and not line.startswith("  automl ui ")
    ]  # a command to copy stays whole
    assert not long, long  # and a path alone may be longer
    values = _values_by_name([r.data.params for r in piped_search["runs"]])
    assert "learning_rate=" in out and "optimizer=" in out
    _check_items_whole(out, values)


def test_trials_carry_the_numbers_of_their_mlflow_runs(piped_search):
    shown = set(re.findall(r"^trial (\S+) (?:completed|failed)", piped_search["out"], flags=re.M))
    assert shown == {re.search(r"\(trial (\S+)\)$", r.info.run_name).group(1) for r in piped_search["runs"]}
    table_rows = set(re.findall(r"^ *(\d+) +finished ", piped_search["out"], flags=re.M))
    assert table_rows == shown


def test_each_finished_trial_line_has_values_scores_epochs_and_time(piped_search):
    for run in piped_search["runs"]:
        trial = run.data.tags["trial_id"]
        line = " ".join(piped_search["out"].split("\n\n")[0].split())  # lines as one text; rich may wrap a long one
        expected = (
            f"trial {trial} completed | optimizer={run.data.params['optimizer']}",
            f"val_accuracy {number(run.data.metrics[OBJECTIVE])}",
            f"test accuracy {number(run.data.metrics['test/accuracy'])}",
            "2 epochs",
        )
        for part in expected:
            assert part in line, (part, line)


def test_library_messages_go_to_a_log_file(piped_search):
    everything = piped_search["out"] + piped_search["err"]
    for chatter in ("INFO", "alembic", "Creating initial MLflow database", "Successfully registered", "Traceback"):
        assert chatter not in everything, chatter
    log = piped_search["tmp"] / "automl.log"
    assert f"library messages go to {log}" in " ".join(piped_search["out"].split())
    assert "Creating initial MLflow database tables" in log.read_text()


def test_the_final_table_fits_80_columns_and_wraps_only_between_items():
    rng = [0.000940312, 0.00227, 0.0123]
    trials = pd.DataFrame(
        {
            "trial_id": ["07", "03", "11"],
            "status": ["FINISHED", "FINISHED", "FAILED"],
            "objective": [0.005285, 0.99653, math.nan],
            "test/accuracy": [0.98611, 0.975, math.nan],
            "trial/epochs": [12.0, 9.0, math.nan],
            "trial/duration_s": [15.2, 71.9, 3.0],
            "batch_norm": [True, False, True],
            "optimizer": ["rmsprop", "adam", "sgd"],
            "learning_rate": rng,
            "augment_translation": [0.1, 0.2, 0.0],
            "run_id": ["a", "b", "c"],
        }
    )
    console = Console(width=80, record=True, file=open(os.devnull, "w"))
    console.print(trials_table(trials, "demo: trials by val_accuracy", "07"))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    _check_items_whole(
        text,
        {
            "learning_rate": {f"{v:.4g}" for v in rng},
            "optimizer": {"rmsprop", "adam", "sgd"},
            "batch_norm": {"true", "false"},
            "augment_translation": {"0.1", "0.2", "0"},
        },
    )
    assert "0.005285" in text and "0.9965" in text  # four significant digits for every score
    assert "1:12" in text  # 71.9 s
    assert re.search(r"^ 07 +finished +0.005285 +0.9861 +12 +0:15 ", text, flags=re.M), text


def test_the_progress_shows_elapsed_time_and_an_eta():
    console = Console(width=100, record=True, force_terminal=True, file=open(os.devnull, "w"))
    with SearchProgress(console, 4, 3, "val_accuracy", "max") as progress:
        progress.trial_started("0")
        progress.epoch_ended(0, {"loss": 0.5, "val_accuracy": 0.9})
        progress.trial_ended("0", "COMPLETED", 0.9, {"optimizer": "adam"}, {"test/accuracy": 0.88}, 1, 2.0)
        progress.trial_started("1")
        progress._bars.refresh()
        text = console.export_text()
    assert re.search(r"trial 1 \(2 of 4\), best val_accuracy 0\.9000 .*about \d+:\d\d left", text), text
    assert "trial 0 completed | optimizer=adam | val_accuracy 0.9000 | test accuracy 0.8800 | 1 epoch" in text


def test_ui_serves_the_store_on_this_machine(piped_search):
    from tests.processes import runner_ui

    with runner_ui(piped_search["tmp"]) as (proc, port):
        first, second = proc.stdout.readline(), proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first and "automl.log" in first
        experiment = re.search(r"^  terminal: (\S+)$", second)
        assert experiment and experiment.group(1).startswith(f"http://127.0.0.1:{port}/#/experiments/"), second
        assert experiment.group(1).endswith("/runs?workflowType=machine_learning")
        assert f"127.0.0.1:{port}" in (piped_search["tmp"] / "automl.log").read_text()  # the server's own messages


def test_at_80_columns_lines_break_between_items_end_without_spaces_and_the_closing_command_is_whole(piped_search):
    out = piped_search["out"]
    lines = out.splitlines()
    assert all(line == line.rstrip() for line in lines), [line for line in lines if line != line.rstrip()][:3]

    trial_lines = re.findall(r"^trial \d+ .*(?:\n  .*)*", out, flags=re.M)
    assert trial_lines
    for line in (part for block in trial_lines for part in block.splitlines()):
        for label in ("test", "accuracy", "val_accuracy"):  # a label never ends a line without its number
            assert not line.endswith(label), line
    assert re.search(r"^  automl ui --tracking-uri sqlite:///\S+mlflow\.db$", out, flags=re.M)
    assert re.search(r"the search took \d+:\d\d", out)


def test_a_trial_s_time_on_its_line_is_the_one_in_the_final_table(piped_search):
    out = piped_search["out"]
    joined = re.sub(r"\n  ", " ", out)  # a trial's line with its continuation lines
    on_lines = dict(re.findall(r"^trial (\d+) completed\b.*\| (\d+:\d\d)$", joined, flags=re.M))
    table = dict(re.findall(r"^ (\d+)\s+finished\s+\S+\s+\S+\s+\d+\s+(\d+:\d\d)", out, flags=re.M))
    assert on_lines and on_lines == {k: v for k, v in table.items() if k in on_lines}, (on_lines, table)


@pytest.mark.slow
def test_a_text_search_keeps_tensorflow_s_start_up_notices_off_the_terminal(tmp_path):
    """Text is tokenized while the data load, before the search loads TensorFlow: its C++ notices (absl's
    "before InitializeLog", oneDNN) went to the terminal after the line that says library messages go to the log."""
    folder = tmp_path / "texts"
    for label, words in (("neg", "dull slow bad"), ("pos", "bright quick good")):
        (folder / label).mkdir(parents=True)
        for i in range(20):
            (folder / label / f"{i}.txt").write_text(" ".join(words.split()[: 1 + i % 3]) + f" w{i}")
    path = write_experiment(
        tmp_path,
        name="texts",
        data={"source": "text", "path": str(folder)},
        family="cnn",
        search_space={"encoder": "bag"},
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0},
    )
    proc = searched(path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    terminal = proc.stdout + proc.stderr
    assert "library messages go to" in terminal
    for notice in ("InitializeLog", "oneDNN", "cuda", "TF_ENABLE_ONEDNN_OPTS"):
        assert notice not in terminal, notice
