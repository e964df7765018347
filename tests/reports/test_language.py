"""A report in Chinese: the same numbers as the English one, its words from the zh catalogue, none left in English."""

from __future__ import annotations

import re
import shutil
import string
import subprocess
from collections import Counter

import pytest

import runner
from reports.fonts import cjk_font
from reports.words import LANGUAGES, catalogue, language, say, speaking
from tests.conftest import ROOT, missing_tool

NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[-+]?\d+)?")
# Four English words in a row, each of two letters or more, is a sentence left untranslated; a name (a
# hyperparameter with its value, a metric as logged) is one or two words, or joined by underscores.
ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){3,}\b")


def pdf_text(path) -> str:
    """poppler, not pypdf: pypdf pads each glyph of the CJK font with a NUL when extracting."""
    if cjk_font() is None or shutil.which("pdftotext") is None:
        missing_tool("needs Debian's fonts-noto-cjk and poppler-utils (.ci/run installs both)")
    return subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout


def blanks(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("other", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_says_every_sentence_with_the_same_blanks(other):
    english, theirs = catalogue("en"), catalogue(other)
    for key, template in english.items():
        key = key.removesuffix(".one")  # a plural form; a language without plurals says the one sentence
        assert key in theirs, f"{other} lacks {key}"
        assert blanks(theirs[key]) == blanks(template), key
    assert not [k for k in theirs if k not in english and not k.startswith(("study.study-", "metric.", "column."))]


def test_every_shipped_study_asks_its_question_in_chinese():
    import yaml

    for path in sorted((ROOT / "experiments" / "studies").glob("*.yaml")):
        config = yaml.safe_load(path.read_text())
        for key in ("question", "expectation", "baseline_label"):
            if config["study"].get(key):
                assert f"study.{config['name']}.{key}" in catalogue("zh"), (path.name, key)


def test_a_language_is_set_for_one_report_and_an_unknown_one_is_refused():
    with speaking("zh"):
        assert language() == "zh" and say("trial", trial="03") == "试验 03"
    assert language() == "en" and say("trial", trial="03") == "trial 03"
    with pytest.raises(ValueError, match="choose one of en, zh"):
        with speaking("fr"):
            pass


def untranslated(text: str) -> list[str]:
    return [m.group(0) for m in ENGLISH_RUN.finditer(text)]


def numbers(text: str) -> Counter:
    return Counter(NUMBER.findall(text))


def test_a_chinese_search_report_says_in_chinese_what_the_english_one_says(finished_search, tmp_path):
    paths = {}
    for lang in ("en", "zh"):
        paths[lang] = tmp_path / f"{lang}.pdf"
        args = ["report", "e2e", "--tracking-uri", finished_search["uri"], "--out", str(paths[lang])]
        assert runner.main([*args, "--language", lang]) == 0
    english, chinese = pdf_text(paths["en"]), pdf_text(paths["zh"])
    for heading in ("超参数搜索：e2e", "学习曲线诊断", "最佳模型：试验", "各超参数的作用", "全部试验（最佳在前）"):
        assert heading in chinese
    assert "Hyperparameter search" in english and "Hyperparameter search" not in chinese
    # The verdict on page 1, in Chinese, with the English one's scores.
    verdict = next(line for line in english.splitlines() if "The best model's" in line)
    assert "最佳模型的测试集准确率" in chinese
    assert all(number in chinese for number in NUMBER.findall(verdict))
    assert numbers(chinese) == numbers(english)
    assert untranslated(chinese) == []
    assert untranslated(english)  # the rule finds English where it is


def test_a_chinese_comparison_of_searches(finished_search, tmp_path):
    out = tmp_path / "compare.pdf"
    args = ["report", "e2e", "e2e", "--tracking-uri", finished_search["uri"], "--out", str(out), "--language", "zh"]
    assert runner.main(args) == 0
    text = pdf_text(out)
    assert "搜索对比：e2e" in text and "最佳 val_accuracy：e2e" in text and "每次搜索最佳试验的学习曲线" in text
    assert untranslated(text) == []


def test_a_chinese_paragraph_breaks_between_characters_but_never_inside_a_number(tmp_path):
    from reports.document import ReportDocument

    sentence = "在训练集上花费了 360 秒，最好的验证损失为 0.0047，基线 study-dropout 为 0.015。"
    document = ReportDocument("breaks")
    for shift in range(30):  # every number lands on a line's end in some paragraph
        document.paragraph("字" * shift + sentence * 3)
    page_lines = ("breaks", "page ")  # the running heading and the foot
    lines = [s for s in pdf_text(document.save(tmp_path / "breaks.pdf")).splitlines() if not s.startswith(page_lines)]
    assert len(lines) > 60  # the paragraphs were broken across lines
    body = "\n".join(lines)
    assert numbers(body) == Counter({"360": 90, "0.0047": 90, "0.015": 90}) and body.count("study-dropout") == 90
    assert not any(line.startswith(("，", "。")) for line in lines)
