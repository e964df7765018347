"""What a search leaves in MLflow: the tracker and its journal, the per-epoch recorder, resuming, and the
process that writes trials' files."""
