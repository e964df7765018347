"""`family: custom`: a user's KerasTuner builder, from the experiment file and from Python, searched for real;
builders that cannot be used are refused with the file, the function, the line and the reason, before MLflow."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from mlflow.tracking import MlflowClient

import runner
from tests.conftest import ROOT, searched, write_experiment
from tests.processes import runs, search, wait_until_training

DIGITS = {"source": "digits", "layout": "flat"}
BUILDER = """
import keras


def build_model(hp, facts):
    inputs = keras.Input(facts.input_shape)
    x = facts.preprocess()(inputs)
    x = keras.layers.Dense(hp.Choice("units", [8, 16]), activation="relu")(x)
    x = keras.layers.Dropout(hp.Float("drop", 0.0, 0.2, step=0.1))(x)
    return keras.Model(inputs, keras.layers.Dense(facts.num_classes, activation="softmax")(x))
"""


RUNNER_KNOBS = {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 64}


def _custom(
    tmp_path,
    source: str = BUILDER,
    name: str = "custom",
    builder: str = "model.py:build_model",
    space: dict = RUNNER_KNOBS,
    **tuner,
):
    (tmp_path / "model.py").write_text(textwrap.dedent(source))
    return write_experiment(
        tmp_path,
        name=name,
        data=DIGITS,
        family="custom",
        builder=builder,
        search_space=space,
        tuner={"algorithm": "random", "max_trials": 2, "epochs": 2, "patience": 0, **tuner},
    )


def test_a_builder_from_the_experiment_file_is_searched_tracked_and_reported(tmp_path):
    path = _custom(tmp_path)
    assert runner.main(["search", str(path)]) == 0
    parents, children = runs(tmp_path, "custom")
    params = parents[0].data.params
    assert params["search_space.units"] == "[8, 16]" and params["builder"].endswith("model.py:build_model")
    assert len(params["builder.sha256"]) == 64
    assert "search_space.momentum" not in params  # adam: sgd's momentum never acts
    assert sorted(c.info.status for c in children) == ["FINISHED", "FINISHED"]
    assert all({"units", "drop"} <= set(c.data.params) for c in children)  # what the builder declared
    assert next((tmp_path / "tuner").glob("*/report.pdf")).stat().st_size > 10_000


def test_a_builder_that_compiles_its_model_keeps_its_optimizer_and_the_space_says_so(tmp_path):
    compiled = BUILDER.replace(
        '    return keras.Model(inputs, keras.layers.Dense(facts.num_classes, activation="softmax")(x))',
        "    model = keras.Model(inputs, keras.layers.Dense(facts.num_classes, "
        'activation="softmax")(x))\n'
        '    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy", '
        'metrics=["accuracy"])\n    return model',
    )
    assert "model.compile" in compiled
    path = _custom(tmp_path, compiled, space={"batch_size": 64})
    assert runner.main(["search", str(path)]) == 0
    parents, children = runs(tmp_path, "custom")
    assert not any(k in parents[0].data.params for k in ("search_space.optimizer", "search_space.learning_rate"))
    assert all("optimizer" not in c.data.params and "units" in c.data.params for c in children)


BAD = [
    (
        "def build_model(hp):\n    raise ValueError('no such layer')\n",
        "model.py:build_model",
        r"building with default values failed at line 2: ValueError: no such layer",
    ),
    ("def build_model(hp):\n    return 3\n", "model.py:build_model", r"returned int, not a keras\.Model"),
    (
        BUILDER.replace("facts.num_classes", "3"),
        "model.py:build_model",
        r"output has shape \(3,\) per sample; this data needs 10 classes",
    ),
    (
        BUILDER.replace("keras.Input(facts.input_shape)", "keras.Input((5,))"),
        "model.py:build_model",
        r"does not take this data's samples \(shape \(64,\)\)",
    ),
    (BUILDER, "model.py:make", r"defines no function 'make' at its top level \(it defines build_model\)"),
    ("def build_model(hp)\n", "model.py:build_model", r"model\.py is not valid Python \(line 1"),
    (BUILDER, "missing.py:build_model", r"missing\.py cannot be read"),
    (BUILDER, "model.py", r"'model\.py' is not FILE\.py:FUNCTION"),
    (
        "import no_such_module\n" + BUILDER,
        "model.py:build_model",
        r"importing it failed at line 1: ModuleNotFoundError",
    ),
]


@pytest.mark.parametrize(
    "source, builder, message",
    BAD,
    ids=[
        "raises",
        "not-a-model",
        "wrong-output",
        "wrong-input",
        "no-function",
        "syntax",
        "no-file",
        "no-function-name",
        "import-fails",
    ],
)
def test_a_builder_that_cannot_be_used_is_refused_with_where_and_why_and_nothing_is_written(
    tmp_path, capsys, source, builder, message
):
    path = _custom(tmp_path, source, builder=builder)
    assert runner.main(["search", str(path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "builder:" in err and str(path) in err, err
    assert __import__("re").search(message, err), err
    assert "Traceback" not in err
    assert runs(tmp_path, "custom") == ([], [])  # no experiment, no run


def test_a_builder_is_only_for_family_custom(tmp_path, capsys):
    path = write_experiment(tmp_path, builder="model.py:build_model")
    assert runner.main(["search", str(path)]) == 2
    assert "builder: only family: custom takes a builder" in capsys.readouterr().err


def test_a_plain_script_without_a_main_guard_searches_its_own_builder(tmp_path):
    """The README's way from Python: a function in the script itself, no `if __name__ == "__main__":`."""
    script = tmp_path / "search.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pipelines.api import load_experiment, run_search
        {textwrap.indent(BUILDER, "        ").strip()}
        experiment = load_experiment({{"name": "scripted", "data": {DIGITS!r}, "family": "custom",
                                      "tracking_uri": "sqlite:///mlflow.db", "search_space": {{"batch_size": 64}},
                                      "tuner": {{"max_trials": 2, "epochs": 2}}}})
        result = run_search(experiment, build_model=build_model)
        print("best", result.best_trial_id, sorted(result.trials["status"]))
    """)
    )
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "best " in done.stdout and "['FINISHED', 'FINISHED']" in done.stdout.replace("'PRUNED'", "'FINISHED'")
    assert "not written" not in done.stdout and "could not be fitted" not in done.stdout
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    runs = client.search_runs([client.get_experiment_by_name("scripted").experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    assert parent.data.params["builder"].endswith("search.py:build_model")
    assert all({"units", "drop"} <= set(r.data.params) for r in runs if "mlflow.parentRunId" in r.data.tags)
    assert "report.pdf" in {a.path for a in client.list_artifacts(parent.info.run_id)}


@pytest.mark.slow
def test_resume_refuses_a_search_whose_builder_changed(tmp_path):
    path = _custom(tmp_path, name="signals", max_trials=3, epochs=40)
    proc = search(path)
    wait_until_training(tmp_path, proc, finished_trials=1)
    proc.kill()
    proc.wait(timeout=60)
    (tmp_path / "model.py").write_text(BUILDER.replace("[8, 16]", "[8, 32]"))
    refused = searched(path, "--resume", timeout=300)
    assert refused.returncode == 2 and "builder.sha256" in refused.stderr, refused.stderr[-2000:]


@pytest.mark.slow
def test_a_builder_from_a_file_is_searched_on_two_workers(tmp_path):
    """Each worker process imports the builder from its file (never the caller's main file) and checks it."""
    path = _custom(tmp_path, name="workers", max_trials=3)
    proc = search(path, "--workers", "2")
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    parents, children = runs(tmp_path, "workers")
    assert sorted(c.info.status for c in children) == ["FINISHED"] * 3
    assert len({c.data.tags["automl.worker"] for c in children}) == 2  # both workers trained
    assert all("units" in c.data.params for c in children)
