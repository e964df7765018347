"""Which trial is best: the objective within its resolution, then the validation loss, then the parameters; and
the report's sentence of how a tie was broken."""

from __future__ import annotations

import pandas as pd

from reports.analysis import chosen_among_ties
from reports.store.names import EVIDENCE_LOSSES, OBJECTIVE_METRIC, PARAMETERS
from reports.store.objectives import objective_step
from reports.store.trials import ranked

LOSS = EVIDENCE_LOSSES[0]


def _trials(scores, losses, parameters) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "trial_id": [str(i) for i in range(len(scores))],
            "status": "FINISHED",
            OBJECTIVE_METRIC: scores,
            LOSS: losses,
            PARAMETERS: parameters,
        }
    )


def test_accuracy_moves_in_steps_of_one_validation_sample_per_execution():
    assert objective_step("val_accuracy", 91) == 1 / 91
    assert objective_step("val_accuracy", 91, executions=2) == 1 / 182
    assert objective_step("val_loss", 91) is None and objective_step("val_mae", 91) is None


def test_a_tie_on_accuracy_goes_to_the_lower_validation_loss_not_to_trial_order():
    """Three trials at 89 of 91 validation rows, as on a 569-row table; one a sample behind with the lowest loss."""
    step = objective_step("val_accuracy", 91)
    trials = _trials([89 / 91, 89 / 91, 89 / 91, 88 / 91], [0.09, 0.07, 0.12, 0.01], [500, 900, 300, 100])
    order = ranked(trials, "max", step)["trial_id"].tolist()
    assert order == ["1", "0", "2", "3"]
    said = chosen_among_ties(ranked(trials, "max", step), "1", "val_accuracy", "max", step)
    assert said == (
        "Trials 0, 1 and 2 tied on val_accuracy (0.978 for trial 1; within one step of 0.011); ties go to the lower "
        "validation loss, then to fewer parameters. Trial 1's kept weights (its best epoch by val_accuracy) had the "
        "lowest validation loss, 0.07, against 0.09 (trial 0), 0.12 (trial 2)."
    )


def test_equal_losses_go_to_fewer_parameters_and_then_to_the_earlier_trial():
    step = objective_step("val_accuracy", 178)
    trials = _trials([1.0, 1.0, 1.0, 1.0], [0.02, 0.02, 0.02, 0.02], [900, 300, 300, 700])
    assert ranked(trials, "max", step)["trial_id"].tolist() == ["1", "2", "3", "0"]
    said = chosen_among_ties(trials, "1", "val_accuracy", "max", step)
    assert said.endswith(
        "Trial 1's kept weights had the same validation loss as trials 0, 2 and 3 (0.02) and the fewest "
        "parameters, 300, against 900 (trial 0), 700 (trial 3); trial 2 has as many, and the earlier is kept."
    )


def test_a_best_ahead_on_the_objective_needs_no_sentence_and_errors_tie_only_when_equal():
    step = objective_step("val_accuracy", 91)
    trials = _trials([90 / 91, 89 / 91], [0.2, 0.01], [100, 100])
    assert ranked(trials, "max", step)["trial_id"].tolist() == ["0", "1"]
    assert chosen_among_ties(trials, "0", "val_accuracy", "max", step) is None
    errors = _trials([0.50, 0.5000001, 0.50], [0.3, 0.1, 0.2], [1, 1, 1])
    assert ranked(errors, "min", None)["trial_id"].tolist() == ["2", "0", "1"]


def test_a_trial_without_a_score_comes_last():
    trials = _trials([float("nan"), 0.5], [0.1, 0.2], [1, 1])
    assert ranked(trials, "max", 0.01)["trial_id"].tolist() == ["1", "0"]
