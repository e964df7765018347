"""Sentences about hyperparameter effects say only what the trials support."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.analysis import at_edge, effect_sentence

LOG_RANGE = {"min": 3.0e-4, "max": 3.0e-3, "sampling": "log"}


def trials(name: str, values: list, scores: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"trial_id": [str(i) for i in range(len(values))], "status": "FINISHED", "objective": scores, name: values}
    )


def test_the_edge_is_of_the_configured_range_not_of_the_values_tried():
    # The demo's case: 0.00227 was the highest rate tried, but the range goes to 0.003 (0.88 of it on a log scale).
    assert at_edge(0.00227, LOG_RANGE) is None
    assert at_edge(0.0029, LOG_RANGE) == "high" and at_edge(0.00031, LOG_RANGE) == "low"
    assert at_edge(0.4, {"min": 0.1, "max": 0.4, "step": 0.1}) == "high"
    assert at_edge(0.25, {"min": 0.1, "max": 0.4}) is None
    assert at_edge(3, [3, 5]) is None  # choices have no edge to widen


def test_a_best_value_inside_the_range_asks_for_no_widening():
    rates = [0.0004, 0.0006, 0.0009, 0.0012, 0.0016, 0.00227]
    scores = [0.90, 0.91, 0.92, 0.93, 0.94, 0.95]
    inside = effect_sentence(trials("learning_rate", rates, scores), "learning_rate", "val_accuracy", "max", LOG_RANGE)
    assert "widen" not in inside and "higher values scored better" in inside
    at_top = effect_sentence(
        trials("learning_rate", rates[:-1] + [0.0029], scores), "learning_rate", "val_accuracy", "max", LOG_RANGE
    )
    assert "within 10% of the range's high end (0.003)" in at_top


def test_one_trial_per_value_tells_no_effect():
    sentence = effect_sentence(trials("dropout", [0.2, 0.3], [0.95, 0.99]), "dropout", "val_accuracy", "max")
    assert "too few trials per value" in sentence and "difference" not in sentence
    called = effect_sentence(
        trials("optimizer", ["adam", "adam", "sgd", "sgd"], [0.95, 0.96, 0.60, 0.62]),
        "optimizer",
        "val_accuracy",
        "max",
    )
    assert "adam gave the best mean val_accuracy (0.9550, sd 0.0071 over 2 trials)" in called
    assert "the difference, 0.3450, is beyond its noise (twice the standard error of the difference, 0.0224)" in called


def test_a_value_tried_once_is_left_out_and_the_values_tried_more_are_compared():
    # The sonar search's units: 128 once, 64 four times, 32 five times.
    said = effect_sentence(
        trials(
            "units",
            [128, 64, 64, 64, 64, 32, 32, 32, 32, 32],
            [0.48, 0.43, 0.52, 0.55, 0.50, 0.45, 0.56, 0.60, 0.58, 0.62],
        ),
        "units",
        "val_loss",
        "min",
    )
    assert said.startswith(
        "units: 64 gave the best mean val_loss (0.5000, sd 0.0510 over 4 trials), 32 the worst "
        "(0.5620, sd 0.0665 over 5); left out, tried once: 128; the difference, 0.0620, is within "
        "its noise"
    ), said


def test_a_rank_correlation_within_what_chance_reaches_is_no_trend():
    # A weak rank correlation over 10 trials, where chance alone reaches 2 / sqrt(9) = 0.67.
    rates = [0.0, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.4]
    weak = effect_sentence(
        trials("dropout", rates, [0.52, 0.46, 0.58, 0.43, 0.50, 0.55, 0.45, 0.60, 0.48, 0.57]),
        "dropout",
        "val_loss",
        "min",
    )
    assert "no clear trend (Spearman +0.21 over 10 trials, within the ±0.67 chance alone reaches)" in weak, weak
    strong = effect_sentence(
        trials("dropout", rates, [0.40, 0.42, 0.43, 0.45, 0.47, 0.50, 0.52, 0.55, 0.56, 0.58]),
        "dropout",
        "val_loss",
        "min",
    )
    assert "higher values scored worse (Spearman +0.98 over 10 trials, beyond the ±0.67 of chance)" in strong


def test_a_difference_within_its_noise_or_one_validation_sample_is_not_an_effect():
    spread = trials("optimizer", ["adam", "adam", "sgd", "sgd"], [0.90, 0.98, 0.88, 0.96])
    said = effect_sentence(spread, "optimizer", "val_accuracy", "max")
    assert "the difference, 0.0200, is within its noise" in said and "the search cannot tell an effect" in said
    tight = trials("optimizer", ["adam", "adam", "sgd", "sgd"], [0.9965, 0.9965, 0.9931, 0.9931])
    coarse = effect_sentence(tight, "optimizer", "val_accuracy", "max", resolution=1 / 288)
    assert "within its noise" in coarse and "one validation sample is 0.0035" in coarse  # no spread, one sample apart
    assert "beyond its noise" in effect_sentence(tight, "optimizer", "val_accuracy", "max", resolution=1 / 5000)


def test_values_that_always_came_together_are_named_as_confounded():
    both = trials("optimizer", ["adam", "adam", "sgd", "sgd"], [0.95, 0.96, 0.60, 0.62])
    both["batch_size"] = [32, 32, 64, 64]
    said = effect_sentence(both, "optimizer", "val_accuracy", "max", others=["optimizer", "batch_size"])
    assert said.startswith("optimizer: confounded with batch_size") and "cannot be told apart" in said
    both["batch_size"] = [32, 64, 32, 64]
    assert "confounded" not in effect_sentence(both, "optimizer", "val_accuracy", "max", others=["batch_size"])


def test_curves_still_falling_at_the_end_are_under_trained_not_healthy():
    from reports.analysis import diagnose

    falling = {
        "loss": [(0, 1.0), (1, 0.6), (2, 0.4)],
        "val_loss": [(0, 1.1), (1, 0.7), (2, 0.5)],
        "accuracy": [(0, 0.92), (1, 0.95), (2, 0.97)],
    }
    said = diagnose(falling)
    assert said.startswith(
        "under-trained: validation loss was still falling at the last epoch, 3 (to 0.5, from 0.7; 5.2 standard "
        "errors below flat over the last 3 epochs)"
    )
    assert "allow more epochs" in said and "healthy" not in said


def test_a_loss_that_creeps_down_smoothly_at_the_end_is_not_under_trained():
    """0.0477 to 0.0476 at the last epoch, 0.2% an epoch: a smooth creep is beyond its noise and gains nothing."""
    from reports.analysis import diagnose

    creeping = [0.3, 0.1, 0.06, 0.0485, 0.0482, 0.048, 0.0479, 0.0478, 0.0477, 0.0476]
    said = diagnose({"loss": list(enumerate(creeping)), "val_loss": list(enumerate(creeping))})
    assert "under-trained" not in said and said.startswith("healthy")


def test_a_last_epoch_that_is_best_by_a_hair_or_at_full_validation_accuracy_is_not_under_trained():
    """A validation loss at 0.231 from 0.233, and one still falling at validation accuracy 1.0: more epochs would
    not raise the objective."""
    from reports.analysis import Budget, diagnose

    wobbling = [0.5, 0.3, 0.24, 0.236, 0.233, 0.238, 0.232, 0.235, 0.231]
    said = diagnose({"loss": list(enumerate(wobbling)), "val_loss": list(enumerate(wobbling))})
    assert "under-trained" not in said and said.startswith("healthy")
    steady = [0.5, 0.4, 0.3, 0.25, 0.2]
    perfect = {
        "loss": list(enumerate(steady)),
        "val_loss": list(enumerate(steady)),
        "accuracy": list(enumerate([0.9, 0.95, 1.0, 1.0, 1.0])),
        "val_accuracy": list(enumerate([0.9, 1.0, 1.0, 1.0, 1.0])),
    }
    assert "under-trained" not in diagnose(perfect)
    said = diagnose(perfect, budget=Budget(epochs=5, patience=20))
    assert said.startswith(
        "ended by the epoch cap: validation loss was lowest at epoch 5 (0.2), and the run reached tuner.epochs (5) "
        "0 epochs after it, before early stopping's patience of 20 could end it; its validation accuracy had "
        "reached 1, the most it can be"
    )


def test_a_run_the_epoch_cap_ended_before_early_stopping_could_is_not_healthy():
    from reports.analysis import Budget, diagnose

    val = [1.0, 0.6, 0.4, 0.30, 0.31, 0.305, 0.31]
    curves = {"loss": list(enumerate(val)), "val_loss": list(enumerate(val))}
    assert diagnose(curves, budget=Budget(epochs=20, patience=5)).startswith("healthy")  # early stopping ended it
    said = diagnose(curves, budget=Budget(epochs=7, patience=5))
    assert said.startswith("ended by the epoch cap") and "more epochs might still have improved it" in said
    assert diagnose(curves, budget=Budget(epochs=7, patience=0)).startswith("healthy")  # no early stopping: by design


def test_the_gap_between_training_and_validation_accuracy_is_said_above_or_below():
    from reports.analysis import diagnose

    val = [1.0, 0.6, 0.4, 0.30, 0.31, 0.305, 0.31]
    curves = {"loss": list(enumerate(val)), "val_loss": list(enumerate(val))}
    below = diagnose({**curves, "accuracy": [(6, 0.80)], "val_accuracy": [(6, 0.817)]})
    assert "training accuracy was 0.017 below validation accuracy" in below and "-0.017" not in below
    above = diagnose({**curves, "accuracy": [(6, 0.90)], "val_accuracy": [(6, 0.85)]})
    assert "training accuracy was 0.050 above validation accuracy" in above


def test_underfitting_of_classes_is_measured_against_the_better_baseline_not_a_fixed_bar():
    """Two tables where no model reaches 0.9: a training accuracy of 0.804 underfits only a baseline above it."""
    from reports.analysis import Reference, diagnose

    val = [0.7, 0.6, 0.55, 0.52, 0.53, 0.525, 0.53]
    curves = {
        "loss": list(enumerate(val)),
        "val_loss": list(enumerate(val)),
        "accuracy": list(enumerate([0.7, 0.75, 0.78, 0.79, 0.80, 0.80, 0.804])),
        "val_accuracy": list(enumerate([0.7, 0.74, 0.77, 0.78, 0.78, 0.78, 0.78])),
    }
    logistic = Reference("val_accuracy", 0.77, "logistic regression on the standardized inputs (C=1)")
    assert "underfitting" not in diagnose(curves, bar=logistic)
    boosting = Reference("val_accuracy", 0.85, "gradient boosting (scikit-learn's histogram trees)", 0.03)
    assert (
        "underfitting: training accuracy only reached 0.804, below the 0.850 validation accuracy of gradient "
        "boosting (scikit-learn's histogram trees) by more than its noise (0.030, two standard errors)"
    ) in diagnose(curves, bar=boosting)
    within = Reference("val_accuracy", 0.82, "gradient boosting (scikit-learn's histogram trees)", 0.03)
    assert "underfitting" not in diagnose(curves, bar=within)  # 0.016 short of it: within its noise


def test_a_wobble_while_early_stopping_waits_is_not_called_overfitting():
    """Validation loss lowest at epoch 3, then ten epochs around that level (the patience window): no trend."""
    from reports.analysis import diagnose

    val = [1.0, 0.6, 0.4, 0.300, 0.340, 0.310, 0.350, 0.320, 0.345, 0.315, 0.350, 0.325, 0.345, 0.335]
    train = [1.0 - 0.05 * e for e in range(len(val))]
    said = diagnose({"loss": list(enumerate(train)), "val_loss": list(enumerate(val))})
    assert "overfitting" not in said.replace("rather than overfitting", "")
    assert said.startswith("healthy: validation loss was lowest at epoch 4 (0.3); the 10 epochs after it moved")


def test_a_steady_rise_of_validation_loss_while_training_loss_falls_is_overfitting():
    from reports.analysis import diagnose

    val = [1.0, 0.6, 0.4, 0.30, 0.33, 0.36, 0.40, 0.43, 0.47]
    train = [1.0 - 0.08 * e for e in range(len(val))]
    said = diagnose({"loss": list(enumerate(train)), "val_loss": list(enumerate(val))})
    assert said.startswith("overfitting from epoch 4: validation loss rose from 0.3 to 0.47 (+0.034 per epoch")


def test_classes_never_recognized_are_named_with_their_share():
    from reports.analysis import never_predicted

    per_class = pd.DataFrame(
        {
            "class": ["dry", "drizzle", "storm"],
            "precision": [0.9, 0.0, 0.0],
            "recall": [1.0, 0.0, 0.0],
            "f1": [0.95, 0.0, 0.0],
            "support": [90, 8, 0],
        }
    )
    said = never_predicted(per_class, None)
    assert said.startswith("Never recognized on the test split: drizzle (8 test samples, 8.2% of them).")
    assert "storm" not in said and "class_weight: balanced in the experiment file" in said
    assert never_predicted(per_class.assign(recall=[1.0, 0.5, 0.0]), None) is None


def test_importance_is_optunas_fanova_with_its_spread_over_resamples_of_the_trials():
    import numpy as np

    from reports.analysis import IMPORTANCE_RESAMPLES, importance, unranked

    rng = np.random.default_rng(0)
    dropout = rng.uniform(0.0, 0.5, 24)
    optimizer = rng.choice(["adam", "sgd"], 24)
    frame = trials("dropout", list(dropout), list(0.99 - 0.5 * dropout + rng.normal(0, 0.002, 24)))
    frame["optimizer"] = optimizer
    frame["momentum"] = np.where(optimizer == "sgd", 0.9, np.nan)  # conditional: inactive under adam
    ranking = importance(frame, ["dropout", "optimizer", "momentum"], "max")
    assert list(ranking.index) == ["dropout", "optimizer"]  # momentum is not active in every trial
    assert unranked(frame, ["dropout", "optimizer", "momentum"]) == {"momentum": "inactive in some trials"}
    assert unranked(frame.assign(optimizer="adam"), ["dropout", "optimizer"]) == {
        "optimizer": "one value in the finished trials"
    }
    assert unranked(frame, ["dropout", "optimizer"]) == {}  # the report then names nothing as left out
    assert ranking.loc["dropout", "mean"] > 0.8 > ranking.loc["optimizer", "mean"]
    assert (ranking["sd"] >= 0).all() and ranking["sd"].notna().all()
    assert IMPORTANCE_RESAMPLES >= 3
    assert importance(frame.head(3), ["dropout", "optimizer"], "max") is None


def test_importance_of_trials_that_mostly_tie_draws_resamples_with_a_spread_and_of_a_full_tie_is_none():
    """Five trials at 1.000 and one below, as on 288 validation images: most resamples would hold one score,
    which leaves fANOVA nothing to split."""
    from reports.analysis import importance

    frame = trials("dropout", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1.0, 1.0, 1.0, 1.0, 1.0, 0.99])
    frame["units"] = [16, 32, 16, 32, 16, 32]
    ranking = importance(frame, ["dropout", "units"], "max")
    assert set(ranking.index) == {"dropout", "units"} and ranking["mean"].sum() == pytest.approx(1.0)
    assert importance(frame.assign(objective=1.0), ["dropout", "units"], "max") is None


def test_a_healthy_run_quotes_where_it_ended_instead_of_near_the_end():
    from reports.analysis import diagnose

    said = diagnose(
        {
            "loss": [(0, 1.0), (1, 0.5), (2, 0.3), (3, 0.2), (4, 0.15), (5, 0.1)],
            "val_loss": [(0, 1.0), (1, 0.5), (2, 0.45), (3, 0.46), (4, 0.47), (5, 0.47)],
        }
    )
    assert said.startswith(
        "healthy: validation loss was lowest at epoch 3 (0.45); the run ended 3 epochs later, at epoch 6"
    )
    assert "near the end" not in diagnose(
        {"loss": [(0, 1.0), (1, 0.5), (2, 0.3)], "val_loss": [(0, 1.0), (1, 0.4), (2, 0.41)]}
    )


def test_a_best_epoch_every_later_one_is_far_above_is_a_lone_dip_not_healthy():
    """The default search's trial 5: validation loss 0.0082 at its best epoch, then ten epochs 3.6 to 24 times
    higher; a slope test over them sees no rise."""
    from reports.analysis import diagnose

    val = [0.30, 0.12, 0.07, 0.05, 0.0082, 0.05, 0.197, 0.06, 0.11, 0.08, 0.15, 0.07, 0.09, 0.12, 0.06]
    train = [0.9 - 0.05 * e for e in range(len(val))]
    said = diagnose({"loss": list(enumerate(train)), "val_loss": list(enumerate(val))})
    assert said.startswith(
        "a lone dip at epoch 5: validation loss was 0.0082 there, and each of the 10 epochs after "
        "it was 6.1 to 24.0 times higher (0.05 to 0.197)"
    )
    assert "healthy" not in said


def test_a_trial_no_better_than_the_trivial_baseline_on_validation_learned_nothing():
    """Weekly CO2's trial 1: val_mae 0.4439 against the naive forecast's 0.4404 on validation."""
    from reports.analysis import Reference, diagnose

    curves = {
        "loss": list(enumerate([0.5, 0.4, 0.38, 0.37])),
        "val_loss": list(enumerate([0.5, 0.45, 0.44, 0.46])),
        "mae": list(enumerate([0.6, 0.5, 0.45, 0.43])),
        "val_mae": list(enumerate([0.46, 0.45, 0.4439, 0.45])),
    }
    naive = Reference("val_mae", 0.4404, "the naive forecast")
    said = diagnose(curves, naive)
    assert (
        "learned nothing: its best val_mae 0.4439 is no better than the 0.4404 of the naive forecast on the "
        "validation split"
    ) in said and "healthy" not in said
    assert "learned nothing" not in diagnose(curves, Reference("val_mae", 0.5, "the naive forecast"))


def test_underfitting_of_values_is_measured_against_the_trivial_baseline_and_said_so():
    """Regression losses have units: a training loss above 0.3 says nothing by itself (it was given to every
    trial of three regression searches, the one that beat ridge included)."""
    from reports.analysis import Reference, diagnose

    curves = {
        "loss": list(enumerate([9.0, 6.0, 5.5, 5.2])),
        "val_loss": list(enumerate([9.5, 6.5, 6.0, 6.1])),
        "mae": list(enumerate([2.4, 1.9, 1.8, 1.75])),
        "val_mae": list(enumerate([2.5, 2.0, 1.71, 1.8])),
    }
    beaten = Reference("val_mae", 2.9, "predicting the training mean")
    assert "underfitting" not in diagnose(curves, beaten)
    said = diagnose(curves, Reference("val_mae", 1.7, "predicting the training mean"))
    assert (
        "underfitting: its training mae 1.75 is no lower than the 1.7 of predicting the training mean on the "
        "validation split"
    ) in said


def test_whether_the_objective_ranked_the_trials_as_the_test_score_did_is_said_against_chance():
    from reports.analysis import objective_predicts_test

    frame = trials("dropout", [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.30, 0.32, 0.35, 0.40, 0.45, 0.50])  # val_loss
    frame["test/accuracy"] = [0.97, 0.96, 0.95, 0.94, 0.93, 0.92]  # lower loss, higher accuracy: the same order
    said = objective_predicts_test(frame, "min", "test/accuracy")
    assert "rank correlation of +1.00" in said and "chance alone reaches ±0.89 with 6 trials" in said
    assert said.split(": ", 1)[1].startswith("the objective's ranking predicted the test score's")
    frame["test/accuracy"] = [0.93, 0.97, 0.92, 0.95, 0.96, 0.94]
    assert "did not predict the test score's beyond chance" in objective_predicts_test(frame, "min", "test/accuracy")
    assert objective_predicts_test(frame.head(3), "min", "test/accuracy") is None


def test_a_model_no_better_than_its_baseline_is_told_whether_the_test_split_could_tell():
    import numpy as np

    from pipelines.baselines import Baseline, Comparison

    baseline = Baseline("model", "logistic regression", "test/accuracy", 1.0, 1.0, np.zeros(36))
    perfect = Comparison(baseline, 1.0, 0.0, 0.0, 36)  # both right on every one of 36 test samples
    assert perfect.advice() == (
        "The two were right (or wrong) on the same 36 test samples: a test split this size cannot tell them apart."
    )
    small = Comparison(baseline, 0.9, 0.02, 0.015, 100)
    assert small.advice() == (
        "The test split is too small to tell: a gain of this size would be called with about "
        "225 test samples (100 here)."
    )
    within = Comparison(baseline, 0.8, -0.00146, 0.001, 100)  # behind, by less than 2 standard errors
    assert within.advice() == "The difference is within noise: on this data the simpler model does as well."
    assert Comparison(baseline, 0.8, -0.05, 0.02, 100).advice() == "Check the data, the learning rate and the budget."
    assert within.numbers() == (
        "test accuracy 0.8 against 1 on the 100 test samples, a gain per sample of -0.00146 ± 0.001 standard error; "
        "a difference is called only beyond 2 standard errors"
    )
