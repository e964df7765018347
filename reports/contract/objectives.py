"""The objectives a search may rank trials by, and what "better" means for each: a rule both sides apply
(the tuner keeps the best epoch, the report names the best trial), so it is written once."""

OBJECTIVES = {"val_accuracy": "max", "val_loss": "min", "val_mae": "min"}  # the objectives and their directions


def improves(value: float, on: float, direction: str) -> bool:
    """Whether `value` is strictly better than `on` for an objective of `direction` ("max" or "min")."""
    return value > on if direction == "max" else value < on
