"""What the training side (pipelines) and the reading side (reports) share: the MLflow layout (every run,
param, metric and tag name, and how to read them), the objectives, and the errors a user can fix. It imports
neither side."""
