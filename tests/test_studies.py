"""Every study in experiments/studies runs at a tiny budget and answers with numbers MLflow holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from pypdf import PdfReader
from rich.console import Console

import runner
from pipelines.config import load_experiment
from pipelines.data.sources import SyntheticData
from pipelines.study import run_study
from reports.study import load_study
from tests.conftest import ROOT, tiny_copy

pytestmark = pytest.mark.slow  # real searches taking minutes on 2 cores: CI runs them, the fast lane does not

STUDIES = sorted((ROOT / "experiments" / "studies").glob("*.yaml"))


def shrink_study(config: dict, tmp: Path, folder: Path) -> None:
    """Two values per compared key (and sweep), the base of a transfer study shrunk too."""
    study = config["study"]
    for name in study["compare"]:
        config["search_space"][name] = config["search_space"][name][:2]
    kept = {str(v) for v in config["search_space"][study["compare"][0]]}
    study["expect_best"] = [v for v in study.get("expect_best", []) if str(v) in kept][:1] or sorted(kept)[:1]
    if study.get("sweep"):
        study["sweep"] = {key: values[:2] for key, values in study["sweep"].items()}
    if study.get("prepare"):
        base = tiny_copy(
            folder / study["prepare"], tmp, {"algorithm": "random", "max_trials": 1, "epochs": 1}, prefix="base-"
        )
        study["prepare"] = str(base)


@pytest.mark.parametrize("path", STUDIES, ids=[p.stem for p in STUDIES])
def test_study_answers_with_the_numbers_mlflow_holds(path, tmp_path):
    tiny = tiny_copy(
        path,
        tmp_path,
        {"epochs": 1, "patience": 0, "executions_per_trial": 2},
        edit=lambda config: shrink_study(config, tmp_path, path.parent),
    )
    experiment = load_experiment(tiny)
    result = run_study(experiment, Console(quiet=True))
    record = load_study(experiment.tracking_uri, result.study_run_id)
    answer = " ".join(record.answer())
    metric = experiment.study.metrics[0]
    summary = record.summary(metric)
    assert len(summary) >= 2 and (summary["n"] == 2).all()  # every setting, two seeds each
    for _, row in summary.iterrows():
        assert f"{row['mean']:.3g}" in answer  # the mean of the seeds' values MLflow holds
    if experiment.study.expect_best:
        assert "Expected:" in answer
    tune = experiment.study.tune
    if tune:  # each setting at the tuned values its trials scored best with on validation, and the answer says so
        keys, rows = [*record.panels, experiment.study.compare[0]], record.values[record.values["metric"] == metric]
        for _, row in summary.iterrows():
            own = rows[(rows[keys] == row[keys]).all(axis=1)]
            best = own.groupby(tune)["objective"].mean().idxmin()
            assert tuple(row[tune]) == (best if isinstance(best, tuple) else (best,))
        assert f"at its best {', '.join(tune)}" in answer
    if isinstance(experiment.data, SyntheticData):  # float sequences: the untrained gradient is stated
        assert not record.gradients.empty and "Before training" in answer
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(result.report_path).pages))
    assert experiment.study.question in text
    assert "Answer" in text and f"{summary['mean'].iloc[0]:.3g}" in text
    assert text.count("The best model's test") == len(record.searches)  # each search against its baseline to beat
    assert result.report_path.name in {
        a.path for a in MlflowClient(experiment.tracking_uri).list_artifacts(result.study_run_id)
    }
    rebuilt = tmp_path / "again.pdf"  # `runner.py report` on the experiment name finds its study
    assert (
        runner.main(["report", experiment.name, "--tracking-uri", experiment.tracking_uri, "--out", str(rebuilt)]) == 0
    )
    assert experiment.study.question in re.sub(r"\s+", " ", PdfReader(rebuilt).pages[0].extract_text())


def test_a_chinese_study_report_answers_with_the_english_ones_numbers(tmp_path):
    from tests.reports.test_language import numbers, pdf_text, untranslated

    path = ROOT / "experiments" / "studies" / "dropout.yaml"

    def chinese(config: dict) -> None:
        shrink_study(config, tmp_path, path.parent)
        config["report"] = {"language": "zh"}

    experiment = load_experiment(
        tiny_copy(path, tmp_path, {"epochs": 2, "patience": 0, "executions_per_trial": 2}, edit=chinese)
    )
    result = run_study(experiment, Console(quiet=True))
    english_pdf = tmp_path / "english.pdf"
    args = ["report", experiment.name, "--tracking-uri", experiment.tracking_uri, "--out", str(english_pdf)]
    assert runner.main([*args, "--language", "en"]) == 0
    text, english = pdf_text(result.report_path), pdf_text(english_pdf)
    assert "研究：study-dropout" in text and "回答" in text and "各次搜索" in text
    assert "对于用少量样本训练的过大网络，dropout 能否减轻过拟合？" in text
    assert "预期：使用 dropout 时" in text and "实测：" in text  # the verdict on the textbook's expectation
    assert "Expected:" in english and "Expected:" not in text
    assert numbers(text) == numbers(english)
    assert untranslated(text) == []
