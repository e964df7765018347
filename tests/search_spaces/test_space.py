"""YAML overrides become KerasTuner hyperparameters; conditional ones exist only under their parent."""

from __future__ import annotations

import keras_tuner
import pytest

from search_spaces.space import Choice, Fixed, Hyperparameter, Range, SearchSpace, SearchSpaceError, parse_spec

RATE = Hyperparameter("rate", float, Range(0.0, 0.5), bounds=(0.0, 1.0))
COLOR = Hyperparameter("color", str, Fixed("red"), options=("red", "green", "blue"))
SHADE = Hyperparameter("shade", int, Range(1, 9), when=("color", ("blue",)))


@pytest.mark.parametrize(
    "raw, expected",
    [
        (0.3, Fixed(0.3)),
        (1, Fixed(1.0)),
        ([0.1, 0.2], Choice((0.1, 0.2))),
        ([0.1], Fixed(0.1)),
        ({"min": 0.1, "max": 0.4, "step": 0.1}, Range(0.1, 0.4, 0.1, "linear")),
        ({"min": 0.01, "max": 0.4, "sampling": "log"}, Range(0.01, 0.4, None, "log")),
    ],
)
def test_scalar_list_and_mapping_become_fixed_choice_and_range(raw, expected):
    assert parse_spec(RATE, raw) == expected


@pytest.mark.parametrize(
    "param, raw, message",
    [
        (RATE, "high", r"'high' is not valid; use a float between 0.0 and 1.0"),
        (RATE, True, r"True is not valid"),
        (RATE, [], r"empty list"),
        (RATE, [0.1, 0.1], r"repeats a value"),
        (RATE, {"min": 0.1}, r"needs both min and max"),
        (
            RATE,
            {"min": 0.1, "max": 0.2, "steps": 2},
            r"unknown range key 'steps'; a range takes min, max, step, sampling",
        ),
        (RATE, {"min": 0.1, "max": 0.2, "sampling": "cubic"}, r"sampling 'cubic' is not valid"),
        (RATE, {"min": 0.1, "max": 0.2, "step": -1.0}, r"step must be a positive float"),
        (COLOR, {"min": 1, "max": 2}, r"a range needs a numeric hyperparameter"),
        (COLOR, "purple", r"'purple' is not valid; use one of red, green, blue"),
    ],
)
def test_bad_override_names_the_rule(param, raw, message):
    with pytest.raises(SearchSpaceError, match=message) as info:
        parse_spec(param, raw)
    assert info.value.key == param.name


def test_unknown_name_lists_valid_ones():
    with pytest.raises(SearchSpaceError, match=r"unknown hyperparameter 'colour'; valid names are color, rate, shade"):
        SearchSpace([RATE, COLOR, SHADE], {"colour": "red"})


def test_declare_registers_each_kind_with_keras_tuner():
    space = SearchSpace([RATE, COLOR, SHADE], {"rate": {"min": 0.1, "max": 0.3, "step": 0.1}, "color": ["red", "blue"]})
    hp = keras_tuner.HyperParameters()
    assert space.declare(hp, "rate") == pytest.approx(0.1)
    assert space.declare(hp, "color") == "red"
    assert isinstance(hp._hps["rate"][0], keras_tuner.engine.hyperparameters.Float)
    assert hp._hps["color"][0].values == ["red", "blue"]
    assert space.searched == ["rate", "color", "shade"]


@pytest.mark.parametrize("color, active", [("red", False), ("blue", True)])
def test_conditional_hyperparameter_exists_only_under_its_parent_value(color, active):
    space = SearchSpace([COLOR, SHADE], {"color": ["red", "blue"]})
    hp = keras_tuner.HyperParameters()
    space.declare(hp, "color")
    hp.values["color"] = color
    value = space.declare(hp, "shade")
    assert hp.is_active("shade") is active
    assert (value is not None) is active


def test_unreachable_conditional_range_needs_no_grid_step():
    SearchSpace([COLOR, SHADE, RATE], {"rate": 0.2}).require_steps()
    with pytest.raises(SearchSpaceError, match="grid search needs a step"):
        SearchSpace([COLOR, SHADE, RATE], {"color": "blue", "rate": {"min": 0.0, "max": 0.2}}).require_steps()


def test_describe_round_trips_through_parse():
    overrides = {"rate": {"min": 0.1, "max": 0.3, "step": 0.1}, "color": ["red", "blue"], "shade": 4}
    space = SearchSpace([RATE, COLOR, SHADE], overrides)
    assert SearchSpace([RATE, COLOR, SHADE], space.describe()).specs == space.specs


def test_values_are_kept_as_a_person_types_them():
    """KerasTuner's step arithmetic gives 0.30000000000000004; MLflow filters compare text, so 0.3 must be 0.3."""
    space = SearchSpace([RATE, COLOR, SHADE], {"rate": {"min": 0.1, "max": 0.4, "step": 0.1}, "color": "blue"})
    assert space.as_typed({"rate": 0.1 + 0.2, "color": "blue", "shade": 3}) == {"rate": 0.3, "shade": 3}
    assert str(space.as_typed({"rate": 0.1 + 0.2})["rate"]) == "0.3"
    stepless = SearchSpace([RATE], {"rate": {"min": 3e-4, "max": 3e-3, "sampling": "log"}})
    assert stepless.as_typed({"rate": 0.0022734567})["rate"] == 0.00227
    fine = SearchSpace([RATE], {"rate": {"min": 0.0, "max": 0.1, "step": 0.0025}})
    assert fine.as_typed({"rate": 0.0025 * 3})["rate"] == 0.0075
