"""Malformed experiment and data files: each ends in exit 2 with one message naming the file, never a traceback,
and leaves nothing in MLflow."""

from __future__ import annotations

import os

import pytest

import runner
from tests.conftest import write_experiment

TINY_TUNER = {"algorithm": "random", "max_trials": 1, "epochs": 1, "patience": 0}
VALID = "name: fuzz\ndata: {source: digits, layout: flat}\nfamily: mlp\n"

EXPERIMENT_FILES = {
    "latin-1 bytes": VALID.encode() + b"seed: 1 # caf\xe9 \xff\n",
    "UTF-16": VALID.encode("utf-16"),
    "binary": bytes(range(256)) * 4,
    "empty": b"",
    "a list": b"- data\n- family\n",
    "a scalar": b"just words\n",
    "huge number": VALID.encode() + b"tuner: {max_trials: 1e400}\n",
    "non-finite learning rate": VALID.encode() + b"search_space: {learning_rate: .nan}\n",
    "infinite range": VALID.encode() + b"search_space: {dropout: {min: 0.0, max: .inf}}\n",
    "nan range bound": VALID.encode() + b"search_space: {learning_rate: {min: .nan, max: 0.01}}\n",
    "duplicate key": VALID.encode() + b"seed: 1\nseed: 2\n",
    "duplicate nested key": b"name: fuzz\ndata: {source: digits, source: iris}\nfamily: mlp\n",
    "tab indentation": VALID.encode() + b"tuner:\n\tepochs: 3\n",
    "NUL byte": VALID.encode() + b"seed: \x001\n",
}


@pytest.mark.parametrize("content", EXPERIMENT_FILES.values(), ids=EXPERIMENT_FILES.keys())
def test_a_malformed_experiment_file_is_one_line_naming_it(tmp_path, capsys, content):
    path = tmp_path / "experiment.yaml"
    path.write_bytes(content)
    os.chdir(tmp_path)
    assert runner.main(["search", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err, err
    assert list(tmp_path.iterdir()) == [path]


def _write(tmp, name, content: bytes):
    (tmp / name).write_bytes(content)
    return name


DATA_FILES = {
    "csv: a folder": (
        lambda tmp: (tmp / "table").mkdir() or {"source": "csv", "path": "table", "target": 0},
        r"table is a folder; source: csv reads a file",
    ),
    "timeseries: a folder": (
        lambda tmp: (tmp / "series").mkdir() or {"source": "timeseries", "path": "series", "target": "v"},
        r"series is a folder; source: timeseries reads a file",
    ),
    "images: a file": (
        lambda tmp: {"source": "images", "path": _write(tmp, "img.png", b"\x89PNG")},
        r"img\.png is not a regular file|img\.png is a file",
    ),
    "csv: empty": (
        lambda tmp: {"source": "csv", "path": _write(tmp, "t.csv", b""), "target": 0},
        r"t\.csv: the file is empty",
    ),
    "csv: binary": (
        lambda tmp: {"source": "csv", "path": _write(tmp, "t.csv", bytes(range(256)) * 8), "target": 0},
        r"t\.csv",
    ),
    "csv: ragged rows": (
        lambda tmp: {
            "source": "csv",
            "path": _write(tmp, "t.csv", b"a,b,label\n" + b"1,2,0\n1,2,3,4,1\n" * 20),
            "target": "label",
        },
        r"t\.csv",
    ),
    "csv: latin-1": (
        lambda tmp: {
            "source": "csv",
            "path": _write(tmp, "t.csv", b"a,label\n" + b"caf\xe9,0\nthe,1\n" * 20),
            "target": "label",
        },
        r"t\.csv",
    ),
    "csv: huge numbers": (
        lambda tmp: {
            "source": "csv",
            "path": _write(tmp, "t.csv", b"a,label\n" + b"1e400,0\n2,1\n" * 20),
            "target": "label",
        },
        r"t\.csv|NaN or infinite",
    ),
    "npz: not an archive": (lambda tmp: {"source": "npz", "path": _write(tmp, "d.npz", b"not a zip file")}, r"d\.npz"),
    "text: binary table": (
        lambda tmp: {"source": "text", "path": _write(tmp, "t.tsv", b"\x00\x01\x02" * 100)},
        r"t\.tsv",
    ),
}


@pytest.mark.parametrize("make, message", DATA_FILES.values(), ids=DATA_FILES.keys())
def test_a_malformed_data_file_is_one_line_naming_it(tmp_path, capsys, make, message):
    import re

    data = make(tmp_path)
    path = write_experiment(
        tmp_path,
        data=data,
        family="mlp",
        search_space={},
        tuner=TINY_TUNER,
        objective="val_mae" if data["source"] == "timeseries" else "val_accuracy",
    )
    assert runner.main(["search", str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and "Traceback" not in err, err
    assert not (tmp_path / "mlflow.db").exists()
    assert not (tmp_path / "automl.log").exists() or (tmp_path / "automl.log").stat().st_size > 0
