"""The experiment file: its schema, and errors that name the file, the key and the fix.

Everything that can be checked without training is checked here, including
the search-space overrides against the family's catalogue, so a bad file
fails in a second and leaves nothing behind in MLflow.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from pipelines.algorithms import ALGORITHMS, only_for
from pipelines.data.sources import SOURCE_MODELS, DataConfig, StrictModel, data_paths
from pipelines.defaults import PRUNING_DEFAULT, objective_for
from pipelines.errors import ConfigError, DataError
from pipelines.time_budget import seconds_of
from reports.store.names import TEST_ACCURACY
from reports.store.objectives import OBJECTIVES
from reports.words import LANGUAGES
from search_spaces.catalogue import CATALOGUES, full_catalogue
from search_spaces.space import SearchSpace, SearchSpaceError

DEFAULT_MAX_TRIALS = 10


class TunerConfig(StrictModel):
    algorithm: str = Field("random", description="one of pipelines/algorithms.py: random, hyperband, bayesian, grid")
    max_trials: int | None = Field(
        None,
        ge=1,
        description="trials to run (hyperband: upper bound on models trained); default 10, or no bound under "
        "a time_budget",
    )
    time_budget: float | None = Field(
        None,
        description="start trials until this much time is spent training (seconds, or 90s, 30m, 2h; "
        "pipelines/time_budget.py); max_trials then bounds it only when written",
    )
    epochs: int | None = Field(
        None,
        ge=1,
        description="epochs per trial (hyperband: the most any model gets); "
        "default: from the training split's size (pipelines/defaults.py)",
    )
    patience: int | None = Field(
        None,
        ge=0,
        description="stop a trial after this many epochs without a lower "
        "val_loss; 0 never; default: a fifth of the epochs, at least 5",
    )
    executions_per_trial: int = Field(1, ge=1, description="models trained per trial, their scores averaged")
    max_retries: int = Field(
        1,
        ge=0,
        description="how often a trial whose process died (killed, out of memory) "
        "is run again on --resume before it is recorded as failed",
    )
    initial_points: int | None = Field(
        None,
        ge=1,
        description="bayesian: random trials before the Gaussian process "
        "proposes; default 3 per searched hyperparameter, at most half of max_trials",
    )
    alpha: float = Field(1e-4, gt=0, description="bayesian: the noise the Gaussian process assumes in the scores")
    beta: float = Field(2.6, ge=0, description="bayesian: exploration; larger tries less known regions more often")
    factor: int = Field(
        3, ge=2, description="hyperband: each round keeps 1/factor of the models and trains them factor times longer"
    )
    iterations: int = Field(1, ge=1, description="hyperband: how many times the whole schedule of rounds runs")
    pruning: Literal["none", "median", "successive_halving"] = Field(
        PRUNING_DEFAULT,
        description="stop a trial that is losing (pipelines/pruning.py): median: its best so far "
        "is worse than the median of complete trials at that epoch; successive_halving: not in the best third of "
        "the trials that reached a rung epoch (warmup, x3, x9, ...); not for hyperband, which prunes by design",
    )
    pruning_warmup_epochs: int | None = Field(
        None,
        ge=1,
        description="epochs every trial trains before it is "
        "judged (successive_halving: the first rung); default: a tenth of "
        "the epochs, at least 2",
    )
    pruning_startup_trials: int = Field(
        3, ge=1, description="other trials that must have reached an epoch before a trial is judged there"
    )

    @field_validator("time_budget", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None:
            return None
        try:
            return seconds_of(value)
        except ValueError as exc:
            raise PydanticCustomError("duration", str(exc)) from None

    @model_validator(mode="after")
    def _trials_bounded_without_a_budget(self) -> TunerConfig:
        """Ten trials when neither bound is written; under a time budget alone, no count of trials."""
        if self.max_trials is None and self.time_budget is None:
            object.__setattr__(self, "max_trials", DEFAULT_MAX_TRIALS)  # not in model_fields_set: not written
        return self

    @field_validator("algorithm")
    @classmethod
    def _known_algorithm(cls, name: str) -> str:
        if name not in ALGORITHMS:
            *first, last = [repr(n) for n in ALGORITHMS]
            raise PydanticCustomError(
                "literal_error", "Input should be {expected}", {"expected": f"{', '.join(first)} or {last}"}
            )
        return name

    def settings(self, searched: int) -> dict[str, Any]:
        """The settings that act on this algorithm, as they act (the defaults the data chose filled in): what the
        parent run logs as tuner.*, so it describes the search that ran, not every knob of every algorithm."""
        values = {
            k: v
            for k, v in self.model_dump().items()
            if only_for(k) in (None, self.algorithm) and not k.startswith("pruning")
        }
        values.update(ALGORITHMS[self.algorithm].resolved(self, searched))
        values["pruning"] = self.pruning
        if self.pruning != "none":
            values.update(
                pruning_warmup_epochs=self.warmup_epochs(), pruning_startup_trials=self.pruning_startup_trials
            )
        return values

    def warmup_epochs(self) -> int:
        if self.pruning_warmup_epochs is not None:
            return self.pruning_warmup_epochs
        return max(2, (self.epochs or 0) // 10)

    def initial_points_for(self, searched: int) -> int:
        """Bayesian optimization's random start: KerasTuner's default is 3 per searched hyperparameter, which
        with a usual budget leaves no trial to the Gaussian process; here at most half of the trials are random."""
        if self.initial_points is not None:
            return self.initial_points
        proposed = 3 * max(searched, 1)
        return proposed if self.max_trials is None else max(1, min(proposed, self.max_trials // 2))


class StudyConfig(StrictModel):
    """What a study asks and what the textbook expects, so its report can say whether the runs agree."""

    question: str = Field(min_length=1, description="the question the report's first page answers")
    compare: list[str] = Field(min_length=1, max_length=2, description="one or two searched hyperparameters")
    detail: list[str] = Field(
        default_factory=list,
        description="searched hyperparameters named beside compare[0] where active (optimizer 'sgd (momentum 0.9)')",
    )
    metrics: list[str] = Field(
        [TEST_ACCURACY],
        min_length=1,
        description="child-run metrics (see the README's table of names); the first decides",
    )
    tune: list[str] = Field(
        default_factory=list,
        description="searched hyperparameters each compared setting is given at its best, chosen on the validation "
        "objective (learning_rate: each optimizer at its own best rate)",
    )
    expect_best: list[str] = Field(default_factory=list, description="values of compare[0] expected to do best")
    expectation: str = Field("", description="the expected outcome, in words")
    baseline: float | None = Field(None, description="a reference value of the first metric, e.g. predict-the-mean")
    baseline_label: str = "baseline"
    sweep: dict[str, list[Any]] | None = Field(
        None, description="one data key and its values: one search per value (e.g. {length: [25, 50]})"
    )
    prepare: str | None = Field(
        None,
        description="an experiment file run first when the model it registers is "
        "missing, e.g. the base model of a transfer study (relative to this file)",
    )


class EnsembleConfig(StrictModel):
    size: int = Field(
        5,
        ge=2,
        description="rounds of greedy selection with replacement over the finished trials (pipelines/ensemble.py)",
    )


class ReportConfig(StrictModel):
    language: Literal[LANGUAGES] = Field(  # type: ignore[valid-type]
        "en", description="the PDF report's language: en, or zh (Simplified Chinese); numbers and names unchanged"
    )


class Experiment(StrictModel):
    name: str = Field(min_length=1, description="MLflow experiment name; defaults to the file name")
    seed: int = 42
    data: DataConfig
    family: str
    base_model: str | None = Field(
        None, description="transfer only: a .keras file, runs:/<id>/<name> or models:/<name>/<version>"
    )
    builder: str | None = Field(
        None,
        description="custom only: FILE.py:FUNCTION, a KerasTuner builder (relative to "
        "this file); from Python, run_search(..., build_model=fn) instead",
    )
    search_space: dict[str, Any] = Field(default_factory=dict)
    tuner: TunerConfig = TunerConfig()
    objective: Literal["val_accuracy", "val_loss", "val_mae"] = Field(
        "val_accuracy", description="default: val_mae for values, val_accuracy for classes"
    )
    tracking_uri: str = "sqlite:///mlflow.db"
    class_weight: Literal["none", "balanced"] = Field(
        "none", description="balanced: every class weighs the same in the loss, however many rows it has"
    )
    log_trial_models: bool = Field(
        True,
        description="log every trial's model to MLflow (the best one always is); "
        "off saves disk on long searches of large models",
    )
    ensemble: EnsembleConfig | None = Field(
        EnsembleConfig(),
        description="an ensemble of the best trials, the best model when it beats the best trial on validation; "
        "none: no ensemble",
    )
    tuner_dir: str = Field(".keras_tuner", description="where KerasTuner keeps trial state and checkpoints")
    study: StudyConfig | None = None
    report: ReportConfig = ReportConfig()
    source_file: str = Field("", exclude=True)
    chosen_for_user: tuple[str, ...] = Field((), exclude=True)  # settings the file left out and the data decided

    @field_validator("ensemble", mode="before")
    @classmethod
    def _no_ensemble(cls, value: Any) -> Any:
        return None if value == "none" else value

    @model_validator(mode="before")
    @classmethod
    def _objective_for_the_task(cls, raw: Any) -> Any:
        """A file without an objective gets the one its task needs (pipelines/defaults.py)."""
        if isinstance(raw, dict) and "objective" not in raw:
            raw = {**raw, "objective": objective_for(raw.get("data")), "chosen_for_user": ("objective",)}
        return raw

    @property
    def direction(self) -> str:
        return OBJECTIVES[self.objective]

    @property
    def space_overrides(self) -> dict[str, Any]:
        """search_space as the file writes it; for grid search, with every default the file leaves searched held
        at one value (see SearchSpace.held_for_grid)."""
        if self.tuner.algorithm != "grid" or self.family not in CATALOGUES:
            return self.search_space
        return SearchSpace.held_for_grid(catalogue_for(self.family, self.data.source), self.search_space)

    def grid_note(self) -> str | None:
        """A grid over a file that writes no list or range is one trial; said, since a user may expect a search."""
        if self.tuner.algorithm != "grid" or self.space().searched:
            return None
        return (
            "Note: grid search varies only the lists and ranges search_space writes, and this file writes none: "
            "the grid is one trial. Write the values to try, e.g. learning_rate: [0.001, 0.01]."
        )

    def builder_location(self) -> tuple[Path, str] | None:
        """The builder's file (relative paths from the experiment file's folder) and function name, or None."""
        if self.builder is None:
            return None
        file, _, function = self.builder.rpartition(":")
        return Path(self.source_file).parent / file, function

    def space(self) -> SearchSpace:
        """The family's catalogue with this file's search_space overrides applied."""
        return SearchSpace(catalogue_for(self.family, self.data.source), self.space_overrides)


def _section(loc: tuple) -> tuple[type[BaseModel], tuple]:
    """The schema `loc` points into, and `loc` without pydantic's union tag (data.csv.path -> data.path)."""
    model: type[BaseModel] = Experiment
    if len(loc) > 1 and loc[0] == "data" and loc[1] in SOURCE_MODELS:
        return SOURCE_MODELS[loc[1]], ("data", *loc[2:])
    for part in loc[:-1]:
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        # An optional section (`StudyConfig | None`) is looked into like a required one.
        candidates = [
            a for a in (annotation, *get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if not candidates:
            break
        model = candidates[0]
    return model, loc


def _explain(error: Mapping[str, Any]) -> str:
    model, loc = _section(tuple(error["loc"]))
    key = ".".join(str(p) for p in loc) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        valid = [name for name, field in model.model_fields.items() if not field.exclude]  # not the internal ones
        return f"{key}: unknown key; valid keys here are {', '.join(valid)}."
    if kind == "union_tag_invalid":
        return f"{key}.source: {error['ctx']['tag']!r} is not valid; use one of {', '.join(SOURCE_MODELS)}."
    if kind == "union_tag_not_found":
        return f"{key}.source: required key is missing; use one of {', '.join(SOURCE_MODELS)}."
    if kind == "missing":
        return f"{key}: required key is missing."
    if kind == "literal_error":
        return f"{key}: {error['input']!r} is not valid; use {error['ctx']['expected']}."
    return f"{key}: {error['msg']} (got {error['input']!r})."


class _NumberLoader(yaml.SafeLoader):
    """YAML 1.1 as PyYAML reads it, except that `1e-4`, `1E-3` and `5e2` are numbers, as people write them.

    PyYAML's float pattern wants a dot and a signed exponent (`1.0e-4`), so it
    reads `1e-4` as the string '1e-4' and a learning-rate range fails.
    """


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    """A mapping whose keys are each written once: PyYAML keeps the last of a repeated key without a word, so a
    setting written twice would silently lose one of its values."""
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the key {key!r} is written twice (lines {seen[key] + 1} and "
                f"{key_node.start_mark.line + 1}); keep one",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node)


_NumberLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)
_NumberLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _read_yaml(path: Path) -> dict:
    if path.is_dir():
        raise ConfigError(
            f"{path}: is a folder, not an experiment file. Give the path of a YAML file in it, e.g. "
            f"{path / 'experiment.yaml'}."
        )
    if not path.is_file():
        raise ConfigError(
            f"{path}: no such experiment file. Give the path of a YAML file, e.g. experiments/digits_cnn.yaml."
        )
    try:
        raw = yaml.load(path.read_bytes().decode("utf-8"), Loader=_NumberLoader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#x} at line {line}). Save the file as UTF-8."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{path}: not valid YAML{where}: {problem}. Check the indentation and quoting there."
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: an experiment file must be a mapping of keys (data, family, search_space, tuner, ...)."
        )
    return raw


DICT_SOURCE = "(dict)"  # an experiment given as a mapping: where messages and the parent's tag name its source


def _family_problems(experiment: Experiment) -> list[str]:
    """A family there is no catalogue of, and a base model without the transfer family or the other way round."""
    problems = []
    if experiment.family not in CATALOGUES:
        problems.append(f"family: {experiment.family!r} is not valid; use one of {', '.join(CATALOGUES)}.")
    if (experiment.family == "transfer") != (experiment.base_model is not None):
        fix = (
            "add base_model: a .keras file, runs:/<run id>/<model name> or models:/<name>/<version>"
            if experiment.family == "transfer"
            else "remove it, or use family: transfer"
        )
        problems.append(f"base_model: the transfer family needs a base model and no other family takes one; {fix}.")
    return problems


def load_experiment(source: str | Path | Mapping[str, Any], base_dir: str | Path = ".") -> Experiment:
    """Read and validate an experiment file, or a mapping of the same keys (its relative data paths read from
    `base_dir`); raise ConfigError listing every problem found, not just the first."""
    if isinstance(source, Mapping):
        raw = dict(source)
        if "name" not in raw:
            raise ConfigError(f"{DICT_SOURCE}: name: required key is missing (a file's name defaults to its own).")
        path = Path(base_dir) / DICT_SOURCE
    else:
        path = Path(source)
        raw = _read_yaml(path)
        raw.setdefault("name", path.stem)
    try:
        experiment = Experiment(**raw, source_file=str(path))
    except ValidationError as exc:
        problems = [_explain(e) for e in exc.errors()]
        if raw.get("family") in CATALOGUES and isinstance(raw.get("search_space"), dict):
            problems += _space_problems(raw["family"], raw["search_space"], raw.get("data"), grid=False)
        raise ConfigError(f"{path}: invalid experiment file:\n  " + "\n  ".join(problems)) from None
    problems = _family_problems(experiment) + _builder_problems(experiment)
    if experiment.family in CATALOGUES:
        space_problems = _space_problems(
            experiment.family,
            experiment.space_overrides,
            experiment.data.model_dump(),
            grid=experiment.tuner.algorithm == "grid",
        )
        problems += space_problems
        if not space_problems:
            problems += _tuner_problems(experiment, experiment.space())
        if experiment.study and not space_problems:
            problems += _study_problems(experiment)
    try:
        data_paths(experiment.data, path.parent)
    except DataError as exc:
        problems.append(str(exc))
    if len(problems) == 1:
        raise ConfigError(f"{path}: {problems[0]}")
    if problems:
        raise ConfigError(f"{path}: invalid experiment file:\n  " + "\n  ".join(problems))
    return experiment


def with_time_budget(experiment: Experiment, budget: str) -> Experiment:
    """The experiment under the command line's `--time-budget`, which wins over the file's; max_trials then
    bounds the search only when the file writes it."""
    try:
        seconds = seconds_of(budget)
    except ValueError as exc:
        raise ConfigError(f"--time-budget: {exc}.") from None
    tuner = experiment.tuner
    bound = tuner.max_trials if "max_trials" in tuner.model_fields_set else None
    return experiment.model_copy(
        update={"tuner": tuner.model_copy(update={"time_budget": seconds, "max_trials": bound})}
    )


def _builder_problems(experiment: Experiment) -> list[str]:
    """A builder named where it cannot act, or one whose file or function is not there; read, not imported, so
    the check needs no TensorFlow (importing the builder, and building it once, come before the search)."""
    if experiment.family != "custom":
        return (
            ["builder: only family: custom takes a builder; remove it, or use family: custom."]
            if experiment.builder is not None
            else []
        )
    if experiment.builder is None:
        return []  # given from Python (run_search(..., build_model=fn)), or refused there
    if not re.fullmatch(r".+\.py:[A-Za-z_]\w*", experiment.builder):
        return [f"builder: {experiment.builder!r} is not FILE.py:FUNCTION; e.g. builder: model.py:build_model."]
    location = experiment.builder_location()
    assert location is not None, "the file names a builder"
    path, function = location
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except OSError as exc:
        return [f"builder: {path} cannot be read ({exc.strerror}); the path is relative to the experiment file."]
    except (SyntaxError, ValueError) as exc:
        line, why = getattr(exc, "lineno", "?"), getattr(exc, "msg", exc)
        return [f"builder: {path} is not valid Python (line {line}: {why})."]
    defined = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if function not in defined:
        return [
            f"builder: {path} defines no function {function!r} at its top level"
            + (f" (it defines {', '.join(defined)})" if defined else "")
            + "."
        ]
    return []


def catalogue_for(family: str, source: str | None):
    """The family's hyperparameters for the data source's kind of data (text, a series, anything else)."""
    return full_catalogue(family, text=source == "text", series=source == "timeseries")


def _space_problems(family: str, overrides: dict, data: dict | None, grid: bool) -> list[str]:
    """Every search_space key at fault, each with its fix."""
    try:
        source = data.get("source") if isinstance(data, dict) else None
        space = SearchSpace(catalogue_for(family, source), overrides)
        if grid:
            space.require_steps()
    except SearchSpaceError as exc:
        return [f"search_space.{e.key}: {e.message}" for e in exc.problems]
    return []


def _tuner_problems(experiment: Experiment, space: SearchSpace) -> list[str]:
    """Settings with which the named algorithm cannot act, refused with the numbers before anything runs."""
    tuner = experiment.tuner
    algorithm = ALGORITHMS[tuner.algorithm]
    problems = [
        f"tuner.{key}: applies to algorithm: {owner} only; remove it, or use algorithm: {owner}."
        for key in sorted(tuner.model_fields_set, key=list(TunerConfig.model_fields).index)
        if (owner := only_for(key)) not in (None, tuner.algorithm)
    ]
    problems += algorithm.problems(tuner, len(space.searched))
    problems += [
        f"tuner.{key}: applies with pruning (median or successive_halving); remove it, or set tuner.pruning."
        for key in ("pruning_warmup_epochs", "pruning_startup_trials")
        if key in tuner.model_fields_set and tuner.pruning == "none"
    ]
    if tuner.pruning != "none" and algorithm.prunes_itself:
        others = [name for name, a in ALGORITHMS.items() if not a.prunes_itself]
        problems.append(
            f"tuner.pruning: {tuner.algorithm} stops losing models by design (its rounds); pruning: "
            f"{tuner.pruning} applies to {', '.join(others[:-1])} and {others[-1]} search. Remove it, or "
            "use algorithm: random."
        )
    if tuner.pruning != "none" and tuner.executions_per_trial > 1:
        problems.append(
            f"tuner.pruning: a trial is judged by its one learning curve, and executions_per_trial "
            f"{tuner.executions_per_trial} trains several; set pruning: none, or executions_per_trial: 1."
        )
    return problems


def _study_problems(experiment: Experiment) -> list[str]:
    study = experiment.study
    assert study is not None, "checked only for a file with a study section"
    problems = [
        f"study.{key}: {name!r} must be searched over a list of values in search_space (e.g. {name}: [a, b])."
        for key in ("compare", "detail", "tune")
        for name in getattr(study, key)
        if not isinstance(experiment.search_space.get(name), list)
    ]
    if problems:
        return problems
    values = {str(v) for v in experiment.search_space[study.compare[0]]}
    unknown = [v for v in study.expect_best if str(v) not in values]
    if unknown:
        problems.append(
            f"study.expect_best: {', '.join(map(str, unknown))} not among the values of "
            f"{study.compare[0]} ({', '.join(sorted(values))})."
        )
    if study.sweep and len(study.sweep) != 1:
        problems.append("study.sweep: give exactly one data key, e.g. sweep: {length: [25, 50]}.")
    elif study.sweep:
        key = next(iter(study.sweep))
        if key not in type(experiment.data).model_fields:
            problems.append(
                f"study.sweep: {key!r} is not a key of data source {experiment.data.source!r}; "
                f"valid: {', '.join(type(experiment.data).model_fields)}."
            )
    return problems
