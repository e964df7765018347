"""How a family's hyperparameters are declared, overridden from YAML and handed to KerasTuner.

A family lists its hyperparameters once, each with a default search range. An
experiment file overrides any of them with one YAML value: a scalar fixes it, a
list makes it a choice, a mapping makes it a range. Everything a user can get
wrong is checked here, before any model is built, so that a typo costs a second
and not a training run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the catalogue is checked without KerasTuner (and TensorFlow) loaded; only `declare` needs it
    import keras_tuner

RANGE_KEYS = ("min", "max", "step", "sampling")
SAMPLINGS = ("linear", "log", "reverse_log")


class SearchSpaceError(ValueError):
    """A search-space override that cannot work; `key` is the hyperparameter at fault.

    `problems` holds every fault found in one pass (this one first), so a
    file with three mistakes is fixed in one go, not three runs.
    """

    def __init__(self, key: str, message: str, problems: list[SearchSpaceError] | None = None):
        super().__init__(message)
        self.key = key
        self.message = message
        self.problems = problems or [self]


@dataclasses.dataclass(frozen=True)
class Fixed:
    value: Any


@dataclasses.dataclass(frozen=True)
class Choice:
    values: tuple


@dataclasses.dataclass(frozen=True)
class Range:
    min: float
    max: float
    step: float | None = None
    sampling: str = "linear"


Spec = Fixed | Choice | Range


@dataclasses.dataclass(frozen=True)
class Hyperparameter:
    """One knob of a model family.

    `options` lists every value a categorical knob understands, so a misspelt
    choice fails at load time. `bounds` are the legal limits of a numeric knob
    (dropout below 1, a learning rate above 0). `when` makes the knob
    conditional: `("optimizer", ("sgd",))` means it only exists for SGD, so
    the tuner spends no trials on it elsewhere and MLflow does not show it.
    `aliases` let a numeric knob take a word: `frozen_layers: all` is -1.
    """

    name: str
    kind: type
    default: Spec
    options: tuple | None = None
    bounds: tuple[float | None, float | None] = (None, None)
    when: tuple[str, tuple] | None = None
    help: str = ""
    aliases: tuple[tuple[str, Any], ...] = ()
    point: Any = None  # the value when a search holds it fixed; None: a list's first value, a range's lowest

    def with_default(self, default: Spec) -> Hyperparameter:
        return dataclasses.replace(self, default=default)

    def held_value(self) -> Any:
        """The one value a grid search trains this knob with when the file does not write it: KerasTuner's own
        default for an unnamed choice or range (the first value, the lowest), unless the catalogue names a better
        one (a learning rate of 0.001, SGD's momentum 0.9; the family's classic network: one hidden block, no wide
        path, text as a sequence), so a grid compares what it writes on the model a textbook shows."""
        spec = self.default
        if isinstance(spec, Fixed):
            return spec.value
        if self.point is not None:
            return self.point
        return spec.values[0] if isinstance(spec, Choice) else self.kind(spec.min)


def _is_kind(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


def _describe_options(param: Hyperparameter) -> str:
    if param.options is not None:
        return "one of " + ", ".join(str(o) for o in param.options)
    low, high = param.bounds
    limits = f" between {low} and {high}" if low is not None and high is not None else ""
    words = "".join(f" or {word!r}" for word, _ in param.aliases)
    return f"a {param.kind.__name__}{limits}{words}"


def _check_value(param: Hyperparameter, value: Any) -> Any:
    value = dict(param.aliases).get(value, value) if isinstance(value, str) else value
    if param.kind is float and _is_kind(value, float):
        value = float(value)
        if not math.isfinite(value):
            raise SearchSpaceError(param.name, f"{value!r} is not a finite number; use {_describe_options(param)}.")
    if not _is_kind(value, param.kind) or (param.options is not None and value not in param.options):
        raise SearchSpaceError(param.name, f"{value!r} is not valid; use {_describe_options(param)}.")
    low, high = param.bounds
    if (low is not None and value < low) or (high is not None and value > high):
        raise SearchSpaceError(param.name, f"{value!r} is out of bounds; use {_describe_options(param)}.")
    return value


def _parse_range(param: Hyperparameter, raw: Mapping[str, Any]) -> Range:
    unknown = sorted(set(raw) - set(RANGE_KEYS))
    if unknown:
        raise SearchSpaceError(param.name, f"unknown range key {unknown[0]!r}; a range takes {', '.join(RANGE_KEYS)}.")
    if param.kind not in (int, float):
        raise SearchSpaceError(
            param.name, f"a range needs a numeric hyperparameter; give a list instead ({_describe_options(param)})."
        )
    if "min" not in raw or "max" not in raw:
        raise SearchSpaceError(param.name, "a range needs both min and max, e.g. {min: 0.0, max: 0.5}.")
    low, high = _check_value(param, raw["min"]), _check_value(param, raw["max"])
    if low > high:
        raise SearchSpaceError(param.name, f"`min <= max` must hold, but got min={low}, max={high}.")
    sampling = raw.get("sampling", "linear")
    if sampling not in SAMPLINGS:
        raise SearchSpaceError(param.name, f"sampling {sampling!r} is not valid; use one of {', '.join(SAMPLINGS)}.")
    if sampling != "linear" and low <= 0:
        raise SearchSpaceError(param.name, f"{sampling} sampling needs min > 0, but got min={low}.")
    step = raw.get("step")
    if step is not None and (not _is_kind(step, param.kind) or not 0 < step < math.inf):
        raise SearchSpaceError(param.name, f"step must be a positive {param.kind.__name__}, but got {step!r}.")
    return Range(low, high, step, sampling)


def parse_spec(param: Hyperparameter, raw: Any) -> Spec:
    """Turn one YAML value into a spec: scalar = fixed, list = choice, mapping = range."""
    if isinstance(raw, Mapping):
        return _parse_range(param, raw)
    if isinstance(raw, (list, tuple)):
        if not raw:
            raise SearchSpaceError(param.name, "an empty list offers nothing to choose from; give at least one value.")
        values = tuple(_check_value(param, v) for v in raw)
        if len(set(values)) != len(values):
            raise SearchSpaceError(param.name, f"the choice {list(values)} repeats a value.")
        return Fixed(values[0]) if len(values) == 1 else Choice(values)
    return Fixed(_check_value(param, raw))


def _decimals(step: float) -> int:
    """Decimal places a step is written with: 0.1 has 1, 0.05 has 2, 1e-4 has 4, 5 has 0."""
    return max(0, -int(Decimal(repr(float(step))).normalize().as_tuple().exponent))  # finite: an int exponent


class SearchSpace:
    """A family's hyperparameters after the experiment's overrides.

    `declare` registers a hyperparameter with KerasTuner at the moment the
    builder needs it, which is how KerasTuner learns the space; so the builder
    reads as plain model code and the space stays in one table.
    """

    def __init__(self, catalogue: Iterable[Hyperparameter], overrides: Mapping[str, Any] | None = None):
        self.params = {param.name: param for param in catalogue}
        self.specs: dict[str, Spec] = {name: param.default for name, param in self.params.items()}
        problems = []
        for name, raw in (overrides or {}).items():
            try:
                if name not in self.params:
                    raise SearchSpaceError(
                        name, f"unknown hyperparameter {name!r}; valid names are {', '.join(sorted(self.params))}."
                    )
                self.specs[name] = parse_spec(self.params[name], raw)
            except SearchSpaceError as exc:
                problems.append(exc)
        if problems:
            raise SearchSpaceError(problems[0].key, problems[0].message, problems)

    @property
    def searched(self) -> list[str]:
        """Names that vary between trials, in catalogue order."""
        return [name for name, spec in self.specs.items() if not isinstance(spec, Fixed)]

    def as_typed(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The searched ones of a trial's `values`, as a person would type them: a float of a stepped range
        rounded to the step's decimals (0.30000000000000004 is 0.3), of a range without a step to 3
        significant digits (0.0022734 is 0.00227). Choices stay as the file gave them."""
        out = {}
        for name in self.searched:
            value, spec = values.get(name), self.specs[name]
            if isinstance(value, float) and isinstance(spec, Range):
                value = round(value, _decimals(spec.step)) if spec.step else float(f"{value:.3g}")
            if name in values:
                out[name] = value
        return out

    def values_of(self, name: str) -> tuple | None:
        """The values a categorical hyperparameter can take in this space (None for a range)."""
        spec = self.specs[name]
        return (spec.value,) if isinstance(spec, Fixed) else spec.values if isinstance(spec, Choice) else None

    def reachable(self, name: str) -> bool:
        """False for a conditional hyperparameter whose parent never takes an activating value."""
        when = self.params[name].when
        if when is None:
            return True
        parent_values = self.values_of(when[0])
        return self.reachable(when[0]) and (parent_values is None or bool(set(parent_values) & set(when[1])))

    @staticmethod
    def held_for_grid(catalogue: Iterable[Hyperparameter], written: Mapping[str, Any]) -> dict[str, Any]:
        """`written` plus every searched catalogue default it leaves out, held at one value: a grid enumerates
        what the file writes, and nothing the user never chose multiplies it."""
        held = {p.name: p.held_value() for p in catalogue if p.name not in written and not isinstance(p.default, Fixed)}
        return {**written, **held}

    def require_steps(self) -> None:
        """Grid search enumerates values, so every float range needs a step."""
        for name, spec in self.specs.items():
            if not self.reachable(name):
                continue
            if isinstance(spec, Range) and spec.step is None and self.params[name].kind is float:
                raise SearchSpaceError(
                    name, "grid search needs a step for every float range, e.g. {min: 0.0, max: 0.5, step: 0.1}."
                )

    def declare(self, hp: keras_tuner.HyperParameters, name: str) -> Any:
        """Register `name` with KerasTuner and return this trial's value (None when inactive)."""
        param, conditions = self.params[name], []  # type: Hyperparameter, list[tuple[str, tuple]]
        when = param.when
        while when is not None:  # a condition's parent may have one of its own (text: regularizer under encoder)
            conditions.insert(0, when)
            when = self.params[when[0]].when
        with contextlib.ExitStack() as scopes:
            for parent, active_values in conditions:
                scopes.enter_context(hp.conditional_scope(parent, list(active_values)))
            return self._declare(hp, param, self.specs[name])

    @staticmethod
    def _declare(hp: keras_tuner.HyperParameters, param: Hyperparameter, spec: Spec) -> Any:
        if isinstance(spec, Fixed):
            return hp.Fixed(param.name, spec.value)
        if isinstance(spec, Choice) and param.kind is bool:
            return hp.Boolean(param.name)  # KerasTuner's Choice would store [False, True] as 0 and 1
        if isinstance(spec, Choice):
            return hp.Choice(param.name, list(spec.values))
        if param.kind is int:
            return hp.Int(param.name, int(spec.min), int(spec.max), step=spec.step, sampling=spec.sampling)
        return hp.Float(param.name, spec.min, spec.max, step=spec.step, sampling=spec.sampling)

    def describe(self) -> dict[str, Any]:
        """The space as YAML-ready values, the same shapes a user writes."""
        out: dict[str, Any] = {}
        for name, spec in self.specs.items():
            if isinstance(spec, Fixed):
                out[name] = spec.value
            elif isinstance(spec, Choice):
                out[name] = list(spec.values)
            else:
                out[name] = {k: v for k, v in dataclasses.asdict(spec).items() if v is not None}
        return out
