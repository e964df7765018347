"""Every bad experiment file fails with one message naming file, key and fix, and writes nothing to MLflow."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml

import runner
from pipelines.config import load_experiment
from pipelines.errors import ConfigError
from tests.conftest import ROOT, write_experiment


def run_cli(path, capsys) -> tuple[int, str]:
    code = runner.main(["search", str(path)])
    return code, capsys.readouterr().err


def test_valid_file_loads_with_defaults(experiment_file):
    experiment = load_experiment(experiment_file)
    assert experiment.name == "tiny"
    assert experiment.tuner.algorithm == "grid"
    assert experiment.objective == "val_accuracy" and experiment.direction == "max"
    assert experiment.data.test_split == 0.2


def test_name_defaults_to_file_stem(tmp_path):
    path = write_experiment(tmp_path, name="unnamed")
    text = path.read_text().replace("name: unnamed\n", "")
    path.write_text(text)
    assert load_experiment(path).name == "unnamed"


BAD_FILES = {
    "malformed yaml": ("data: {source: digits\nfamily: cnn\n", r"not valid YAML at line \d+, column \d+"),
    "not a mapping": ("- just\n- a list\n", r"must be a mapping of keys"),
    "unknown top-level key": (
        {"epochz": 3},
        r"epochz: unknown key; valid keys here are name, seed, data, family, base_model, builder, search_space, tuner, "
        r"objective, tracking_uri, class_weight, log_trial_models, ensemble, tuner_dir, study, report\.",
    ),
    "unknown nested key": (
        {"tuner": {"algorithm": "random", "trials": 3}},
        r"tuner\.trials: unknown key; valid keys here are algorithm, max_trials",
    ),
    "unknown tuner": (
        {"tuner": {"algorithm": "annealing"}},
        r"tuner\.algorithm: 'annealing' is not valid; use 'random', 'hyperband', 'bayesian' or 'grid'",
    ),
    "unknown family": (
        {"family": "transformer"},
        r"family: 'transformer' is not valid; use one of mlp, cnn, rnn, transfer",
    ),
    "missing data": ({"data": None}, r"data: "),
    "unknown hyperparameter": (
        {"search_space": {"dropuot": 0.2}},
        r"search_space\.dropuot: unknown hyperparameter 'dropuot'; valid names are .*dropout",
    ),
    "range with min > max": (
        {"search_space": {"dropout": {"min": 0.5, "max": 0.1}}},
        r"search_space\.dropout: `min <= max` must hold, but got min=0.5, max=0.1",
    ),
    "unknown choice": (
        {"search_space": {"optimizer": ["adam", "adagrad"]}},
        r"search_space\.optimizer: 'adagrad' is not valid; use one of sgd, rmsprop, adam, adamw, nadam",
    ),
    "value out of bounds": ({"search_space": {"dropout": 1.5}}, r"search_space\.dropout: 1.5 is out of bounds"),
    "log range from zero": (
        {"search_space": {"momentum": {"min": 0.0, "max": 0.9, "sampling": "log"}}},
        r"search_space\.momentum: log sampling needs min > 0",
    ),
    "grid over a float range without step": (
        {"search_space": {"dropout": {"min": 0.0, "max": 0.5}}},
        r"search_space\.dropout: grid search needs a step",
    ),
    "non-positive budget": (
        {"tuner": {"algorithm": "random", "max_trials": 0}},
        r"tuner\.max_trials: .*greater than or equal to 1",
    ),
}


@pytest.mark.parametrize("content, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_fails_before_mlflow(tmp_path, capsys, content, message):
    path = write_experiment(tmp_path)
    if isinstance(content, str):
        path.write_text(content)
    else:
        path = write_experiment(tmp_path, **content)
    code, err = run_cli(path, capsys)
    assert code == 2
    assert str(path) in err
    assert err.count("Traceback") == 0
    with pytest.raises(ConfigError, match=message):
        load_experiment(path)
    assert not (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "tuner").exists()


def test_missing_file_names_it(tmp_path, capsys):
    code, err = run_cli(tmp_path / "nope.yaml", capsys)
    assert code == 2
    assert "nope.yaml: no such experiment file" in err


def test_data_that_does_not_fit_the_family_fails_before_mlflow(tmp_path, capsys):
    path = write_experiment(tmp_path, data={"source": "digits", "layout": "flat"})
    code, err = run_cli(path, capsys)
    assert code == 2
    assert "does not fit family 'cnn'" in err and "samples of shape (64,)" in err
    assert not (tmp_path / "mlflow.db").exists()


STUDY = {"question": "Does adam beat sgd?", "compare": ["optimizer"], "expect_best": ["adam"]}
BAD_STUDIES = {
    "compared hyperparameter not searched": (
        {**STUDY, "compare": ["depth"]},
        r"study\.compare: 'depth' must be searched over a list of values",
    ),
    "tuned hyperparameter not searched": (
        {**STUDY, "tune": ["learning_rate"]},
        r"study\.tune: 'learning_rate' must be searched over a list of values",
    ),
    "expected value not searched": (
        {**STUDY, "expect_best": ["nadam"]},
        r"study\.expect_best: nadam not among the values of optimizer \(adam, sgd\)",
    ),
    "sweep over a key the source lacks": (
        {**STUDY, "sweep": {"length": [10, 20]}},
        r"study\.sweep: 'length' is not a key of data source 'digits'",
    ),
    "unknown study key": ({**STUDY, "seeds": 3}, r"study\.seeds: unknown key; valid keys here are question, compare"),
}


@pytest.mark.parametrize("study, message", BAD_STUDIES.values(), ids=BAD_STUDIES.keys())
def test_bad_study_section_names_key_and_fix(tmp_path, capsys, study, message):
    code, err = run_cli(write_experiment(tmp_path, study=study), capsys)
    assert code == 2
    assert re.search(message, err), err
    assert not (tmp_path / "mlflow.db").exists()


def test_study_command_lists_the_studies_for_an_unknown_name(capsys):
    assert runner.main(["study", "no_such_study"]) == 2
    err = capsys.readouterr().err
    assert "no such study; the studies are:" in err and "gated_cells" in err and "bidirectional" in err


def test_every_mistake_of_a_file_is_listed_at_once(tmp_path, capsys):
    path = write_experiment(
        tmp_path,
        tuner={"algorithm": "random", "trials": 3},
        search_space={"dropuot": 0.2, "optimizer": ["adam", "adagrad"], "dropout": {"min": 0.5, "max": 0.1}},
    )
    code, err = run_cli(path, capsys)
    assert code == 2
    for message in (
        r"tuner\.trials: unknown key",
        r"search_space\.dropuot: unknown hyperparameter",
        r"search_space\.optimizer: 'adagrad' is not valid",
        r"search_space\.dropout: `min <= max`",
    ):
        assert re.search(message, err), (message, err)
    assert not (tmp_path / "mlflow.db").exists()


def test_search_space_mistakes_beside_a_transfer_mistake_are_listed_together(tmp_path):
    path = write_experiment(
        tmp_path, family="mlp", base_model="base.keras", search_space={"units": [7, "many"], "depht": 2}
    )
    with pytest.raises(ConfigError) as error:
        load_experiment(path)
    for message in (
        "base_model: the transfer family",
        "search_space.units: 'many' is not valid",
        "search_space.depht: unknown hyperparameter",
    ):
        assert message in str(error.value), (message, str(error.value))


@pytest.mark.parametrize("text, value", [("1e-4", 1e-4), ("1E-3", 1e-3), ("5e-1", 0.5), ("1.0e-2", 1e-2)])
def test_numbers_in_exponent_form_are_numbers(tmp_path, text, value):
    """YAML 1.1 reads 1e-4 as text; people write it everywhere a learning rate goes."""
    path = write_experiment(tmp_path, tuner={"algorithm": "random", "max_trials": 1, "epochs": 1})
    path.write_text(path.read_text().replace("learning_rate: 0.01", f"learning_rate: {{min: {text}, max: 0.9}}"))
    assert load_experiment(path).search_space["learning_rate"] == {"min": pytest.approx(value), "max": 0.9}


def test_text_that_only_looks_like_a_number_stays_text(tmp_path):
    path = write_experiment(tmp_path, name="e5")
    assert load_experiment(path).name == "e5"


BAD_TUNERS = {
    "bayesian with no trial left for its model": (
        {"algorithm": "bayesian", "max_trials": 6, "initial_points": 6},
        r"tuner\.initial_points: 6 random trials leave none of max_trials 6 for the Gaussian process",
    ),
    "bayesian with one trial": (
        {"algorithm": "bayesian", "max_trials": 1},
        r"tuner\.initial_points: 1 random trials leave none of max_trials 1",
    ),
    "hyperband without shorter rounds": (
        {"algorithm": "hyperband", "epochs": 2, "factor": 3},
        r"tuner\.epochs: hyperband with at most 2 epochs and factor 3 has no "
        r"shorter rounds.*at least factor squared \(9\)",
    ),
    "a hyperband key on random search": (
        {"algorithm": "random", "factor": 4},
        r"tuner\.factor: applies to algorithm: hyperband only",
    ),
    "a bayesian key on grid search": (
        {"algorithm": "grid", "max_trials": 2, "beta": 3.0},
        r"tuner\.beta: applies to algorithm: bayesian only",
    ),
}


@pytest.mark.parametrize("tuner, message", BAD_TUNERS.values(), ids=BAD_TUNERS.keys())
def test_settings_with_which_the_algorithm_cannot_act_are_refused(tmp_path, tuner, message):
    path = write_experiment(tmp_path, tuner={"epochs": 3, "patience": 0, **tuner})
    with pytest.raises(ConfigError, match=message):
        load_experiment(path)


def test_bayesian_optimization_starts_with_at_most_half_of_its_trials_at_random():
    from pipelines.config import TunerConfig

    assert TunerConfig(algorithm="bayesian", max_trials=8).initial_points_for(searched=5) == 4
    assert TunerConfig(algorithm="bayesian", max_trials=40).initial_points_for(searched=5) == 15  # KerasTuner's 3 each
    assert TunerConfig(algorithm="bayesian", max_trials=8, initial_points=2).initial_points_for(searched=5) == 2


def test_a_coarse_objective_is_named_at_the_start():
    from pipelines.setup import objective_resolution

    note = objective_resolution("val_accuracy", 288)
    assert note.startswith("Note: val_accuracy on 288 validation samples moves in steps of 1/288 = 0.0035")
    assert objective_resolution("val_loss", 288) is None
    assert objective_resolution("val_accuracy", 5000) is None


def test_a_bad_file_is_rejected_without_loading_tensorflow(tmp_path):
    """The check costs a second, not a framework start-up: nothing of Keras, KerasTuner or TensorFlow is loaded."""
    path = write_experiment(tmp_path, search_space={"dropuot": 0.2})
    probe = (
        "import sys, runner; code = runner.main(sys.argv[1:]); "
        "print('LOADED', [m for m in ('tensorflow', 'keras', 'keras_tuner', 'mlflow') if m in sys.modules]); "
        "sys.exit(code)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, "search", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2 and "search_space.dropuot: unknown hyperparameter" in proc.stderr, proc.stderr
    assert "LOADED []" in proc.stdout
    assert not (tmp_path / "mlflow.db").exists() and not (tmp_path / "automl.log").exists()


def test_grid_search_varies_only_what_the_file_writes(tmp_path):
    """The family's other searched defaults (sgd's momentum range among them) are held at one value, so a grid over
    one learning rate list needs no step anywhere and is as many trials as the list is long."""
    path = write_experiment(
        tmp_path,
        data={"source": "digits", "layout": "flat"},
        family="mlp",
        search_space={"learning_rate": [0.001, 0.01]},
        tuner={"algorithm": "grid"},
    )
    experiment = load_experiment(path)
    space = experiment.space()
    assert space.searched == ["learning_rate"]
    assert space.describe()["momentum"] == 0.9 and space.describe()["optimizer"] == "adam"
    assert experiment.grid_note() is None


def test_a_grid_over_a_file_that_writes_nothing_is_one_trial_and_says_so(tmp_path):
    path = write_experiment(
        tmp_path,
        data={"source": "digits", "layout": "flat"},
        family="mlp",
        search_space={},
        tuner={"algorithm": "grid"},
    )
    experiment = load_experiment(path)
    assert experiment.space().searched == []
    assert "the grid is one trial" in experiment.grid_note()


@pytest.mark.parametrize(
    "data, objective",
    [
        ({"source": "timeseries", "path": "s.csv", "target": "v"}, "val_mae"),
        ({"source": "diabetes"}, "val_mae"),
        ({"source": "adding"}, "val_mae"),
        ({"source": "csv", "path": "s.csv", "target": "v", "task": "regression"}, "val_mae"),
        ({"source": "csv", "path": "s.csv", "target": "v"}, "val_accuracy"),
        ({"source": "ends"}, "val_accuracy"),
        ({"source": "digits"}, "val_accuracy"),
    ],
)
def test_a_file_without_an_objective_gets_the_one_its_task_needs_and_says_it_chose(tmp_path, data, objective):
    (tmp_path / "s.csv").write_text("v\n" + "".join(f"{i}\n" for i in range(40)))
    path = tmp_path / "minimal.yaml"
    path.write_text(yaml.safe_dump({"data": data, "family": "rnn" if data["source"] in ("adding", "ends") else "mlp"}))
    experiment = load_experiment(path)
    assert experiment.objective == objective and experiment.chosen_for_user == ("objective",)
    assert experiment.tuner.epochs is None  # read from the training split's size when the data is loaded


def test_epochs_left_to_the_data_give_a_small_set_more_epochs_and_patience_a_fifth_of_them():
    from pipelines.defaults import epochs_for

    assert epochs_for(133) == (100, 20)  # sonar's training rows: 5 steps an epoch
    assert epochs_for(1149) == (83, 16)  # the digits: 36 steps an epoch, about 3,000 in all
    assert epochs_for(28032) == (20, 5)  # a large set gets the floor
    sizes = [100, 500, 1000, 5000, 20000]
    assert [epochs_for(n)[0] for n in sizes] == sorted((epochs_for(n)[0] for n in sizes), reverse=True)
