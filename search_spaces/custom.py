"""A model the user writes: a KerasTuner builder function, searched with the runner's tracking and reports.

The function takes KerasTuner's `hp`, and when it takes a second argument the
data's facts (`DataFacts`), and returns a `keras.Model`. A model that comes back
uncompiled is compiled with the catalogue's optimizer hyperparameters and the
task's loss and metrics; one the function compiled keeps its own. The builder
is built once with default values before the search starts (`check_builder`),
so a builder that raises or does not fit the data is refused with its file and
line before anything is written; that build also tells which hyperparameters
it declares, which then become the space the parent run describes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import keras_tuner
import numpy as np

from search_spaces.catalogue import CATALOGUES
from search_spaces.common import fit_in_batches, make_optimizer, value_loss_weight
from search_spaces.space import Choice, Fixed, Hyperparameter, Range, SearchSpace, Spec

OPTIMIZER_KNOBS = ("optimizer", "learning_rate", "momentum", "nesterov", "clipnorm")  # the runner's compile step


class BuilderError(ValueError):
    """The user's builder cannot be used: the message names the file, the function, the line and the reason."""


@dataclasses.dataclass(frozen=True)
class DataFacts:
    """What a builder may want to know of the data."""

    input_shape: tuple[int, ...]  # one sample's shape; () for raw text (a string per sample)
    num_classes: int | None  # None for a regression
    task: str  # "classification" or "regression"
    preprocess: Callable[[], keras.layers.Layer] | None  # a fresh preprocessing layer (standardization, rescaling)
    vocabulary: Sequence[str] | None  # text: the training split's tokens, most frequent first
    target_scale: tuple[float, float] | None = None  # regression: (std, mean) of the training target


def builder_source(function: Callable) -> tuple[str, str]:
    """Where the function is (FILE.py:FUNCTION), and the SHA-256 of its file (of its own source where there is
    no file, as in a notebook): `--resume` refuses a search whose builder changed."""
    source = inspect.getsourcefile(function)
    path = Path(source) if source else None
    if path is not None and path.is_file():
        text = path.read_bytes()
    else:
        try:
            text = inspect.getsource(function).encode()
        except (OSError, TypeError):
            text = function.__code__.co_code
    return f"{path or '?'}:{function.__name__}", hashlib.sha256(text).hexdigest()


def load_builder(path: Path, name: str) -> Callable:
    """The function `name` of the Python file `path`, imported under a name of its own (never as `__main__`)."""
    module_name = f"automl_builder_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise BuilderError(f"{path}: not a Python file that can be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so the worker's unpickling and KerasTuner's copies find it
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise BuilderError(f"{path}: importing it failed{_where(exc, path)}: {type(exc).__name__}: {exc}") from None
    function = getattr(module, name, None)
    if not callable(function):
        raise BuilderError(f"{path}: no function {name!r}; define def {name}(hp): ... returning a keras.Model.")
    return function


