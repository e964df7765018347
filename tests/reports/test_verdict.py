"""The study answer's wording follows the numbers: a winner only beyond noise, and honesty when the data disagrees."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.verdict import answer, summarize


def _values(settings: dict[str, list[float]], sweep: str = "") -> pd.DataFrame:
    return pd.DataFrame(
        [{"sweep": sweep, "cell": name, "value": v} for name, values in settings.items() for v in values]
    )


def test_summary_gives_mean_sample_sd_and_count():
    summary = summarize(_values({"lstm": [0.1, 0.2, 0.3]}), ["cell"]).iloc[0]
    assert summary["mean"] == pytest.approx(0.2)
    assert summary["std"] == pytest.approx(0.1)
    assert summary["n"] == 3


def _against_the_mean(test_mse: dict[str, list[float]], expectation: str) -> str:
    """The answer for cells' test MSE over seeds, LSTM expected best, against predicting the mean (0.167)."""
    summary = summarize(_values(test_mse), ["cell"])
    said = answer(
        summary,
        ["cell"],
        "test/mse",
        [],
        ["lstm"],
        expectation,
        baseline=0.167,
        baseline_label="predict-the-mean baseline",
    )
    return " ".join(said)


def test_a_clear_difference_is_called_and_the_expectation_shown():
    text = _against_the_mean({"simple": [0.166, 0.168, 0.167], "lstm": [0.004, 0.005, 0.003]}, "LSTM beats SimpleRNN")
    assert "lstm 0.004 ± 0.001; simple 0.167 ± 0.001 (3 seeds each)" in text
    assert "lstm did best; simple is clearly higher" in text
    assert "simple did not get past the predict-the-mean baseline (0.167)" in text
    assert "Measured: lstm did best, beyond noise of the rest." in text


def test_overlapping_seeds_are_within_noise_and_the_expectation_not_shown():
    summary = summarize(_values({"0.0": [0.90, 0.95, 0.85], "0.5": [0.91, 0.96, 0.86]}), ["cell"])
    text = " ".join(answer(summary, ["cell"], "test/accuracy", [], ["0.5"], "dropout helps"))
    assert "0.5 did best, but 0.0 is within noise of it" in text
    assert "Measured: not so: 0.0 within noise of 0.5." in text


def test_an_unexpected_winner_is_reported_per_panel():
    values = pd.concat(
        [
            _values({"lstm": [0.01, 0.011], "simple": [0.16, 0.17]}, sweep="length=100"),
            _values({"lstm": [0.16, 0.17], "simple": [0.01, 0.012]}, sweep="length=25"),
        ]
    )
    summary = summarize(values, ["sweep", "cell"])
    text = " ".join(answer(summary, ["cell"], "test/mse", ["sweep"], ["lstm"], "LSTM wins"))
    assert "At length=100, test mse: lstm" in text and "At length=25, test mse: simple" in text
    assert "Measured: so at length=100; not at length=25 (simple did best)." in text


def test_one_seed_claims_no_winner():
    summary = summarize(_values({"a": [0.9], "b": [0.8]}), ["cell"])
    text = " ".join(answer(summary, ["cell"], "test/accuracy", [], [], ""))
    assert "with one seed there is no spread to tell b apart from it" in text
    assert "clearly" not in text


def test_a_winner_still_at_the_baseline_does_not_show_the_expectation():
    text = _against_the_mean({"lstm": [0.1630, 0.1632, 0.1628], "simple": [0.168, 0.172, 0.170]}, "LSTM learns")
    assert "lstm did best; simple is clearly higher" in text
    assert "lstm, simple did not get past the predict-the-mean baseline" in text
    assert "Measured: not so: no setting got past the predict-the-mean baseline." in text


def test_a_wide_spread_is_not_mistaken_for_the_baseline():
    summary = summarize(_values({"lstm": [0.03, 0.10, 0.12], "gru": [0.008, 0.009, 0.01]}), ["cell"])
    text = " ".join(answer(summary, ["cell"], "test/mse", [], ["gru"], "", baseline=0.167))
    assert "did not get past" not in text


def _two_depths(deep_with: list[float], deep_without: list[float]) -> str:
    values = pd.concat(
        [
            _values({"bn": [0.950, 0.956, 0.967], "plain": [0.858, 0.839, 0.864]}, sweep="depth=2"),
            _values({"bn": deep_with, "plain": deep_without}, sweep="depth=6"),
        ]
    )
    text = " ".join(
        answer(
            summarize(values, ["sweep", "cell"]),
            ["cell"],
            "test/accuracy",
            ["sweep"],
            ["bn"],
            "batch normalization helps, the more so at depth 6",
        )
    )
    return " ".join(text.split())


def test_a_lead_that_grows_within_noise_is_not_called_growing():
    """The batch-norm study's seeds: the lead grows from 0.104 to 0.144, but the deep net's seeds spread widely."""
    text = _two_depths([0.919, 0.936, 0.908], [0.736, 0.833, 0.761])
    assert "Measured: bn did best, beyond noise of the rest in both cases measured." in text
    assert (
        "The lead of bn over the best other setting (mean difference ± its standard error over seeds): "
        "depth=2 0.104 ± 0.009, depth=6 0.144 ± 0.03." in text
    )
    assert (
        "From depth=2 to depth=6 it grows by 0.0403, within noise (twice its standard error, 0.063): these "
        "runs cannot tell whether the lead changes." in text
    )


def test_a_lead_that_grows_beyond_noise_is_called_so():
    text = _two_depths([0.919, 0.936, 0.908], [0.600, 0.610, 0.590])
    assert "From depth=2 to depth=6 it grows by 0.217, beyond noise (twice its standard error, 0.027)." in text
