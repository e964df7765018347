"""Predicting with a search's model on new data as the user has it: `automl predict` and `pipelines.api.predict`.

The model is an experiment's champion (`models:/NAME@champion`), a `models:/`
or `runs:/` URI, or a `.keras` file with its encoding beside it; all load the
same `RawDataModel`, whose encoding reads the data (`Encoding`). A model logged
by an earlier version of the runner takes the encoded matrix and answers class
indices; it still predicts that way, and the answer says so.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.data.encoding import PREDICTION, PROBABILITY, Encoding, SeriesInputs
from pipelines.errors import DataError
from reports.store.errors import StoreError
from reports.store.names import CHAMPION_ALIAS
from reports.store.opening import mlflow_helpers_on, open_store

SHOWN_CLASSES = 5  # the most frequent answers a summary names
MATRIX_NOTE = (
    "this model was logged by an earlier version of the runner: it takes the encoded matrix (numbers in the "
    "order of training) and answers class indices, so the data's columns were given to it as they are"
)


@dataclasses.dataclass
class Prediction:
    """The answers (an id column first, then `prediction` and one `probability_<class>` column per class), what
    encoding the data changed, and which model answered."""

    answers: pd.DataFrame
    notes: list[str]
    model: str
    series: bool = False

    def summary(self) -> str:
        predicted = self.answers[PREDICTION]
        head = f"{len(self.answers):,} predictions by {self.model}"
        if self.series:
            last = self.answers.iloc[-1]
            return f"{head}; the forecast after the last window ({last.iloc[0]}): {last[PREDICTION]:.6g}"
        if not pd.api.types.is_numeric_dtype(predicted):
            counts = predicted.value_counts()
            shown = ", ".join(f"{label} {count:,}" for label, count in counts.head(SHOWN_CLASSES).items())
            return f"{head}: {shown}" + (f", {len(counts) - SHOWN_CLASSES} more classes" if len(counts) > 5 else "")
        return f"{head}: mean {predicted.mean():.6g} (from {predicted.min():.6g} to {predicted.max():.6g})"


def model_uri(model: str, tracking_uri: str) -> str:
    """A URI or `.keras` path as given; an experiment's name as its champion, which must exist."""
    if model.startswith(("models:/", "runs:/")) or model.endswith(".keras"):
        return model
    from mlflow.exceptions import MlflowException

    client = open_store(tracking_uri, create=False)
    try:
        client.get_model_version_by_alias(model, CHAMPION_ALIAS)
    except MlflowException:
        raise StoreError(
            f"no registered model {model!r} with a {CHAMPION_ALIAS} in {tracking_uri}: a search registers its best "
            "model only when it beats the majority class (or the mean). Give the search's model instead, "
            "runs:/<parent run id>/best_model (`automl trials NAME` shows the search), or a .keras file."
        ) from None
    return f"models:/{model}@{CHAMPION_ALIAS}"


def load(reference: str, tracking_uri: str):
    """The `RawDataModel` of a package or a `.keras` file with its encoding; for a model without an encoding (an
    earlier version's), its Keras model."""
    from mlflow.exceptions import MlflowException

    from pipelines.tracking.packaging import RawDataModel, encoding_beside, load_keras

    if reference.endswith(".keras"):
        import keras

        path = Path(reference)
        if not path.is_file():
            raise DataError(f"{path}: no such model file.")
        model = keras.saving.load_model(path, compile=False)
        beside = encoding_beside(path)
        if not beside.is_file():
            return model
        return RawDataModel.of(model, Encoding.from_json(beside.read_text(encoding="utf-8")))
    import mlflow

    try:
        with mlflow_helpers_on(tracking_uri):
            flavour = mlflow.models.get_model_info(reference).flavors.get("python_function", {})
            if flavour.get("loader_module") == "mlflow.keras":
                return load_keras(reference, tracking_uri)  # an earlier version's, in MLflow's Keras flavour
            return mlflow.pyfunc.load_model(reference).unwrap_python_model()
    except (MlflowException, OSError) as exc:
        raise StoreError(f"cannot load {reference!r} from {tracking_uri}: {str(exc).splitlines()[0][:300]}") from None


def predict(
    model: str, data: str | Path | pd.DataFrame, tracking_uri: str = "sqlite:///mlflow.db", loaded=None
) -> Prediction:
    """Answers of `model` (an experiment's name, a `models:/` or `runs:/` URI, a `.keras` path) for `data`: a
    file or folder as the model's source reads it (a CSV, a text file or folder, an image folder, a series
    CSV), or a DataFrame of raw columns. `loaded` is a model `load` returned, to predict again without
    loading it."""
    from pipelines.tracking.packaging import RawDataModel

    reference = model_uri(model, tracking_uri)
    loaded = loaded if loaded is not None else load(reference, tracking_uri)
    if not isinstance(loaded, RawDataModel):
        return _predict_matrix(loaded, reference, data)
    inputs = loaded.encoding.inputs
    if isinstance(data, pd.DataFrame):
        frame, ids = data, pd.Series(np.arange(len(data)), name="index")
    else:
        path = Path(data)
        if not path.exists():
            raise DataError(f"{path}: no such file or folder.")
        frame, ids = inputs.read(path)
    notes: list[str] = []
    answers = loaded.answer(frame, notes)
    answers.insert(0, *_id_column(inputs.answer_ids(frame, ids)))
    return Prediction(answers, notes, reference, series=isinstance(inputs, SeriesInputs))


def _id_column(ids: pd.Series) -> tuple[str, np.ndarray]:
    return str(ids.name), ids.to_numpy()


def _predict_matrix(model, reference: str, data) -> Prediction:
    """An earlier version's model: the data's numbers as the matrix it was trained on."""
    from pipelines.data.encoding import read_numbers
    from pipelines.tracking.recorder import predict as model_outputs

    if isinstance(data, pd.DataFrame):
        frame, ids = data, pd.Series(np.arange(len(data)), name="index")
    else:
        frame, ids = read_numbers(Path(data))
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        raise DataError(
            f"{frame.attrs.get('source', 'the data')}: column {text[0]!r} is not numbers, but {MATRIX_NOTE}. "
            "Encode the data as the search did, or search again to get a model that reads raw data."
        )
    shape = tuple(model.input_shape[1:])
    x = frame.to_numpy("float32").reshape((len(frame), *shape))
    outputs = model_outputs(model, x)
    if outputs.shape[1] == 1:
        answers = pd.DataFrame({PREDICTION: outputs[:, 0].astype("float64")})
    else:
        answers = pd.DataFrame({PREDICTION: outputs.argmax(axis=1).astype(str).astype(object)})
        for k in range(outputs.shape[1]):
            answers[f"{PROBABILITY}{k}"] = outputs[:, k]
    answers.insert(0, *_id_column(ids))
    return Prediction(answers, [MATRIX_NOTE], reference)
