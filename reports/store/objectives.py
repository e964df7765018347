"""The objectives a search may rank trials by, and what "better" means for each: a rule both sides apply
(the tuner keeps the best epoch and the best model, the report names the best trial), so it is written once.

Trials tie when their objectives are within its resolution: accuracy on n
validation samples moves in steps of 1/n, and on 91 samples three trials of
one search all scored 0.978 (89 of 91) while their test accuracies were
0.904 to 0.947. A tie is broken on evidence, not on trial order: the lower
validation loss of the kept weights (it still tells how sure the right
answers were), then the fewer parameters (the simpler model).
"""

import math

OBJECTIVES = {"val_accuracy": "max", "val_loss": "min", "val_mae": "min"}  # the objectives and their directions


def improves(value: float, on: float, direction: str) -> bool:
    """Whether `value` is strictly better than `on` for an objective of `direction` ("max" or "min")."""
    return value > on if direction == "max" else value < on


def objective_step(objective: str, validation_size: int, executions: int = 1) -> float | None:
    """The smallest step the objective can take: an accuracy on n validation samples, averaged over k
    executions, moves by 1/(n k); None for a loss or an error, whose values tie only when equal."""
    if not objective.endswith("accuracy") or validation_size <= 0:
        return None
    return 1.0 / (validation_size * max(1, executions))


def standing(score: float, loss: float | None, parameters: float | None, direction: str, step: float | None) -> tuple:
    """A trial's place in the ranking, as a key that sorts the best first: its objective counted in steps (so
    trials within one resolution tie), then its validation loss, then its parameters. A score, loss or count
    that is missing or not finite comes last."""

    def last_if_missing(value) -> float:
        return float(value) if value is not None and math.isfinite(value) else math.inf

    level = last_if_missing(score)
    if math.isfinite(level):
        level = round(level / step) if step else level
        level = -level if direction == "max" else level
    return level, last_if_missing(loss), last_if_missing(parameters)
