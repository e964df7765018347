"""Splits are stratified, seeded, and the test split never overlaps what chooses hyperparameters."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.data import load_dataset, split
from pipelines.data.sources import DigitsData, ScaledFeaturesData
from pipelines.errors import DataError


def test_split_parts_are_disjoint_and_cover_everything():
    ids = np.arange(1000)
    labels = ids % 4
    x_train, y_train, x_val, y_val, x_test, y_test = split(ids, labels, 0.2, 0.25, seed=1, stratify=True)
    parts = [set(x_train), set(x_val), set(x_test)]
    assert not parts[0] & parts[2] and not parts[1] & parts[2] and not parts[0] & parts[1]
    assert set().union(*parts) == set(ids)
    assert len(x_test) == 200 and len(x_val) == 200
    for y in (y_train, y_val, y_test):
        assert np.bincount(y).tolist() == [len(y) // 4] * 4


def test_split_is_seeded():
    ids = np.arange(100)
    first = split(ids, ids % 2, 0.2, 0.2, seed=5, stratify=True)
    again = split(ids, ids % 2, 0.2, 0.2, seed=5, stratify=True)
    other = split(ids, ids % 2, 0.2, 0.2, seed=6, stratify=True)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=False))
    assert not np.array_equal(first[4], other[4])


def test_too_few_samples_is_a_data_error():
    with pytest.raises(DataError, match=r"cannot split 6 samples into train, validation and test"):
        split(np.arange(6), np.arange(6) % 3, 0.2, 0.2, seed=0, stratify=True)


@pytest.mark.parametrize("layout, shape", [("image", (8, 8, 1)), ("flat", (64,)), ("sequence", (8, 8))])
def test_digits_layouts(layout, shape):
    data = load_dataset(DigitsData(source="digits", layout=layout), seed=0)
    assert data.info.input_shape == shape
    assert data.info.num_classes == 10 and data.info.class_names[:3] == ("0", "1", "2")
    assert sum(data.info.sizes.values()) == 1797
    assert data.x_train.max() == 16.0  # raw pixels: the model's first layer rescales them
    assert float(data.info.preprocess()(data.x_train).numpy().max()) == 1.0


def test_csv_categories_come_from_the_training_rows_only(tmp_path):
    from pipelines.data import load_dataset as load
    from pipelines.data.sources import CsvData

    rows = ["size,colour,label"] + [f"{i},{'red' if i % 2 else 'blue'},{i % 2}" for i in range(60)]
    rows[-1] = "59,purple,1"  # a single purple row: wherever it lands, only the training split may define columns
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    config = CsvData(source="csv", path="t.csv", target="label")
    data = load(config, seed=0, base_dir=tmp_path)
    train_ids = set(data.x_train[:, 0].astype(int))
    expected_columns = 1 + (3 if 59 in train_ids else 2)
    assert data.x_train.shape[1] == expected_columns
    assert set(np.unique(data.x_train[:, 1:])) <= {0.0, 1.0}


def test_cells_every_one_written_in_quotes_are_read_without_them(tmp_path):
    """As files converted from ARFF write them: labels '1' and '-1', numbers '3.5', a quoted header."""
    from pipelines.data.sources import CsvData

    rows = ["'size','colour','label'"] + [
        f"'{i / 2}','{'red' if i % 3 else 'blue'}','{1 if i % 2 else -1}'" for i in range(60)
    ]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    data = load_dataset(CsvData(source="csv", path="t.csv", target="label"), seed=0, base_dir=tmp_path)
    assert data.info.class_names == ("-1", "1")
    assert data.x_train.shape[1] == 3  # size as a number, colour as two categories
    assert sorted(set(data.x_train[:, 0]) | set(data.x_val[:, 0]) | set(data.x_test[:, 0])) == [
        i / 2 for i in range(60)
    ]
    assert not any("'" in note for note in data.info.notes)
    mixed = ["size,label"] + [f"{i},{'yes' if i % 2 else chr(39) + 'no' + chr(39)}" for i in range(60)]
    (tmp_path / "m.csv").write_text("\n".join(mixed) + "\n")  # quotes on some cells only: part of the values
    kept = load_dataset(CsvData(source="csv", path="m.csv", target="label"), seed=0, base_dir=tmp_path)
    assert kept.info.class_names == ("'no'", "yes")


def test_scaled_features_reach_the_model_on_their_own_scales():
    dataset = load_dataset(ScaledFeaturesData(source="scaled_features", samples=900, features=5, decades=4), 0)
    spread = dataset.x_train.std(axis=0)
    assert dataset.info.preprocess is None  # no normalizing layer evens the scales out
    assert np.all(np.diff(spread) > 0) and 10**3.5 < spread[-1] / spread[0] < 10**4.5
    assert 0.35 < dataset.y_train.mean() < 0.65  # the plane splits the classes about evenly
