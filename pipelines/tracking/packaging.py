"""A trained Keras model packaged for MLflow: a pyfunc model that takes data as the user has it and answers in the
user's labels.

The package holds the Keras model (`model.keras`) and the data's `Encoding`
(`encoding.json`) as MLflow artifacts; `mlflow.pyfunc.load_model`, `mlflow
models serve` and `automl predict` all load it through `RawDataModel`, so none
of them encodes data on its own. The signature names the raw input columns and
their types, and the answer's: `prediction` and, for classes, one
`probability_<class>` column per class. Loading it needs this runner installed
(`pip install -e .`), as the class lives here.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc.model import PythonModel
from mlflow.types import ColSpec, Schema

from pipelines.data.encoding import Encoding

KERAS_ARTIFACT, KERAS_FILE = "keras_model", "model.keras"
ENCODING_ARTIFACT, ENCODING_FILE = "encoding", "encoding.json"
REQUIREMENTS = ["keras", "tensorflow", "pandas", "scikit-learn", "pillow"]


class RawDataModel(PythonModel):
    """The Keras model with the encoding of its inputs and outputs. `predict` is MLflow's (the frame has passed
    the signature's checks); `answer` is the same without them, and says in `notes` what encoding changed."""

    @classmethod
    def of(cls, keras_model, encoding: Encoding) -> RawDataModel:
        """The same for a Keras model in memory, as a `.keras` file with its encoding beside it loads."""
        model = cls()
        model.keras_model, model.encoding = keras_model, encoding
        return model

    def load_context(self, context) -> None:
        import keras

        self.keras_model = keras.saving.load_model(context.artifacts[KERAS_ARTIFACT], compile=False)
        self.encoding = Encoding.from_json(Path(context.artifacts[ENCODING_ARTIFACT]).read_text(encoding="utf-8"))

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return self.answer(model_input, [])

    def answer(self, frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
        from pipelines.tracking.recorder import predict

        return self.encoding.answer(predict(self.keras_model, self.encoding.encode(frame, notes)))


def signature(encoding: Encoding) -> ModelSignature:
    def schema(columns: list[tuple[str, str]]) -> Schema:
        return Schema([ColSpec(kind, name) for name, kind in columns])

    return ModelSignature(schema(encoding.inputs.columns()), schema(encoding.answer_columns()))


def save_package(model, encoding: Encoding, path: Path, example: pd.DataFrame | None = None) -> Path:
    """Write the pyfunc package to the new folder `path`; `example` (raw rows) becomes its input example."""
    with tempfile.TemporaryDirectory() as tmp:
        keras_path, encoding_path = Path(tmp) / KERAS_FILE, Path(tmp) / ENCODING_FILE
        model.save(keras_path)
        encoding_path.write_text(encoding.to_json(), encoding="utf-8")
        mlflow.pyfunc.save_model(
            str(path),
            python_model=str(Path(__file__).with_name("raw_data_model.py")),
            artifacts={KERAS_ARTIFACT: str(keras_path), ENCODING_ARTIFACT: str(encoding_path)},
            signature=signature(encoding),
            input_example=example,
            pip_requirements=REQUIREMENTS,
        )
    return path


def load_keras(uri: str, tracking_uri: str):
    """The Keras model of a logged model (`runs:/`, `models:/`): inside a package, or in MLflow's Keras flavour
    (logged by earlier versions of the runner)."""
    import keras

    from reports.store.opening import mlflow_helpers_on

    with mlflow_helpers_on(tracking_uri), tempfile.TemporaryDirectory() as tmp:
        local = Path(mlflow.artifacts.download_artifacts(uri, dst_path=tmp))
        packaged = local / "artifacts" / KERAS_FILE
        if packaged.is_file():
            return keras.saving.load_model(packaged)
        return mlflow.keras.load_model(str(local))


def encoding_beside(keras_path: Path) -> Path:
    """Where a `.keras` file's encoding is kept beside it, so the file alone predicts on raw data too."""
    return keras_path.with_name(keras_path.stem + "." + ENCODING_FILE)


def save_keras(model, encoding: Encoding, path: Path) -> Path:
    """The Keras model as a `.keras` file, its encoding beside it."""
    model.save(path)
    encoding_beside(path).write_text(encoding.to_json(), encoding="utf-8")
    return path
