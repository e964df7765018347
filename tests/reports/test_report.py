"""Reports are built from MLflow alone and read back as text with a PDF reader."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from pypdf import PdfReader
from rich.console import Console

import runner
from pipelines.config import load_experiment
from pipelines.search import search_experiment
from reports.fonts import cjk_font
from reports.store.names import IMPORTANCE_FILE, IMPORTANCE_FITTED_TO
from reports.store.trials import latest_search, trials_frame
from tests.conftest import OBJECTIVE, ROOT, TINY, missing_tool, write_experiment


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.fixture(scope="module")
def report_text(finished_search, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "e2e.pdf"
    assert runner.main(["report", "e2e", "--tracking-uri", finished_search["uri"], "--out", str(out)]) == 0
    return pdf_text(out)


def test_report_names_the_search_and_its_best_trial(finished_search, report_text):
    parent = finished_search["parents"][0]
    assert "Hyperparameter search: e2e" in report_text
    assert parent.info.run_id in report_text
    best_id = parent.data.params["best_trial_id"]
    assert f"trial {best_id}: val_accuracy {parent.data.metrics[OBJECTIVE]:.4f}" in report_text


def test_report_opens_with_the_best_model_against_the_baseline_to_beat(finished_search, report_text):
    """Digits: logistic regression on the pixels beats the majority class on validation, so it is the baseline to
    beat, and the report's first sentence compares the best model with it, with the numbers MLflow holds."""
    parent = finished_search["parents"][0]
    metrics, params = parent.data.metrics, parent.data.params
    assert params["baseline.to_beat"] == "model" and params["baseline.model"].startswith("logistic regression")
    first = " ".join(report_text.split("Hyperparameter search: e2e", 1)[1].split())
    expected = f"The best model's test accuracy {metrics['test/accuracy']:.4g} "
    assert first.startswith(expected), first[:300]
    gain, error = (metrics[f"vs_baseline/model/gain_per_test_sample{end}"] for end in ("", "_se"))
    assert (
        f"the {metrics['vs_baseline/model/test/accuracy']:.4g} of {params['baseline.model']} on the "
        f"{params['data.test_size']} test samples (gain per sample {gain:.3g} ± {error:.2g}"
    ) in first
    verdict = "beats" if gain > 2 * error else "is worse than" if gain < -2 * error else "is no better than"
    assert first[len(expected) :].startswith(verdict)
    assert "baseline (trivial) the majority class" in " ".join(report_text.split())


def test_report_explains_the_searched_hyperparameter_and_the_curves(finished_search, report_text):
    assert "What each hyperparameter did" in report_text
    # One trial per optimizer: the report says that cannot tell an effect, instead of calling a difference.
    assert "optimizer: too few trials per value to tell an effect" in report_text
    assert "adam 1" in report_text and "sgd 1" in report_text
    assert "Diagnosis from the learning curves" in report_text
    assert "Per-class scores on the test split" in report_text
    best_id = finished_search["parents"][0].data.params["best_trial_id"]
    best = next(c for c in finished_search["children"] if c.data.tags["trial_id"] == best_id)
    assert f"Architecture ({int(best.data.metrics['trial/parameters']):,} parameters)" in report_text
    assert "Conv2D" in report_text
    flat = " ".join(report_text.split())
    assert f"searched hyperparameter value searched over optimizer {best.data.params['optimizer']} [adam, sgd]" in flat
    assert "Fixed for every trial: activation relu;" in flat  # the rest, apart, from hyperparameters.json
    assert "page 1 of" in report_text
    assert "The search at a glance" in report_text
    assert "optimizer [adam, sgd] adam (1), sgd (1)" in flat  # the configured choices beside the trials per value
    assert not re.search(r"\d\.\d*(0000000|9999999)", report_text)  # floats as typed: 0.3, not 0.30000000000000004


def test_diagnosis_calls_a_trial_under_trained_exactly_when_its_validation_loss_fell_at_the_last_epoch(
    finished_search, report_text
):
    """Three epochs on the digits: a trial still improving beyond the epoch-to-epoch noise when its epochs ran out
    is under-trained, from the PDF's own sentence, and a trial whose curve had turned or levelled is not."""
    from reports.analysis import TREND_T, trend

    flat = " ".join(report_text.split())
    verdicts = {}
    for child in finished_search["children"]:
        history = finished_search["client"].get_metric_history(child.info.run_id, "per_epoch/val_loss")
        val_loss = [m.value for m in sorted(history, key=lambda m: m.step)]
        accuracy = finished_search["client"].get_metric_history(child.info.run_id, "per_epoch/val_accuracy")
        still_falling = (
            val_loss[-1] == min(val_loss) and trend(val_loss)[1] < -TREND_T and max(m.value for m in accuracy) < 1
        )
        sentence = flat.split(f"trial {child.data.tags['trial_id']} (val_accuracy ", 1)[1].split(" trial ", 1)[0]
        assert sentence.split(": ", 1)[1].startswith("under-trained") == still_falling, (val_loss, sentence)
        verdicts[still_falling] = sentence
    if True in verdicts:
        assert "allow more epochs" in verdicts[True] and "healthy" not in verdicts[True]


