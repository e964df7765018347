"""An ensemble of the search's trials, chosen by greedy selection with replacement (Caruana et al. 2004,
"Ensemble selection from libraries of models"), as AutoGluon and Auto-sklearn finish their searches.

The library is the finished trials' predictions on the validation split, kept by each trial
(`PREDICTIONS_FILE`), so selecting needs no training, also for trials that workers trained. Each round adds the
trial (again, if it helps most) whose predictions, averaged in, place the ensemble best by the rule that ranks
trials (`reports.store.objectives.standing`): the objective in its resolution, then the validation loss, which
tells apart the many rounds an accuracy on a few hundred rows would tie. The first round so picks the best trial.
A trial's weight is the share of rounds that chose it.

The validation split chose the ensemble, so its validation score flatters it; the test split, which it never
saw, says what it is worth, and the report compares it there with the same rule as any model.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

PREDICTIONS_FILE = "predictions.npz"  # a trial's outputs on the validation and test splits, for the ensemble
LIBRARY_SIZE = 20  # the best trials the ensemble may choose from: reading more costs time and rarely adds one


def predictions_file(validation: np.ndarray, test: np.ndarray) -> bytes:
    """A trial's predictions as the file it logs."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, validation=validation.astype(np.float32), test=test.astype(np.float32))
    return buffer.getvalue()


def read_predictions(path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path) as stored:
        return stored["validation"], stored["test"]


class Selection(NamedTuple):
    weights: dict[str, float]  # trial id -> share of the rounds that chose it
    places: list[tuple]  # the ensemble's place on validation after each round of selection

    def combine(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        """The ensemble's outputs: its trials' outputs, weighted."""
        return sum(weight * outputs[trial] for trial, weight in self.weights.items())  # type: ignore[return-value]


def select(validation: dict[str, np.ndarray], place: Callable[[np.ndarray], tuple], rounds: int) -> Selection:
    """Greedy selection with replacement over up to `rounds` rounds, each adding the trial whose outputs,
    averaged in, give the best `place` (a key that sorts the best first); a tie goes to the trial listed first
    (the library is listed best first). The ensemble is that of the round that placed best (the earliest, among
    equals), as Caruana et al. keep the best of the nested ensembles."""
    total = np.zeros_like(next(iter(validation.values())), dtype=np.float64)
    counts: dict[str, int] = {}
    rounds_seen: list[tuple[tuple, dict[str, int]]] = []
    for k in range(1, rounds + 1):
        scored = [(place((total + outputs) / k), trial) for trial, outputs in validation.items()]
        best, chosen = min(scored, key=lambda pair: pair[0])  # min keeps the first of equal places
        total += validation[chosen]
        counts[chosen] = counts.get(chosen, 0) + 1
        rounds_seen.append((best, dict(counts)))
    kept = min(rounds_seen, key=lambda seen: seen[0])[1]
    size = sum(kept.values())
    return Selection({trial: count / size for trial, count in kept.items()}, [seen[0] for seen in rounds_seen])


class Ensemble(NamedTuple):
    """The ensemble chosen at a search's end, scored as a trial is."""

    selection: Selection
    validation: dict[str, float]  # its scores on the validation split (validation/accuracy, ...)
    test: dict[str, float]  # and on the test split
    test_predictions: np.ndarray
    beats_best_trial: bool  # on validation, by the ranking's rule: only then is it the best model
    gain: float  # over the best trial, per test sample (paired), with its standard error
    standard_error: float
    objective_value: float  # its validation score on the objective's measure
    best_trial_predictions: np.ndarray  # the best trial's on the test split: what it is compared with
    runs: dict[str, str] = {}  # trial id -> the run its model is logged in, once the caller knows them


def _as_baseline(trial: str, test_outputs: np.ndarray, classes: bool):
    """A trial's test answers as a baseline, for the ensemble's gain over it to be measured as the best model's
    over a baseline is (`baselines.compare`)."""
    from pipelines.baselines import Baseline
    from reports.store.names import TEST_ACCURACY, TEST_MAE

    answers = test_outputs.argmax(axis=1) if classes else test_outputs.reshape(len(test_outputs))
    return Baseline("best_trial", f"trial {trial}", TEST_ACCURACY if classes else TEST_MAE, np.nan, np.nan, answers)


def choose_ensemble(
    library: dict[str, tuple[np.ndarray, np.ndarray]],
    best_trial: str,
    best_validation: dict[str, float],
    y_validation: np.ndarray,
    y_test: np.ndarray,
    classes: bool,
    objective: str,
    rounds: int,
) -> Ensemble | None:
    """The ensemble of the trials in `library` (trial id -> validation and test outputs, best trial first), or
    None when selection keeps one trial alone (then there is no ensemble to speak of). It beats the best trial
    when its place on validation is better than the best trial's, `best_validation` its scores there."""
    from pipelines import evaluation
    from pipelines.baselines import compare
    from reports.store.names import EVIDENCE_LOSSES, TEST, VALIDATION, validation_measure
    from reports.store.objectives import OBJECTIVES, objective_step, standing

    scorer = evaluation.classification_scores if classes else evaluation.regression_scores
    measure, loss = validation_measure(objective, classes), EVIDENCE_LOSSES[not classes]
    direction, step = OBJECTIVES[objective], objective_step(objective, len(y_validation))

    def place(scores: dict[str, float]) -> tuple:
        return standing(scores.get(measure, np.nan), scores.get(loss), 0, direction, step)[:2]

    validation_library = {trial: outputs[0] for trial, outputs in library.items()}
    selection = select(validation_library, lambda out: place(scorer(y_validation, out, VALIDATION)), rounds)
    if len(selection.weights) < 2:
        return None
    validation = scorer(y_validation, selection.combine(validation_library), VALIDATION)
    test_outputs = selection.combine({trial: outputs[1] for trial, outputs in library.items()})
    test = scorer(y_test, test_outputs, TEST)
    ours, theirs = place(validation), place(best_validation)
    theirs_test = library[best_trial][1]
    gain = compare(_as_baseline(best_trial, theirs_test, classes), y_test, test_outputs)
    return Ensemble(
        selection,
        validation,
        test,
        test_outputs,
        ours < theirs,
        gain.gain,
        gain.standard_error,
        validation[measure],
        theirs_test,
    )
