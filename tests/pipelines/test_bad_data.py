"""Bad data fails with a message naming the file and the problem, before any MLflow run exists."""

from __future__ import annotations

import numpy as np
import pytest

import runner
from tests.conftest import write_experiment

TINY_TUNER = {"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0}


def _csv(tmp, text, name="table.csv"):
    (tmp / name).write_text(text)
    return {"source": "csv", "path": name, "target": "label"}


def _rows(n, label=lambda i: i % 2, extra=lambda i: ""):
    return "a,b,label\n" + "".join(f"{i},{i * 2}{extra(i)},{label(i)}\n" for i in range(n))


def _npz_mismatch(tmp):
    np.savez(tmp / "bad.npz", x=np.zeros((10, 3)), y=np.zeros(9))
    return {"source": "npz", "path": "bad.npz"}


def _npz_wrong_keys(tmp):
    np.savez(tmp / "bad.npz", features=np.zeros((10, 3)))
    return {"source": "npz", "path": "bad.npz"}


CASES = {
    "missing file": (lambda tmp: {"source": "csv", "path": "nope.csv", "target": 0}, r"nope\.csv does not exist"),
    "missing folder": (lambda tmp: {"source": "mnist", "path": "no-such-folder"}, r"no-such-folder does not exist"),
    "empty file": (lambda tmp: _csv(tmp, ""), r"table\.csv: the file is empty"),
    "target not there": (
        lambda tmp: {**_csv(tmp, _rows(30)), "target": "class"},
        r"table\.csv: data\.target: no column named 'class'; the columns are a, b, label",
    ),
    "target position outside": (
        lambda tmp: {**_csv(tmp, _rows(30)), "target": 7},
        r"data\.target: position 7 is outside the 3 columns",
    ),
    "column that cannot be encoded": (
        lambda tmp: _csv(tmp, "a,b,label\n" + "".join(f"{i},word{i},{i % 2}\n" for i in range(80))),
        r"column 'b' is text with 80 distinct values",
    ),
    "single class": (lambda tmp: _csv(tmp, _rows(30, label=lambda i: "x")), r"only one class \('x'\)"),
    "too few samples": (lambda tmp: _csv(tmp, _rows(5)), r"fewer than 3 samples|cannot split 5 samples"),
    "missing values": (
        lambda tmp: _csv(tmp, _rows(30).replace("4,8,", "4,,")),
        r"1 input cells are missing \('b' 1\)\. Set data\.missing: fill",
    ),
    "infinite values": (lambda tmp: _csv(tmp, _rows(30).replace("4,8,", "4,inf,")), r"NaN or infinite"),
    "NPZ length mismatch": (_npz_mismatch, r"bad\.npz: x has 10 samples but y has 9"),
    "NPZ without x and y": (_npz_wrong_keys, r"bad\.npz: no array named x, y; the file has features"),
    "folder without IDX files": (
        lambda tmp: (tmp / "empty").mkdir() or {"source": "mnist", "path": "empty"},
        r"empty: no IDX files",
    ),
    "time series too short for the window": (
        lambda tmp: (
            (tmp / "ts.csv").write_text("t,v\n1,2\n2,3\n3,4\n")
            and {"source": "timeseries", "path": "ts.csv", "target": "v", "window": 5}
        ),
        r"3 rows are too few for window 5",
    ),
}


@pytest.mark.parametrize("make, message", CASES.values(), ids=CASES.keys())
def test_bad_data_is_named_before_mlflow(tmp_path, capsys, make, message):
    import re

    data = make(tmp_path)
    family = "mlp"
    objective = "val_mae" if data["source"] == "timeseries" else "val_accuracy"
    path = write_experiment(tmp_path, data=data, family=family, search_space={}, tuner=TINY_TUNER, objective=objective)
    assert runner.main(["search", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err
    assert not (tmp_path / "mlflow.db").exists()


def test_regression_data_with_accuracy_objective_is_refused(tmp_path, capsys):
    path = write_experiment(
        tmp_path, data={"source": "diabetes"}, family="mlp", search_space={}, tuner=TINY_TUNER, objective="val_accuracy"
    )
    assert runner.main(["search", str(path)]) == 2
    assert "objective: val_accuracy needs classes, but 'diabetes' is a regression task" in capsys.readouterr().err
    assert not (tmp_path / "mlflow.db").exists()


def test_images_for_the_rnn_family_need_a_sequence_layout(tmp_path, capsys):
    path = write_experiment(tmp_path, family="rnn", search_space={}, tuner=TINY_TUNER)
    assert runner.main(["search", str(path)]) == 2
    err = capsys.readouterr().err
    assert "the rnn family needs sequences (steps, features); for images use data.layout: sequence" in err
    assert not (tmp_path / "mlflow.db").exists()


def test_a_malformed_cell_in_a_series_is_named_with_its_row_and_value(tmp_path, capsys):
    rows = "".join(f"2020-01-{d:02d},{10 + d * 0.1:.1f}\n" for d in range(1, 29)).replace(",10.5\n", ",?0.5\n")
    (tmp_path / "temps.csv").write_text("Date,Temp\n" + rows)
    data = {"source": "timeseries", "path": "temps.csv", "target": "Temp", "window": 3, "time_column": "Date"}
    path = write_experiment(tmp_path, data=data, family="mlp", search_space={}, tuner=TINY_TUNER)
    assert runner.main(["search", str(path)]) == 2
    err = capsys.readouterr().err
    assert "column 'Temp' is numbers but 1 cells are not (row 6: '?0.5')" in err and "data.invalid: missing" in err


def test_values_that_mean_unknown_become_missing_cells_with_a_note(tmp_path):
    """Pima's diabetes data writes 0 for an insulin level never measured."""
    from pipelines.data import load_dataset
    from pipelines.data.sources import CsvData, TimeSeriesData

    rng = np.random.default_rng(0)
    insulin = np.where(np.arange(60) % 4 == 0, 0, rng.integers(20, 200, 60))
    (tmp_path / "pima.csv").write_text(
        "insulin,glucose,outcome\n"
        + "".join(
            f"{i},{g},{o}\n" for i, g, o in zip(insulin, rng.integers(60, 200, 60), np.arange(60) % 2, strict=False)
        )
    )
    data = load_dataset(
        CsvData(
            source="csv",
            path=str(tmp_path / "pima.csv"),
            target="outcome",
            missing="fill",
            missing_values={"insulin": [0]},
        ),
        seed=1,
    )
    assert "column 'insulin': 15 cells holding 0 (data.missing_values) made missing" in data.info.notes
    assert any(n.startswith("15 missing input cells filled") for n in data.info.notes)
    assert (data.x_train[:, 0] != 0).all()  # no zero insulin is left as a reading
    (tmp_path / "series.csv").write_text("v\n" + "".join(f"{v}\n" for v in [1, 2, -999, 4, 5, 6, 7, 8, 9, 10] * 3))
    series = load_dataset(
        TimeSeriesData(
            source="timeseries", path=str(tmp_path / "series.csv"), target="v", window=2, missing_values=[-999]
        ),
        seed=1,
    )
    assert "column 'v': 3 cells holding -999 (data.missing_values) made missing" in series.info.notes


def test_a_data_error_is_told_before_tensorflow_loads_and_leaves_no_log_file(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "table.csv").write_text(_rows(30).replace("4,8,", "4,,"))
    path = write_experiment(
        tmp_path,
        data={"source": "csv", "path": "table.csv", "target": "label"},
        family="mlp",
        search_space={},
        tuner=TINY_TUNER,
    )
    probe = "import sys, runner\ncode = runner.main(['search', sys.argv[1]])\nprint(code, 'tensorflow' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", probe, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split()[-2:] == ["2", "False"], out.stdout + out.stderr[-2000:]
    assert "1 input cells are missing" in out.stderr
    assert not (tmp_path / "automl.log").exists() and not (tmp_path / "mlflow.db").exists()
    assert "library messages go to" not in out.stdout + out.stderr  # no line names a log that is not made