def test_search_logs_its_report_on_the_parent_run(finished_search, tmp_path):
    parent = finished_search["parents"][0]
    path = finished_search["client"].download_artifacts(parent.info.run_id, "report.pdf", str(tmp_path))
    text = pdf_text(path)
    assert "Hyperparameter search: e2e" in text
    assert f"{len(finished_search['children'])}: {len(finished_search['children'])} finished, 0 failed" in text


def test_report_by_parent_run_id(finished_search, tmp_path):
    parent_id = finished_search["parents"][0].info.run_id
    out = tmp_path / "by-id.pdf"
    assert runner.main(["report", parent_id, "--tracking-uri", finished_search["uri"], "--out", str(out)]) == 0
    assert parent_id in pdf_text(out)


def test_experiment_without_runs_gets_a_report_error(tmp_path, capsys):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    MlflowClient(tracking_uri=uri).create_experiment("empty")
    assert runner.main(["report", "empty", "--tracking-uri", uri]) == 2
    assert "experiment 'empty'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "reference, message",
    [
        ("no-such-experiment", r"no experiment named 'no-such-experiment'.*experiments there: .*e2e"),
        ("0123456789abcdef0123456789abcdef", r"no run with id 0123456789abcdef0123456789abcdef"),
    ],
)
def test_unknown_experiment_or_run_is_named(finished_search, capsys, reference, message):
    assert runner.main(["report", reference, "--tracking-uri", finished_search["uri"]]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_unwritable_output_path_is_a_clear_error(finished_search, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code = runner.main(["report", "e2e", "--tracking-uri", finished_search["uri"], "--out", str(blocker / "r.pdf")])
    assert code == 2
    assert f"cannot write the report to {blocker / 'r.pdf'}" in capsys.readouterr().err


def test_chinese_experiment_and_class_names_survive_into_the_pdf(tmp_path):
    if cjk_font() is None or shutil.which("pdftotext") is None:
        missing_tool("needs Debian's fonts-noto-cjk and poppler-utils (.ci/run installs both)")
    name = "循环神经网络对比"
    for label, words in (("垃圾短信", "win cash prize now"), ("正常短信", "see you at dinner")):
        (tmp_path / "texts" / label).mkdir(parents=True)
        for i in range(12):
            (tmp_path / "texts" / label / f"{i}.txt").write_text(f"{words} {i}", encoding="utf-8")
    path = write_experiment(
        tmp_path,
        name=name,
        family="rnn",
        data={"source": "text", "path": str(tmp_path / "texts")},
        search_space={
            "units": 4,
            "embedding_dim": 4,
            "sequence_length": 6,
            "batch_size": 16,
            "optimizer": "adam",
            "learning_rate": 0.01,
        },
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    # poppler, not pypdf: pypdf pads each glyph of this CFF font with a NUL when extracting.
    text = subprocess.run(
        ["pdftotext", str(result.report_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Hyperparameter search: {name}" in text
    assert "垃圾短信" in text and "正常短信" in text  # the per-class table


def test_comparison_report_puts_searches_side_by_side(finished_search, tmp_path):
    other = write_experiment(
        tmp_path,
        name="e2e-deeper",
        search_space={**TINY["search_space"], "depth": 2, "optimizer": "adam"},
        tracking_uri=finished_search["uri"],
        tuner={"algorithm": "grid", "max_trials": 1, "epochs": 2, "patience": 0},
    )
    deeper = search_experiment(load_experiment(other), Console(quiet=True))
    out = tmp_path / "comparison.pdf"
    assert (
        runner.main(["report", "e2e", "e2e-deeper", "--tracking-uri", finished_search["uri"], "--out", str(out)]) == 0
    )
    text = pdf_text(out)
    assert "Comparison of searches: e2e vs e2e-deeper" in text
    assert f"{deeper.best_score:.4f}" in text
    assert f"{finished_search['parents'][0].data.metrics[OBJECTIVE]:.4f}" in text
    assert "Learning curves of each search's best trial" in text and "Confusion matrices" in text
    flat = " ".join(text.split())
    metrics = finished_search["parents"][0].data.metrics
    tests = {"e2e": metrics["test/accuracy"], "e2e-deeper": deeper.baseline.model_value}
    order = ["e2e", "e2e-deeper"] if metrics[OBJECTIVE] > deeper.best_score else ["e2e-deeper", "e2e"]
    (a, p), (b, q) = [(name, tests[name]) for name in order]  # the report leads with the better validation score
    margin = 2 * ((p * (1 - p) + q * (1 - q)) / 360) ** 0.5
    assert (
        f"On test, {a}'s best model {p:.4g} against {b}'s {q:.4g} (360 and 360 samples): a difference of "
        f"{p - q:+.3g}, " in flat
    )
    called = "beyond noise" if abs(p - q) > margin else "within noise"
    assert f"{called} (twice the standard error of the difference, {margin:.2g}, counting" in flat
    for name, result in (("e2e", None), ("e2e-deeper", deeper)):
        best = result.baseline.model_value if result else finished_search["parents"][0].data.metrics["test/accuracy"]
        assert f"{name}: The best model's test accuracy {best:.4g} " in flat  # each against its baseline to beat


def test_trials_command_prints_and_exports_the_table(finished_search, tmp_path, capsys):
    import pandas as pd

    assert runner.main(["trials", "e2e", "--tracking-uri", finished_search["uri"]]) == 0
    out = capsys.readouterr().out
    assert "trials by val_accuracy" in out
    for child in finished_search["children"]:
        assert f"{child.data.metrics[OBJECTIVE]:.4g}" in out
    csv = tmp_path / "trials.csv"
    assert runner.main(["trials", "e2e", "--tracking-uri", finished_search["uri"], "--csv", str(csv)]) == 0
    table = pd.read_csv(csv)
    assert sorted(table["optimizer"]) == ["adam", "sgd"]
    assert set(table["run_id"]) == {c.info.run_id for c in finished_search["children"]}


@pytest.mark.parametrize(
    "command",
    [["report", "e2e", "--out", "r.pdf"], ["trials", "e2e"], ["trials", "e2e", "--csv", "t.csv"]],
    ids=["report", "trials", "trials --csv"],
)
def test_reading_commands_never_load_tensorflow_nor_mlflow_for_a_sqlite_store(finished_search, tmp_path, command):
    """The read side stands alone: a report or a trials table from any machine that reaches the store, fast. A
    SQLite store is read without MLflow's client, whose import alone takes seconds (`reports.store.sqlite_reader`)."""
    probe = (
        "import sys, runner; code = runner.main(sys.argv[1:]); "
        "loaded = [m for m in ('tensorflow', 'keras', 'keras_tuner', 'mlflow') if m in sys.modules]; "
        "print('LOADED', loaded); sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *command, "--tracking-uri", finished_search["uri"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "LOADED []" in proc.stdout


def test_reading_a_store_that_is_not_there_creates_none(tmp_path, capsys):
    uri = f"sqlite:///{tmp_path}/absent.db"
    assert runner.main(["report", "e2e", "--tracking-uri", uri]) == 2
    assert runner.main(["trials", "e2e", "--tracking-uri", uri]) == 2
    assert f"no MLflow store at {uri}" in capsys.readouterr().err
    assert not (tmp_path / "absent.db").exists()


def test_table_headings_and_values_are_never_broken_inside_a_word(tmp_path):
    """Eleven columns on a portrait page, headings longer than their values: each column is as wide as its
    longest word at least."""
    import pandas as pd

    from reports.document import ReportDocument

    columns = [
        "trial",
        "status",
        "objective",
        "test/accuracy",
        "trial/epochs",
        "trial/duration_s",
        "learning_rate",
        "optimizer",
        "batch_size",
        "dropout",
        "augment_translation",
    ]
    rows = [["03", "FINISHED", 0.9861, 0.9778, 60, 14.2, 0.00227, "adam", 64, 0.3, 0.1]] * 3
    doc = ReportDocument("tables")
    doc.frame_table(pd.DataFrame(rows, columns=columns), font_size=7)
    doc.save(tmp_path / "table.pdf")
    words = pdf_text(tmp_path / "table.pdf").split()
    for name in columns:
        assert name in words, (name, words[:40])


@pytest.mark.slow
def test_importance_names_what_it_ranks_and_what_it_leaves_out_with_why(tmp_path):
    """Six trials: adam at two learning rates, sgd at two learning rates and two momentums, which only sgd has."""
    space = {**TINY["search_space"], "learning_rate": [0.01, 0.003], "momentum": [0.5, 0.9]}
    path = write_experiment(
        tmp_path, name="ranked", search_space=space, tuner={**TINY["tuner"], "max_trials": 6, "epochs": 2}
    )
    assert runner.main(["search", str(path)]) == 0
    out = tmp_path / "ranked.pdf"
    assert (
        runner.main(["report", "ranked", "--tracking-uri", f"sqlite:///{tmp_path}/mlflow.db", "--out", str(out)]) == 0
    )
    flat = " ".join(pdf_text(out).split())
    ranked = flat.split("its variance split by hyperparameter (", 1)[1].split(")", 1)[0]
    assert set(ranked.split("; ")[0].split(", ")) == {"learning_rate", "optimizer"}, ranked
    assert ranked.split("; ")[1:] == ["momentum left out, inactive in some trials"], ranked

    # Fitted once: the search kept the ranking on its parent run, with the finished trials it was fitted to ...
    client = MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    parent = latest_search(client, "ranked")
    kept_path = Path(url2pathname(urlparse(parent.info.artifact_uri).path)) / IMPORTANCE_FILE
    kept = pd.read_csv(kept_path)
    assert set(kept["hyperparameter"]) == {"learning_rate", "optimizer"}
    trials = trials_frame(client, parent.info.run_id)
    finished = sorted(trials.loc[trials["status"] == "FINISHED", "trial_id"])
    assert sorted(pair.split("=")[0] for pair in kept[IMPORTANCE_FITTED_TO].iloc[0].split()) == finished
    for share in kept["mean"]:
        assert f"{share:.2f} ±" in flat.split("replacement, so the spread", 1)[1]

    def ranking_reported(table: pd.DataFrame) -> str:
        table.to_csv(kept_path, index=False)
        again = tmp_path / "again.pdf"
        assert (
            runner.main(["report", parent.info.run_id, "--tracking-uri", client.tracking_uri, "--out", str(again)]) == 0
        )
        return " ".join(pdf_text(again).split())

    # ... a later report reads it back instead of fitting again ...
    altered = kept.assign(mean=[0.61, 0.39], sd=[0.004, 0.004])
    assert "0.61 ± 0.00; " in ranking_reported(altered)
    # ... unless the finished trials changed since: then it is fitted again.
    refitted = ranking_reported(altered.assign(**{IMPORTANCE_FITTED_TO: "0=1.0"}))
    assert "0.61 ± 0.00; " not in refitted
    for share in kept["mean"]:
        assert f"{share:.2f} ±" in refitted


def test_a_configured_choice_the_trials_tried_once_is_still_in_the_configured_space(tmp_path):
    """`units: [32, 64]` searched by one random trial: one value tried, yet it was searched, and the table of the
    search space says so; booleans read as YAML, durations as minutes and seconds."""
    path = write_experiment(
        tmp_path,
        name="once",
        data={"source": "digits", "layout": "flat"},
        family="mlp",
        search_space={
            "units": [32, 64],
            "depth": 1,
            "wide": [True, False],
            "dropout": 0.0,
            "optimizer": "adam",
            "learning_rate": 0.01,
            "batch_size": 64,
        },
        tuner={"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0},
    )
    result = search_experiment(load_experiment(path), Console(quiet=True))
    flat = " ".join(pdf_text(result.report_path).split())
    units = int(result.trials["units"].iloc[0])
    wide = str(result.trials["wide"].iloc[0]).lower()
    assert f"units [32, 64] {units} (1)" in flat
    assert f"wide [true, false] {wide} (1)" in flat
    assert "True" not in flat and "False" not in flat
    assert re.search(r"duration \S.*\d+:\d\d", flat)
    scores = re.findall(r"finished (\d\.\d+) (\d\.\d+)", flat)
    assert scores and all(len(re.sub(r"^0\.0*", "", v)) == 4 for pair in scores for v in pair)  # 4 digits each


def test_each_section_keeps_its_figure_and_tables_and_the_diagnosis_is_said_once(finished_search, tmp_path):
    out = tmp_path / "pages.pdf"
    assert runner.main(["report", "e2e", "--tracking-uri", finished_search["uri"], "--out", str(out)]) == 0
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(out).pages]
    glance = next(i for i, page in enumerate(pages) if "The search at a glance" in page)
    assert "The search space as configured" in pages[glance]  # the overview's figure did not push its table over
    text = " ".join(pages)
    best_id = finished_search["parents"][0].data.params["best_trial_id"]
    diagnosis = text.split(f"trial {best_id} (val_accuracy ", 1)[1].split(": ", 1)[1][:110]  # with its numbers
    assert text.count(diagnosis) == 1, diagnosis  # on page 1 only, not again beside the best model's curves
    assert "final accuracy gap" not in text