def _where(exc: BaseException, path: Path | None) -> str:
    """' at line N' of the innermost frame in the builder's file, or nothing when the error arose elsewhere."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if path is not None and Path(f.filename).resolve() == path.resolve()
    ]
    return f" at line {frames[-1].lineno}" if frames else ""


def _as_catalogue(hp: keras_tuner.HyperParameters) -> tuple[Hyperparameter, ...]:
    """The hyperparameters a build declared, as catalogue entries, so the space describes and types them."""
    kinds = keras_tuner.engine.hyperparameters
    out = []
    spec: Spec
    for declared in hp.space:
        if isinstance(declared, kinds.Fixed):
            spec, kind = Fixed(declared.value), type(declared.value)
        elif isinstance(declared, kinds.Boolean):
            spec, kind = Choice((True, False)), bool
        elif isinstance(declared, kinds.Choice):
            spec, kind = Choice(tuple(declared.values)), type(declared.values[0])
        else:
            kind = int if isinstance(declared, kinds.Int) else float
            step = None if kind is int and declared.step == 1 else declared.step  # 1: an integer range's default
            sampling = "log" if declared.sampling == "log" else "linear"
            spec = Range(declared.min_value, declared.max_value, step=step, sampling=sampling)
        out.append(Hyperparameter(declared.name, kind, spec))
    return tuple(out)


class CustomHyperModel(keras_tuner.HyperModel):
    """The user's builder as a hypermodel: the same `space`, `build` and `fit` the built-in families offer."""

    family = "custom"

    def __init__(self, function: Callable, facts: DataFacts, overrides=None):
        super().__init__(name="custom")
        self.function, self.facts = function, facts
        self.where, self.digest = builder_source(function)
        self.takes_facts = len(inspect.signature(function).parameters) >= 2
        self.optimizer_space = SearchSpace(CATALOGUES["custom"], overrides)  # what the runner's compile step reads
        self.space = self.optimizer_space  # until `check` adds what the builder declares
        self.loss_unit = 1.0  # what a loss of 1 is; a regression the builder compiled has its loss in the units

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        model = self.function(hp, self.facts) if self.takes_facts else self.function(hp)
        if not isinstance(model, keras.Model):
            raise BuilderError(f"{self.where}: returned {type(model).__name__}, not a keras.Model.")
        classes = self.facts.num_classes is not None
        if not getattr(model, "compiled", False):
            model.compile(
                optimizer=make_optimizer(hp, self.optimizer_space),
                loss="sparse_categorical_crossentropy" if classes else "mse",
                metrics=["accuracy"] if classes else ["mae"],
                loss_weights=None if classes else value_loss_weight(self.facts.target_scale),
            )
        elif not classes and self.facts.target_scale is not None:
            self.loss_unit = self.facts.target_scale[0] ** 2
        self.optimizer_space.declare(hp, "batch_size")
        return model

    def fit(self, hp: keras_tuner.HyperParameters, model: keras.Model, x, y=None, *, validation_data=None, **kwargs):
        return fit_in_batches(model, self.optimizer_space.declare(hp, "batch_size"), x, y, validation_data, **kwargs)

    def check(self, x_sample: np.ndarray) -> None:
        """Build with every default and predict two samples: a builder that raises, returns something else or
        does not fit the data is refused here, before the search writes anything. The space becomes the
        hyperparameters this build declared, the optimizer's only where the runner compiles."""
        hp = keras_tuner.HyperParameters()
        try:
            model = self.build(hp)
        except BuilderError:
            raise
        except Exception as exc:
            raise BuilderError(
                f"{self.where}: building with default values failed{_where(exc, self._file)}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        units = 1 if self.facts.num_classes is None else self.facts.num_classes
        try:
            sample = x_sample.astype(str) if x_sample.dtype == object else x_sample
            output = np.asarray(model(sample, training=False))
        except Exception as exc:
            raise BuilderError(
                f"{self.where}: the model does not take this data's samples (shape "
                f"{self.facts.input_shape or 'a string'}): {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:300]}"
            ) from None
        if output.shape != (len(x_sample), units):
            ending = f'Dense({units}, activation="softmax")' if self.facts.num_classes is not None else "Dense(1)"
            task = f"{units} classes" if self.facts.num_classes is not None else "a value per sample"
            raise BuilderError(
                f"{self.where}: the model's output has shape {output.shape[1:]} per sample; this "
                f"data needs {task}: end the model with {ending}."
            )
        compiled_here = any(name in hp.values for name in OPTIMIZER_KNOBS)
        own = tuple(p for p in _as_catalogue(hp) if p.name not in self.optimizer_space.params)
        kept = tuple(p for p in CATALOGUES["custom"] if compiled_here or p.name not in OPTIMIZER_KNOBS)
        self.space = SearchSpace((*own, *kept))
        self.space.specs.update({p.name: self.optimizer_space.specs[p.name] for p in kept})

    @property
    def _file(self) -> Path | None:
        source = inspect.getsourcefile(self.function)
        return Path(source) if source else None
