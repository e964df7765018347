"""The report's figures drawn for real: their tick labels are readable (apart, plain numbers)."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from reports import figures
from reports.store import OBJECTIVE_METRIC

# The demo's eight trials: learning rates sampled on a log scale over less than a decade, which a linear axis
# with matplotlib's default tick count labels 0.00050, 0.00075, ... close enough to run together.
DEMO_TRIALS = pd.DataFrame({
    "status": ["FINISHED"] * 8,
    "learning_rate": [0.000542, 0.00203, 0.000568, 0.00137, 0.000541, 0.00241, 0.00121, 0.00122],
    "dropout": [0.4, 0.2, 0.3, 0.4, 0.2, 0.4, 0.2, 0.3],
    OBJECTIVE_METRIC: [0.005285, 0.008176, 0.00955, 0.009677, 0.01069, 0.01121, 0.01247, 0.01548],
})
WIDE_TRIALS = DEMO_TRIALS.assign(learning_rate=[1e-5, 3e-5, 1e-4, 2e-4, 5e-4, 1e-3, 3e-3, 1e-2])


def _tick_labels(fig) -> list:
    """The drawn, non-empty tick labels of every axis of `fig`, with their boxes on the canvas."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    labels = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            texts = [t for t in axis.get_ticklabels() if t.get_visible() and t.get_text()]
            labels.append([(t.get_text(), t.get_window_extent(renderer)) for t in texts])
    return labels


@pytest.mark.parametrize("trials", [DEMO_TRIALS, WIDE_TRIALS], ids=["within-a-decade", "over-three-decades"])
@pytest.mark.parametrize("draw", [
    lambda t: figures.pair_figure(t, "learning_rate", "dropout", "val_loss", "min"),
    lambda t: figures.effects_figure(t, ["dropout", "learning_rate"], "val_loss"),
], ids=["pair", "effects"])
def test_hyperparameter_tick_labels_never_overlap_and_read_as_plain_numbers(trials, draw):
    for axis in _tick_labels(draw(trials)):
        for (text_a, box_a), (text_b, box_b) in itertools.combinations(axis, 2):
            assert not box_a.overlaps(box_b), f"tick labels {text_a!r} and {text_b!r} overlap"
        for text, _ in axis:
            assert "$" not in text and "e-" not in text and "0000000" not in text, text  # "$": 10 to a power
