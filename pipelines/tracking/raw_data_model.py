"""What MLflow runs to load a packaged model ("models from code"): the class is named, not pickled, so a
package loads on any runner version that has `RawDataModel`."""

import mlflow

from pipelines.tracking.packaging import RawDataModel

mlflow.models.set_model(RawDataModel())
