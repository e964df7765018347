"""Setting a search up, before any MLflow run exists: the defaults the data decides, the hypermodel (a built-in
family or the user's builder, built once so a bad one is refused now), the settings that identify the search,
and the notes the user reads before training starts.

Everything here is checked before the first MLflow call, so bad input leaves nothing behind in the store.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import keras
import yaml
from mlflow.exceptions import MlflowException

from pipelines.config import Experiment
from pipelines.data import Dataset, head
from pipelines.data.core import IMBALANCED_NOTE
from pipelines.defaults import CHOSEN_PARAM, with_data_defaults
from pipelines.errors import ConfigError, DataError
from pipelines.seams import HyperModel
from pipelines.tracking.packaging import load_keras
from reports.store.errors import StoreError
from reports.store.names import DATA_NOTES_PARAM, OBJECTIVE_PARAM, SEARCH_SPACE_PREFIX
from reports.words import say
from search_spaces import FAMILIES, InputShapeError
from search_spaces.custom import BuilderError, CustomHyperModel, DataFacts, load_builder
from search_spaces.starts import fit_starts

RESOLVED_SAMPLES = 1000  # from here on, one sample moves val_accuracy by at most 0.001


def project_name(experiment: Experiment, parent_run_id: str) -> str:
    """The search's KerasTuner folder under tuner_dir: the experiment's name, made safe for a path, and its run."""
    slug = re.sub(r"[^\w.-]+", "-", experiment.name).strip("-") or "experiment"
    return f"{slug}-{parent_run_id[:8]}"


def search_notes(experiment: Experiment, dataset: Dataset, chosen: str | None) -> list[str]:
    """What the user reads before training: what the data changed, what defaults it chose, and advice."""
    notes = [f"Data: {note}." for note in dataset.info.notes]
    return notes + [
        note
        for note in (
            chosen,
            class_weight_advice(experiment, dataset),
            experiment.grid_note(),
            objective_resolution(experiment.objective, dataset.info.sizes["validation"]),
        )
        if note
    ]


def load_base_model(experiment: Experiment) -> keras.Model:
    """The trained model a transfer search starts from, read before any run of this search is created."""
    reference = experiment.base_model
    assert reference is not None, "called for a transfer search, which names its base model"
    try:
        if reference.startswith(("runs:/", "models:/")):
            return load_keras(reference, experiment.tracking_uri)
        return keras.saving.load_model(Path(experiment.source_file).parent / reference)
    except (MlflowException, OSError, ValueError, StoreError) as exc:
        raise DataError(
            f"{experiment.source_file}: base_model: cannot load {reference!r} ({str(exc).splitlines()[0][:200]}). "
            "Give a .keras file (relative to the experiment file), runs:/<run id>/<model name> or "
            "models:/<name>/<version> in the store at tracking_uri."
        ) from None


def _refuse_settings_for_another_task(experiment: Experiment, info) -> None:
    """An objective or class weighting that needs classes, on values, or the other way round."""
    if info.task == "regression" and experiment.objective == "val_accuracy":
        raise DataError(
            f"{experiment.source_file}: objective: val_accuracy needs classes, but {info.name!r} is a "
            "regression task. Use objective: val_mae or val_loss."
        )
    if info.task == "classification" and experiment.objective == "val_mae":
        raise DataError(
            f"{experiment.source_file}: objective: val_mae is for regression, but {info.name!r} has "
            "classes. Use objective: val_accuracy or val_loss."
        )
    if info.task == "regression" and experiment.class_weight == "balanced":
        raise DataError(
            f"{experiment.source_file}: class_weight: balanced weighs classes, but {info.name!r} is a "
            "regression task. Remove it."
        )


def build_hypermodel(experiment: Experiment, dataset: Dataset, build_model=None) -> HyperModel:
    """The experiment's hypermodel for its data: a built-in family, or the user's builder (`build_model`, a
    function given from Python, or the file's `builder`), built once here so a bad one is refused now.

    What the runner reads for it (the builder's place, the sequence length the texts call for, the base model) is
    gathered first; search_spaces then builds it, and fits the starts its trials begin from."""
    info = dataset.info
    _refuse_settings_for_another_task(experiment, info)
    custom = _custom_inputs(experiment, dataset, build_model)  # None for a built-in family
    overrides = dict(experiment.space_overrides)
    if info.text is not None and experiment.family != "custom":
        overrides.setdefault("sequence_length", info.text.default_length())
    base_model = load_base_model(experiment) if experiment.base_model else None
    try:
        if custom is not None:
            location, facts, sample = custom
            function = build_model or load_builder(*location)  # one of the two, checked by _custom_inputs
            builder = CustomHyperModel(function, facts, overrides)
            builder.check(sample)
            return builder
        hypermodel = FAMILIES[experiment.family](
            info.input_shape,
            info.num_classes,
            overrides,
            preprocess=info.preprocess,
            vocabulary=info.vocabulary,
            target_scale=info.target_scale,
            last_value_index=info.last_value_index if info.forecast_change else None,
            bag=(info.text.bag_vocabulary, info.text.idf, info.text.bag_scale) if info.text else None,
            series=experiment.data.source == "timeseries",
            **({"base_model": base_model} if base_model is not None else {}),
        )
    except BuilderError as exc:
        raise ConfigError(f"{experiment.source_file}: builder: {exc}") from None
    except InputShapeError as exc:
        raise DataError(
            f"{experiment.source_file}: data {dataset.info.name!r} does not fit family {experiment.family!r}: {exc} "
            "Choose a family that fits the data, or change data.layout."
        ) from None
    fit_starts(hypermodel, dataset.x_train, dataset.y_train, dataset.x_val, dataset.y_val, dataset.streamed)
    return hypermodel


def _custom_inputs(experiment: Experiment, dataset: Dataset, build_model):
    """For a `family: custom` experiment, what its builder is built from: where the builder is (None when given
    from Python), what it is told of the data, and the two training samples it is built once on; None for a
    built-in family. A custom experiment with no builder, or with two, is a ConfigError."""
    if experiment.family != "custom":
        return None
    location = experiment.builder_location()
    if (build_model is None) == (location is None):
        raise ConfigError(
            f"{experiment.source_file}: family: custom needs one builder: builder: FILE.py:FUNCTION in "
            "the experiment, or from Python run_search(experiment, build_model=fn)"
            + (", not both." if location else ".")
        )
    info = dataset.info
    facts = DataFacts(
        tuple(info.input_shape) if info.vocabulary is None else (),
        info.num_classes,
        info.task,
        info.preprocess,
        info.vocabulary,
        info.target_scale,
    )
    return location, facts, head(dataset.x_train, 2)


def prepare_search(
    experiment: Experiment, dataset: Dataset, build_model=None
) -> tuple[Experiment, Dataset, HyperModel, str | None]:
    """What the chief and every worker derive alike from the file and the data: the experiment with the defaults
    the data decides, the data with its notes, the hypermodel, and the sentence saying what was chosen."""
    experiment, chosen = with_data_defaults(experiment, dataset.info.sizes["train"])
    hypermodel = build_hypermodel(experiment, dataset, build_model)
    return experiment, with_text_cut_note(dataset, hypermodel.space), hypermodel, chosen


def with_text_cut_note(dataset: Dataset, space) -> Dataset:
    """The data's notes plus how many texts a fixed sequence_length cuts, where it cuts any."""
    info = dataset.info
    if info.text is None or "sequence_length" not in space.specs:
        return dataset
    length = space.values_of("sequence_length")
    note = info.text.cut_note(length[0]) if len(length) == 1 else None
    if note is None:
        return dataset
    return dataclasses.replace(dataset, info=dataclasses.replace(info, notes=(*info.notes, note)))


def search_settings(experiment: Experiment, dataset: Dataset, hypermodel: HyperModel) -> dict:
    """What decides which models a search trains: `--resume` refuses to carry on a search if any of it changed,
    and a worker to join one whose experiment differs from its own."""
    info, space = dataset.info, hypermodel.space
    return {
        "family": experiment.family,
        "seed": experiment.seed,
        "class_weight": experiment.class_weight,
        OBJECTIVE_PARAM: experiment.objective,
        **{f"tuner.{k}": v for k, v in experiment.tuner.settings(len(space.searched)).items()},
        **{f"data.{k}": v for k, v in experiment.data.model_dump().items()},
        **{f"data.{k}_size": v for k, v in info.sizes.items()},
        "data.digest": info.digest,
        "data.task": info.task,
        **({DATA_NOTES_PARAM: " | ".join(info.notes)[:6000]} if info.notes else {}),
        **({"base_model": experiment.base_model} if experiment.base_model else {}),
        **({CHOSEN_PARAM: ", ".join(experiment.chosen_for_user)} if experiment.chosen_for_user else {}),
        **(
            {"builder": hypermodel.where, "builder.sha256": hypermodel.digest}
            if isinstance(hypermodel, CustomHyperModel)
            else {}
        ),
        # Only what can take effect: sgd's momentum is left out of a search without sgd, a regularizer's strength
        # out of one without a regularizer.
        **{
            SEARCH_SPACE_PREFIX + name: _one_line(spec)
            for name, spec in space.describe().items()
            if space.reachable(name)
        },
    }


def _one_line(value) -> str:
    """A YAML value on one line, as a user writes it in the file: 0.9, [adam, sgd], {min: 1, max: 3}."""
    return yaml.safe_dump(value, default_flow_style=True, width=10**6).removesuffix("...\n").strip()


def class_weight_advice(experiment: Experiment, dataset: Dataset) -> str | None:
    """Where classes are imbalanced and nothing weighs them, what `class_weight: balanced` would do and cost."""
    if experiment.class_weight == "balanced" or not any(n.startswith(IMBALANCED_NOTE) for n in dataset.info.notes):
        return None
    return f"Advice: {say('missed.advice')}."


def objective_resolution(objective: str, validation_samples: int) -> str | None:
    """A warning when the objective can only move in coarse steps: accuracy on n samples moves by 1/n, so
    trials that differ by less than one sample tie, and a search cannot rank them."""
    if objective != "val_accuracy" or validation_samples >= RESOLVED_SAMPLES:
        return None
    return (
        f"Note: val_accuracy on {validation_samples} validation samples moves in steps of "
        f"1/{validation_samples} = {1 / validation_samples:.4f}; trials within a step of each other tie. "
        "objective: val_loss ranks them more finely."
    )
