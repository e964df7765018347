"""The report's figures drawn for real: their tick labels are readable (apart, plain numbers)."""

from __future__ import annotations

import itertools
import re

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from reports import figures
from reports.store.names import OBJECTIVE_METRIC

# The demo's eight trials: learning rates sampled on a log scale over less than a decade, which a linear axis
# with matplotlib's default tick count labels 0.00050, 0.00075, ... close enough to run together.
DEMO_TRIALS = pd.DataFrame(
    {
        "status": ["FINISHED"] * 8,
        "learning_rate": [0.000542, 0.00203, 0.000568, 0.00137, 0.000541, 0.00241, 0.00121, 0.00122],
        "dropout": [0.4, 0.2, 0.3, 0.4, 0.2, 0.4, 0.2, 0.3],
        OBJECTIVE_METRIC: [0.005285, 0.008176, 0.00955, 0.009677, 0.01069, 0.01121, 0.01247, 0.01548],
    }
)
WIDE_TRIALS = DEMO_TRIALS.assign(learning_rate=[1e-5, 3e-5, 1e-4, 2e-4, 5e-4, 1e-3, 3e-3, 1e-2])
DECADE_AND_A_HALF_TRIALS = DEMO_TRIALS.assign(learning_rate=[1e-4, 1.5e-4, 2e-4, 3e-4, 5e-4, 7e-4, 1e-3, 3e-3])


def _tick_labels(fig) -> list[list]:
    """Per axis of `fig`, its drawn tick labels inside the axis' range, with their boxes on the canvas."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    labels = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            texts = [
                label
                for tick in axis.get_major_ticks()
                if low <= tick.get_loc() <= high
                for label in (tick.label1, tick.label2)
                if label.get_visible() and label.get_text()
            ]
            labels.append([(text.get_text(), text.get_window_extent(renderer)) for text in texts])
    return labels


@pytest.mark.parametrize(
    "trials",
    [DEMO_TRIALS, DECADE_AND_A_HALF_TRIALS, WIDE_TRIALS],
    ids=["within-a-decade", "a-decade-and-a-half", "three-decades"],
)
@pytest.mark.parametrize(
    "draw",
    [
        lambda t: figures.pair_figure(t, "learning_rate", "dropout", "val_loss", "min"),
        lambda t: figures.effects_figure(t, ["dropout", "learning_rate"], "val_loss"),
        lambda t: figures.pair_figure(t, "learning_rate", "dropout", "val_loss", "min", frozenset({"learning_rate"})),
        lambda t: figures.effects_figure(t, ["dropout", "learning_rate"], "val_loss", frozenset({"learning_rate"})),
    ],
    ids=["pair", "effects", "pair-log-sampled", "effects-log-sampled"],
)
def test_hyperparameter_axes_have_several_plain_tick_labels_that_never_overlap(trials, draw):
    axes = [axis for axis in _tick_labels(draw(trials)) if axis]  # the colour bar's axis has no x labels
    for axis in axes:
        assert len(axis) >= 3, f"only {[text for text, _ in axis]} on an axis"
        for (text_a, box_a), (text_b, box_b) in itertools.combinations(axis, 2):
            assert not box_a.overlaps(box_b), f"tick labels {text_a!r} and {text_b!r} overlap"
        for text, _ in axis:
            # "$": 10 to a power in matplotlib's mathtext; "e": an exponent; "0000000": a binary-float artefact
            assert not re.search(r"\$|e|0000000", text), text


def test_a_log_sampled_range_is_drawn_on_a_log_axis_even_within_a_decade():
    fig = figures.effects_figure(DEMO_TRIALS, ["learning_rate"], "val_loss", frozenset({"learning_rate"}))
    assert fig.axes[0].get_xscale() == "log"
    assert figures.effects_figure(DEMO_TRIALS, ["learning_rate"], "val_loss").axes[0].get_xscale() == "linear"


def test_parallel_coordinates_label_each_axis_with_its_values_and_end_on_the_objective(tmp_path):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    figures.parallel_coordinates(
        ax,
        DEMO_TRIALS.assign(optimizer=["adam", "sgd"] * 4),
        ["learning_rate", "dropout", "optimizer"],
        "val_loss",
        frozenset({"learning_rate"}),
    )
    assert [t.get_text() for t in ax.get_xticklabels()] == ["learning_rate", "dropout", "optimizer", "val_loss"]
    written = {a.get_text() for a in ax.texts}
    expected = {figures.plain_number(v) for v in (0.000541, 0.00241, 0.2, 0.4, 0.005285, 0.01548)} | {"adam", "sgd"}
    assert expected <= written, written
    assert "low" not in written and "high" not in written


def test_the_best_trial_s_curve_is_named_among_all_trials_validation_loss():
    trials = DEMO_TRIALS.assign(trial_id=[str(i) for i in range(8)], **{"test/accuracy": [0.9] * 8})
    curves = {str(i): [(0, 1.0), (1, 0.5 + i / 100)] for i in range(8)}
    fig = figures.overview_figure(trials, ["learning_rate", "dropout"], "val_loss", "min", "test/accuracy", curves)
    panel = next(ax for ax in fig.axes if ax.get_title().startswith("Validation loss of all"))
    assert [t.get_text() for t in panel.get_legend().get_texts()] == ["best trial (0)"]  # lowest val_loss: trial 0
    assert [line.get_xdata()[0] for line in panel.lines][:1] == [1]  # epochs from 1
